#include "producer/common/fleet.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "shared/core/json.h"

/* A node is lost after this many of its own intervals without a beat, when
 * that is longer than the configured grace. */
#define FLEET_MISSED_BEATS 3

struct fleet_node {
    struct heartbeat *hb;
    int64_t received_ms;
    int64_t placed;          /* placements since the last heartbeat */
    int64_t placed_memory_kib;
    int64_t placed_vcpus;
};

struct fleet {
    pthread_mutex_t lock;
    int64_t grace_ms;
    int cpu_overcommit;
    struct fleet_node *nodes;
    size_t n_nodes;
};

const char *fleet_liveness_to_string(enum fleet_liveness l)
{
    switch (l) {
    case FLEET_LIVE:
        return "live";
    case FLEET_DRAINING:
        return "draining";
    case FLEET_LOST:
        return "lost";
    case FLEET_UNKNOWN:
        break;
    }
    return "unknown";
}

int fleet_new(int64_t grace_ms, int cpu_overcommit, struct fleet **ret_fleet)
{
    struct fleet *fleet = calloc(1, sizeof(*fleet));

    if (!fleet)
        return -ENOMEM;
    fleet->nodes = calloc(FLEET_NODES_MAX, sizeof(*fleet->nodes));
    if (!fleet->nodes) {
        free(fleet);
        return -ENOMEM;
    }
    pthread_mutex_init(&fleet->lock, NULL);
    fleet->grace_ms = grace_ms > 0 ? grace_ms : FLEET_GRACE_MS_DEFAULT;
    fleet->cpu_overcommit = cpu_overcommit > 0 ? cpu_overcommit : FLEET_CPU_OVERCOMMIT_DEFAULT;
    *ret_fleet = fleet;
    return 0;
}

void fleet_free(struct fleet *fleet)
{
    if (!fleet)
        return;
    for (size_t i = 0; i < fleet->n_nodes; i++)
        heartbeat_free(fleet->nodes[i].hb);
    free(fleet->nodes);
    pthread_mutex_destroy(&fleet->lock);
    free(fleet);
}

static struct fleet_node *find_locked(struct fleet *fleet, const char *node)
{
    for (size_t i = 0; i < fleet->n_nodes; i++)
        if (strcmp(fleet->nodes[i].hb->node, node) == 0)
            return &fleet->nodes[i];
    return NULL;
}

static struct heartbeat *heartbeat_copy(const struct heartbeat *hb)
{
    struct heartbeat *copy = malloc(sizeof(*copy));

    if (!copy)
        return NULL;
    *copy = *hb;
    copy->node = strdup(hb->node);
    copy->labels = hb->labels ? cJSON_Duplicate(hb->labels, true) : NULL;
    if (!copy->node || (hb->labels && !copy->labels)) {
        heartbeat_free(copy);
        return NULL;
    }
    return copy;
}

int fleet_update(struct fleet *fleet, const struct heartbeat *hb, int64_t now_ms)
{
    struct heartbeat *copy = heartbeat_copy(hb);
    struct fleet_node *n;
    int r = 0;

    if (!copy)
        return -ENOMEM;

    pthread_mutex_lock(&fleet->lock);
    n = find_locked(fleet, hb->node);
    if (n && n->hb->time_ms > hb->time_ms) {
        heartbeat_free(copy); /* an older beat read late (e.g. after a rebalance) */
        goto out;
    }
    if (!n) {
        if (fleet->n_nodes == FLEET_NODES_MAX) {
            heartbeat_free(copy);
            r = -E2BIG;
            goto out;
        }
        n = &fleet->nodes[fleet->n_nodes++];
    }
    heartbeat_free(n->hb);
    n->hb = copy;
    n->received_ms = now_ms;
    n->placed = n->placed_memory_kib = n->placed_vcpus = 0;
out:
    pthread_mutex_unlock(&fleet->lock);
    return r;
}

static enum fleet_liveness liveness_locked(const struct fleet *fleet, const struct fleet_node *n,
                                           int64_t now_ms, int64_t *ret_silent_ms)
{
    int64_t grace = fleet->grace_ms, silent;

    if (!n)
        return FLEET_UNKNOWN;
    if (n->hb->interval_ms * FLEET_MISSED_BEATS > grace)
        grace = n->hb->interval_ms * FLEET_MISSED_BEATS;
    silent = now_ms - n->received_ms;
    if (ret_silent_ms)
        *ret_silent_ms = silent;
    if (silent > grace)
        return FLEET_LOST;
    return n->hb->draining ? FLEET_DRAINING : FLEET_LIVE;
}

enum fleet_liveness fleet_liveness(struct fleet *fleet, const char *node, int64_t now_ms,
                                   int64_t *ret_silent_ms)
{
    enum fleet_liveness l;

    pthread_mutex_lock(&fleet->lock);
    l = liveness_locked(fleet, find_locked(fleet, node), now_ms, ret_silent_ms);
    pthread_mutex_unlock(&fleet->lock);
    return l;
}

