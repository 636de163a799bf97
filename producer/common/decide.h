/* What the status writer does with one result, given the resource as it is
 * now (NULL when it is gone).
 *
 *   - no resource awaits the result (an external request): nothing;
 *   - the resource is gone, or has another uid (deleted and made again):
 *     nothing, the result is logged and committed;
 *   - the resource records a different last request (and the result is not
 *     a rejection, attempt 0, which is never recorded): the result is stale
 *     (a newer request replaced it); nothing is written over the newer one;
 *   - the resource records this request as finished (Succeeded or
 *     Failed): its outcome is already written (the status patch comes
 *     last), and this is a redelivery (a status writer that stopped before
 *     committing, a bridge that published again, a replay from the node
 *     journal); nothing is written, because spec.lifecycle may by now hold
 *     the client's next request, not yet recorded, which the spec patch
 *     would remove;
 *   - a successful operation that removed the libvirt object (deleteVM,
 *     ...): delete the resource, with its uid as a precondition;
 *   - otherwise: patch spec (outcome, description, lifecycle removed), then
 *     status.
 *
 * Pure: no I/O. Any thread. */
#pragma once

#include <cjson/cJSON.h>

#include "shared/msg/message.h"

enum status_action {
    STATUS_SKIP_EXTERNAL,
    STATUS_SKIP_GONE,
    STATUS_SKIP_STALE,
    STATUS_SKIP_WRITTEN,
    STATUS_DELETE,
    STATUS_PATCH,
};

const char *status_action_to_string(enum status_action action);

enum status_action status_decide(const struct result *res, const cJSON *obj);
