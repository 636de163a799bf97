/* The node journal (start, finish, lookup, lock, prune, reopen) and how an
 * id left in flight is resolved on libvirt's test driver. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvirt/libvirt.h>

#include "lib/testing.h"
#include "shared/msg/message.h"
#include "worker/journal/journal.h"
#include "worker/journal/recover.h"
#include "worker/main/conn.h"

static char dir[256], path[512];

static struct journal_start rec(const char *id, int64_t started, int attempt)
{
    return (struct journal_start){.id = id, .kind = "VirtualMachine", .namespace = "default",
                                  .name = "test", .operation = "suspendVM",
                                  .key = "VirtualMachine/default/test",
                                  .started_ms = started, .attempt = attempt};
}

static enum journal_state state_of(struct journal *j, const char *id, int *ret_attempt)
{
    struct journal_entry e = {0};
    enum journal_state s;

    if (journal_lookup(j, id, &e) < 0)
        return -1;
    s = e.state;
    if (ret_attempt)
        *ret_attempt = e.attempt;
    journal_entry_done(&e);
    return s;
}

static void test_records(void)
{
    _cleanup_(journal_closep) struct journal *j = NULL, *second = NULL;
    struct journal_start r1 = rec("id-1", 1000, 1);
    struct journal_entry e = {0};
    int64_t finished, in_flight;
    char err[512] = "";
    int attempt = 0;

    if (!CHECK_INT(journal_open(path, &j, err, sizeof(err)), 0)) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK_INT(state_of(j, "id-1", NULL), JOURNAL_UNKNOWN);
    CHECK_INT(journal_finish(j, "id-1", 2000, "{}"), -ENOENT);
    CHECK_INT(journal_start(j, &r1), 0);
    CHECK_INT(state_of(j, "id-1", &attempt), JOURNAL_IN_FLIGHT);
    CHECK_INT(attempt, 1);
    /* A re-run after a crash replaces the unfinished record. */
    r1.attempt = 2;
    CHECK_INT(journal_start(j, &r1), 0);
    CHECK_INT(state_of(j, "id-1", &attempt), JOURNAL_IN_FLIGHT);
    CHECK_INT(attempt, 2);
    CHECK_INT(journal_finish(j, "id-1", 2000, "{\"id\":\"id-1\"}"), 0);
    CHECK_INT(journal_lookup(j, "id-1", &e), 0);
    CHECK_INT(e.state, JOURNAL_FINISHED);
    CHECK_INT(e.finished_ms, 2000);
    CHECK_STR(e.result, "{\"id\":\"id-1\"}");
    journal_entry_done(&e);
    /* A finished record is never replaced by a start. */
    r1.attempt = 3;
    CHECK_INT(journal_start(j, &r1), -EEXIST);
    CHECK_INT(state_of(j, "id-1", &attempt), JOURNAL_FINISHED);
    CHECK_INT(attempt, 2);
    r1 = rec("id-2", 1500, 1);
    CHECK_INT(journal_start(j, &r1), 0);
    CHECK_INT(journal_count(j, &finished, &in_flight), 0);
    CHECK_INT(finished, 1);
    CHECK_INT(in_flight, 1);

    /* One worker per journal: a second open is refused, naming our pid. */
    CHECK_INT(journal_open(path, &second, err, sizeof(err)), -EBUSY);
    CHECK(strstr(err, "in use by another worker") != NULL);
    {
        char pid[32];

        snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
        if (!CHECK(strstr(err, pid) != NULL))
            fprintf(stderr, "  %s\n", err);
    }
    CHECK(second == NULL);
}

static void test_reopen_and_prune(void)
{
    _cleanup_(journal_closep) struct journal *j = NULL;
    int64_t finished = -1, in_flight = -1;
    char err[512] = "", id[32], result[64];

    /* The lock went with the close; the records stayed on disk. */
    if (!CHECK_INT(journal_open(path, &j, err, sizeof(err)), 0)) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK_INT(state_of(j, "id-1", NULL), JOURNAL_FINISHED);
    CHECK_INT(state_of(j, "id-2", NULL), JOURNAL_IN_FLIGHT);

    for (int i = 0; i < 20; i++) {
        struct journal_start r;

        snprintf(id, sizeof(id), "bulk-%02d", i);
        snprintf(result, sizeof(result), "{\"n\":%d}", i);
        r = rec(id, 10000 + i, 1);
        CHECK_INT(journal_start(j, &r), 0);
        CHECK_INT(journal_finish(j, id, 20000 + i, result), 0);
    }
    /* Older than 20000: id-1 (finished at 2000) and id-2 (started at
     * 1500, never finished). */
    CHECK_INT(journal_prune(j, 20000, 1000), 2);
    CHECK_INT(state_of(j, "id-1", NULL), JOURNAL_UNKNOWN);
    CHECK_INT(state_of(j, "id-2", NULL), JOURNAL_UNKNOWN);
    /* The cap keeps the newest finished entries. */
    CHECK_INT(journal_prune(j, 0, 5), 15);
    CHECK_INT(state_of(j, "bulk-14", NULL), JOURNAL_UNKNOWN);
    CHECK_INT(state_of(j, "bulk-15", NULL), JOURNAL_FINISHED);
    CHECK_INT(state_of(j, "bulk-19", NULL), JOURNAL_FINISHED);
    CHECK_INT(journal_count(j, &finished, &in_flight), 0);
    CHECK_INT(finished, 5);
    CHECK_INT(in_flight, 0);
    CHECK_INT(journal_prune(j, 0, -1), -EINVAL);
}

