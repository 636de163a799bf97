/* The keyed pool: one job per key at a time, in order; keys in parallel. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/testing.h"
#include "worker/main/pool.h"

#define KEYS 20
#define PER_KEY 30
#define THREADS 4

static atomic_int running, peak, key_running[KEYS], order_errors, overlap_errors;
static int next_seq[KEYS];

static void run(void *userdata, size_t thread, struct worker_job *job)
{
    int key = (int)job->partition, seq = (int)job->offset, now;

    if (atomic_fetch_add(&key_running[key], 1) != 0)
        atomic_fetch_add(&overlap_errors, 1);
    now = atomic_fetch_add(&running, 1) + 1;
    for (int p = atomic_load(&peak); now > p && !atomic_compare_exchange_weak(&peak, &p, now);)
        ;
    /* Only this job of its key runs, so the plain counter is safe. */
    if (next_seq[key] != seq)
        atomic_fetch_add(&order_errors, 1);
    next_seq[key] = seq + 1;
    usleep(1000);
    atomic_fetch_sub(&running, 1);
    atomic_fetch_sub(&key_running[key], 1);
    job->written = thread < THREADS;
}

int main(void)
{
    struct worker_pool *pool;
    int done = 0, written = 0, submitted = 0;

    CHECK_INT(worker_pool_new(0, run, NULL, &pool), -EINVAL);
    if (!CHECK_INT(worker_pool_new(THREADS, run, NULL, &pool), 0))
        return test_finish();
    /* Interleaved like a Kafka partition carrying many keys. */
    for (int seq = 0; seq < PER_KEY; seq++)
        for (int key = 0; key < KEYS; key++) {
            struct worker_job *job = calloc(1, sizeof(*job));
            char name[32];

            snprintf(name, sizeof(name), "VirtualMachine/default/vm%02d", key);
            job->key = strdup(name);
            job->partition = key;
            job->offset = seq;
            submitted += worker_pool_submit(pool, job) == 0;
        }
    CHECK_INT(submitted, KEYS * PER_KEY);
    while (done < KEYS * PER_KEY) {
        struct worker_job *list = worker_pool_completed(pool, 1000);

        if (!list && worker_pool_size(pool) == 0)
            break;
        while (list) {
            struct worker_job *job = list;

            list = job->next;
            written += job->written;
            done++;
            free(job->key);
            free(job);
        }
    }
    CHECK_INT(done, KEYS * PER_KEY);
    CHECK_INT(written, KEYS * PER_KEY);
    CHECK_INT(worker_pool_size(pool), 0);
    CHECK_INT(atomic_load(&overlap_errors), 0);
    CHECK_INT(atomic_load(&order_errors), 0);
    for (int key = 0; key < KEYS; key++)
        CHECK_INT(next_seq[key], PER_KEY);
    /* Different keys did run at once. */
    CHECK(atomic_load(&peak) > 1);
    CHECK(atomic_load(&peak) <= THREADS);
    CHECK_INT(worker_pool_free(pool), 0);
    return test_finish();
}
