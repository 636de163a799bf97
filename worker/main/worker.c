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
#include "worker/main/events.h"
#include "worker/main/node.h"
#include "worker/main/worker.h"
#include "worker/ops/devices.h"

#define WORKER_ERR_MAX 1024
/* How often a commit is tried before the worker moves on: a commit that
 * keeps failing (the partition moved to another member) cannot be fixed
 * by waiting, and the results it follows are already written. */
#define WORKER_COMMIT_TRIES_MAX 8
/* Commits are batched: a synchronous commit per request capped the worker
 * at one coordinator round trip per request (about 400 requests/s on the
 * embedded broker). A crash redelivers at most this much more, which the
 * journal answers without running anything. */
#define WORKER_COMMIT_INTERVAL_MS 100

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
    /* Offsets are committed explicitly, per partition, up to the lowest
     * request still running; nothing is stored behind the worker's back. */
    r = config_set(ccfg, "kafka.enable.auto.offset.store", "false");
    if (r < 0)
        return r;
    r = kafka_consumer_new(ccfg, group, &w->consumer, err, errlen);
    if (r < 0)
        return r;
    topics[0] = w->topic_node;
    return kafka_consumer_subscribe(w->consumer, topics, 1, err, errlen);
}

static int worker_settings(struct worker *w, const struct config *cfg, char *err, size_t errlen)
{
    long long v;
    int r;

    r = config_get_int(cfg, "worker.concurrency", WORKER_CONCURRENCY_DEFAULT, 1,
                       POOL_THREADS_MAX, &v, err, errlen);
    if (r < 0)
        return r;
    w->concurrency = (size_t)v;
    r = config_get_int(cfg, "worker.drain-timeout", WORKER_DRAIN_TIMEOUT_DEFAULT_S, 0,
                       WORKER_DRAIN_TIMEOUT_MAX_S, &v, err, errlen);
    if (r < 0)
        return r;
    w->drain_timeout_ms = v * 1000;
    r = config_get_int(cfg, "worker.journal-retention", JOURNAL_RETENTION_DEFAULT_S, 60,
                       INT32_MAX, &v, err, errlen);
    if (r < 0)
        return r;
    w->retention_ms = v * 1000;
    r = config_get_int(cfg, "worker.journal-max-entries", JOURNAL_MAX_ENTRIES_DEFAULT, 100,
                       INT32_MAX, &v, err, errlen);
    if (r < 0)
        return r;
    w->journal_max = v;

    /* Names: the document's 8-to-32 rule is the bridge's, for resources;
     * the worker also acts on libvirt objects named otherwise (the test
     * driver's "test", domains mirrored from the node), so only the
     * characters are checked unless these keys narrow it. */
    r = config_get_int(cfg, "validate.name-min", 1, 1, MESSAGE_NAME_MAX, &v, err, errlen);
    if (r < 0)
        return r;
    w->vopts.name_min = (size_t)v;
    r = config_get_int(cfg, "validate.name-max", MESSAGE_NAME_MAX, 1, MESSAGE_NAME_MAX, &v, err,
                       errlen);
    if (r < 0)
        return r;
    w->vopts.name_max = (size_t)v;
    w->vopts.allowed_roots = devices_roots();
    return 0;
}

static int worker_journal_open(struct worker *w, const struct config *cfg, const char *prefix,
                               char *err, size_t errlen)
{
    _cleanup_free_ char *fallback = NULL;
    const char *path = config_get(cfg, "worker.journal", NULL);
    int64_t finished, in_flight;
    int r;

    if (!path) {
        r = journal_default_path(prefix, w->node, &fallback);
        if (r < 0)
            return r;
        path = fallback;
    }
    r = journal_open(path, &w->journal, err, errlen);
    if (r < 0)
        return r;
    r = journal_prune(w->journal, now_ms() - w->retention_ms, w->journal_max);
    if (r < 0)
        log_warning_errno(r, "Cannot prune the journal %s.", path);
    if (journal_count(w->journal, &finished, &in_flight) >= 0)
        log_info("Journal %s: %lld finished requests, %lld left in flight by the last run.",
                 path, (long long)finished, (long long)in_flight);
    return 0;
}

