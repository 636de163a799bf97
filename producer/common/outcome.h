/* How an outcome is written into a resource.
 *
 * Two patches, in this order (see docs/status.md for why):
 *   1. a merge patch of the resource with its resourceVersion as a
 *      precondition: spec.status.conditions.state.waiting = {reason,
 *      message} for existing clients, the refreshed libvirt description
 *      (spec.domain, spec.volume, ...), and spec.lifecycle removed;
 *   2. a merge patch of /status: the Kubernetes-style conditions and the
 *      record of the last request.
 * Writing spec first means a crash between the two leaves a resource with
 * no request and a record still "Dispatched", which the bridge ignores;
 * the other order could leave a request that looks new and run it twice.
 *
 * Pure functions building JSON; any thread. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "shared/msg/message.h"

/* Phases of status.lastRequest.phase. */
#define PHASE_PENDING "Pending"       /* recorded by the bridge, not yet on Kafka */
#define PHASE_DISPATCHED "Dispatched" /* on the node's topic */
#define PHASE_SUCCEEDED "Succeeded"
#define PHASE_FAILED "Failed"   /* carried out and failed */
#define PHASE_REJECTED "Rejected" /* failed validation; never dispatched */

/* Builds patch 1. resource_version may be NULL (no precondition). With
 * remove_lifecycle=false the request field is left in place: a newer
 * request replaced the one this result answers. */
cJSON *outcome_spec_patch(const struct result *res, const char *resource_version,
                          bool remove_lifecycle);

/* Builds patch 2. A result with attempt 0 was never executed: a failure
 * then means the request was rejected before dispatch. generation is the resource's metadata.generation;
 * now_ms the time written as lastTransitionTime. */
cJSON *outcome_status_patch(const struct result *res, int64_t generation, int64_t now_ms);

/* Writes ms since the epoch as RFC 3339 UTC with milliseconds into buf
 * (at least 32 bytes). */
void outcome_format_time(int64_t ms, char *buf, size_t len);

/* True when a successful result of this operation means the libvirt object
 * is gone (deleteVM, deleteDisk, ...), so that the resource is removed
 * rather than patched. */
bool outcome_deletes_object(const char *operation);
