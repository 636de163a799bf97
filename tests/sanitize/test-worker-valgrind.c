/* vmrelay-worker under valgrind's memcheck through a short session on the
 * embedded broker and libvirt's test driver: a few requests that succeed,
 * one that fails in libvirt, one message that is not a request, then
 * SIGTERM. The worker must exit 0 and memcheck must report no error and
 * no definite leak (tests/sanitize/valgrind.sh decides that).
 *
 * The node name is unique per run, so the shared results topic is read
 * filtered by request id and node. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/peers.h"
#include "lib/testing.h"
#include "shared/core/config.h"
#include "shared/kafka/cleanup.h"
#include "shared/kafka/consumer.h"
#include "shared/kafka/producer.h"
#include "shared/msg/message.h"

extern char **environ;

#define PRODUCE_TIMEOUT_MS 30000
/* memcheck runs the worker some 20-50 times slower than native. */
#define RESULTS_TIMEOUT_S 240
#define STOP_TIMEOUT_S 120
#define POLL_MS 200

struct vg_step {
    const char *operation, *params;
    bool success;
    char id[128];
    bool seen;
};

static struct vg_step steps[] = {
    {.operation = "suspendVM", .params = "{}", .success = true},
    {.operation = "resumeVM", .params = "{}", .success = true},
    {.operation = "resumeVM", .params = "{}", .success = false}, /* not paused */
    {.operation = "resizeRAM", .params = "{\"size\":\"1048576\",\"live\":true}", .success = true},
    {.operation = "stopVM", .params = "{}", .success = true},
};

static char node[32];

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void publish(struct kafka_producer *p, const char *topic, struct vg_step *s, int n)
{
    struct request req = {.kind = "VirtualMachine", .operation = (char *)s->operation,
                          .namespace = "default", .name = "test", .node = node,
                          .source = "valgrind", .created_ms = (int64_t)time(NULL) * 1000};
    _cleanup_free_ char *text = NULL, *key = NULL;
    char err[512];

    snprintf(s->id, sizeof(s->id), "%s-%02d-%.32s", node, n, s->operation);
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

static pid_t worker_start(const char *bootstrap)
{
    char program[1024];
    char *argv[] = {getenv("VMRELAY_VALGRIND_SH"), program, "--node", node,
                    "--brokers", (char *)bootstrap, "--libvirt-uri", "test:///default",
                    "--set", "kafka.topic.metadata.refresh.interval.ms=1000",
                    "--set", "kafka.session.timeout.ms=6000", NULL};
    pid_t pid;
    int r;

    if (!argv[0])
        test_abort("VMRELAY_VALGRIND_SH is not set");
    snprintf(program, sizeof(program), "%s/worker/main/vmrelay-worker",
             getenv("VMRELAY_BINARY_DIR"));
    r = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
    if (r != 0)
        test_abort("cannot start %s: %s", argv[0], strerror(r));
    return pid;
}

/* SIGTERM goes to valgrind's child through valgrind.sh's process: the
 * script runs valgrind in the foreground, so the signal is sent to the
 * worker itself, found as the script's only child. Returns the script's
 * exit status (-1 when it did not exit). */
static int worker_stop(pid_t pid)
{
    long long deadline = now_ms() + STOP_TIMEOUT_S * 1000LL;
    char path[64];
    FILE *f;
    int status, child = 0;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
    f = fopen(path, "re");
    if (!f || fscanf(f, "%d", &child) != 1 || child <= 0)
        test_abort("cannot find the worker under %d", (int)pid);
    fclose(f);
    kill(child, SIGTERM);
    while (now_ms() < deadline) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(100 * 1000);
    }
    kill(child, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static bool all_seen(void)
{
    for (size_t i = 0; i < ELEMENTSOF(steps); i++)
        if (!steps[i].seen)
            return false;
    return true;
}

static void consume_results(rd_kafka_t *rk)
{
    long long deadline = now_ms() + RESULTS_TIMEOUT_S * 1000LL;

    while (now_ms() < deadline && !all_seen()) {
        _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
        _cleanup_(result_freep) struct result *res = NULL;
        char err[512];

        if (kafka_consumer_poll(rk, POLL_MS, &msg, err, sizeof(err)) < 0 || !msg)
            continue;
        if (result_parse(msg->payload, msg->len, &res, err, sizeof(err)) < 0 || !res->id ||
            !res->node || strcmp(res->node, node) != 0)
            continue;
        for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
            if (strcmp(steps[i].id, res->id) != 0 || steps[i].seen)
                continue;
            steps[i].seen = true;
            if (!CHECK(res->success == steps[i].success))
                fprintf(stderr, "  %s: %s\n", steps[i].operation, res->message);
        }
    }
}

int main(void)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    _cleanup_(kafka_producer_freep) struct kafka_producer *p = NULL;
    _cleanup_(kafka_consumer_freep) rd_kafka_t *rk = NULL;
    const char *topics[] = {"vmrelay.results"};
    const char *bootstrap = peer_value("embedded-kafka", "bootstrap");
    char topic[128], group[96], err[512];
    pid_t pid;

    snprintf(node, sizeof(node), "vg%ld", (long)getpid());
    snprintf(topic, sizeof(topic), "vmrelay.node.%s", node);
    snprintf(group, sizeof(group), "valgrind-reader-%s", node);

    if (config_new(&cfg) < 0 || config_set(cfg, "kafka.bootstrap.servers", bootstrap) < 0 ||
        config_set(cfg, "kafka.topic.metadata.refresh.interval.ms", "1000") < 0)
        test_abort("cannot configure");
    if (kafka_producer_new(cfg, &p, err, sizeof(err)) < 0)
        test_abort("cannot create the producer: %s", err);
    if (kafka_consumer_new(cfg, group, &rk, err, sizeof(err)) < 0 ||
        kafka_consumer_subscribe(rk, topics, 1, err, sizeof(err)) < 0)
        test_abort("cannot create the reader: %s", err);

    /* Publishing first creates the node topic before the worker subscribes. */
    for (size_t i = 0; i < ELEMENTSOF(steps); i++) {
        publish(p, topic, &steps[i], (int)i);
        if (i == 1 && kafka_produce_sync(p, topic, "garbage", "not a request", 13,
                                         PRODUCE_TIMEOUT_MS, err, sizeof(err)) < 0)
            test_abort("cannot publish the bad message: %s", err);
    }

    pid = worker_start(bootstrap);
    consume_results(rk);
    for (size_t i = 0; i < ELEMENTSOF(steps); i++)
        if (!CHECK(steps[i].seen))
            fprintf(stderr, "  no result for %s\n", steps[i].id);
    /* 0: the worker stopped cleanly and memcheck found nothing. */
    CHECK_INT(worker_stop(pid), 0);
    return test_finish();
}