int worker_open(struct worker *w, const struct config *cfg, char *err, size_t errlen)
{
    const char *prefix, *uri;
    char group[256];
    int r;

    *w = (struct worker){.cfg = cfg};
    pthread_mutex_init(&w->ids_lock, NULL);
    pthread_cond_init(&w->ids_changed, NULL);
    w->node = config_get(cfg, "node", NULL);
    if (!w->node || !*w->node) {
        snprintf(err, errlen, "no node name: use --node or the key 'node'");
        return -EINVAL;
    }
    r = worker_settings(w, cfg, err, errlen);
    if (r < 0)
        return r;
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
    /* The prefix is part of the group so that two vmrelay installations
     * sharing a broker never share a group; with the default prefix this is
     * "vmrelay-worker-<node>". */
    snprintf(group, sizeof(group), "%s-worker-%s", prefix, w->node);

    /* The journal first: a second worker on the same node stops here,
     * before it joins the group and takes partitions from the first. */
    r = worker_journal_open(w, cfg, prefix, err, errlen);
    if (r < 0)
        return r;
    uri = config_get(cfg, "libvirt.uri", "test:///default");
    w->n_conns = worker_conn_shared(uri) ? 1 : w->concurrency;
    for (size_t i = 0; i < w->n_conns; i++) {
        r = worker_conn_init(&w->conns[i], uri);
        if (r < 0)
            return r;
    }
    r = offsets_new(&w->offsets);
    if (r < 0)
        return r;
    r = kafka_producer_new(cfg, &w->producer, err, errlen);
    if (r < 0)
        return r;
    r = consumer_open(w, cfg, config_get(cfg, "worker.group", group), err, errlen);
    if (r < 0)
        return r;
    r = worker_node_open(w, cfg, err, errlen);
    if (r < 0)
        return r;
    r = worker_events_start(w, err, errlen);
    if (r < 0)
        return r;
    r = worker_pool_new(w->concurrency, worker_job_run, w, &w->pool);
    if (r < 0)
        snprintf(err, errlen, "cannot start %zu threads", w->concurrency);
    return r;
}

void worker_close(struct worker *w)
{
    if (w->pool && worker_pool_free(w->pool) < 0) {
        /* Requests still run after the drain timeout: their threads use
         * everything below, so nothing is freed; the process ends now and
         * the journal resolves them on the next start. */
        log_error("Requests are still running after the drain timeout; exiting without "
                  "waiting. Their messages stay uncommitted and are resolved from the journal "
                  "on the next start.");
        return;
    }
    worker_events_stop(w);
    worker_node_close(w);
    kafka_consumer_free(w->consumer);
    kafka_producer_free(w->producer);
    for (size_t i = 0; i < w->n_conns; i++)
        worker_conn_done(&w->conns[i]);
    offsets_free(w->offsets);
    journal_close(w->journal);
    free(w->topic_node);
    free(w->topic_results);
    free(w->topic_dlq);
    pthread_cond_destroy(&w->ids_changed);
    pthread_mutex_destroy(&w->ids_lock);
    *w = (struct worker){0};
}

static void job_free(struct worker_job *job)
{
    if (!job)
        return;
    rd_kafka_message_destroy(job->data);
    free(job->key);
    free(job);
}

/* Commits every partition whose commit point moved, at most every
 * WORKER_COMMIT_INTERVAL_MS (the drain forces the last). A failure is retried
 * on later turns of the loop with a growing backoff, so that a rebalance
 * never blocks the loop; after WORKER_COMMIT_TRIES_MAX failures in a row
 * the points are given up on. */
static void worker_commit(struct worker *w)
{
    _cleanup_(rd_kafka_topic_partition_list_destroyp) rd_kafka_topic_partition_list_t *l = NULL;
    struct offsets_commit pending[64];
    rd_kafka_resp_err_t kerr;
    int64_t backoff;
    size_t n;

    if (mono_ms() < w->commit_retry_at)
        return;
    n = offsets_pending(w->offsets, pending, ELEMENTSOF(pending));
    if (n == 0)
        return;
    l = rd_kafka_topic_partition_list_new((int)n);
    if (!l)
        return;
    for (size_t k = 0; k < n; k++)
        rd_kafka_topic_partition_list_add(l, w->topic_node, pending[k].partition)->offset =
            pending[k].offset;
    kerr = rd_kafka_commit(w->consumer, l, 0);
    if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR || ++w->commit_failures >= WORKER_COMMIT_TRIES_MAX) {
        if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
            log_error("Cannot commit the offsets of %s; the results are written and the "
                      "requests may be delivered again (the journal answers them): %s",
                      w->topic_node, rd_kafka_err2str(kerr));
        for (size_t k = 0; k < n; k++)
            offsets_committed(w->offsets, pending[k].partition, pending[k].offset);
        w->commit_failures = 0;
        w->commit_retry_at = mono_ms() + WORKER_COMMIT_INTERVAL_MS;
        return;
    }
    backoff = (int64_t)WORKER_RETRY_FIRST_MS << (w->commit_failures - 1);
    if (backoff > WORKER_RETRY_MAX_MS)
        backoff = WORKER_RETRY_MAX_MS;
    w->commit_retry_at = mono_ms() + backoff;
    log_warning("Cannot commit the offsets of %s, retrying in %lld ms: %s", w->topic_node,
                (long long)backoff, rd_kafka_err2str(kerr));
}

/* Takes finished jobs back from the pool and records their offsets. */
static void worker_reap(struct worker *w, int timeout_ms)
{
    struct worker_job *list = worker_pool_completed(w->pool, timeout_ms);

    while (list) {
        struct worker_job *job = list;

        list = job->next;
        /* An outcome that was not written leaves its offset in flight, so
         * no commit passes it before the message comes again. */
        if (job->written)
            (void)offsets_done(w->offsets, job->partition, job->offset);
        job_free(job);
    }
    worker_commit(w);
}

