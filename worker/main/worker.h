/* The worker: consume the node topic, run requests on a pool of threads
 * (one at a time per ordering key, in order), record each in the node
 * journal, produce its result with acks=all and commit an offset once
 * every request below it is written.
 *
 * Thread safety: worker_open(), worker_run() and worker_close() run on the
 * main thread, which alone owns the consumer and the offset tracker; the
 * pool threads run worker_job_run() and share the producer, the journal
 * and (for test driver files) the libvirt connection, all thread-safe. The
 * stop flag is set from a signal handler. */
#pragma once

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include <cjson/cJSON.h>

#include "shared/kafka/producer.h"
#include "shared/metrics/http.h"
#include "shared/metrics/metrics.h"
#include "shared/msg/validate.h"
#include "worker/journal/journal.h"
#include "worker/main/conn.h"
#include "worker/main/offsets.h"
#include "worker/main/pool.h"

/* Backoff between failed produce or commit attempts: doubles from the
 * first value up to the cap, and retries until it succeeds or the worker
 * is told to stop. */
#define WORKER_RETRY_FIRST_MS 100
#define WORKER_RETRY_MAX_MS 5000
/* One produce waits at most this long for its delivery report. */
#define WORKER_PRODUCE_TIMEOUT_MS 30000
/* One poll of the consumer when nothing runs; also how fast a stop
 * request is noticed. While requests run the poll is short, so that their
 * offsets are committed soon after they finish. */
#define WORKER_POLL_MS 500
#define WORKER_POLL_BUSY_MS 20
/* Messages fetched and not yet finished; past this the partitions are
 * paused until half of them are done. */
#define WORKER_IN_FLIGHT_MAX 256
/* How long the pool may stay full before the partitions are paused. */
#define WORKER_FULL_PAUSE_MS 5000
/* Defaults and bounds of worker.concurrency and worker.drain-timeout. */
#define WORKER_CONCURRENCY_DEFAULT 4
#define WORKER_DRAIN_TIMEOUT_DEFAULT_S 30
#define WORKER_DRAIN_TIMEOUT_MAX_S 3600
/* How often old journal entries are pruned. */
#define WORKER_PRUNE_INTERVAL_MS (10 * 60 * 1000)

struct config;
struct worker_events;

struct worker {
    const struct config *cfg;
    const char *node;
    char *topic_node, *topic_results, *topic_dlq;
    rd_kafka_t *consumer;
    struct kafka_producer *producer;
    struct journal *journal;
    struct offsets *offsets;
    struct worker_pool *pool;
    size_t concurrency;
    int64_t drain_timeout_ms, retention_ms, journal_max;
    /* One connection per pool thread, or one shared (worker_conn_shared). */
    struct worker_conn conns[POOL_THREADS_MAX];
    size_t n_conns;
    bool paused;
    int commit_failures;
    int64_t commit_retry_at; /* next commit, CLOCK_MONOTONIC ms; 0 = now */
    int64_t full_since;      /* when the pool became full, CLOCK_MONOTONIC ms; 0 = not */
    volatile sig_atomic_t *stop;
    atomic_bool fatal;
    /* Ids running now, so that a second delivery of an id on another key
     * waits for the first instead of taking it for a crashed run. */
    pthread_mutex_t ids_lock;
    pthread_cond_t ids_changed;
    const char *running_ids[POOL_THREADS_MAX];

    /* The catalogue's rules, applied to every new request: publishers
     * other than the bridge reach the worker without its checks. */
    struct validate_opts vopts;

    /* events.c: libvirt events published for mirroring. */
    struct worker_events *events;

    /* node.c: heartbeats, systemd, metrics. */
    char *topic_heartbeats;
    cJSON *labels;
    int64_t heartbeat_interval_ms, next_heartbeat, next_status, watchdog_ms, next_watchdog;
    bool ready_sent;
    /* /readyz: true from READY=1 until the drain; read by the HTTP thread. */
    atomic_bool serving;
    struct metrics *metrics;
    struct metrics_http *http;
    struct metric *m_requests, *m_duration, *m_dispatch, *m_replays, *m_in_flight, *m_lag,
        *m_journal;
};

/* Opens the journal (taking its lock), Kafka (consumer in the group,
 * producer) and the pool. err says what failed. */
int worker_open(struct worker *w, const struct config *cfg, char *err, size_t errlen);

/* Leaves the group, flushes and closes everything. Safe on a worker that
 * worker_open() left half made. */
void worker_close(struct worker *w);

/* Processes messages until *stop is set; then stops fetching, lets the
 * requests in flight finish for at most worker.drain-timeout, commits and
 * returns 0. */
int worker_run(struct worker *w, volatile sig_atomic_t *stop);

/* The pool's run function: one Kafka message, from parse to produce.
 * Sets job->written when its outcome is durably written. */
void worker_job_run(void *userdata, size_t thread, struct worker_job *job);
