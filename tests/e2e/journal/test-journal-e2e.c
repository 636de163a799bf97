/* The node journal and the parallel, ordered worker end to end, on the
 * embedded broker and libvirt's test driver, with requests published
 * straight to Kafka:
 *
 *   (a) a redelivered finished id is answered from the journal and not run
 *       again (a second suspend would fail: the VM is already paused), also
 *       after a restart; an expired request is refused; a second worker on
 *       the same journal refuses to start; ids left in flight by a crash
 *       are run again when they converge and reported when they do not;
 *   (b) 20 keys with 10 suspend/resume steps each run in order per key and
 *       correctly at concurrency 1 and 4. That different keys really run
 *       at once is checked by unit/worker-pool; times are printed for the
 *       reader, never asserted (benchmarks live in bench/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "lib/testing.h"
#include "worker/journal/journal.h"

#define JOIN_TIMEOUT_MS 60000
#define KEYS 20
#define STEPS 10

static struct harness ha, hb;

static bool a_first(struct harness *h)
{
    return h_count(h, "a-suspend", -1) >= 2 && h_count(h, "a-resume", -1) >= 1 &&
           h_count(h, "a-expired", -1) >= 1;
}

static bool a_again(struct harness *h)
{
    return h_count(h, "a-suspend", -1) >= 3 && h_count(h, "a-crash-suspend", -1) >= 1 &&
           h_count(h, "a-crash-reboot", -1) >= 1 && h_count(h, "a-crash-resize", -1) >= 1;
}

/* Start records without results, as a kill -9 between the two leaves. */
static void crash_records(void)
{
    static const char *const crashed[][2] = {
        {"a-crash-suspend", "suspendVM"},
        {"a-crash-reboot", "rebootVM"},
        {"a-crash-resize", "resizeRAM"},
    };
    _cleanup_(journal_closep) struct journal *j = NULL;
    char err[512];

    if (!CHECK_INT(journal_open(ha.journal, &j, err, sizeof(err)), 0)) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    for (size_t i = 0; i < ELEMENTSOF(crashed); i++) {
        struct journal_start rec = {.id = crashed[i][0], .kind = "VirtualMachine",
                                    .namespace = "default", .name = "test",
                                    .operation = crashed[i][1],
                                    .key = "VirtualMachine/default/test",
                                    .started_ms = (int64_t)time(NULL) * 1000, .attempt = 1};

        CHECK_INT(journal_start(j, &rec), 0);
    }
}

static bool same_outcome(const struct h_result *x, const struct h_result *y)
{
    return strcmp(x->reason, y->reason) == 0 && strcmp(x->message, y->message) == 0 &&
           x->success == y->success && x->started_ms == y->started_ms &&
           x->finished_ms == y->finished_ms && x->attempt == y->attempt;
}

