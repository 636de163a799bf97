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
    case STATUS_DELETE:
        return "delete";
    case STATUS_PATCH:
        return "patch";
    }
    return "unknown";
}

enum status_action status_decide(const struct result *res, const cJSON *obj)
{
    const char *uid, *last_id;

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

    if (res->success && res->operation && outcome_deletes_object(res->operation))
        return STATUS_DELETE;
    return STATUS_PATCH;
}
