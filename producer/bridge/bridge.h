/* vmrelay-bridge: one informer per kind, each request planned
 * (plan.h), recorded, produced and marked dispatched.
 *
 * Threads: each kind's informer calls bridge_handle_object() on its own
 * thread, one call at a time per kind; each kind has its own Kubernetes
 * client. The producer is shared (thread safe). The retry list is shared
 * under a mutex and drained by the main thread. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "producer/common/fleet.h"
#include "producer/common/kube.h"
#include "shared/kafka/producer.h"
#include "shared/metrics/metrics.h"
#include "shared/msg/catalog.h"
#include "shared/msg/validate.h"

struct plan;
struct log_ctx;

/* A request whose produce failed waits here to be tried again. */
#define BRIDGE_RETRY_MAX 4096
#define BRIDGE_RETRY_INTERVAL_MS 2000
#define BRIDGE_PRODUCE_TIMEOUT_MS 15000
#define BRIDGE_KINDS_MAX 16
/* Ids this process dispatched, remembered so that the watch events caused
 * by its own "Pending" write do not send the request again. */
#define BRIDGE_SENT_MAX 8192
#define BRIDGE_ID_MAX 64

struct bridge;

struct bridge_kind {
    struct bridge *bridge;
    const struct catalog_kind *kind;
    struct k8s_client *client;
    struct k8s_informer *informer;
};

struct bridge_retry {
    const struct catalog_kind *kind;
    char *namespace, *name;
};

struct bridge {
    const struct config *cfg;
    struct k8s_config *kcfg;
    struct kube_target target;
    struct kafka_producer *producer;
    const char *topic_prefix;
    struct validate_opts vopts;
    char **roots;
    size_t n_roots;

    struct bridge_kind kinds[BRIDGE_KINDS_MAX];
    size_t n_kinds;

    pthread_mutex_t sent_lock;
    char (*sent)[BRIDGE_ID_MAX]; /* ring of BRIDGE_SENT_MAX ids */
    size_t sent_next;

    /* The fleet: heartbeats read by their own thread. */
    struct fleet *fleet;
    pthread_t fleet_thread;
    bool fleet_running;
    volatile bool fleet_stop;

    /* Metrics (docs/observability.md); NULL-safe. */
    struct metrics *metrics;
    struct metric *m_requests;   /* kind, operation, outcome */
    struct metric *m_retries;    /* requests queued for another try */
    struct metric *m_conflicts;  /* writes refused by a resourceVersion precondition */
    struct metric *m_watch;      /* kind, event: lists, relists, failures */

    pthread_mutex_t retry_lock;
    struct bridge_retry retries[BRIDGE_RETRY_MAX];
    size_t n_retries;
};

/* Plans and carries out what obj needs. Returns 0 (errors are logged and,
 * where they can heal, queued for retry). The calling kind's thread. */
int bridge_handle_object(struct bridge_kind *bk, const cJSON *obj);

/* Writes a VirtctlError outcome for a request that will not be
 * dispatched. The calling kind's thread. */
int bridge_reject(struct bridge_kind *bk, const cJSON *obj, const struct plan *plan,
                  const struct log_ctx *ctx);

/* Re-reads and handles every queued retry. The main thread. */
void bridge_retry_run(struct bridge *b, struct k8s_client *client);
