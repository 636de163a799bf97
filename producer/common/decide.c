#include "producer/common/decide.h"

#include <string.h>

#include "producer/common/outcome.h"
#include "shared/core/json.h"

const char *status_action_to_string(enum status_action action)
{
    switch (action) {
    case STATUS_SKIP_EXTERNAL:
        return "skip-external";
    case STATUS_SKIP_GONE:
        return "skip-gone";
    case STATUS_SKIP_STALE:
        return "skip-stale";
    case STATUS_SKIP_WRITTEN:
        return "skip-written";
    case STATUS_DELETE:
        return "delete";
    case STATUS_PATCH:
        return "patch";
    }
    return "unknown";
}

enum status_action status_decide(const struct result *res, const cJSON *obj)
{
    const char *uid, *last_id, *last_phase;

    if (!res->has_resource)
        return STATUS_SKIP_EXTERNAL;
    if (!obj)
        return STATUS_SKIP_GONE;

    uid = json_path_string(obj, "metadata.uid");
    if (res->uid && uid && strcmp(res->uid, uid) != 0)
        return STATUS_SKIP_GONE;

    /* The bridge records a request before it sends it, so a result whose
     * id is not the recorded one answers an older request. A rejection
     * (attempt 0) was never recorded: it is written by the bridge itself
     * for the request in spec.lifecycle now. */
    last_id = json_path_string(obj, "status.lastRequest.id");
    if (res->attempt > 0 && last_id && res->id && strcmp(last_id, res->id) != 0)
        return STATUS_SKIP_STALE;

    /* The status patch is the last write of an outcome: a final phase for
     * this id means the outcome is in the resource, and a redelivered result
     * must not write the spec again (it would remove a newer spec.lifecycle
     * the bridge has not recorded yet). */
    last_phase = json_path_string(obj, "status.lastRequest.phase");
    if (res->attempt > 0 && last_id && res->id && strcmp(last_id, res->id) == 0 && last_phase &&
        (strcmp(last_phase, PHASE_SUCCEEDED) == 0 || strcmp(last_phase, PHASE_FAILED) == 0))
        return STATUS_SKIP_WRITTEN;

    if (res->success && res->operation && outcome_deletes_object(res->operation))
        return STATUS_DELETE;
    return STATUS_PATCH;
}
