/* The bridge's side of the fleet: it reads every node's heartbeats into
 * the fleet table (producer/common/fleet.h) on a thread of its own, places
 * new VMs that name no node, and says in a request's record when its node
 * is not live. docs/scheduling.md describes the policy. */
#pragma once

#include <cjson/cJSON.h>

#include "producer/bridge/bridge.h"
#include "producer/bridge/plan.h"

/* Starts the heartbeat reader. The main thread, before the informers. */
int bridge_fleet_start(struct bridge *b);

/* Stops and joins it. The main thread. */
void bridge_fleet_stop(struct bridge *b);

/* Chooses a node for a PLAN_SCHEDULE request and writes it into
 * spec.nodeName and the label host; the watch event of that write then
 * dispatches the request. When no node fits, the request is rejected with
 * the reason. The calling kind's thread. */
int bridge_schedule(struct bridge_kind *bk, const cJSON *obj, const struct plan *plan,
                    const struct log_ctx *ctx);

/* A sentence about the node when it is not live (NULL when it is, or when
 * no heartbeat has ever been read and the table is empty). Static buffer
 * per thread. */
const char *bridge_node_note(struct bridge *b, const char *node);
