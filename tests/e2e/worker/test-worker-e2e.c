/* vmrelay-worker end to end on the embedded broker and libvirt's test
 * driver: every VirtualMachine operation, a failing one, a bad message to
 * the DLQ, a clean stop, and no second result after a restart.
 *
 * The node name is unique per run, so the shared results and DLQ topics
 * are read filtered by request id and node. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "lib/peers.h"
#include "lib/testing.h"
#include "shared/core/config.h"
#include "shared/kafka/cleanup.h"
#include "shared/kafka/consumer.h"
#include "shared/kafka/producer.h"
#include "shared/msg/message.h"

extern char **environ;

#define PRODUCE_TIMEOUT_MS 30000
/* Joining the group, running virt-install three times and the requests. */
#define RESULTS_TIMEOUT_S 90
#define STOP_TIMEOUT_S 30
#define POLL_MS 200
#define ISO_ROOT "/tmp/vmrelay-e2e-worker"
#define ISO_PATH ISO_ROOT "/install.iso"

struct step {
    const char *operation, *name, *params;
    const char *reason;      /* expected reason */
    bool has_domain;         /* expected spec.domain */
    int error_code;          /* expected libvirt code, 0 if none */
    char id[128];
    int results;             /* results seen for this id */
};

#define STEP(op, vm, par, why, dom, code)                                                         \
    {.operation = (op), .name = (vm), .params = (par), .reason = (why), .has_domain = (dom),     \
     .error_code = (code)}

static struct step steps[] = {
    STEP("createAndStartVMFromISO", "e2evm01",
     "{\"memory\":\"512\",\"vcpus\":\"1\",\"disk\":\"" ISO_ROOT "/root.qcow2,size=1\","
     "\"cdrom\":\"" ISO_PATH "\",\"os_variant\":\"centos7.0\","
     "\"graphics\":\"vnc,listen=0.0.0.0\",\"network\":\"type=bridge,source=virbr0\","
     "\"noautoconsole\":true}", "Running", true, 0),
    /* Published straight to Kafka, so only the worker's own check of the
     * catalogue's rules stands between this path and virt-install. */
    STEP("createAndStartVMFromISO", "e2evm02",
     "{\"memory\":\"512\",\"vcpus\":\"1\",\"disk\":\"" ISO_ROOT "/root2.qcow2,size=1\","
     "\"cdrom\":\"/etc/passwd\",\"os_variant\":\"centos7.0\","
     "\"graphics\":\"vnc,listen=0.0.0.0\",\"network\":\"type=bridge,source=virbr0\","
     "\"noautoconsole\":true}", "VirtctlError", false, 0),
    /* From an image: the first disk is booted as it is, the cdrom field
     * becomes a CD-ROM drive. */
    STEP("createAndStartVMFromImage", "e2evm03",
     "{\"memory\":\"512\",\"vcpus\":\"1\",\"disk\":\"" ISO_ROOT "/root3.qcow2,size=1\","
     "\"cdrom\":\"" ISO_PATH "\",\"os_variant\":\"centos7.0\","
     "\"graphics\":\"vnc,listen=0.0.0.0\",\"network\":\"type=bridge,source=virbr0\","
     "\"noautoconsole\":true}", "Running", true, 0),
    STEP("suspendVM", "test", "{}", "Paused", true, 0),
    STEP("resumeVM", "test", "{}", "Running", true, 0),
    STEP("resumeVM", "test", "{}", "LibvirtError", false, VIR_ERR_INTERNAL_ERROR),
    STEP("rebootVM", "test", "{}", "Running", true, 0),
    STEP("resetVM", "test", "{}", "Running", true, 0),
    STEP("resizeRAM", "test", "{\"size\":\"1048576\",\"live\":true}", "Running", true, 0),
    STEP("changeNumberOfCPU", "test", "{\"count\":1,\"live\":true}", "Running", true, 0),
    STEP("stopVM", "test", "{}", "Shutdown", true, 0),
    STEP("startVM", "test", "{}", "Running", true, 0),
    STEP("stopVMForce", "test", "{}", "Shutdown", true, 0),
    STEP("deleteVM", "test", "{}", "Ready", false, 0),
};

/* Sent after the restart: proves the worker is back and reading. */
static struct step after_restart = STEP("suspendVM", "test", "{}", "Paused", true, 0);

