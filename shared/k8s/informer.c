#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/k8s/store.h"
#include "shared/k8s/watch.h"

/* Longest "<namespace>/<name>" store key. */
#define K8S_KEY_MAX 512

struct scope {
    struct k8s_informer *informer;
    const char *namespace; /* NULL: all namespaces */
    char *path;
    struct k8s_client *client;
    struct k8s_store store;
    char *rv;
    unsigned long gen;
    bool gone;     /* the watch saw ERROR 410 */
    int cb_error;  /* an on_object call failed */
    unsigned long events;
    unsigned seed;
    time_t recover_until; /* CLOCK_MONOTONIC s: short watches until then */
    pthread_t thread;
    bool started;
};

struct k8s_informer {
    struct k8s_config *cfg;
    struct k8s_informer_params params;
    char **namespaces;
    struct k8s_informer_ops ops;
    void *userdata;
    pthread_mutex_t cb_lock; /* serialises the callbacks */
    pthread_mutex_t lock;    /* guards the wake-up of backoff waits */
    pthread_cond_t cond;
    atomic_bool stopping;
    atomic_int result;
    atomic_ulong lists, watches, relists, failures;
    struct scope *scopes;
    size_t n_scopes;
};

static char *strdup_or_null(const char *s, bool *oom)
{
    char *d;

    if (!s)
        return NULL;
    d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

void k8s_informer_free(struct k8s_informer *informer)
{
    if (!informer)
        return;
    k8s_informer_stop(informer);
    k8s_informer_wait(informer);
    for (size_t i = 0; i < informer->n_scopes; i++) {
        struct scope *s = &informer->scopes[i];

        k8s_client_free(s->client);
        k8s_store_clear(&s->store);
        free(s->path);
        free(s->rv);
    }
    free(informer->scopes);
    for (size_t i = 0; i < informer->params.n_namespaces; i++)
        free(informer->namespaces[i]);
    free(informer->namespaces);
    free((char *)informer->params.group);
    free((char *)informer->params.version);
    free((char *)informer->params.plural);
    free((char *)informer->params.label_selector);
    pthread_cond_destroy(&informer->cond);
    pthread_mutex_destroy(&informer->lock);
    pthread_mutex_destroy(&informer->cb_lock);
    k8s_config_unref(informer->cfg);
    free(informer);
}

static int informer_init_sync(struct k8s_informer *informer)
{
    pthread_condattr_t attr;
    int r;

    r = pthread_mutex_init(&informer->cb_lock, NULL);
    if (r == 0)
        r = pthread_mutex_init(&informer->lock, NULL);
    if (r == 0)
        r = pthread_condattr_init(&attr);
    if (r != 0)
        return -r;
    /* Backoff waits must not stretch when the wall clock is set back. */
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    r = pthread_cond_init(&informer->cond, &attr);
    pthread_condattr_destroy(&attr);
    return -r;
}

int k8s_informer_new(struct k8s_config *cfg, const struct k8s_informer_params *params,
                     const struct k8s_informer_ops *ops, void *userdata,
                     struct k8s_informer **ret_informer)
{
    _cleanup_(k8s_informer_freep) struct k8s_informer *informer = NULL;
    struct k8s_informer_params *p;
    bool oom = false;
    size_t n = params->n_namespaces;
    int r;

    if (!params->version || !params->plural || !ops->on_object ||
        n > K8S_INFORMER_NAMESPACES_MAX)
        return -EINVAL;

    informer = calloc(1, sizeof(*informer));
    if (!informer)
        return -ENOMEM;
    r = informer_init_sync(informer);
    if (r < 0) {
        free(TAKE_PTR(informer));
        return r;
    }
    informer->cfg = k8s_config_ref(cfg);
    informer->ops = *ops;
    informer->userdata = userdata;

    p = &informer->params;
    *p = *params;
    p->group = strdup_or_null(params->group, &oom);
    p->version = strdup_or_null(params->version, &oom);
    p->plural = strdup_or_null(params->plural, &oom);
    p->label_selector = strdup_or_null(params->label_selector, &oom);
    p->n_namespaces = 0;
    informer->namespaces = calloc(n ? n : 1, sizeof(char *));
    if (oom || !informer->namespaces)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        informer->namespaces[i] = strdup(params->namespaces[i]);
        if (!informer->namespaces[i])
            return -ENOMEM;
        p->n_namespaces++;
    }
    p->namespaces = (const char *const *)informer->namespaces;
    if (p->watch_timeout_sec <= 0)
        p->watch_timeout_sec = K8S_WATCH_TIMEOUT_DEFAULT;
    if (p->backoff_initial_ms <= 0)
        p->backoff_initial_ms = K8S_BACKOFF_INITIAL_MS;
    if (p->backoff_max_ms <= 0)
        p->backoff_max_ms = K8S_BACKOFF_MAX_MS;

    informer->scopes = calloc(n ? n : 1, sizeof(struct scope));
    if (!informer->scopes)
        return -ENOMEM;
    informer->n_scopes = n ? n : 1;
    for (size_t i = 0; i < informer->n_scopes; i++) {
        struct scope *s = &informer->scopes[i];

        s->informer = informer;
        s->namespace = n ? informer->namespaces[i] : NULL;
        s->seed = (unsigned)time(NULL) ^ (unsigned)(i * 7919);
        r = k8s_resource_path(p->group, p->version, p->plural, s->namespace, NULL, NULL,
                              &s->path);
        if (r < 0)
            return r;
        r = k8s_client_new(cfg, &s->client);
        if (r < 0)
            return r;
    }
    *ret_informer = TAKE_PTR(informer);
    return 0;
}

