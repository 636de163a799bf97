/* The node event codec (see event.h). */
#include <stdio.h>
#include <string.h>

#include "shared/core/json.h"
#include "shared/msg/event.h"
#include "shared/msg/field.h"
#include "shared/msg/message.h"

#define EVENT_CHARSET "abcdefghijklmnopqrstuvwxyz_"
#define DNS_CHARSET "abcdefghijklmnopqrstuvwxyz0123456789.-"
#define NODE_CHARSET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"
#define KIND_CHARSET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
#define EVENT_KIND_MAX 64
#define EVENT_NAMESPACE_MAX 63
#define EVENT_TEXT_MAX 256

void node_event_free(struct node_event *ev)
{
    if (!ev)
        return;
    free(ev->node);
    free(ev->kind);
    free(ev->name);
    free(ev->namespace);
    free(ev->event);
    free(ev->reason);
    free(ev->state);
    cJSON_Delete(ev->spec);
    free(ev);
}

static int node_event_parse_fields(const cJSON *root, struct node_event *ev, char *err,
                                   size_t errlen)
{
    const cJSON *spec;
    int64_t version;
    int r;

    r = field_get_int(root, "version", true, 1, INT32_MAX, &version, err, errlen);
    if (r < 0)
        return r;
    if (version > MESSAGE_VERSION)
        return field_error(err, errlen, "version",
                           "version %lld is newer than the supported version %d",
                           (long long)version, MESSAGE_VERSION);

    r = field_get_string(root, "node", true, MESSAGE_NAME_MAX, NODE_CHARSET,
                         "a node name of letters, digits, '.', '_' and '-'", &ev->node, err,
                         errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "kind", true, EVENT_KIND_MAX, KIND_CHARSET, "a kind name",
                         &ev->kind, err, errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "name", true, MESSAGE_NAME_MAX, NULL, NULL, &ev->name, err,
                         errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "namespace", false, EVENT_NAMESPACE_MAX, DNS_CHARSET,
                         "a Kubernetes namespace", &ev->namespace, err, errlen);
    if (r < 0)
        return r;
    if (r > 0 && !(ev->namespace = strdup("default")))
        return -ENOMEM;
    r = field_get_string(root, "event", true, EVENT_NAME_MAX, EVENT_CHARSET,
                         "lowercase letters and '_'", &ev->event, err, errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "reason", false, EVENT_TEXT_MAX, NULL, NULL, &ev->reason, err,
                         errlen);
    if (r < 0)
        return r;
    r = field_get_string(root, "state", false, EVENT_TEXT_MAX, NULL, NULL, &ev->state, err,
                         errlen);
    if (r < 0)
        return r;

    spec = cJSON_GetObjectItemCaseSensitive(root, "spec");
    if (spec && !cJSON_IsNull(spec)) {
        if (!cJSON_IsObject(spec))
            return field_error(err, errlen, "spec", "expected an object");
        ev->spec = cJSON_Duplicate(spec, true);
        if (!ev->spec)
            return -ENOMEM;
    }
    r = field_get_time(root, "time", true, &ev->time_ms, err, errlen);
    return r < 0 ? r : 0;
}

int node_event_parse(const char *buf, size_t len, struct node_event **ret_ev, char *err,
                     size_t errlen)
{
    _cleanup_(cJSON_Deletep) cJSON *root = NULL;
    _cleanup_(node_event_freep) struct node_event *ev = NULL;
    int r;

    if (len > MESSAGE_MAX_BYTES) {
        snprintf(err, errlen, "message of %zu bytes is larger than the %d-byte cap", len,
                 MESSAGE_MAX_BYTES);
        return -EMSGSIZE;
    }
    root = cJSON_ParseWithLength(buf, len);
    if (!root || !cJSON_IsObject(root)) {
        snprintf(err, errlen, "message is not a JSON object");
        return -EINVAL;
    }

    ev = calloc(1, sizeof(*ev));
    if (!ev)
        return -ENOMEM;
    r = node_event_parse_fields(root, ev, err, errlen);
    if (r < 0)
        return r;
    *ret_ev = TAKE_PTR(ev);
    return 0;
}

char *node_event_encode(const struct node_event *ev)
{
    _cleanup_(cJSON_Deletep) cJSON *root = cJSON_CreateObject();

    if (!root || !cJSON_AddNumberToObject(root, "version", MESSAGE_VERSION) ||
        field_add_string(root, "node", ev->node) < 0 ||
        field_add_string(root, "kind", ev->kind) < 0 ||
        field_add_string(root, "name", ev->name) < 0 ||
        field_add_string(root, "namespace", ev->namespace) < 0 ||
        field_add_string(root, "event", ev->event) < 0 ||
        field_add_string(root, "reason", ev->reason) < 0 ||
        field_add_string(root, "state", ev->state) < 0)
        return NULL;
    if (ev->spec) {
        cJSON *spec = cJSON_Duplicate(ev->spec, true);

        if (!spec)
            return NULL;
        cJSON_AddItemToObject(root, "spec", spec);
    }
    if (field_add_time(root, "time", ev->time_ms) < 0)
        return NULL;
    return cJSON_PrintUnformatted(root);
}

char *node_event_key(const struct node_event *ev)
{
    return field_key_join(ev->kind, ev->namespace ? ev->namespace : "default", ev->name);
}
