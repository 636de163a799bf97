/* The worker's libvirt connection: opened once, kept open, and opened
 * again when libvirt says it is no longer alive (libvirtd restarted).
 *
 * Thread safety: worker_conn_get() may be called from any thread; a
 * connection is reopened under the lock and callers hold their own
 * reference, so a reconnect never closes a handle another thread uses.
 * init and done are called by the owner with no get in progress. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include <libvirt/libvirt.h>

#include "shared/core/macro.h"

struct worker_conn {
    pthread_mutex_t lock;
    char *uri;
    virConnectPtr conn;
};

/* Silences libvirt's default printing of every error to stderr: errors are
 * reported once, in the result and the log line of the request. Call once. */
void worker_conn_setup(void);

int worker_conn_init(struct worker_conn *wc, const char *uri);
void worker_conn_done(struct worker_conn *wc);

/* Returns an alive connection with a reference the caller drops with
 * virConnectClose(), reconnecting if needed. -ECONNREFUSED with libvirt's
 * reason in err when none can be opened. */
/* True when every thread must share one connection: each open of a test
 * driver file (test:///path) makes a separate in-memory hypervisor, so
 * per-thread connections would each see a different set of domains. */
bool worker_conn_shared(const char *uri);

int worker_conn_get(struct worker_conn *wc, virConnectPtr *ret_conn, char *err, size_t errlen);
