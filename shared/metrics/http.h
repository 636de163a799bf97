/* The HTTP endpoint of a daemon: /metrics (Prometheus text), /healthz
 * (the process answers) and /readyz (the process says it is ready), served
 * by libmicrohttpd on its own thread.
 *
 * Setting metrics.listen = ADDRESS:PORT turns it on (off when unset). */
#pragma once

#include <stdbool.h>

#include "shared/core/macro.h"
#include "shared/metrics/metrics.h"

struct metrics_http;

/* Asked on each /readyz: true when ready. Any thread. */
typedef bool (*metrics_ready_fn)(void *userdata);

/* Starts serving on listen ("127.0.0.1:9464", "[::1]:9464" or ":9464").
 * -EINVAL for an address that does not parse, -EADDRINUSE and the like
 * when the socket cannot be bound. The owner's thread. */
int metrics_http_start(const char *listen, struct metrics *metrics, metrics_ready_fn ready,
                       void *userdata, struct metrics_http **ret_http);

/* Stops serving and frees. Accepts NULL. The owner's thread. */
void metrics_http_stop(struct metrics_http *http);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct metrics_http *, metrics_http_stop);

struct config;

/* Starts the endpoint when the setting metrics.listen is set; with it unset
 * *ret_http is NULL and 0 is returned. Logs a bind failure as a warning and
 * carries on without it: metrics must never stop a daemon. */
int metrics_http_from_config(const struct config *cfg, struct metrics *metrics,
                             metrics_ready_fn ready, void *userdata,
                             struct metrics_http **ret_http);
