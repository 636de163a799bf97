#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/core/config.h"
#include "shared/core/log.h"
#include "shared/kafka/cleanup.h"
#include "shared/kafka/consumer.h"
#include "shared/kafka/topic.h"
#include "shared/msg/message.h"
#include "shared/kafka/dlq.h"
#include "worker/main/worker.h"
#include "worker/ops/registry.h"

#define WORKER_ERR_MAX 1024
/* How often a commit is tried before the worker moves on: a commit that
 * keeps failing (the partition moved to another member) cannot be fixed
 * by waiting, and the result it follows is already written. */
#define WORKER_COMMIT_TRIES_MAX 8

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    /* A signal cuts the sleep short, which is what a stop wants. */
    nanosleep(&ts, NULL);
}

static int config_copy_one(const char *key, const char *value, void *userdata)
{
    return config_set(userdata, key, value);
}

/* The consumer gets its own copy of the configuration so that consumer-only
 * properties do not reach the producer (librdkafka warns about them). */
static int consumer_open(struct worker *w, const struct config *cfg, const char *group,
                         char *err, size_t errlen)
{
    _cleanup_(config_freep) struct config *ccfg = NULL;
    const char *topics[1];
    int r;

    r = config_new(&ccfg);
    if (r < 0)
        return r;
    r = config_foreach_prefix(cfg, "", config_copy_one, ccfg);
    if (r < 0)
        return r;
    /* Offsets are committed one by one, explicitly, after the result is
     * written; nothing is stored or committed behind the worker's back. */
    r = config_set(ccfg, "kafka.enable.auto.offset.store", "false");
    if (r < 0)
        return r;
    r = kafka_consumer_new(ccfg, group, &w->consumer, err, errlen);
    if (r < 0)
        return r;
    topics[0] = w->topic_node;
    return kafka_consumer_subscribe(w->consumer, topics, 1, err, errlen);
}

int worker_open(struct worker *w, const struct config *cfg, char *err, size_t errlen)
{
    char group[256];
    const char *prefix;
    int r;

    *w = (struct worker){.cfg = cfg};
    w->node = config_get(cfg, "node", NULL);
    if (!w->node || !*w->node) {
        snprintf(err, errlen, "no node name: use --node or the key 'node'");
        return -EINVAL;
    }
    prefix = kafka_topic_prefix(cfg);
    r = kafka_topic_node(prefix, w->node, &w->topic_node);
    if (r >= 0)
        r = kafka_topic_name(prefix, KAFKA_TOPIC_RESULTS, &w->topic_results);
    if (r >= 0)
        r = kafka_topic_name(prefix, KAFKA_TOPIC_DLQ, &w->topic_dlq);
    if (r < 0) {
        snprintf(err, errlen, "topic prefix '%s' or node '%s' makes no legal topic name", prefix,
                 w->node);
        return r;
    }
    snprintf(group, sizeof(group), "vmrelay-worker-%s", w->node);

    r = worker_conn_init(&w->conn, config_get(cfg, "libvirt.uri", "test:///default"));
    if (r < 0)
        return r;
    r = kafka_producer_new(cfg, &w->producer, err, errlen);
    if (r < 0)
        return r;
    return consumer_open(w, cfg, config_get(cfg, "worker.group", group), err, errlen);
}

void worker_close(struct worker *w)
{
    kafka_consumer_free(w->consumer);
    kafka_producer_free(w->producer);
    worker_conn_done(&w->conn);
    free(w->topic_node);
    free(w->topic_results);
    free(w->topic_dlq);
    *w = (struct worker){0};
}

/* Produces until the broker acknowledges or the worker is told to stop; a
 * message whose outcome is not written must not be committed. */
static int produce_retry(struct worker *w, const char *topic, const char *key, const char *value,
                         const struct log_ctx *ctx, volatile sig_atomic_t *stop)
{
    long backoff = WORKER_RETRY_FIRST_MS;
    char err[WORKER_ERR_MAX];

    for (;;) {
        int r = kafka_produce_sync(w->producer, topic, key, value, strlen(value),
                                   WORKER_PRODUCE_TIMEOUT_MS, err, sizeof(err));

        if (r >= 0)
            return 0;
        if (*stop) {
            log_emit(LOG_ERR, r, ctx, "Cannot write to %s and stopping: the message stays "
                     "uncommitted and will be delivered again: %s", topic, err);
            return -ECANCELED;
        }
        log_emit(LOG_WARNING, r, ctx, "Cannot write to %s, retrying in %ld ms: %s", topic,
                 backoff, err);
        sleep_ms(backoff);
        backoff = backoff * 2 > WORKER_RETRY_MAX_MS ? WORKER_RETRY_MAX_MS : backoff * 2;
    }
}

