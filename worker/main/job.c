/* One message on a pool thread: parse, consult the journal, run on libvirt,
 * record, produce. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/core/log.h"
#include "shared/kafka/dlq.h"
#include "shared/msg/message.h"
#include "worker/journal/recover.h"
#include "worker/main/events.h"
#include "worker/main/node.h"
#include "worker/main/worker.h"
#include "worker/ops/registry.h"

#define JOB_ERR_MAX 1024

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Produces until the broker acknowledges or the worker is told to stop; a
 * message whose outcome is not written must not be committed. */
static int produce_retry(struct worker *w, const char *topic, const char *key, const char *value,
                         const struct log_ctx *ctx)
{
    long backoff = WORKER_RETRY_FIRST_MS;
    char err[JOB_ERR_MAX];

    for (;;) {
        int r = kafka_produce_sync(w->producer, topic, key, value, strlen(value),
                                   WORKER_PRODUCE_TIMEOUT_MS, err, sizeof(err));

        if (r >= 0)
            return 0;
        if (*w->stop) {
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

/* Waits while another thread runs the same id, then marks it running. */
static void job_id_enter(struct worker *w, size_t thread, const char *id)
{
    pthread_mutex_lock(&w->ids_lock);
    for (;;) {
        bool busy = false;

        for (size_t i = 0; i < w->concurrency; i++)
            if (i != thread && w->running_ids[i] && strcmp(w->running_ids[i], id) == 0)
                busy = true;
        if (!busy)
            break;
        pthread_cond_wait(&w->ids_changed, &w->ids_lock);
    }
    w->running_ids[thread] = id;
    pthread_mutex_unlock(&w->ids_lock);
}

static void job_id_leave(struct worker *w, size_t thread)
{
    pthread_mutex_lock(&w->ids_lock);
    w->running_ids[thread] = NULL;
    pthread_cond_broadcast(&w->ids_changed);
    pthread_mutex_unlock(&w->ids_lock);
}

static struct worker_conn *job_conn(struct worker *w, size_t thread)
{
    return &w->conns[w->n_conns == 1 ? 0 : thread];
}

/* The recorded result again, marked as replayed. */
static char *job_replay(const struct journal_entry *e, const struct log_ctx *ctx)
{
    _cleanup_(result_freep) struct result *res = NULL;
    char err[JOB_ERR_MAX];

    if (result_parse(e->result, strlen(e->result), &res, err, sizeof(err)) < 0) {
        log_emit(LOG_ERR, 0, ctx, "The journal holds a result that cannot be read: %s", err);
        return NULL;
    }
    res->replayed = true;
    log_emit(LOG_INFO, 0, ctx, "The request already finished here with %s; its recorded "
             "result is published again without running it.", res->reason);
    return result_encode(res);
}

/* Runs req (or decides it must not run) and fills res. attempt > 1 when a
 * crash left it in flight and it converges. */
static void job_execute(struct worker *w, struct worker_conn *wc, const struct request *req,
                        struct result *res, bool fresh)
{
    char err[JOB_ERR_MAX];
    virConnectPtr conn;

    if (fresh && strcmp(req->node, w->node) != 0)
        (void)ops_fail_virtctl(res, "The request is for node %s but reached node %s.",
                               req->node, w->node);
    else if (fresh && validate_request(catalog_get(), req->kind, req->name, req->operation,
                                       req->params, &w->vopts, err, sizeof(err)) < 0)
        (void)ops_fail_virtctl(res, "%s", err);
    else if (fresh && req->deadline_ms > 0 && res->started_ms > req->deadline_ms)
        (void)ops_fail_virtctl(res, "The request expired %lld ms before it could run.",
                               (long long)(res->started_ms - req->deadline_ms));
    else if (worker_conn_get(wc, &conn, err, sizeof(err)) < 0)
        (void)ops_fail_exception(res, ECONNREFUSED, "Cannot connect to libvirt: %s", err);
    else {
        (void)ops_execute(conn, req, res);
        virConnectClose(conn);
    }
}

/* An id the journal shows started and never finished: 1 with res filled
 * when its outcome is decided without running it, 0 to run it again. */
static int job_recover(struct worker_conn *wc, const struct request *req, struct result *res)
{
    char err[JOB_ERR_MAX];
    virConnectPtr conn;
    int r;

    if (worker_conn_get(wc, &conn, err, sizeof(err)) < 0) {
        (void)ops_fail_exception(res, ECONNREFUSED, "The worker restarted while this request "
                                 "ran and cannot reach libvirt to see its outcome: %s", err);
        return 1;
    }
    r = journal_recover(conn, req, res);
    virConnectClose(conn);
    return r;
}

static char *job_outcome(struct worker *w, size_t thread, const struct request *req,
                         const char *key, const struct log_ctx *ctx)
{
    _cleanup_(result_freep) struct result *res = NULL;
    struct journal_entry e = {0};
    struct journal_start rec = {
        .id = req->id, .kind = req->kind, .namespace = req->namespace, .name = req->name,
        .operation = req->operation, .key = key, .attempt = 1};
    char *out = NULL;
    int r;

    if (result_new_for(req, &res) < 0)
        return NULL;
    res->started_ms = now_ms();
    r = journal_lookup(w->journal, req->id, &e);
    if (r < 0) {
        /* Without the journal the node cannot know whether it ran this id. */
        (void)ops_fail_exception(res, -r, "The node journal cannot be read (%s); the request "
                                 "did not run.", strerror(-r));
        goto encode;
    }
    if (e.state == JOURNAL_FINISHED) {
        metric_add(w->m_replays, NULL, 1);
        out = job_replay(&e, ctx);
        journal_entry_done(&e);
        return out;
    }
    if (e.state == JOURNAL_IN_FLIGHT) {
        res->attempt = e.attempt;
        r = job_recover(job_conn(w, thread), req, res);
        if (r > 0) {
            log_emit(LOG_WARNING, 0, ctx, "The worker stopped during attempt %d of this "
                     "request; resolved from the state libvirt shows: %s", e.attempt,
                     res->reason);
            goto finish;
        }
        /* It converges and did not reach its goal: running it again is safe. */
        result_free(TAKE_PTR(res));
        if (result_new_for(req, &res) < 0)
            return NULL;
        res->started_ms = now_ms();
        rec.attempt = res->attempt = e.attempt + 1;
        log_emit(LOG_WARNING, 0, ctx, "The worker stopped during attempt %d of this "
                 "request, which is safe to repeat; running it again.", e.attempt);
    }
    rec.started_ms = res->started_ms;
    r = journal_start(w->journal, &rec);
    if (r < 0) {
        (void)ops_fail_exception(res, -r, "The node journal cannot record the request (%s); "
                                 "it did not run.", strerror(-r));
        goto encode;
    }
    job_execute(w, job_conn(w, thread), req, res, e.state == JOURNAL_UNKNOWN);
finish:
    res->finished_ms = now_ms();
    out = result_encode(res);
    if (!out)
        return NULL;
    r = journal_finish(w->journal, req->id, res->finished_ms, out);
    if (r < 0)
        log_emit(LOG_ERR, r, ctx, "Cannot record the result in the node journal; a "
                 "redelivery of this id will be resolved from libvirt's state.");
    worker_node_count(w, req, res);
    log_emit(res->success ? LOG_INFO : LOG_WARNING, 0, ctx,
             "The request finished in %lld ms with %s: %s",
             (long long)(res->finished_ms - res->started_ms), res->reason, res->message);
    return out;
encode:
    res->finished_ms = now_ms();
    log_emit(LOG_ERR, 0, ctx, "The request finished with %s: %s", res->reason, res->message);
    return result_encode(res);
}

static int job_dlq(struct worker *w, const rd_kafka_message_t *msg, const char *why,
                   const struct log_ctx *ctx)
{
    struct dlq_origin origin = {.topic = w->topic_node, .partition = msg->partition,
                                .offset = msg->offset, .node = w->node};
    _cleanup_free_ char *out = NULL, *key = NULL;

    log_emit(LOG_WARNING, 0, ctx, "Message at offset %lld of partition %d cannot be processed "
             "and goes to %s: %s", (long long)msg->offset, (int)msg->partition, w->topic_dlq,
             why);
    out = dlq_record_encode(&origin, why, msg->payload, msg->len);
    if (msg->key && msg->key_len > 0)
        key = strndup(msg->key, msg->key_len);
    if (!out)
        return -ENOMEM;
    return produce_retry(w, w->topic_dlq, key, out, ctx);
}

static int job_message(struct worker *w, size_t thread, const rd_kafka_message_t *msg)
{
    _cleanup_(request_freep) struct request *req = NULL;
    _cleanup_free_ char *out = NULL, *key = NULL;
    char err[JOB_ERR_MAX], resource[MESSAGE_NAME_MAX * 2 + 64];
    struct log_ctx ctx = {.node = w->node};
    const cJSON *domain;
    int r = -EMSGSIZE;

    if (msg->len > MESSAGE_MAX_BYTES)
        snprintf(err, sizeof(err), "message of %zu bytes is larger than the cap of %d bytes",
                 msg->len, MESSAGE_MAX_BYTES);
    else
        r = request_parse(msg->payload, msg->len, &req, err, sizeof(err));
    if (r < 0)
        return job_dlq(w, msg, err, &ctx);

    snprintf(resource, sizeof(resource), "%s/%s/%s", req->kind,
             req->namespace ? req->namespace : "default", req->name);
    ctx = (struct log_ctx){.request_id = req->id, .resource = resource, .node = w->node,
                           .operation = req->operation};
    log_emit(LOG_INFO, 0, &ctx, "Running the request from offset %lld of partition %d.",
             (long long)msg->offset, (int)msg->partition);
    key = request_ordering_key(req);
    if (!key)
        return -ENOMEM;
    job_id_enter(w, thread, req->id);
    domain = cJSON_GetObjectItemCaseSensitive(req->params, "domain");
    /* libvirt's events about what this request does are not news. */
    worker_events_busy(w, req->name, true);
    if (cJSON_IsString(domain))
        worker_events_busy(w, domain->valuestring, true);
    out = job_outcome(w, thread, req, key, &ctx);
    worker_events_busy(w, req->name, false);
    if (cJSON_IsString(domain))
        worker_events_busy(w, domain->valuestring, false);
    job_id_leave(w, thread);
    if (!out)
        return -ENOMEM;
    return produce_retry(w, w->topic_results, key, out, &ctx);
}

void worker_job_run(void *userdata, size_t thread, struct worker_job *job)
{
    struct worker *w = userdata;
    int r = job_message(w, thread, job->data);

    job->written = r >= 0;
    if (r < 0 && r != -ECANCELED) {
        /* Out of memory: the message stays uncommitted, and only a fresh
         * start can take it again. */
        log_error_errno(r, "Cannot process the message at offset %lld of partition %d; "
                        "stopping.", (long long)job->offset, (int)job->partition);
        atomic_store(&w->fatal, true);
    }
}
