#include "shared/k8s/watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/core/log.h"
#include "shared/k8s/client-internal.h"

/* Bytes of an error response kept to read its Status. */
#define K8S_WATCH_ERROR_BODY_MAX (64u * 1024)

struct watch_state {
    struct k8s_watch_parser *parser;
    struct k8s_buffer error_body;
    const char *path;
    k8s_watch_fn fn;
    void *userdata;
};

static int watch_write(void *userdata, long http_status, const char *data, size_t len)
{
    struct watch_state *w = userdata;
    int r;

    if (http_status != 200) {
        /* Keep the start of the error; the rest does not change its meaning. */
        size_t room = w->error_body.max - w->error_body.len;

        return k8s_buffer_append(&w->error_body, data, len < room ? len : room);
    }

    r = k8s_watch_parser_feed(w->parser, data, len);
    if (r < 0)
        return r;
    for (;;) {
        struct k8s_watch_event ev = {0};
        char err[256];

        r = k8s_watch_parser_next(w->parser, &ev, err, sizeof(err));
        if (r == 0)
            return 0;
        if (r < 0) {
            log_warning("Watch of %s: %s", w->path, err);
            continue;
        }
        r = w->fn(&ev, w->userdata);
        cJSON_Delete(ev.object);
        if (r < 0)
            return r;
    }
}

int k8s_watch(struct k8s_client *client, const char *path, const char *rv,
              const char *label_selector, long timeout_sec, k8s_watch_fn fn, void *userdata,
              struct k8s_error *err)
{
    _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *parser = NULL;
    _cleanup_free_ char *p = strdup(path);
    struct watch_state w = {
        .error_body = {.max = K8S_WATCH_ERROR_BODY_MAX},
        .path = path,
        .fn = fn,
        .userdata = userdata,
    };
    struct k8s_call call = {.method = "GET", .write = watch_write, .userdata = &w};
    char timeout[32];
    int r;

    if (!p)
        return -ENOMEM;
    if (timeout_sec <= 0)
        timeout_sec = K8S_WATCH_TIMEOUT_DEFAULT;
    snprintf(timeout, sizeof(timeout), "%ld", timeout_sec);
    r = k8s_query_append(&p, "watch", "1");
    if (r >= 0)
        r = k8s_query_append(&p, "allowWatchBookmarks", "true");
    if (r >= 0 && rv)
        r = k8s_query_append(&p, "resourceVersion", rv);
    if (r >= 0 && label_selector)
        r = k8s_query_append(&p, "labelSelector", label_selector);
    if (r >= 0)
        r = k8s_query_append(&p, "timeoutSeconds", timeout);
    if (r < 0) {
        k8s_error_set(err, 0, "BadRequest", "Cannot build the WATCH query for %s.", path);
        return r;
    }

    r = k8s_watch_parser_new(0, &parser);
    if (r < 0)
        return r;
    w.parser = parser;
    call.path = p;
    call.timeout_sec = timeout_sec + K8S_WATCH_GRACE_SEC;

    r = k8s_client_perform(client, &call, err);
    if (r >= 0 && call.http_status != 200)
        r = k8s_error_from_response(call.http_status, w.error_body.data, w.error_body.len, err);
    else if (r >= 0 && k8s_watch_parser_pending(parser) > 0) {
        /* The server ends a watch between events; a cut inside one means
         * the connection broke. */
        k8s_error_set(err, 200, "Truncated", "The watch of %s ended inside an event.", path);
        r = -ECONNRESET;
    }
    k8s_buffer_done(&w.error_body);
    return r;
}
