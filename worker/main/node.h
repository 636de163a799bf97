/* What a worker tells the rest of the fleet and its supervisor about
 * itself, besides results:
 *   - heartbeats on <prefix>.heartbeats (key = node): capacity and load,
 *     every worker.heartbeat-seconds (default 5), and a last one saying it
 *     drains when it stops (docs/scheduling.md);
 *   - systemd notifications: READY=1 once consuming, STATUS= what it does,
 *     WATCHDOG=1 at half the watchdog period, STOPPING=1 on the drain;
 *   - metrics on metrics.listen (docs/observability.md).
 *
 * Thread safety: open, tick, stopping and close run on the main thread;
 * worker_node_count() on pool threads (metrics are thread safe). */
#pragma once

#include <stdint.h>

#include "shared/msg/message.h"

struct worker;
struct config;

#define WORKER_HEARTBEAT_DEFAULT_S 5
#define WORKER_STATUS_INTERVAL_MS 5000

int worker_node_open(struct worker *w, const struct config *cfg, char *err, size_t errlen);

/* Called on every turn of the main loop: sends what is due. */
void worker_node_tick(struct worker *w);

/* The drain begins. */
void worker_node_stopping(struct worker *w);

void worker_node_close(struct worker *w);

/* Counts one request carried out (replays are counted where the journal
 * answers them). */
void worker_node_count(struct worker *w, const struct request *req, const struct result *res);
