/* Mirroring what a node saw on its own into the resources (issue 6):
 * a domain started, stopped, crashed, defined or removed outside vmrelay.
 *
 *   - the resource exists and has no request in flight: its waiting state
 *     (reason = the power state, message naming the node and the event)
 *     and its description are refreshed;
 *   - a request is in flight (spec.lifecycle present): nothing, that
 *     request's outcome will describe the object;
 *   - the resource does not exist and the object does: it is created with
 *     spec.nodeName, the label host and the description, as the older
 *     backend did for objects defined by hand;
 *   - the object was removed (event "undefined"): the resource is deleted,
 *     unless status.mirror-deletes = false;
 *   - mirroring fails for a reason other than a conflict: the resource shows
 *     VirtletError with the reason, when it can still be written.
 *
 * The status writer's thread. */
#pragma once

#include "producer/common/kube.h"
#include "shared/msg/event.h"

struct mirror_opts {
    bool mirror_deletes;
};

/* Returns 0 when the event is mirrored (or needs nothing), a negative
 * errno when it should be tried again. */
int mirror_node_event(struct k8s_client *client, const struct kube_target *t,
                      const struct mirror_opts *opts, const struct node_event *ev);
