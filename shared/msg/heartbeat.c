/* The heartbeat codec (see heartbeat.h). */
#include "shared/msg/heartbeat.h"

#include <errno.h>
#include <string.h>

#include "shared/core/json.h"
#include "shared/msg/field.h"
#include "shared/msg/message.h"

#define NODE_CHARSET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define HEARTBEAT_LABEL_MAX 63

void heartbeat_free(struct heartbeat *hb)
{
    if (!hb)
        return;
    free(hb->node);
    cJSON_Delete(hb->labels);
    free(hb);
}

/* Optional counters default to 0; -1 is allowed only where it means
 * "unknown" (lag). */
static int get_count(const cJSON *obj, const char *name, int64_t min, int64_t *ret, char *err,
                     size_t errlen)
{
    int r = field_get_int(obj, name, false, min, INT64_MAX / 2, ret, err, errlen);

    return r < 0 ? r : 0;
}

static int parse_labels(const cJSON *root, struct heartbeat *hb, char *err, size_t errlen)
{
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(root, "labels");
    const cJSON *label;
    int n = 0;

    if (!labels || cJSON_IsNull(labels))
        return 0;
    if (!cJSON_IsObject(labels))
        return field_error(err, errlen, "labels", "expected an object of strings");
    cJSON_ArrayForEach(label, labels)
    {
        if (++n > HEARTBEAT_LABELS_MAX)
            return field_error(err, errlen, "labels", "more than %d labels",
                               HEARTBEAT_LABELS_MAX);
        if (!cJSON_IsString(label) || strlen(label->string) > HEARTBEAT_LABEL_MAX ||
            strlen(label->valuestring) > HEARTBEAT_LABEL_MAX)
            return field_error(err, errlen, "labels",
                               "label \"%.64s\" must be a string of at most %d bytes",
                               label->string, HEARTBEAT_LABEL_MAX);
    }
    hb->labels = cJSON_Duplicate(labels, true);
    return hb->labels ? 0 : -ENOMEM;
}

int heartbeat_parse(const char *buf, size_t len, struct heartbeat **ret_hb, char *err,
                    size_t errlen)
{
    _cleanup_(heartbeat_freep) struct heartbeat *hb = NULL;
    _cleanup_(cJSON_Deletep) cJSON *root = NULL;
    int64_t version;
    bool draining = false;
    int r;

    if (len > MESSAGE_MAX_BYTES) {
        field_error(err, errlen, "(message)", "larger than %d bytes", MESSAGE_MAX_BYTES);
        return -EMSGSIZE;
    }
    root = cJSON_ParseWithLength(buf, len);
    if (!cJSON_IsObject(root))
        return field_error(err, errlen, "(message)", "not a JSON object");
    hb = calloc(1, sizeof(*hb));
    if (!hb)
        return -ENOMEM;

    r = field_get_int(root, "version", true, 1, INT32_MAX, &version, err, errlen);
    if (r < 0)
        return r;
    if (version > MESSAGE_VERSION)
        return field_error(err, errlen, "version", "version %lld is newer than %d",
                           (long long)version, MESSAGE_VERSION);
    r = field_get_string(root, "node", true, MESSAGE_NAME_MAX, NODE_CHARSET,
                         "a node name of letters, digits, '.', '_' and '-'", &hb->node, err,
                         errlen);
    if (r < 0)
        return r;
    r = field_get_time(root, "time", true, &hb->time_ms, err, errlen);
    if (r < 0)
        return r;
    r = field_get_int(root, "interval_ms", true, 1, 3600 * 1000, &hb->interval_ms, err, errlen);
    if (r < 0)
        return r;
    r = field_get_bool(root, "draining", false, &draining, err, errlen);
    if (r < 0)
        return r;
    hb->draining = draining;

    hb->lag = -1;
    if ((r = get_count(root, "memory_kib", 0, &hb->memory_kib, err, errlen)) < 0 ||
        (r = get_count(root, "free_memory_kib", 0, &hb->free_memory_kib, err, errlen)) < 0 ||
        (r = get_count(root, "cpus", 0, &hb->cpus, err, errlen)) < 0 ||
        (r = get_count(root, "running_domains", 0, &hb->running_domains, err, errlen)) < 0 ||
        (r = get_count(root, "defined_domains", 0, &hb->defined_domains, err, errlen)) < 0 ||
        (r = get_count(root, "vcpus_allocated", 0, &hb->vcpus_allocated, err, errlen)) < 0 ||
        (r = get_count(root, "memory_allocated_kib", 0, &hb->memory_allocated_kib, err,
                       errlen)) < 0 ||
        (r = get_count(root, "in_flight", 0, &hb->in_flight, err, errlen)) < 0 ||
        (r = get_count(root, "lag", -1, &hb->lag, err, errlen)) < 0)
        return r;
    r = parse_labels(root, hb, err, errlen);
    if (r < 0)
        return r;

    *ret_hb = TAKE_PTR(hb);
    return 0;
}

char *heartbeat_encode(const struct heartbeat *hb)
{
    _cleanup_(cJSON_Deletep) cJSON *root = cJSON_CreateObject();

    if (!root || !cJSON_AddNumberToObject(root, "version", MESSAGE_VERSION) ||
        field_add_string(root, "node", hb->node) < 0 ||
        field_add_time(root, "time", hb->time_ms) < 0 ||
        !cJSON_AddNumberToObject(root, "interval_ms", (double)hb->interval_ms) ||
        !cJSON_AddBoolToObject(root, "draining", hb->draining) ||
        !cJSON_AddNumberToObject(root, "memory_kib", (double)hb->memory_kib) ||
        !cJSON_AddNumberToObject(root, "free_memory_kib", (double)hb->free_memory_kib) ||
        !cJSON_AddNumberToObject(root, "cpus", (double)hb->cpus) ||
        !cJSON_AddNumberToObject(root, "running_domains", (double)hb->running_domains) ||
        !cJSON_AddNumberToObject(root, "defined_domains", (double)hb->defined_domains) ||
        !cJSON_AddNumberToObject(root, "vcpus_allocated", (double)hb->vcpus_allocated) ||
        !cJSON_AddNumberToObject(root, "memory_allocated_kib",
                                 (double)hb->memory_allocated_kib) ||
        !cJSON_AddNumberToObject(root, "in_flight", (double)hb->in_flight) ||
        !cJSON_AddNumberToObject(root, "lag", (double)hb->lag))
        return NULL;
    if (hb->labels) {
        cJSON *copy = cJSON_Duplicate(hb->labels, true);

        if (!copy || !cJSON_AddItemToObject(root, "labels", copy)) {
            cJSON_Delete(copy);
            return NULL;
        }
    }
    return cJSON_PrintUnformatted(root);
}
