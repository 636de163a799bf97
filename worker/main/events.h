/* What happens on the node outside vmrelay, published to
 * <prefix>.events for the status writer to mirror (issue 6):
 *   - libvirt's domain lifecycle events (defined, undefined, started,
 *     suspended, resumed, stopped, shutdown, crashed), except for domains
 *     with a request of this worker running or just finished (the result
 *     describes those);
 *   - at start, one "present" event per domain, so that the resources
 *     catch up with whatever changed while the worker was away
 *     (worker.reconcile = false turns it off).
 * Events name the resource namespace worker.namespace (default "default"),
 * as libvirt knows no namespaces.
 *
 * Threads: libvirt calls back on the event loop thread this module runs;
 * start and stop run on the main thread; busy() on pool threads. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct worker;

/* Registers libvirt's default event loop. Call once, before any
 * connection is opened. */
int worker_events_setup(void);

int worker_events_start(struct worker *w, char *err, size_t errlen);
void worker_events_stop(struct worker *w);

/* A request of this worker starts (busy) or ends on a domain. Events about
 * it are not published while it runs and for WORKER_EVENTS_QUIET_MS
 * after. */
void worker_events_busy(struct worker *w, const char *name, bool busy);

#define WORKER_EVENTS_QUIET_MS 3000
#define WORKER_EVENTS_NAMES_MAX 1024