static void test_replay(void)
{
    const struct h_result *first, *again;
    int64_t past;
    pid_t pid, second;
    int status = -1;

    h_init(&ha, "jra");
    past = (int64_t)time(NULL) * 1000 - 60000;
    h_publish(&ha, "a-suspend", "suspendVM", "test", NULL, 0);
    /* The same id again, as a publisher retrying after a timeout would. */
    h_publish(&ha, "a-suspend", "suspendVM", "test", NULL, 0);
    h_publish(&ha, "a-resume", "resumeVM", "test", NULL, 0);
    h_publish(&ha, "a-expired", "suspendVM", "test", NULL, past);

    pid = h_worker_start(&ha, 4, NULL);
    h_consume(&ha, JOIN_TIMEOUT_MS, a_first);
    CHECK_INT(h_count(&ha, "a-suspend", 0), 1);
    CHECK_INT(h_count(&ha, "a-suspend", 1), 1);
    first = h_find(&ha, "a-suspend", false);
    again = h_find(&ha, "a-suspend", true);
    if (CHECK(first && again)) {
        CHECK_STR(first->reason, "Paused");
        CHECK(first->success);
        /* The recorded result, not a second run (which would have failed
         * with LibvirtError: the domain was already paused). */
        CHECK(same_outcome(first, again));
    }
    /* The VM was suspended exactly once before: the resume works. */
    first = h_find(&ha, "a-resume", false);
    if (CHECK(first))
        CHECK_STR(first->reason, "Running");
    first = h_find(&ha, "a-expired", false);
    if (CHECK(first)) {
        CHECK_STR(first->reason, "VirtctlError");
        CHECK(strstr(first->message, "expired") != NULL);
    }

    /* A second worker on the same journal refuses to start. */
    second = h_worker_start(&ha, 1, NULL);
    for (int i = 0; i < 200 && waitpid(second, &status, WNOHANG) != second; i++)
        usleep(50 * 1000);
    if (!CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1))
        h_worker_stop(second, 5);
    {
        char line[1024];
        bool said = false;
        FILE *f = fopen(ha.log, "re");

        while (f && fgets(line, sizeof(line), f))
            said |= strstr(line, "in use by another worker") != NULL;
        if (f)
            fclose(f);
        CHECK(said);
    }
    CHECK_INT(h_worker_stop(pid, 30), 0);

    /* A worker that died between the start and the result leaves these. */
    crash_records();
    /* The journal outlives the process: a redelivery after a restart is
     * answered from it too. */
    h_publish(&ha, "a-suspend", "suspendVM", "test", NULL, 0);
    h_publish(&ha, "a-crash-suspend", "suspendVM", "test", NULL, 0);
    h_publish(&ha, "a-crash-reboot", "rebootVM", "test", NULL, 0);
    h_publish(&ha, "a-crash-resize", "resizeRAM", "test", "{\"size\":\"524288\"}", 0);
    pid = h_worker_start(&ha, 4, NULL);
    h_consume(&ha, JOIN_TIMEOUT_MS, a_again);
    CHECK_INT(h_count(&ha, "a-suspend", 0), 1);
    CHECK_INT(h_count(&ha, "a-suspend", 1), 2);
    /* The new process starts from a running VM: the suspend never
     * happened, converges, and runs again as attempt 2. */
    first = h_find(&ha, "a-crash-suspend", false);
    if (CHECK(first)) {
        CHECK_STR(first->reason, "Paused");
        CHECK_INT(first->attempt, 2);
    }
    /* A reboot is not safe to repeat: reported, with the state seen. */
    first = h_find(&ha, "a-crash-reboot", false);
    if (CHECK(first)) {
        CHECK_STR(first->reason, "Exception");
        CHECK(!first->success);
        CHECK(strstr(first->message, "restarted while rebootVM was running") != NULL);
        CHECK(strstr(first->message, "now Paused") != NULL);
        CHECK_INT(first->attempt, 1);
    }
    first = h_find(&ha, "a-crash-resize", false);
    if (CHECK(first))
        CHECK_INT(first->attempt, 2);
    CHECK_INT(h_worker_stop(pid, 30), 0);
    h_done(&ha);
}

static bool b_all(struct harness *h)
{
    return h->n_results >= KEYS * STEPS;
}

/* Runs the 200 steps at a concurrency; returns the worker's busy time. */
static int64_t run_keys(int concurrency)
{
    int64_t first = INT64_MAX, last = 0;
    int ok = 0, in_order = 0;
    char id[64], name[16];
    pid_t pid;

    h_init(&hb, concurrency == 1 ? "jrb1x" : "jrb4x");
    h_node_file(&hb, KEYS);
    /* Interleaved, as many publishers would write them. */
    for (int s = 0; s < STEPS; s++)
        for (int k = 0; k < KEYS; k++) {
            snprintf(id, sizeof(id), "b-%02d-%02d", k, s);
            snprintf(name, sizeof(name), "vm%02d", k);
            h_publish(&hb, id, s % 2 == 0 ? "suspendVM" : "resumeVM", name, NULL, 0);
        }
    pid = h_worker_start(&hb, concurrency, NULL);
    h_consume(&hb, JOIN_TIMEOUT_MS, b_all);
    CHECK_INT(h_worker_stop(pid, 30), 0);

    for (int k = 0; k < KEYS; k++)
        for (int s = 0; s < STEPS; s++) {
            const struct h_result *r;

            snprintf(id, sizeof(id), "b-%02d-%02d", k, s);
            r = h_find(&hb, id, false);
            if (!r)
                continue;
            /* Out of order, a suspend meets a paused VM (or a resume a
             * running one) and fails. */
            ok += r->success && strcmp(r->reason, s % 2 == 0 ? "Paused" : "Running") == 0;
            in_order += h_count(&hb, id, -1) == 1;
            if (r->started_ms < first)
                first = r->started_ms;
            if (r->finished_ms > last)
                last = r->finished_ms;
        }
    CHECK_INT(hb.n_results, KEYS * STEPS);
    CHECK_INT(ok, KEYS * STEPS);
    CHECK_INT(in_order, KEYS * STEPS);
    h_done(&hb);
    return last >= first ? last - first : -1;
}

int main(void)
{
    int64_t t1, t4;

    test_replay();
    t4 = run_keys(4);
    t1 = run_keys(1);
    printf("200 requests on 20 keys: %lld ms with concurrency 1, %lld ms with 4\n",
           (long long)t1, (long long)t4);
    CHECK(t4 > 0 && t1 > 0);
    return test_finish();
}