void k8s_informer_get_stats(struct k8s_informer *informer, struct k8s_informer_stats *ret_stats)
{
    *ret_stats = (struct k8s_informer_stats){
        .lists = atomic_load(&informer->lists),
        .watches = atomic_load(&informer->watches),
        .relists = atomic_load(&informer->relists),
        .failures = atomic_load(&informer->failures),
    };
}

void k8s_informer_stop(struct k8s_informer *informer)
{
    atomic_store(&informer->stopping, true);
    for (size_t i = 0; i < informer->n_scopes; i++)
        if (informer->scopes[i].client)
            k8s_client_cancel(informer->scopes[i].client);
    pthread_mutex_lock(&informer->lock);
    pthread_cond_broadcast(&informer->cond);
    pthread_mutex_unlock(&informer->lock);
}

static bool stopping(const struct scope *s)
{
    return atomic_load(&s->informer->stopping);
}

/* Waits about *backoff_ms (jittered down to half, so that many watchers
 * cut off together do not come back together), then doubles it. */
static void backoff_wait(struct scope *s, long *backoff_ms)
{
    struct k8s_informer *informer = s->informer;
    long ms = *backoff_ms / 2 + rand_r(&s->seed) % (*backoff_ms / 2 + 1);
    struct timespec until;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&informer->lock);
    while (!stopping(s) &&
           pthread_cond_timedwait(&informer->cond, &informer->lock, &until) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&informer->lock);

    *backoff_ms *= 2;
    if (*backoff_ms > informer->params.backoff_max_ms)
        *backoff_ms = informer->params.backoff_max_ms;
}

static int report(struct scope *s, enum k8s_watch_type type, const cJSON *obj)
{
    struct k8s_informer *informer = s->informer;
    int r = informer->ops.on_object(s->namespace, type, obj, informer->userdata);

    if (r < 0) {
        int expected = 0;

        s->cb_error = r;
        atomic_compare_exchange_strong(&informer->result, &expected, r);
    }
    return r;
}

static bool same_rv(const cJSON *a, const cJSON *b)
{
    const char *ra = json_path_string(a, "metadata.resourceVersion");
    const char *rb = json_path_string(b, "metadata.resourceVersion");

    return ra && rb && strcmp(ra, rb) == 0;
}

/* Reports a relist under the callback lock; items are taken into the
 * store. */