static void test_default_path(void)
{
    _cleanup_free_ char *a = NULL, *b = NULL;

    CHECK_INT(journal_default_path("vmrelay", "node1", &a), 0);
    CHECK_STR(a, "/var/lib/vmrelay/journal-node1.db");
    CHECK_INT(journal_default_path("t1234", "node1", &b), 0);
    CHECK_STR(b, "/var/lib/vmrelay/journal-t1234.node1.db");
}

static struct request *request_for(const char *operation, const char *name)
{
    struct request *req = calloc(1, sizeof(*req));

    req->id = strdup("rec-1");
    req->kind = strdup("VirtualMachine");
    req->operation = strdup(operation);
    req->namespace = strdup("default");
    req->name = strdup(name);
    req->node = strdup("n1");
    req->params = cJSON_CreateObject();
    return req;
}

static int recover(virConnectPtr conn, const char *operation, const char *name,
                   struct result **ret_res)
{
    _cleanup_(request_freep) struct request *req = request_for(operation, name);
    struct result *res = NULL;
    int r;

    if (result_new_for(req, &res) < 0)
        test_abort("out of memory");
    r = journal_recover(conn, req, res);
    *ret_res = res;
    return r;
}

static void test_recover(void)
{
    virConnectPtr conn = virConnectOpen("test:///default");
    virDomainPtr dom;
    struct result *res;

    if (!conn)
        test_abort("cannot open test:///default");
    dom = virDomainLookupByName(conn, "test");
    CHECK(journal_op_converges("VirtualMachine", "resizeRAM"));
    CHECK(!journal_op_converges("VirtualMachine", "rebootVM"));
    CHECK(!journal_op_converges("VirtualMachineSnapshot", "suspendVM"));

    /* Running: a suspend that died before libvirt did it runs again. */
    CHECK_INT(recover(conn, "suspendVM", "test", &res), 0);
    result_free(res);
    /* Already paused: the goal is reached, reported as success. */
    CHECK_INT(virDomainSuspend(dom), 0);
    CHECK_INT(recover(conn, "suspendVM", "test", &res), 1);
    CHECK(res->success);
    CHECK_STR(res->reason, "Paused");
    CHECK(res->spec && cJSON_GetObjectItem(res->spec, "domain"));
    result_free(res);
    CHECK_INT(recover(conn, "resumeVM", "test", &res), 0);
    result_free(res);
    /* A setter always runs again. */
    CHECK_INT(recover(conn, "resizeRAM", "test", &res), 0);
    result_free(res);

    /* Not safe to repeat: reported with the state observed. */
    CHECK_INT(recover(conn, "rebootVM", "test", &res), 1);
    CHECK(!res->success);
    CHECK_STR(res->reason, "Exception");
    CHECK_INT(res->error_type, ERROR_EXCEPTION);
    CHECK(strstr(res->message, "restarted while rebootVM was running") != NULL);
    CHECK(strstr(res->message, "the VM is now Paused") != NULL);
    CHECK(res->spec && cJSON_GetObjectItem(res->spec, "domain"));
    result_free(res);
    CHECK_INT(recover(conn, "deleteVM", "gone", &res), 1);
    CHECK_STR(res->reason, "Exception");
    CHECK(strstr(res->message, "does not exist now") != NULL);
    CHECK(res->spec == NULL);
    result_free(res);
    /* The goal of a missing VM cannot be seen: run it, it reports why. */
    CHECK_INT(recover(conn, "startVM", "gone", &res), 0);
    result_free(res);

    virDomainResume(dom);
    virDomainFree(dom);
    virConnectClose(conn);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/vmrelay-test-journal-XXXXXX");
    if (!mkdtemp(dir))
        test_abort("cannot create a temporary folder");
    /* A folder that does not exist yet: the journal creates it. */
    snprintf(path, sizeof(path), "%s/sub/dir/journal.db", dir);
    worker_conn_setup();

    test_records();
    test_reopen_and_prune();
    test_default_path();
    test_recover();

    unlink(path);
    {
        char p[600];

        snprintf(p, sizeof(p), "%s.lock", path);
        unlink(p);
        snprintf(p, sizeof(p), "%s/sub/dir", dir);
        rmdir(p);
        snprintf(p, sizeof(p), "%s/sub", dir);
        rmdir(p);
        rmdir(dir);
    }
    return test_finish();
}
