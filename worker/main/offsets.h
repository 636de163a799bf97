/* Which offset of each partition may be committed when requests finish
 * out of order.
 *
 * A message is added when it is fetched and marked done once the outcome
 * it owes is durably written. The commit point of a partition is the
 * lowest offset still unfinished, or one past the highest fetched when
 * none is: Kafka's committed offset means "everything below is done", so
 * it may never pass a request that is still running. The point only moves
 * forward; a message fetched again (after a rebalance) is tracked again.
 *
 * Thread safety: not locked; the thread that owns the consumer owns the
 * tracker. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "shared/core/macro.h"

/* Partitions of one node topic a worker tracks at once. */
#define OFFSETS_PARTITIONS_MAX 1024

struct offsets;

/* One partition whose commit point moved past what was committed. */
struct offsets_commit {
    int32_t partition;
    int64_t offset; /* the offset to commit: the next one to process */
};

int offsets_new(struct offsets **ret_t);
void offsets_free(struct offsets *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct offsets *, offsets_free);

/* A message was fetched. -E2BIG past OFFSETS_PARTITIONS_MAX partitions. */
int offsets_add(struct offsets *t, int32_t partition, int64_t offset);

/* Its outcome is durably written. -ENOENT when it was not in flight. */
int offsets_done(struct offsets *t, int32_t partition, int64_t offset);

/* Fills up to max partitions whose commit point is above the last one
 * recorded with offsets_committed(); returns how many. */
size_t offsets_pending(const struct offsets *t, struct offsets_commit *out, size_t max);

/* The broker confirmed a commit of offset for partition. */
void offsets_committed(struct offsets *t, int32_t partition, int64_t offset);

/* Messages added and not yet done, over all partitions. */
size_t offsets_in_flight(const struct offsets *t);
