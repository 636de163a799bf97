/* The worker's libvirt connection: opened once, kept open, and opened
 * again when libvirt says it is no longer alive (libvirtd restarted).
 *
 * Thread safety: one thread owns a worker_conn. */
#pragma once

#include <libvirt/libvirt.h>

#include "shared/core/macro.h"

struct worker_conn {
    char *uri;
    virConnectPtr conn;
};

/* Silences libvirt's default printing of every error to stderr: errors are
 * reported once, in the result and the log line of the request. Call once. */
void worker_conn_setup(void);

int worker_conn_init(struct worker_conn *wc, const char *uri);
void worker_conn_done(struct worker_conn *wc);

/* Returns an alive connection, reconnecting if needed. -ECONNREFUSED with
 * libvirt's reason in err when none can be opened. */
int worker_conn_get(struct worker_conn *wc, virConnectPtr *ret_conn, char *err, size_t errlen);
