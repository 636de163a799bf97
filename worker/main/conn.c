#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/virterror.h>

#include "shared/core/log.h"
#include "worker/main/conn.h"

static void conn_error_quiet(void *userdata, virErrorPtr error)
{
}

void worker_conn_setup(void)
{
    virSetErrorFunc(NULL, conn_error_quiet);
}

int worker_conn_init(struct worker_conn *wc, const char *uri)
{
    char *u = strdup(uri);

    if (!u)
        return -ENOMEM;
    *wc = (struct worker_conn){.uri = u};
    pthread_mutex_init(&wc->lock, NULL);
    return 0;
}

void worker_conn_done(struct worker_conn *wc)
{
    if (!wc->uri)
        return;
    pthread_mutex_destroy(&wc->lock);
    if (wc->conn)
        virConnectClose(wc->conn);
    free(wc->uri);
    *wc = (struct worker_conn){0};
}

bool worker_conn_shared(const char *uri)
{
    return strncmp(uri, "test://", 7) == 0 && strcmp(uri, "test:///default") != 0;
}

static int worker_conn_get_locked(struct worker_conn *wc, char *err, size_t errlen)
{
    if (wc->conn && virConnectIsAlive(wc->conn) == 1)
        return 0;
    if (wc->conn) {
        log_warning("The libvirt connection to %s is no longer alive; reconnecting.", wc->uri);
        virConnectClose(wc->conn);
        wc->conn = NULL;
    }
    wc->conn = virConnectOpen(wc->uri);
    if (!wc->conn) {
        const virError *e = virGetLastError();

        snprintf(err, errlen, "cannot open libvirt connection %s: %s", wc->uri,
                 e && e->message ? e->message : "unknown error");
        return -ECONNREFUSED;
    }
    log_debug("Opened the libvirt connection %s.", wc->uri);
    return 0;
}

int worker_conn_get(struct worker_conn *wc, virConnectPtr *ret_conn, char *err, size_t errlen)
{
    int r;

    pthread_mutex_lock(&wc->lock);
    r = worker_conn_get_locked(wc, err, errlen);
    if (r >= 0 && virConnectRef(wc->conn) < 0)
        r = -ENOMEM;
    if (r >= 0)
        *ret_conn = wc->conn;
    pthread_mutex_unlock(&wc->lock);
    return r;
}
