/* Heartbeats: each worker's liveness, capacity and load, published to
 * <prefix>.heartbeats (compacted) with key = node, so that the latest one
 * of every node survives compaction. schemas/heartbeat.schema.json is the
 * normative text.
 *
 * Thread safety: pure functions on their arguments; any thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"

/* Labels a node may advertise for placement (e.g. "zone": "a"). */
#define HEARTBEAT_LABELS_MAX 32

struct heartbeat {
    char *node;              /* required */
    int64_t time_ms;         /* required; when it was sent */
    int64_t interval_ms;     /* required; the sender's period, for the grace period */
    bool draining;           /* true while stopping: take no new work */
    /* Capacity of the host. */
    int64_t memory_kib;      /* total */
    int64_t free_memory_kib; /* free now, as the host reports it */
    int64_t cpus;            /* logical CPUs */
    /* Load. */
    int64_t running_domains;
    int64_t defined_domains;
    int64_t vcpus_allocated;  /* vCPUs of running domains */
    int64_t memory_allocated_kib; /* memory of running domains */
    int64_t in_flight;        /* requests being carried out */
    int64_t lag;              /* messages waiting on its topic, -1 if unknown */
    cJSON *labels;            /* optional object of string values */
};

int heartbeat_parse(const char *buf, size_t len, struct heartbeat **ret_hb, char *err,
                    size_t errlen);
char *heartbeat_encode(const struct heartbeat *hb);
void heartbeat_free(struct heartbeat *hb);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct heartbeat *, heartbeat_free);