static void commit_retry(struct worker *w, const rd_kafka_message_t *msg,
                         const struct log_ctx *ctx)
{
    long backoff = WORKER_RETRY_FIRST_MS;
    char err[WORKER_ERR_MAX];
    int r = 0;

    for (int i = 0; i < WORKER_COMMIT_TRIES_MAX; i++) {
        r = kafka_consumer_commit(w->consumer, msg, err, sizeof(err));
        if (r >= 0)
            return;
        sleep_ms(backoff);
        backoff = backoff * 2 > WORKER_RETRY_MAX_MS ? WORKER_RETRY_MAX_MS : backoff * 2;
    }
    log_emit(LOG_ERR, r, ctx, "Cannot commit offset %lld of partition %d; the result is "
             "written and the request may be delivered again: %s", (long long)msg->offset,
             (int)msg->partition, err);
}

/* Runs req and returns the encoded result. */
static char *request_run(struct worker *w, const struct request *req, const struct log_ctx *ctx)
{
    _cleanup_(result_freep) struct result *res = NULL;
    char err[WORKER_ERR_MAX];
    virConnectPtr conn;
    int r;

    if (result_new_for(req, &res) < 0)
        return NULL;
    res->started_ms = now_ms();

    if (strcmp(req->node, w->node) != 0)
        (void)ops_fail_virtctl(res, "The request is for node %s but reached node %s.",
                               req->node, w->node);
    else if (req->deadline_ms > 0 && res->started_ms > req->deadline_ms)
        (void)ops_fail_virtctl(res, "The request expired %lld ms before it could run.",
                               (long long)(res->started_ms - req->deadline_ms));
    else if (worker_conn_get(&w->conn, &conn, err, sizeof(err)) < 0)
        (void)ops_fail_libvirt(res, "Cannot connect to libvirt");
    else
        (void)ops_execute(conn, req, res);
    res->finished_ms = now_ms();

    r = res->success ? LOG_INFO : LOG_WARNING;
    log_emit(r, 0, ctx, "The request finished in %lld ms with %s: %s",
             (long long)(res->finished_ms - res->started_ms), res->reason, res->message);
    return result_encode(res);
}

static int message_handle(struct worker *w, const rd_kafka_message_t *msg,
                          volatile sig_atomic_t *stop)
{
    _cleanup_(request_freep) struct request *req = NULL;
    _cleanup_free_ char *out = NULL, *key = NULL;
    char err[WORKER_ERR_MAX], resource[MESSAGE_NAME_MAX * 2 + 64];
    struct log_ctx ctx = {.node = w->node};
    int r = -EMSGSIZE;

    if (msg->len > MESSAGE_MAX_BYTES)
        snprintf(err, sizeof(err), "message of %zu bytes is larger than the cap of %d bytes",
                 msg->len, MESSAGE_MAX_BYTES);
    else
        r = request_parse(msg->payload, msg->len, &req, err, sizeof(err));

    if (r < 0) {
        struct dlq_origin origin = {
            .topic = w->topic_node, .partition = msg->partition, .offset = msg->offset,
            .node = w->node};

        log_emit(LOG_WARNING, 0, &ctx, "Message at offset %lld of partition %d cannot be "
                 "processed and goes to %s: %s", (long long)msg->offset, (int)msg->partition,
                 w->topic_dlq, err);
        out = dlq_record_encode(&origin, err, msg->payload, msg->len);
        if (msg->key && msg->key_len > 0)
            key = strndup(msg->key, msg->key_len);
        if (!out)
            return -ENOMEM;
        r = produce_retry(w, w->topic_dlq, key, out, &ctx, stop);
    } else {
        snprintf(resource, sizeof(resource), "%s/%s/%s", req->kind,
                 req->namespace ? req->namespace : "default", req->name);
        ctx = (struct log_ctx){.request_id = req->id, .resource = resource, .node = w->node,
                               .operation = req->operation};
        log_emit(LOG_INFO, 0, &ctx, "Running the request from offset %lld of partition %d.",
                 (long long)msg->offset, (int)msg->partition);
        out = request_run(w, req, &ctx);
        key = request_ordering_key(req);
        if (!out || !key)
            return -ENOMEM;
        r = produce_retry(w, w->topic_results, key, out, &ctx, stop);
    }
    if (r < 0)
        return r;
    commit_retry(w, msg, &ctx);
    return 0;
}

int worker_run(struct worker *w, volatile sig_atomic_t *stop)
{
    char err[WORKER_ERR_MAX];

    log_info("Worker for node %s consumes %s and writes to %s.", w->node, w->topic_node,
             w->topic_results);
    while (!*stop) {
        _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
        int r;

        r = kafka_consumer_poll(w->consumer, WORKER_POLL_MS, &msg, err, sizeof(err));
        if (r < 0) {
            log_warning_errno(r, "Consumer error on %s: %s", w->topic_node, err);
            continue;
        }
        if (!msg)
            continue;
        r = message_handle(w, msg, stop);
        if (r == -ECANCELED)
            break;
        if (r < 0) {
            /* Out of memory: retrying the same message later is the only
             * way not to lose it, and that needs a fresh start. */
            return log_error_errno(r, "Cannot process the message at offset %lld; stopping.",
                                   (long long)msg->offset);
        }
    }
    log_info("Worker for node %s is stopping.", w->node);
    return 0;
}