static int apply_list(struct scope *s, cJSON *items)
{
    struct k8s_informer *informer = s->informer;
    char key[K8S_KEY_MAX];
    cJSON *item;
    int r = 0;

    s->gen++;
    if (informer->ops.on_list_start)
        informer->ops.on_list_start(s->namespace, informer->userdata);

    while (r >= 0 && (item = cJSON_DetachItemFromArray(items, 0))) {
        struct k8s_store_entry *e;

        if (k8s_store_key(item, key, sizeof(key)) < 0) {
            cJSON_Delete(item);
            continue;
        }
        e = k8s_store_find(&s->store, key);
        if (e && same_rv(e->obj, item)) {
            e->gen = s->gen;
            cJSON_Delete(item);
            continue;
        }
        r = k8s_store_put(&s->store, key, item, s->gen);
        if (r < 0) {
            cJSON_Delete(item);
            break;
        }
        r = report(s, e ? K8S_WATCH_MODIFIED : K8S_WATCH_ADDED, item);
    }

    /* Whatever the list no longer has was deleted while we were not
     * watching; its last known state is all there is to report. */
    for (size_t i = 0; r >= 0 && i < s->store.n_buckets; i++) {
        struct k8s_store_entry *e = s->store.buckets[i];

        while (r >= 0 && e) {
            struct k8s_store_entry *next = e->next;

            if (e->gen != s->gen) {
                _cleanup_(cJSON_Deletep) cJSON *gone = k8s_store_remove(&s->store, e->key);

                r = report(s, K8S_WATCH_DELETED, gone);
            }
            e = next;
        }
    }

    if (informer->ops.on_list_end)
        informer->ops.on_list_end(s->namespace, informer->userdata);
    return r;
}

static int scope_list(struct scope *s)
{
    struct k8s_informer *informer = s->informer;
    struct k8s_list_opts opts = {
        .label_selector = informer->params.label_selector,
        .limit = informer->params.page_limit,
    };
    _cleanup_(cJSON_Deletep) cJSON *items = NULL;
    struct k8s_error err = {0};
    char *rv = NULL;
    int n, r;

    r = k8s_list(s->client, s->path, &opts, &items, &rv, &err);
    if (r < 0) {
        if (r != -ECANCELED)
            log_warning("Cannot list %s: %s", s->path, err.message);
        return r;
    }
    n = cJSON_GetArraySize(items);
    atomic_fetch_add(&informer->lists, 1);
    log_info("Listed %d %s in %s at resourceVersion %s.", n, informer->params.plural,
             s->namespace ? s->namespace : "all namespaces", rv);

    pthread_mutex_lock(&informer->cb_lock);
    r = apply_list(s, items);
    pthread_mutex_unlock(&informer->cb_lock);

    free(s->rv);
    s->rv = rv;
    return r;
}

static void set_rv(struct scope *s, const cJSON *obj)
{
    const char *rv = json_path_string(obj, "metadata.resourceVersion");
    char *copy;

    if (!rv || (s->rv && strcmp(rv, s->rv) == 0))
        return;
    copy = strdup(rv);
    if (!copy)
        return;
    free(s->rv);
    s->rv = copy;
}

static int apply_event(struct scope *s, struct k8s_watch_event *ev)
{
    char key[K8S_KEY_MAX];
    cJSON *old;

    if (k8s_store_key(ev->object, key, sizeof(key)) < 0) {
        log_warning("Watch of %s: a %s event has an object without a name; ignored.", s->path,
                    k8s_watch_type_to_string(ev->type));
        return 0;
    }
    if (ev->type == K8S_WATCH_DELETED) {
        cJSON_Delete(k8s_store_remove(&s->store, key));
        return report(s, ev->type, ev->object);
    }

    /* The store keeps a copy; the event's object stays the parser's. */
    old = cJSON_Duplicate(ev->object, true);
    if (!old || k8s_store_put(&s->store, key, old, s->gen) < 0) {
        cJSON_Delete(old);
        return -ENOMEM;
    }
    return report(s, ev->type, ev->object);
}

