/* WATCH requests, and an informer: LIST then WATCH, kept going.
 *
 * Thread safety: k8s_watch() runs on the client's thread. An informer runs
 * its own threads; its functions say who may call them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"
#include "shared/k8s/client.h"
#include "shared/k8s/config.h"
#include "shared/k8s/watch-parser.h"

/* Seconds the server keeps a watch open before ending it cleanly; the
 * informer then reconnects from the last resourceVersion. */
#define K8S_WATCH_TIMEOUT_DEFAULT 300
/* Extra seconds the client waits past timeoutSeconds before deciding the
 * connection is dead (a half-open TCP connection never ends by itself). */
#define K8S_WATCH_GRACE_SEC 30
/* After a watch or list failed (the server restarted, say), watches are
 * this short for K8S_WATCH_RECOVERY_SEC: a watch opened while a restarted
 * API server is still setting up a custom resource's storage can stay
 * connected and never see an event until its timeout ends it. */
#define K8S_WATCH_TIMEOUT_RECOVERY 5
#define K8S_WATCH_RECOVERY_SEC 60
/* Reconnect delays after failures: doubled each time, jittered down to
 * half, capped. */
#define K8S_BACKOFF_INITIAL_MS 500
#define K8S_BACKOFF_MAX_MS 30000
/* Namespaces one informer can watch, one thread each. */
#define K8S_INFORMER_NAMESPACES_MAX 64

/* Receives each event; takes ownership of ev->object only by setting it to
 * NULL. A negative return ends the watch with that value. */
typedef int (*k8s_watch_fn)(struct k8s_watch_event *ev, void *userdata);

/* Streams GET path?watch=1&allowWatchBookmarks=true&resourceVersion=rv
 * &timeoutSeconds=timeout_sec (rv NULL: from now; selector may be NULL)
 * and calls fn for each event until the server ends the stream (0), fn
 * fails, or the request fails (-errno, err filled; -ESTALE for HTTP 410).
 * An ERROR event is handed to fn like any other. A line that is not a
 * valid event is logged and skipped. The client's thread. */
int k8s_watch(struct k8s_client *client, const char *path, const char *rv,
              const char *label_selector, long timeout_sec, k8s_watch_fn fn, void *userdata,
              struct k8s_error *err);

/* Callbacks of an informer. They are called one at a time (under the
 * informer's lock) from the informer's threads, never concurrently, even
 * with several namespaces. namespace is the watched scope: NULL for all
 * namespaces. obj is borrowed for the duration of the call.
 *
 * After a (re)list: on_list_start, then on_object(ADDED) for each object
 * not known before and on_object(MODIFIED) for each known one whose
 * resourceVersion changed, then on_object(DELETED, last known state) for
 * each known object the list no longer has, then on_list_end. Between
 * lists: on_object for each watch event. A negative return of on_object
 * stops the informer and k8s_informer_wait() returns it. */
struct k8s_informer_ops {
    void (*on_list_start)(const char *namespace, void *userdata);
    int (*on_object)(const char *namespace, enum k8s_watch_type type, const cJSON *obj,
                     void *userdata);
    void (*on_list_end)(const char *namespace, void *userdata);
};

struct k8s_informer_params {
    const char *group;   /* NULL or "": core */
    const char *version;
    const char *plural;
    const char *const *namespaces; /* n_namespaces entries; none: all namespaces */
    size_t n_namespaces;
    const char *label_selector;    /* NULL: all */
    long watch_timeout_sec;        /* 0: K8S_WATCH_TIMEOUT_DEFAULT */
    long page_limit;               /* 0: K8S_LIST_PAGE_DEFAULT */
    long backoff_initial_ms;       /* 0: K8S_BACKOFF_INITIAL_MS */
    long backoff_max_ms;           /* 0: K8S_BACKOFF_MAX_MS */
};

struct k8s_informer;

/* Copies params; takes a reference to cfg. Any thread. */
int k8s_informer_new(struct k8s_config *cfg, const struct k8s_informer_params *params,
                     const struct k8s_informer_ops *ops, void *userdata,
                     struct k8s_informer **ret_informer);

/* Starts one thread per namespace (one for all). The owner's thread. */
int k8s_informer_start(struct k8s_informer *informer);

/* Asks every thread to end: a transfer in flight is aborted within about a
 * second, a backoff wait at once. Any thread (not a signal handler). */
void k8s_informer_stop(struct k8s_informer *informer);

/* Joins the threads. Returns 0 after k8s_informer_stop(), or the first
 * negative value an on_object call returned. The owner's thread. */
int k8s_informer_wait(struct k8s_informer *informer);

/* Stops, joins and frees. Accepts NULL. The owner's thread. */
void k8s_informer_free(struct k8s_informer *informer);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct k8s_informer *, k8s_informer_free);

/* Counts since start, for tests and metrics. Any thread. */
struct k8s_informer_stats {
    unsigned long lists;      /* LISTs that succeeded */
    unsigned long watches;    /* WATCH requests opened */
    unsigned long relists;    /* relists forced by 410 Gone */
    unsigned long failures;   /* failed requests followed by a backoff */
};
void k8s_informer_get_stats(struct k8s_informer *informer, struct k8s_informer_stats *ret_stats);
