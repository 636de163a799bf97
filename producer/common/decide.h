/* What the status writer does with one result, given the resource as it is
 * now (NULL when it is gone).
 *
 *   - no resource awaits the result (an external request): nothing;
 *   - the resource is gone, or has another uid (deleted and made again):
 *     nothing, the result is logged and committed;
 *   - the resource records a different last request (and the result is not
 *     a rejection, attempt 0, which is never recorded): the result is stale
 *     (a newer request replaced it); nothing is written over the newer one;
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
    STATUS_DELETE,
    STATUS_PATCH,
};

const char *status_action_to_string(enum status_action action);

enum status_action status_decide(const struct result *res, const cJSON *obj);