static int on_event(struct k8s_watch_event *ev, void *userdata)
{
    struct scope *s = userdata;
    struct k8s_informer *informer = s->informer;
    int r;

    s->events++;
    switch (ev->type) {
    case K8S_WATCH_ERROR:
        if (k8s_status_code(ev->object) == 410) {
            s->gone = true;
            return -ESTALE;
        }
        log_warning("Watch of %s: the server sent an error: %s", s->path,
                    json_path_string(ev->object, "message") ?: "no message");
        return -EPROTO;
    case K8S_WATCH_BOOKMARK:
        set_rv(s, ev->object);
        return 0;
    default:
        set_rv(s, ev->object);
        pthread_mutex_lock(&informer->cb_lock);
        r = apply_event(s, ev);
        pthread_mutex_unlock(&informer->cb_lock);
        return r;
    }
}

static void *scope_run(void *userdata)
{
    struct scope *s = userdata;
    struct k8s_informer *informer = s->informer;
    long backoff = informer->params.backoff_initial_ms;
    long timeout;
    int r;

    while (!stopping(s)) {
        struct k8s_error err = {0};
        struct timespec t0, t1;

        if (!s->rv) {
            r = scope_list(s);
            if (s->cb_error || stopping(s))
                break;
            if (r < 0) {
                atomic_fetch_add(&informer->failures, 1);
                clock_gettime(CLOCK_MONOTONIC, &t0);
                s->recover_until = t0.tv_sec + K8S_WATCH_RECOVERY_SEC;
                backoff_wait(s, &backoff);
                continue;
            }
        }

        s->gone = false;
        s->events = 0;
        atomic_fetch_add(&informer->watches, 1);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        /* Soon after a failure a watch may be deaf (see watch.h): keep it
         * short, so that the next one, from the same resourceVersion, is
         * served by the server's settled storage and misses nothing. */
        timeout = t0.tv_sec < s->recover_until &&
                          K8S_WATCH_TIMEOUT_RECOVERY < informer->params.watch_timeout_sec
                      ? K8S_WATCH_TIMEOUT_RECOVERY
                      : informer->params.watch_timeout_sec;
        r = k8s_watch(s->client, s->path, s->rv, informer->params.label_selector, timeout,
                      on_event, s, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (s->cb_error || stopping(s))
            break;

        if (s->gone || r == -ESTALE) {
            /* The resourceVersion fell out of the server's history: only a
             * new LIST can say what changed meanwhile. */
            log_info("Watch of %s: resourceVersion %s is too old; relisting.", s->path,
                     s->rv ? s->rv : "(none)");
            atomic_fetch_add(&informer->relists, 1);
            free(s->rv);
            s->rv = NULL;
            continue;
        }
        /* A watch the server closed after a while is the normal cycle; one
         * that ends at once with nothing in it would spin without a wait. */
        if (r == 0 && (s->events > 0 || t1.tv_sec - t0.tv_sec >= 1)) {
            backoff = informer->params.backoff_initial_ms;
            continue;
        }
        if (r < 0 && r != -EPROTO)
            log_warning("Watch of %s failed: %s", s->path,
                        err.message[0] ? err.message : strerror(-r));
        atomic_fetch_add(&informer->failures, 1);
        s->recover_until = t1.tv_sec + K8S_WATCH_RECOVERY_SEC;
        backoff_wait(s, &backoff);
    }

    /* One failing callback ends every namespace's thread. */
    if (s->cb_error)
        k8s_informer_stop(informer);
    return NULL;
}

int k8s_informer_start(struct k8s_informer *informer)
{
    for (size_t i = 0; i < informer->n_scopes; i++) {
        struct scope *s = &informer->scopes[i];
        int r = pthread_create(&s->thread, NULL, scope_run, s);

        if (r != 0) {
            k8s_informer_stop(informer);
            return -r;
        }
        s->started = true;
    }
    return 0;
}

int k8s_informer_wait(struct k8s_informer *informer)
{
    for (size_t i = 0; i < informer->n_scopes; i++) {
        struct scope *s = &informer->scopes[i];

        if (s->started) {
            pthread_join(s->thread, NULL);
            s->started = false;
        }
    }
    return atomic_load(&informer->result);
}