/* Stops or resumes fetching, to bound the messages held in memory. */
static void worker_pause(struct worker *w, bool pause)
{
    _cleanup_(rd_kafka_topic_partition_list_destroyp) rd_kafka_topic_partition_list_t *l = NULL;
    rd_kafka_resp_err_t kerr;

    if (w->paused == pause)
        return;
    if (rd_kafka_assignment(w->consumer, &l) != RD_KAFKA_RESP_ERR_NO_ERROR || !l)
        return;
    kerr = pause ? rd_kafka_pause_partitions(w->consumer, l)
                 : rd_kafka_resume_partitions(w->consumer, l);
    if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR)
        w->paused = pause;
    log_debug("%s fetching from %s with %zu requests in flight.", pause ? "Paused" : "Resumed",
              w->topic_node, offsets_in_flight(w->offsets));
}

/* Bounds the requests in flight. A full pool first just stops taking
 * messages and waits for jobs to finish: pausing the partitions makes
 * librdkafka drop what it has fetched ahead and fetch it again on resume,
 * which at every turn cost more than the jobs (a drained backlog ran at a
 * third of the rate). Only a pool that stays full, i.e. stuck jobs, is
 * paused, so that polling goes on serving the group. Returns true when the
 * loop must not poll now. */
static bool worker_full(struct worker *w, size_t busy)
{
    if (busy < WORKER_IN_FLIGHT_MAX) {
        w->full_since = 0;
        if (busy <= WORKER_IN_FLIGHT_MAX / 2)
            worker_pause(w, false);
        return false;
    }
    if (w->full_since == 0)
        w->full_since = mono_ms();
    if (mono_ms() - w->full_since < WORKER_FULL_PAUSE_MS) {
        worker_reap(w, WORKER_POLL_BUSY_MS);
        return true;
    }
    worker_pause(w, true);
    return false;
}

static int worker_submit(struct worker *w, rd_kafka_message_t *msg)
{
    struct worker_job *job = calloc(1, sizeof(*job));
    int r;

    if (!job) {
        rd_kafka_message_destroy(msg);
        return -ENOMEM;
    }
    job->data = msg;
    job->partition = msg->partition;
    job->offset = msg->offset;
    /* The Kafka key is the ordering key; a message without one only waits
     * for others without one. */
    job->key = msg->key ? strndup(msg->key, msg->key_len) : strdup("");
    r = job->key ? offsets_add(w->offsets, msg->partition, msg->offset) : -ENOMEM;
    if (r >= 0) {
        r = worker_pool_submit(w->pool, job);
        if (r < 0)
            (void)offsets_done(w->offsets, msg->partition, msg->offset);
    }
    if (r < 0)
        job_free(job);
    return r;
}

/* After a stop: no more fetching, the requests in flight finish (for at
 * most the drain timeout) and their offsets are committed. */
static void worker_drain(struct worker *w)
{
    int64_t deadline = mono_ms() + w->drain_timeout_ms;

    worker_pause(w, true);
    if (worker_pool_size(w->pool) > 0)
        log_info("Finishing %zu requests in flight before stopping.", worker_pool_size(w->pool));
    while (worker_pool_size(w->pool) > 0 && mono_ms() < deadline)
        worker_reap(w, 100);
    w->commit_retry_at = 0;
    worker_reap(w, 0);
}

int worker_run(struct worker *w, volatile sig_atomic_t *stop)
{
    int64_t next_prune = mono_ms() + WORKER_PRUNE_INTERVAL_MS;
    char err[WORKER_ERR_MAX];

    w->stop = stop;
    log_info("Worker for node %s consumes %s with %zu threads and writes to %s.", w->node,
             w->topic_node, w->concurrency, w->topic_results);
    while (!*stop && !atomic_load(&w->fatal)) {
        rd_kafka_message_t *msg = NULL;
        size_t busy;
        int r;

        worker_reap(w, 0);
        worker_node_tick(w);
        busy = worker_pool_size(w->pool);
        if (worker_full(w, busy))
            continue;
        if (mono_ms() >= next_prune) {
            r = journal_prune(w->journal, now_ms() - w->retention_ms, w->journal_max);
            if (r > 0)
                log_info("Pruned %d old entries from the journal.", r);
            next_prune = mono_ms() + WORKER_PRUNE_INTERVAL_MS;
        }

        r = kafka_consumer_poll(w->consumer, busy > 0 ? WORKER_POLL_BUSY_MS : WORKER_POLL_MS,
                                &msg, err, sizeof(err));
        if (r < 0) {
            log_warning_errno(r, "Consumer error on %s: %s", w->topic_node, err);
            continue;
        }
        if (!msg)
            continue;
        r = worker_submit(w, msg);
        if (r < 0) {
            log_error_errno(r, "Cannot queue the message; stopping.");
            break;
        }
    }
    log_info("Worker for node %s is stopping.", w->node);
    worker_node_stopping(w);
    worker_drain(w);
    return atomic_load(&w->fatal) ? -ENOMEM : 0;
}
