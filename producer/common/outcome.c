#include "producer/common/outcome.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "shared/core/json.h"

void outcome_format_time(int64_t ms, char *buf, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&secs, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

bool outcome_deletes_object(const char *operation)
{
    static const char *const deleting[] = {
        "deleteVM",    "deleteSnapshot", "deletePool",        "deleteSwitch",
        "deleteImage", "deleteDisk",     "deleteDiskImage",   "unregisterPool",
        "convertVMToImage", "convertImageToVM", "convertDiskToDiskImage",
        "convertDiskImageToDisk",
    };

    for (size_t i = 0; i < ELEMENTSOF(deleting); i++)
        if (strcmp(operation, deleting[i]) == 0)
            return true;
    return false;
}

cJSON *outcome_spec_patch(const struct result *res, const char *resource_version,
                          bool remove_lifecycle)
{
    _cleanup_(cJSON_Deletep) cJSON *patch = cJSON_CreateObject();
    cJSON *spec, *waiting, *field;

    if (!patch)
        return NULL;

    if (resource_version) {
        cJSON *meta = cJSON_AddObjectToObject(patch, "metadata");

        if (!meta || !cJSON_AddStringToObject(meta, "resourceVersion", resource_version))
            return NULL;
    }

    spec = cJSON_AddObjectToObject(patch, "spec");
    if (!spec)
        return NULL;

    /* The description goes first so that the waiting state below wins
     * should a result ever carry a "status" key of its own. */
    cJSON_ArrayForEach(field, res->spec)
    {
        cJSON *copy = cJSON_Duplicate(field, true);

        if (!copy || !cJSON_AddItemToObject(spec, field->string, copy)) {
            cJSON_Delete(copy);
            return NULL;
        }
    }

    waiting = cJSON_CreateObject();
    if (!waiting || !cJSON_AddStringToObject(waiting, "reason", res->reason ? res->reason : "") ||
        !cJSON_AddStringToObject(waiting, "message", res->message ? res->message : "")) {
        cJSON_Delete(waiting);
        return NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(spec, "status");
    {
        cJSON *status = cJSON_AddObjectToObject(spec, "status");
        cJSON *conditions = status ? cJSON_AddObjectToObject(status, "conditions") : NULL;
        cJSON *state = conditions ? cJSON_AddObjectToObject(conditions, "state") : NULL;

        if (!state || !cJSON_AddItemToObject(state, "waiting", waiting)) {
            cJSON_Delete(waiting);
            return NULL;
        }
    }

    if (remove_lifecycle && !cJSON_AddNullToObject(spec, "lifecycle"))
        return NULL;

    return TAKE_PTR(patch);
}

static bool add_time(cJSON *obj, const char *key, int64_t ms)
{
    char buf[40];

    if (ms <= 0)
        return true;
    outcome_format_time(ms, buf, sizeof(buf));
    return cJSON_AddStringToObject(obj, key, buf) != NULL;
}

static cJSON *make_condition(const char *type, bool status, const char *reason,
                             const char *message, int64_t generation, int64_t now_ms)
{
    _cleanup_(cJSON_Deletep) cJSON *c = cJSON_CreateObject();

    if (!c || !cJSON_AddStringToObject(c, "type", type) ||
        !cJSON_AddStringToObject(c, "status", status ? "True" : "False") ||
        !cJSON_AddStringToObject(c, "reason", reason && *reason ? reason : "Unknown") ||
        !cJSON_AddStringToObject(c, "message", message ? message : "") ||
        !add_time(c, "lastTransitionTime", now_ms) ||
        !cJSON_AddNumberToObject(c, "observedGeneration", (double)generation))
        return NULL;
    return TAKE_PTR(c);
}

cJSON *outcome_status_patch(const struct result *res, int64_t generation, int64_t now_ms)
{
    _cleanup_(cJSON_Deletep) cJSON *patch = cJSON_CreateObject();
    cJSON *status, *conditions, *ready, *progressing, *last;
    const char *phase;

    if (!patch)
        return NULL;
    status = cJSON_AddObjectToObject(patch, "status");
    conditions = status ? cJSON_AddArrayToObject(status, "conditions") : NULL;
    if (!conditions)
        return NULL;

    ready = make_condition("Ready", res->success, res->reason, res->message, generation, now_ms);
    if (!ready || !cJSON_AddItemToArray(conditions, ready)) {
        cJSON_Delete(ready);
        return NULL;
    }
    progressing = make_condition("Progressing", false, "Done", "No request in flight.",
                                 generation, now_ms);
    if (!progressing || !cJSON_AddItemToArray(conditions, progressing)) {
        cJSON_Delete(progressing);
        return NULL;
    }
    if (!cJSON_AddNumberToObject(status, "observedGeneration", (double)generation))
        return NULL;

    if (res->success)
        phase = PHASE_SUCCEEDED;
    else if (res->error_type == ERROR_VIRTCTL && res->attempt == 0)
        phase = PHASE_REJECTED;
    else
        phase = PHASE_FAILED;

    last = cJSON_AddObjectToObject(status, "lastRequest");
    if (!last || !cJSON_AddStringToObject(last, "id", res->id ? res->id : "") ||
        !cJSON_AddStringToObject(last, "operation", res->operation ? res->operation : "") ||
        !cJSON_AddStringToObject(last, "phase", phase) ||
        !cJSON_AddStringToObject(last, "reason", res->reason ? res->reason : "") ||
        (res->node && !cJSON_AddStringToObject(last, "node", res->node)) ||
        !add_time(last, "startedAt", res->started_ms) ||
        !add_time(last, "finishedAt", res->finished_ms) ||
        !cJSON_AddNumberToObject(last, "attempt", res->attempt))
        return NULL;
    if (res->error_type != ERROR_NONE) {
        cJSON *error = cJSON_AddObjectToObject(last, "error");

        if (!error ||
            !cJSON_AddStringToObject(error, "type", error_type_to_string(res->error_type)) ||
            !cJSON_AddNumberToObject(error, "code", res->error_code) ||
            !cJSON_AddNumberToObject(error, "domain", res->error_domain))
            return NULL;
    }

    return TAKE_PTR(patch);
}
