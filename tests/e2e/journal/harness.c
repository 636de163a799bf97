#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/peers.h"
#include "lib/testing.h"
#include "shared/core/config.h"
#include "shared/kafka/cleanup.h"
#include "shared/kafka/consumer.h"
#include "shared/msg/message.h"

extern char **environ;

#define H_PRODUCE_TIMEOUT_MS 30000
#define H_POLL_MS 100
#define H_ARGS_MAX 64

int64_t h_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_init(struct harness *h, const char *tag)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    const char *topics[] = {"vmrelay.results"};
    char group[128], err[512];

    memset(h, 0, sizeof(*h));
    h->bootstrap = peer_value("embedded-kafka", "bootstrap");
    snprintf(h->node, sizeof(h->node), "%s%ld", tag, (long)getpid());
    snprintf(h->topic, sizeof(h->topic), "vmrelay.node.%s", h->node);
    snprintf(h->dir, sizeof(h->dir), "%s/tests-tmp/%s", getenv("VMRELAY_BINARY_DIR"), h->node);
    snprintf(h->log, sizeof(h->log), "%s/tests-tmp", getenv("VMRELAY_BINARY_DIR"));
    (void)mkdir(h->log, 0755);
    if (mkdir(h->dir, 0755) < 0 && errno != EEXIST)
        test_abort("cannot create %s", h->dir);
    snprintf(h->journal, sizeof(h->journal), "%s/journal.db", h->dir);
    snprintf(h->log, sizeof(h->log), "%s/worker.log", h->dir);
    snprintf(h->uri, sizeof(h->uri), "test:///default");
    snprintf(group, sizeof(group), "reader-%s", h->node);

    if (config_new(&cfg) < 0 || config_set(cfg, "kafka.bootstrap.servers", h->bootstrap) < 0 ||
        config_set(cfg, "kafka.topic.metadata.refresh.interval.ms", "1000") < 0)
        test_abort("cannot configure");
    if (kafka_producer_new(cfg, &h->producer, err, sizeof(err)) < 0)
        test_abort("cannot create the producer: %s", err);
    if (kafka_consumer_new(cfg, group, &h->reader, err, sizeof(err)) < 0 ||
        kafka_consumer_subscribe(h->reader, topics, 1, err, sizeof(err)) < 0)
        test_abort("cannot create the reader: %s", err);
}

void h_done(struct harness *h)
{
    kafka_consumer_free(h->reader);
    kafka_producer_free(h->producer);
    for (size_t i = 0; i < h->n_results; i++) {
        free(h->results[i].id);
        free(h->results[i].reason);
        free(h->results[i].message);
    }
}

void h_node_file(struct harness *h, int n)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/node.xml", h->dir);
    f = fopen(path, "we");
    if (!f)
        test_abort("cannot write %s", path);
    fprintf(f, "<node>\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "  <domain type='test'><name>vm%02d</name><memory>1048576</memory>"
                "<currentMemory>1048576</currentMemory><vcpu>4</vcpu>"
                "<os><type>hvm</type></os></domain>\n", i);
    fprintf(f, "</node>\n");
    fclose(f);
    snprintf(h->uri, sizeof(h->uri), "test://%s", path);
}

void h_publish(struct harness *h, const char *id, const char *operation, const char *name,
               const char *params, int64_t deadline_ms)
{
    struct request req = {.id = (char *)id, .kind = "VirtualMachine",
                          .operation = (char *)operation, .namespace = "default",
                          .name = (char *)name, .node = h->node, .source = "e2e-journal",
                          .created_ms = (int64_t)time(NULL) * 1000,
                          .deadline_ms = deadline_ms};
    _cleanup_free_ char *text = NULL, *key = NULL;
    char err[512];

    req.params = cJSON_Parse(params ? params : "{}");
    text = request_encode(&req);
    key = request_ordering_key(&req);
    cJSON_Delete(req.params);
    if (!text || !key)
        test_abort("cannot encode request %s", id);
    if (kafka_produce_sync(h->producer, h->topic, key, text, strlen(text),
                           H_PRODUCE_TIMEOUT_MS, err, sizeof(err)) < 0)
        test_abort("cannot publish %s: %s", id, err);
}

pid_t h_worker_start(struct harness *h, int concurrency, const char *const *extra)
{
    char program[1024], conc[64], journal[600];
    const char *argv[H_ARGS_MAX] = {
        program, "--node", h->node, "--brokers", h->bootstrap, "--libvirt-uri", h->uri,
        "--set", journal, "--set", conc,
        "--set", "kafka.topic.metadata.refresh.interval.ms=1000",
        /* The embedded broker holds a rejoin for the session timeout of
         * the member that left or died; its lowest accepted value keeps
         * restarts quick. */
        "--set", "kafka.session.timeout.ms=6000"};
    size_t n = 15;
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int r;

    snprintf(program, sizeof(program), "%s/worker/main/vmrelay-worker",
             getenv("VMRELAY_BINARY_DIR"));
    snprintf(conc, sizeof(conc), "worker.concurrency=%d", concurrency);
    snprintf(journal, sizeof(journal), "worker.journal=%s", h->journal);
    for (size_t i = 0; extra && extra[i] && n < H_ARGS_MAX - 1; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, h->log,
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    r = posix_spawn(&pid, program, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        test_abort("cannot start %s: %s", program, strerror(r));
    return pid;
}

int h_worker_stop(pid_t pid, int timeout_s)
{
    int64_t deadline = h_now_ms() + timeout_s * 1000LL;
    int status;

    kill(pid, SIGTERM);
    while (h_now_ms() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        usleep(50 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return -1;
}

static char *dup_or_empty(const char *s)
{
    char *d = strdup(s ? s : "");

    if (!d)
        test_abort("out of memory");
    return d;
}

static void h_take(struct harness *h, const rd_kafka_message_t *msg)
{
    _cleanup_(result_freep) struct result *res = NULL;
    struct h_result *out;
    char err[512];

    if (result_parse(msg->payload, msg->len, &res, err, sizeof(err)) < 0)
        return;
    if (!res->node || strcmp(res->node, h->node) != 0)
        return;
    if (h->n_results >= H_RESULTS_MAX)
        test_abort("more than %d results", H_RESULTS_MAX);
    out = &h->results[h->n_results++];
    *out = (struct h_result){.id = dup_or_empty(res->id), .reason = dup_or_empty(res->reason),
                             .message = dup_or_empty(res->message), .success = res->success,
                             .replayed = res->replayed, .started_ms = res->started_ms,
                             .finished_ms = res->finished_ms, .attempt = res->attempt};
}

void h_consume(struct harness *h, int timeout_ms, bool (*done)(struct harness *h))
{
    int64_t deadline = h_now_ms() + timeout_ms;

    while (h_now_ms() < deadline && !(done && done(h))) {
        _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
        char err[512];

        if (kafka_consumer_poll(h->reader, H_POLL_MS, &msg, err, sizeof(err)) < 0 || !msg)
            continue;
        h_take(h, msg);
    }
}

size_t h_count(const struct harness *h, const char *id, int replayed)
{
    size_t n = 0;

    for (size_t i = 0; i < h->n_results; i++)
        if (strcmp(h->results[i].id, id) == 0 &&
            (replayed < 0 || h->results[i].replayed == (replayed > 0)))
            n++;
    return n;
}

const struct h_result *h_find(const struct harness *h, const char *id, bool replayed)
{
    for (size_t i = 0; i < h->n_results; i++)
        if (strcmp(h->results[i].id, id) == 0 && h->results[i].replayed == replayed)
            return &h->results[i];
    return NULL;
}
