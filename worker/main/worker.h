/* The worker loop: consume the node topic, run each request on libvirt,
 * produce its result with acks=all and only then commit its offset.
 *
 * Thread safety: worker_run() runs on the main thread and owns every
 * handle of struct worker; the stop flag is set from a signal handler. */
#pragma once

#include <signal.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "shared/kafka/producer.h"
#include "worker/main/conn.h"

/* Backoff between failed produce or commit attempts: doubles from the
 * first value up to the cap, and retries until it succeeds or the worker
 * is told to stop. */
#define WORKER_RETRY_FIRST_MS 100
#define WORKER_RETRY_MAX_MS 5000
/* One produce waits at most this long for its delivery report. */
#define WORKER_PRODUCE_TIMEOUT_MS 30000
/* One poll of the consumer; also how fast a stop request is noticed. */
#define WORKER_POLL_MS 500

struct config;

struct worker {
    const struct config *cfg;
    const char *node;
    char *topic_node, *topic_results, *topic_dlq;
    rd_kafka_t *consumer;
    struct kafka_producer *producer;
    struct worker_conn conn;
};

/* Opens Kafka (consumer in the group, producer) and prepares the libvirt
 * connection. err says what failed. */
int worker_open(struct worker *w, const struct config *cfg, char *err, size_t errlen);

/* Leaves the group, flushes and closes everything. Safe on a worker that
 * worker_open() left half made. */
void worker_close(struct worker *w);

/* Processes messages until *stop is set; the request in progress is
 * finished and committed first. Returns 0 on a requested stop. */
int worker_run(struct worker *w, volatile sig_atomic_t *stop);
