/* The fleet table: the latest heartbeat of every node, whether each node is
 * live, and where a new VM goes.
 *
 * Liveness: a node is live while its last heartbeat is younger than the
 * grace period (config fleet.grace-seconds, default 30 s, and at least
 * three of the node's own intervals); draining while it says so; lost
 * after that; unknown when it never sent one.
 *
 * Placement (docs/scheduling.md): among live nodes that are not draining
 * and carry every label of the request's node selector, those with enough
 * free memory and vCPU room (cpus x overcommit - vCPUs allocated - what was
 * placed there since its last heartbeat); of those the least loaded
 * (running domains + requests in flight + placed since the heartbeat),
 * then the one with most free memory, then by name, so that the choice is
 * deterministic.
 *
 * Thread safety: every function takes the table's lock; any thread. */
#pragma once

#include <stdint.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"
#include "shared/msg/heartbeat.h"

#define FLEET_NODES_MAX 4096
#define FLEET_GRACE_MS_DEFAULT 30000
#define FLEET_CPU_OVERCOMMIT_DEFAULT 4

enum fleet_liveness {
    FLEET_UNKNOWN,
    FLEET_LIVE,
    FLEET_DRAINING,
    FLEET_LOST,
};

const char *fleet_liveness_to_string(enum fleet_liveness l);

struct fleet;

int fleet_new(int64_t grace_ms, int cpu_overcommit, struct fleet **ret_fleet);
void fleet_free(struct fleet *fleet);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct fleet *, fleet_free);

/* Records a heartbeat received at now_ms (a copy is kept). Older heartbeats
 * than the one known are ignored. -E2BIG past FLEET_NODES_MAX nodes. */
int fleet_update(struct fleet *fleet, const struct heartbeat *hb, int64_t now_ms);

/* The node's state, and for how long it has been silent. */
enum fleet_liveness fleet_liveness(struct fleet *fleet, const char *node, int64_t now_ms,
                                   int64_t *ret_silent_ms);

struct fleet_need {
    int64_t memory_kib;          /* 0: no memory requirement */
    int64_t vcpus;               /* 0: none */
    const cJSON *node_selector;  /* object of label values, or NULL */
};

/* Chooses a node and counts the placement against it until its next
 * heartbeat. Returns 0 with a malloc'd name, or -ENOSPC with a sentence in
 * why saying what was missing (no live node, no room, no label match). */
int fleet_place(struct fleet *fleet, const struct fleet_need *need, int64_t now_ms,
                char **ret_node, char *why, size_t whylen);

/* A JSON array describing every node (for `vmrelay fleet` and logs). */
cJSON *fleet_describe(struct fleet *fleet, int64_t now_ms);
