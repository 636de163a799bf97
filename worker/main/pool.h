/* The worker's threads: jobs with the same ordering key run one at a time
 * in the order submitted; jobs with different keys run at once, up to one
 * per thread.
 *
 * Thread safety: every function but the run function is called by the
 * owner (the consumer thread); the run function is called on the pool's
 * threads, once per job. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/core/macro.h"

/* Threads a pool may have (worker.concurrency). */
#define POOL_THREADS_MAX 64

struct worker_pool;

struct worker_job {
    struct worker_job *next;
    char *key;
    int32_t partition;
    int64_t offset;
    void *data;   /* the owner's (the Kafka message) */
    bool written; /* set by the run function: the outcome is durably written */
};

/* Runs one job on pool thread number thread (0 .. n_threads - 1). */
typedef void (*worker_pool_run_fn)(void *userdata, size_t thread, struct worker_job *job);

int worker_pool_new(size_t n_threads, worker_pool_run_fn run, void *userdata,
                    struct worker_pool **ret_pool);

/* Queues job behind the jobs of the same key. The pool owns it until it
 * comes back from worker_pool_completed(); -ENOMEM leaves it with the
 * caller. */
int worker_pool_submit(struct worker_pool *pool, struct worker_job *job);

/* Waits up to timeout_ms for finished jobs and returns them as a list
 * (NULL when none); the caller owns them again. */
struct worker_job *worker_pool_completed(struct worker_pool *pool, int timeout_ms);

/* Jobs submitted and not yet returned by worker_pool_completed(). */
size_t worker_pool_size(struct worker_pool *pool);

/* Stops the threads, joins them and frees the pool. With jobs still queued
 * or running, returns -EBUSY and leaves the pool alone. */
int worker_pool_free(struct worker_pool *pool);