static char node[32];
static int dlq_seen;

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void publish(struct kafka_producer *p, const char *topic, struct step *s, int n)
{
    struct request req = {.kind = "VirtualMachine", .operation = (char *)s->operation,
                          .namespace = "default", .name = (char *)s->name, .node = node,
                          .source = "e2e", .created_ms = (int64_t)time(NULL) * 1000};
    _cleanup_free_ char *text = NULL, *key = NULL;
    char err[512];

    snprintf(s->id, sizeof(s->id), "%s-%02d-%.32s", node, n % 100, s->operation);
    req.id = s->id;
    req.params = cJSON_Parse(s->params);
    text = request_encode(&req);
    key = request_ordering_key(&req);
    cJSON_Delete(req.params);
    if (!text || !key)
        test_abort("cannot encode request %s", s->id);
    if (kafka_produce_sync(p, topic, key, text, strlen(text), PRODUCE_TIMEOUT_MS, err,
                           sizeof(err)) < 0)
        test_abort("cannot publish %s: %s", s->id, err);
}

static pid_t worker_start(const char *bootstrap, const char *log_path)
{
    char program[1024];
    char *argv[] = {program, "--node", node, "--brokers", (char *)bootstrap,
                    "--libvirt-uri", "test:///default",
                    "--set", "kafka.topic.metadata.refresh.interval.ms=1000",
                    /* The embedded broker holds a rejoin for the longest
                     * session timeout of the group, even after a clean
                     * leave; a short one keeps the restart quick. */
                    "--set", "kafka.session.timeout.ms=6000",
                    "--set", "log.level=debug",
                    "--set", "paths.roots=/var/lib/libvirt," ISO_ROOT, NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int r;

    snprintf(program, sizeof(program), "%s/worker/main/vmrelay-worker",
             getenv("VMRELAY_BINARY_DIR"));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log_path,
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    r = posix_spawn(&pid, program, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        test_abort("cannot start %s: %s", program, strerror(r));
    return pid;
}

/* Sends SIGTERM and returns the exit status (-1 when it did not exit). */
static int worker_stop(pid_t pid)
{
    long long deadline = now_ms() + STOP_TIMEOUT_S * 1000LL;
    int status;

    kill(pid, SIGTERM);
    while (now_ms() < deadline) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(100 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static struct step *step_find(const char *id)
{
    for (size_t i = 0; i < ELEMENTSOF(steps); i++)
        if (strcmp(steps[i].id, id) == 0)
            return &steps[i];
    return strcmp(after_restart.id, id) == 0 ? &after_restart : NULL;
}

static void result_check(struct step *s, const struct result *res)
{
    cJSON *domain = res->spec ? cJSON_GetObjectItem(res->spec, "domain") : NULL;
    bool refused = strcmp(s->reason, "VirtctlError") == 0;

    s->results++;
    if (s->results > 1)
        return;
    if (!CHECK_STR(res->reason, s->reason))
        fprintf(stderr, "  %s (%s): %s\n", s->id, s->operation, res->message);
    CHECK_STR(res->operation, s->operation);
    CHECK(res->message && res->message[0]);
    CHECK(res->success == (s->error_code == 0 && !refused));
    CHECK(s->has_domain == (domain != NULL));
    if (domain) {
        cJSON *name = cJSON_GetObjectItem(cJSON_GetObjectItem(domain, "name"), "text");

        CHECK(cJSON_IsString(name) && strcmp(name->valuestring, s->name) == 0);
    }
    if (domain && strcmp(s->operation, "createAndStartVMFromImage") == 0) {
        _cleanup_free_ char *text = cJSON_PrintUnformatted(domain);

        /* Booted from the given disk, with the medium as a CD-ROM drive. */
        CHECK(text && strstr(text, "root3.qcow2") && strstr(text, "\"device\":\"cdrom\"") &&
              strstr(text, "\"dev\":\"hd\""));
    }
    if (strcmp(s->reason, "Running") == 0)
        CHECK_STR(res->message, "The VM is running.");
    if (strcmp(s->reason, "Paused") == 0)
        CHECK_STR(res->message, "The VM is paused.");
    if (strcmp(s->reason, "Shutdown") == 0)
        CHECK_STR(res->message, "The VM is shut down.");
    if (strcmp(s->reason, "Ready") == 0)
        CHECK_STR(res->message, "The VM is deleted.");
    if (refused && !CHECK(strstr(res->message, "field \"cdrom\"") != NULL))
        fprintf(stderr, "  %s: the refusal does not name the field: %s\n", s->id, res->message);
    if (s->error_code) {
        CHECK_INT(res->error_type, ERROR_LIBVIRT);
        CHECK_INT(res->error_code, s->error_code);
        CHECK_INT(res->error_domain, VIR_FROM_TEST);
    }
}

static void dlq_check(const rd_kafka_message_t *msg)
{
    cJSON *j = cJSON_ParseWithLength(msg->payload, msg->len);
    cJSON *n = j ? cJSON_GetObjectItem(j, "node") : NULL;

    if (cJSON_IsString(n) && strcmp(n->valuestring, node) == 0) {
        dlq_seen++;
        CHECK_STR(cJSON_GetObjectItem(j, "payload")->valuestring, "this is not a request");
        CHECK(cJSON_IsString(cJSON_GetObjectItem(j, "error")));
        CHECK(cJSON_IsNumber(cJSON_GetObjectItem(j, "offset")));
    }
    cJSON_Delete(j);
}

/* Reads results and DLQ records until done() or the timeout. */
static void consume_until(rd_kafka_t *rk, int timeout_s, bool (*done)(void))
{
    long long deadline = now_ms() + timeout_s * 1000LL;

    while (now_ms() < deadline && !done()) {
        _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
        _cleanup_(result_freep) struct result *res = NULL;
        char err[512];
        struct step *s;

        if (kafka_consumer_poll(rk, POLL_MS, &msg, err, sizeof(err)) < 0 || !msg)
            continue;
        if (strcmp(rd_kafka_topic_name(msg->rkt), "vmrelay.dlq") == 0) {
            dlq_check(msg);
            continue;
        }
        if (result_parse(msg->payload, msg->len, &res, err, sizeof(err)) < 0)
            continue;
        s = res->id ? step_find(res->id) : NULL;
        if (s && res->node && strcmp(res->node, node) == 0)
            result_check(s, res);
    }
}

static bool all_first_results(void)
{
    for (size_t i = 0; i < ELEMENTSOF(steps); i++)
        if (steps[i].results == 0)
            return false;
    return dlq_seen > 0;
}

static bool restart_result(void)
{
    return after_restart.results > 0;
}

static bool never(void)
{
    return false;
}

int main(void)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    _cleanup_(kafka_producer_freep) struct kafka_producer *p = NULL;
    _cleanup_(kafka_consumer_freep) rd_kafka_t *rk = NULL;
    const char *topics[] = {"vmrelay.results", "vmrelay.dlq"};
    const char *bootstrap = peer_value("embedded-kafka", "bootstrap");
    char topic[128], group[96], log_path[512], err[512];
    FILE *iso;
    pid_t pid;

    if (mkdir(ISO_ROOT, 0755) < 0 && errno != EEXIST)
        test_abort("cannot make %s", ISO_ROOT);
    iso = fopen(ISO_PATH, "we");
    if (iso)
        fclose(iso);
    snprintf(node, sizeof(node), "e2e%ld", (long)getpid());
    snprintf(topic, sizeof(topic), "vmrelay.node.%s", node);
    snprintf(group, sizeof(group), "e2e-reader-%s", node);
    snprintf(log_path, sizeof(log_path), "%s/test-worker-e2e-%s.log",
             getenv("VMRELAY_BINARY_DIR"), node);

    if (config_new(&cfg) < 0 || config_set(cfg, "kafka.bootstrap.servers", bootstrap) < 0 ||
        config_set(cfg, "kafka.topic.metadata.refresh.interval.ms", "1000") < 0)
        test_abort("cannot configure");
    if (kafka_producer_new(cfg, &p, err, sizeof(err)) < 0)
        test_abort("cannot create the producer: %s", err);
    if (kafka_consumer_new(cfg, group, &rk, err, sizeof(err)) < 0 ||
        kafka_consumer_subscribe(rk, topics, 2, err, sizeof(err)) < 0)
        test_abort("cannot create the reader: %s", err);

    /* Publishing first creates the node topic before the worker subscribes. */
    for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
        publish(p, topic, &steps[i], (int)i);
        if (i == 2 && kafka_produce_sync(p, topic, "garbage", "this is not a request", 21,
                                         PRODUCE_TIMEOUT_MS, err, sizeof(err)) < 0)
            test_abort("cannot publish the bad message: %s", err);
    }

    pid = worker_start(bootstrap, log_path);
    consume_until(rk, RESULTS_TIMEOUT_S, all_first_results);
    for (size_t i = 0; i < ELEMENTSOF(steps); i++)
        if (!CHECK_INT(steps[i].results, 1))
            fprintf(stderr, "  no single result for %s (see %s)\n", steps[i].operation,
                    log_path);
    CHECK_INT(dlq_seen, 1);
    CHECK_INT(worker_stop(pid), 0);

    /* Everything was committed: a restarted worker runs only the new one. */
    pid = worker_start(bootstrap, log_path);
    publish(p, topic, &after_restart, 99);
    consume_until(rk, RESULTS_TIMEOUT_S, restart_result);
    CHECK_INT(after_restart.results, 1);
    /* The create result sits on another partition: give it time to show. */
    consume_until(rk, 3, never);
    for (size_t i = 0; i < ELEMENTSOF(steps); i++)
        CHECK_INT(steps[i].results, 1);
    CHECK_INT(dlq_seen, 1);
    CHECK_INT(worker_stop(pid), 0);
    unlink(ISO_PATH);
    return test_finish();
}
