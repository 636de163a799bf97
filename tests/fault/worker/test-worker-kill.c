/* Fault: kill -9 of vmrelay-worker at random points, KILLS times, while
 * requests on KEYS domains keep coming. After the last restart every id
 * must have a result (none lost), at most one that is not a replay (none
 * run twice), every replay equal to the original outcome, the journal must
 * show no operation that is unsafe to repeat run a second time, and the
 * runs of one key must have started in publish order.
 *
 * The test driver keeps domains in the worker's memory, so each restart
 * begins from the node file again: some steps fail with LibvirtError, which
 * is fine; only identities and counts are checked. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "lib/testing.h"
#include "worker/journal/journal.h"
#include "worker/journal/recover.h"

#define KEYS 20
#define KILLS 10
#define BATCH 50
#define TOTAL (BATCH * (KILLS + 1))
#define JOIN_TIMEOUT_MS 60000
#define FINAL_TIMEOUT_MS 180000

static struct harness h;

static const struct {
    const char *operation, *params;
} ops[] = {
    {"suspendVM", NULL},
    {"resumeVM", NULL},
    {"resizeRAM", "{\"size\":\"524288\",\"live\":true}"},
    {"changeNumberOfCPU", "{\"count\":2,\"live\":true}"},
    {"rebootVM", NULL},
    {"resetVM", NULL},
    {"stopVM", NULL},
    {"startVM", NULL},
};

static struct {
    char id[32];
    int key, op;
} sent[TOTAL];
static int n_sent;
static size_t seen_at_start;

static void publish_batch(void)
{
    char name[16];

    for (int i = 0; i < BATCH && n_sent < TOTAL; i++, n_sent++) {
        int key = rand() % KEYS, op = rand() % (int)ELEMENTSOF(ops);

        snprintf(sent[n_sent].id, sizeof(sent[n_sent].id), "f-%04d", n_sent);
        sent[n_sent].key = key;
        sent[n_sent].op = op;
        snprintf(name, sizeof(name), "vm%02d", key);
        h_publish(&h, sent[n_sent].id, ops[op].operation, name, ops[op].params, 0);
    }
}

static bool some_new(struct harness *hh)
{
    return hh->n_results > seen_at_start;
}

static bool all_answered(struct harness *hh)
{
    for (int i = 0; i < n_sent; i++)
        if (h_count(hh, sent[i].id, -1) == 0)
            return false;
    return true;
}

static bool same_outcome(const struct h_result *x, const struct h_result *y)
{
    return strcmp(x->reason, y->reason) == 0 && strcmp(x->message, y->message) == 0 &&
           x->success == y->success && x->started_ms == y->started_ms &&
           x->finished_ms == y->finished_ms && x->attempt == y->attempt;
}

static void check_results(int *ret_replays, int *ret_recovered)
{
    int lost = 0, twice = 0, unequal = 0, replays = 0, recovered = 0, order = 0;
    int64_t last_start[KEYS] = {0};

    for (int i = 0; i < n_sent; i++) {
        const char *id = sent[i].id;
        const struct h_result *orig = h_find(&h, id, false), *ref;

        if (h_count(&h, id, -1) == 0) {
            lost++;
            fprintf(stderr, "  no result for %s\n", id);
            continue;
        }
        if (h_count(&h, id, 0) > 1) {
            twice++;
            fprintf(stderr, "  %s has %zu results that are not replays\n", id,
                    h_count(&h, id, 0));
        }
        ref = orig ? orig : h_find(&h, id, true);
        for (size_t k = 0; k < h.n_results; k++) {
            const struct h_result *r = &h.results[k];

            if (strcmp(r->id, id) != 0 || !r->replayed)
                continue;
            replays++;
            if (!same_outcome(r, ref)) {
                unequal++;
                fprintf(stderr, "  %s replayed %s (%s) differs from %s (%s)\n", id,
                        r->reason, r->message, ref->reason, ref->message);
            }
        }
        recovered += strstr(ref->message, "restarted") != NULL || ref->attempt > 1;
        /* A key's runs start in publish order. */
        if (orig) {
            if (orig->started_ms < last_start[sent[i].key]) {
                order++;
                fprintf(stderr, "  %s started before an earlier request of its key\n", id);
            }
            last_start[sent[i].key] = orig->started_ms;
        }
    }
    CHECK_INT(lost, 0);
    CHECK_INT(twice, 0);
    CHECK_INT(unequal, 0);
    CHECK_INT(order, 0);
    *ret_replays = replays;
    *ret_recovered = recovered;
}

/* The journal after the last clean stop: every id finished, and no
 * operation that is unsafe to repeat ran a second time. */
static void check_journal(void)
{
    _cleanup_(journal_closep) struct journal *j = NULL;
    int unfinished = 0, rerun_unsafe = 0, reruns = 0;
    char err[512];

    if (!CHECK_INT(journal_open(h.journal, &j, err, sizeof(err)), 0)) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    for (int i = 0; i < n_sent; i++) {
        struct journal_entry e = {0};

        if (journal_lookup(j, sent[i].id, &e) < 0 || e.state != JOURNAL_FINISHED) {
            unfinished++;
            continue;
        }
        if (e.attempt > 1) {
            reruns++;
            if (!journal_op_converges("VirtualMachine", ops[sent[i].op].operation))
                rerun_unsafe++;
        }
        journal_entry_done(&e);
    }
    CHECK_INT(unfinished, 0);
    CHECK_INT(rerun_unsafe, 0);
    printf("journal: %d converging requests ran again after a kill\n", reruns);
}

int main(void)
{
    unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
    int replays = 0, recovered = 0, status;
    pid_t pid;

    srand(seed);
    printf("seed %u\n", seed);
    h_init(&h, "jrf");
    h_node_file(&h, KEYS);
    publish_batch();

    for (int kill_no = 0; kill_no < KILLS; kill_no++) {
        seen_at_start = h.n_results;
        pid = h_worker_start(&h, 4, NULL);
        /* Wait until this run produces, then let it go on for a random
         * while, publishing more, and kill it mid-stream. */
        h_consume(&h, JOIN_TIMEOUT_MS, some_new);
        if (!CHECK(h.n_results > seen_at_start))
            fprintf(stderr, "  run %d produced nothing (see %s)\n", kill_no, h.log);
        publish_batch();
        h_consume(&h, rand() % 400, NULL);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    }

    pid = h_worker_start(&h, 4, NULL);
    h_consume(&h, FINAL_TIMEOUT_MS, all_answered);
    CHECK_INT(h_worker_stop(pid, 60), 0);
    /* Results of other partitions may still be on their way. */
    h_consume(&h, 2000, NULL);

    CHECK_INT(n_sent, TOTAL);
    check_results(&replays, &recovered);
    check_journal();
    printf("%d requests, %d kills, %zu results, %d replays, %d resolved after a kill\n",
           n_sent, KILLS, h.n_results, replays, recovered);
    h_done(&h);
    return test_finish();
}
