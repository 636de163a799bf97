#include "shared/k8s/event.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "shared/core/json.h"
#include "shared/k8s/client-internal.h"

/* Bytes of the generated-name prefix; the server adds five characters and
 * a name may not exceed 253. */
#define K8S_EVENT_PREFIX_MAX 200

static int build_event(const char *namespace, const struct k8s_object_ref *obj,
                       const char *reason, const char *message, const char *type,
                       cJSON **ret_event)
{
    _cleanup_(cJSON_Deletep) cJSON *ev = cJSON_CreateObject();
    char prefix[K8S_EVENT_PREFIX_MAX + 2], now[32], micro[40], host[256] = "";
    char msg[K8S_EVENT_MESSAGE_MAX + 1];
    cJSON *meta, *ref, *src;
    struct timeval tv;
    struct tm tm;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    strftime(micro, sizeof(micro), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(micro + strlen(micro), sizeof(micro) - strlen(micro), ".%06ldZ", (long)tv.tv_usec);
    snprintf(prefix, sizeof(prefix), "%.*s.", K8S_EVENT_PREFIX_MAX, obj->name);
    snprintf(msg, sizeof(msg), "%s", message ? message : "");
    gethostname(host, sizeof(host) - 1);

    meta = cJSON_AddObjectToObject(ev, "metadata");
    ref = cJSON_AddObjectToObject(ev, "involvedObject");
    src = cJSON_AddObjectToObject(ev, "source");
    if (!meta || !ref || !src)
        return -ENOMEM;
    if (!cJSON_AddStringToObject(ev, "apiVersion", "v1") ||
        !cJSON_AddStringToObject(ev, "kind", "Event") ||
        !cJSON_AddStringToObject(meta, "generateName", prefix) ||
        !cJSON_AddStringToObject(meta, "namespace", namespace) ||
        !cJSON_AddStringToObject(ref, "apiVersion", obj->api_version) ||
        !cJSON_AddStringToObject(ref, "kind", obj->kind) ||
        !cJSON_AddStringToObject(ref, "namespace", obj->namespace ? obj->namespace : namespace) ||
        !cJSON_AddStringToObject(ref, "name", obj->name) ||
        (obj->uid && !cJSON_AddStringToObject(ref, "uid", obj->uid)) ||
        !cJSON_AddStringToObject(ev, "reason", reason) ||
        !cJSON_AddStringToObject(ev, "message", msg) ||
        !cJSON_AddStringToObject(ev, "type", type) ||
        !cJSON_AddStringToObject(ev, "firstTimestamp", now) ||
        !cJSON_AddStringToObject(ev, "lastTimestamp", now) ||
        !cJSON_AddStringToObject(ev, "eventTime", micro) ||
        !cJSON_AddNumberToObject(ev, "count", 1) ||
        !cJSON_AddStringToObject(ev, "action", reason) ||
        !cJSON_AddStringToObject(ev, "reportingComponent", K8S_EVENT_COMPONENT) ||
        !cJSON_AddStringToObject(ev, "reportingInstance", host[0] ? host : "unknown") ||
        !cJSON_AddStringToObject(src, "component", K8S_EVENT_COMPONENT) ||
        (host[0] && !cJSON_AddStringToObject(src, "host", host)))
        return -ENOMEM;
    *ret_event = TAKE_PTR(ev);
    return 0;
}

int k8s_event_create(struct k8s_client *client, const char *namespace,
                     const struct k8s_object_ref *obj, const char *reason, const char *message,
                     const char *type, struct k8s_error *err)
{
    _cleanup_(cJSON_Deletep) cJSON *ev = NULL;
    _cleanup_free_ char *path = NULL, *body = NULL;
    int r;

    if (!type || (strcmp(type, "Normal") != 0 && strcmp(type, "Warning") != 0)) {
        k8s_error_set(err, 0, "Invalid", "Event type '%s' is neither Normal nor Warning.",
                      type ? type : "(null)");
        return -EINVAL;
    }
    if (!namespace || !obj || !obj->name || !obj->kind || !obj->api_version || !reason) {
        k8s_error_set(err, 0, "Invalid", "An event needs a namespace, reason and an object "
                      "with apiVersion, kind and name.");
        return -EINVAL;
    }

    r = k8s_resource_path(NULL, "v1", "events", namespace, NULL, NULL, &path);
    if (r < 0) {
        k8s_error_set(err, 0, "Invalid", "Namespace '%s' cannot be part of a path.", namespace);
        return r;
    }
    r = build_event(namespace, obj, reason, message, type, &ev);
    if (r < 0)
        return r;
    body = cJSON_PrintUnformatted(ev);
    if (!body)
        return -ENOMEM;
    return k8s_create(client, path, body, NULL, err);
}
