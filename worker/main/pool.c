#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/core/log.h"
#include "worker/main/pool.h"

/* The jobs of one key, in order; the key is active while it has any. */
struct worker_pool_key {
    struct worker_pool_key *next, *next_ready;
    const char *key; /* the first job's key; the job outlives the entry */
    struct worker_job *head, *tail;
};

struct worker_pool {
    pthread_mutex_t lock;
    pthread_cond_t work, finished;
    struct worker_pool_key *keys;
    struct worker_pool_key *ready_head, *ready_tail;
    struct worker_job *completed;
    size_t size, running;
    bool stopping;
    worker_pool_run_fn run;
    void *userdata;
    size_t n_threads;
    pthread_t threads[POOL_THREADS_MAX];
};

struct worker_pool_arg {
    struct worker_pool *pool;
    size_t index;
};

static void pool_ready_push(struct worker_pool *pool, struct worker_pool_key *k)
{
    k->next_ready = NULL;
    if (pool->ready_tail)
        pool->ready_tail->next_ready = k;
    else
        pool->ready_head = k;
    pool->ready_tail = k;
    pthread_cond_signal(&pool->work);
}

static struct worker_pool_key *pool_ready_pop(struct worker_pool *pool)
{
    struct worker_pool_key *k = pool->ready_head;

    pool->ready_head = k->next_ready;
    if (!pool->ready_head)
        pool->ready_tail = NULL;
    return k;
}

static void pool_key_remove(struct worker_pool *pool, struct worker_pool_key *k)
{
    for (struct worker_pool_key **p = &pool->keys; *p; p = &(*p)->next)
        if (*p == k) {
            *p = k->next;
            break;
        }
    free(k);
}

/* Called with the lock held, after the head job of k ran. */
static void pool_job_finish(struct worker_pool *pool, struct worker_pool_key *k)
{
    struct worker_job *job = k->head;

    k->head = job->next;
    if (!k->head) {
        k->tail = NULL;
        pool_key_remove(pool, k);
    } else {
        k->key = k->head->key;
        pool_ready_push(pool, k);
    }
    job->next = pool->completed;
    pool->completed = job;
    pool->running--;
    pthread_cond_broadcast(&pool->finished);
}

static void *pool_thread(void *userdata)
{
    struct worker_pool_arg *arg = userdata;
    struct worker_pool *pool = arg->pool;
    size_t index = arg->index;

    free(arg);
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        struct worker_pool_key *k;

        while (!pool->ready_head && !pool->stopping)
            pthread_cond_wait(&pool->work, &pool->lock);
        if (!pool->ready_head)
            break;
        /* A key is in the ready list only while none of its jobs runs, so
         * taking it here is what keeps one key on one thread at a time. */
        k = pool_ready_pop(pool);
        pool->running++;
        pthread_mutex_unlock(&pool->lock);

        pool->run(pool->userdata, index, k->head);

        pthread_mutex_lock(&pool->lock);
        pool_job_finish(pool, k);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

int worker_pool_new(size_t n_threads, worker_pool_run_fn run, void *userdata,
                    struct worker_pool **ret_pool)
{
    struct worker_pool *pool;

    if (n_threads < 1 || n_threads > POOL_THREADS_MAX || !run)
        return -EINVAL;
    pool = calloc(1, sizeof(*pool));
    if (!pool)
        return -ENOMEM;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    pthread_cond_init(&pool->finished, NULL);
    pool->run = run;
    pool->userdata = userdata;
    for (size_t i = 0; i < n_threads; i++) {
        struct worker_pool_arg *arg = malloc(sizeof(*arg));
        int r;

        if (!arg)
            r = ENOMEM;
        else {
            *arg = (struct worker_pool_arg){.pool = pool, .index = i};
            r = pthread_create(&pool->threads[i], NULL, pool_thread, arg);
            if (r != 0)
                free(arg);
        }
        if (r != 0) {
            (void)worker_pool_free(pool);
            return -r;
        }
        pool->n_threads++;
    }
    *ret_pool = pool;
    return 0;
}

int worker_pool_submit(struct worker_pool *pool, struct worker_job *job)
{
    struct worker_pool_key *k;

    job->next = NULL;
    pthread_mutex_lock(&pool->lock);
    for (k = pool->keys; k; k = k->next)
        if (strcmp(k->key, job->key) == 0)
            break;
    if (k) {
        /* Running or already ready: it reaches this job in turn. */
        k->tail->next = job;
        k->tail = job;
        pool->size++;
        pthread_mutex_unlock(&pool->lock);
        return 0;
    }
    k = calloc(1, sizeof(*k));
    if (!k) {
        pthread_mutex_unlock(&pool->lock);
        return -ENOMEM;
    }
    pool->size++;
    k->key = job->key;
    k->head = k->tail = job;
    k->next = pool->keys;
    pool->keys = k;
    pool_ready_push(pool, k);
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

struct worker_job *worker_pool_completed(struct worker_pool *pool, int timeout_ms)
{
    struct worker_job *list;

    pthread_mutex_lock(&pool->lock);
    if (!pool->completed && timeout_ms > 0 && pool->size > 0) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        (void)pthread_cond_timedwait(&pool->finished, &pool->lock, &ts);
    }
    list = pool->completed;
    pool->completed = NULL;
    for (struct worker_job *j = list; j; j = j->next)
        pool->size--;
    pthread_mutex_unlock(&pool->lock);
    return list;
}

size_t worker_pool_size(struct worker_pool *pool)
{
    size_t n;

    pthread_mutex_lock(&pool->lock);
    n = pool->size;
    pthread_mutex_unlock(&pool->lock);
    return n;
}

int worker_pool_free(struct worker_pool *pool)
{
    if (!pool)
        return 0;
    pthread_mutex_lock(&pool->lock);
    if (pool->running > 0 || pool->ready_head) {
        pthread_mutex_unlock(&pool->lock);
        return -EBUSY;
    }
    pool->stopping = true;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (size_t i = 0; i < pool->n_threads; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->work);
    pthread_cond_destroy(&pool->finished);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
    return 0;
}
