/* What the journal end-to-end and fault tests share: a node of their own
 * (topic, journal, test driver file with many domains), vmrelay-worker as a
 * child process, requests published straight to Kafka as an external
 * system would, and every result of the node read back.
 *
 * Single-threaded: the test's main thread calls everything. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <librdkafka/rdkafka.h>

#include "shared/kafka/producer.h"

#define H_RESULTS_MAX 20000

struct h_result {
    char *id, *reason, *message;
    bool success, replayed;
    int64_t started_ms, finished_ms;
    int attempt;
};

struct harness {
    struct kafka_producer *producer;
    rd_kafka_t *reader;
    const char *bootstrap;
    char node[64], topic[128], dir[400], journal[512], log[512], uri[600];
    struct h_result results[H_RESULTS_MAX];
    size_t n_results;
};

/* A node "<tag><pid>" with its topic, journal path and log under
 * $VMRELAY_BINARY_DIR/tests-tmp. */
void h_init(struct harness *h, const char *tag);
void h_done(struct harness *h);

/* Writes a test driver node file with n running domains vm00, vm01, ...
 * and points h->uri at it. */
void h_node_file(struct harness *h, int n);

/* Publishes one VirtualMachine request keyed by its ordering key. */
void h_publish(struct harness *h, const char *id, const char *operation, const char *name,
               const char *params, int64_t deadline_ms);

/* Starts vmrelay-worker for the node; extra is a NULL-terminated list of
 * more arguments (may be NULL). */
pid_t h_worker_start(struct harness *h, int concurrency, const char *const *extra);

/* SIGTERM and wait: the exit status, or -1 when it did not stop. */
int h_worker_stop(pid_t pid, int timeout_s);

/* Reads results of this node until done(h) or timeout_ms. */
void h_consume(struct harness *h, int timeout_ms, bool (*done)(struct harness *h));

/* Results of id: all (replayed < 0), or only (not) replayed ones. */
size_t h_count(const struct harness *h, const char *id, int replayed);
const struct h_result *h_find(const struct harness *h, const char *id, bool replayed);

int64_t h_now_ms(void);