static bool labels_match(const struct heartbeat *hb, const cJSON *selector)
{
    const cJSON *want;

    cJSON_ArrayForEach(want, selector)
    {
        const char *have = hb->labels ? json_path_string(hb->labels, want->string) : NULL;

        if (!cJSON_IsString(want) || !have || strcmp(have, want->valuestring) != 0)
            return false;
    }
    return true;
}

static int64_t load_of(const struct fleet_node *n)
{
    return n->hb->running_domains + n->hb->in_flight + n->placed;
}

/* True when a is a better choice than b. */
static bool better(const struct fleet_node *a, const struct fleet_node *b)
{
    int64_t free_a = a->hb->free_memory_kib - a->placed_memory_kib;
    int64_t free_b = b->hb->free_memory_kib - b->placed_memory_kib;

    if (load_of(a) != load_of(b))
        return load_of(a) < load_of(b);
    if (free_a != free_b)
        return free_a > free_b;
    return strcmp(a->hb->node, b->hb->node) < 0;
}

int fleet_place(struct fleet *fleet, const struct fleet_need *need, int64_t now_ms,
                char **ret_node, char *why, size_t whylen)
{
    struct fleet_node *best = NULL;
    size_t live = 0, labelled = 0;
    char *name;

    pthread_mutex_lock(&fleet->lock);
    for (size_t i = 0; i < fleet->n_nodes; i++) {
        struct fleet_node *n = &fleet->nodes[i];
        int64_t free_kib = n->hb->free_memory_kib - n->placed_memory_kib;
        int64_t vcpu_room = n->hb->cpus * fleet->cpu_overcommit - n->hb->vcpus_allocated -
                            n->placed_vcpus;

        if (liveness_locked(fleet, n, now_ms, NULL) != FLEET_LIVE)
            continue;
        live++;
        if (need->node_selector && !labels_match(n->hb, need->node_selector))
            continue;
        labelled++;
        if (free_kib < need->memory_kib || vcpu_room < need->vcpus)
            continue;
        if (!best || better(n, best))
            best = n;
    }

    if (!best) {
        if (live == 0)
            snprintf(why, whylen, "no node is live (of %zu known, none sent a heartbeat in the "
                     "grace period)", fleet->n_nodes);
        else if (labelled == 0)
            snprintf(why, whylen, "none of the %zu live nodes carries every label of "
                     "spec.nodeSelector", live);
        else
            snprintf(why, whylen, "none of the %zu matching live nodes has %lld KiB of free "
                     "memory and room for %lld vCPUs", labelled, (long long)need->memory_kib,
                     (long long)need->vcpus);
        pthread_mutex_unlock(&fleet->lock);
        return -ENOSPC;
    }

    name = strdup(best->hb->node);
    if (name) {
        best->placed++;
        best->placed_memory_kib += need->memory_kib;
        best->placed_vcpus += need->vcpus;
    }
    pthread_mutex_unlock(&fleet->lock);
    if (!name)
        return -ENOMEM;
    *ret_node = name;
    return 0;
}

cJSON *fleet_describe(struct fleet *fleet, int64_t now_ms)
{
    _cleanup_(cJSON_Deletep) cJSON *arr = cJSON_CreateArray();

    if (!arr)
        return NULL;
    pthread_mutex_lock(&fleet->lock);
    for (size_t i = 0; i < fleet->n_nodes; i++) {
        const struct fleet_node *n = &fleet->nodes[i];
        int64_t silent = 0;
        enum fleet_liveness l = liveness_locked(fleet, n, now_ms, &silent);
        cJSON *o = cJSON_CreateObject();

        if (!o || !cJSON_AddItemToArray(arr, o) ||
            !cJSON_AddStringToObject(o, "node", n->hb->node) ||
            !cJSON_AddStringToObject(o, "state", fleet_liveness_to_string(l)) ||
            !cJSON_AddNumberToObject(o, "silent_ms", (double)silent) ||
            !cJSON_AddNumberToObject(o, "free_memory_kib", (double)n->hb->free_memory_kib) ||
            !cJSON_AddNumberToObject(o, "cpus", (double)n->hb->cpus) ||
            !cJSON_AddNumberToObject(o, "running_domains", (double)n->hb->running_domains) ||
            !cJSON_AddNumberToObject(o, "in_flight", (double)n->hb->in_flight) ||
            !cJSON_AddNumberToObject(o, "lag", (double)n->hb->lag)) {
            pthread_mutex_unlock(&fleet->lock);
            return NULL;
        }
    }
    pthread_mutex_unlock(&fleet->lock);
    return TAKE_PTR(arr);
}
