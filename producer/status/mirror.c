#include "producer/status/mirror.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/msg/catalog.h"

#define MIRROR_CONFLICT_RETRIES 5
#define MIRROR_MESSAGE_MAX 512

static int patch(struct k8s_client *client, const char *path, cJSON *body,
                 struct k8s_error *err)
{
    _cleanup_free_ char *text = cJSON_PrintUnformatted(body);

    if (!text)
        return -ENOMEM;
    memset(err, 0, sizeof(*err));
    return k8s_merge_patch(client, path, text, NULL, err);
}

/* spec.status.conditions.state.waiting = {reason, message} under spec. */
static bool add_waiting(cJSON *spec, const char *reason, const char *message)
{
    cJSON *status = cJSON_AddObjectToObject(spec, "status");
    cJSON *conditions = status ? cJSON_AddObjectToObject(status, "conditions") : NULL;
    cJSON *state = conditions ? cJSON_AddObjectToObject(conditions, "state") : NULL;
    cJSON *waiting = state ? cJSON_AddObjectToObject(state, "waiting") : NULL;

    return waiting && cJSON_AddStringToObject(waiting, "reason", reason) &&
           cJSON_AddStringToObject(waiting, "message", message);
}

/* The spec fields an event refreshes: its description, and the waiting
 * state when it carries a power state. */
static cJSON *event_spec(const struct node_event *ev, const char *message)
{
    _cleanup_(cJSON_Deletep) cJSON *spec = cJSON_CreateObject();
    const cJSON *field;

    if (!spec)
        return NULL;
    cJSON_ArrayForEach(field, ev->spec)
    {
        cJSON *copy = cJSON_Duplicate(field, true);

        if (!copy || !cJSON_AddItemToObject(spec, field->string, copy)) {
            cJSON_Delete(copy);
            return NULL;
        }
    }
    if (ev->state && !add_waiting(spec, ev->state, message))
        return NULL;
    return TAKE_PTR(spec);
}

static int create_resource(struct k8s_client *client, const struct kube_target *t,
                           const struct node_event *ev, const char *message,
                           struct k8s_error *err)
{
    _cleanup_(cJSON_Deletep) cJSON *obj = cJSON_CreateObject();
    _cleanup_free_ char *collection = NULL, *text = NULL;
    const struct catalog_kind *k = catalog_find_kind(catalog_get(), ev->kind);
    char api_version[256];
    cJSON *meta, *labels, *spec;
    int r;

    if (!obj || !k)
        return -ENOMEM;
    snprintf(api_version, sizeof(api_version), "%s/%s", t->group, t->version);
    meta = cJSON_AddObjectToObject(obj, "metadata");
    labels = meta ? cJSON_AddObjectToObject(meta, "labels") : NULL;
    spec = event_spec(ev, message);
    if (!labels || !spec || !cJSON_AddItemToObject(obj, "spec", spec) ||
        !cJSON_AddStringToObject(obj, "apiVersion", api_version) ||
        !cJSON_AddStringToObject(obj, "kind", ev->kind) ||
        !cJSON_AddStringToObject(meta, "name", ev->name) ||
        !cJSON_AddStringToObject(meta, "namespace", ev->namespace ? ev->namespace : "default") ||
        !cJSON_AddStringToObject(labels, "host", ev->node) ||
        !cJSON_AddStringToObject(spec, "nodeName", ev->node))
        return -ENOMEM;

    text = cJSON_PrintUnformatted(obj);
    r = text ? k8s_resource_path(t->group, t->version, k->plural,
                                 ev->namespace ? ev->namespace : "default", NULL, NULL,
                                 &collection)
             : -ENOMEM;
    if (r < 0)
        return r;
    memset(err, 0, sizeof(*err));
    r = k8s_create(client, collection, text, NULL, err);
    return r == -EEXIST ? -EAGAIN : r; /* made meanwhile: read it again */
}

static int mirror_once(struct k8s_client *client, const struct kube_target *t,
                       const struct mirror_opts *opts, const struct node_event *ev,
                       const char *path, const char *message, struct k8s_error *err)
{
    _cleanup_(cJSON_Deletep) cJSON *obj = NULL, *body = NULL;
    const char *node, *rv;
    cJSON *meta, *spec;
    int r;

    memset(err, 0, sizeof(*err));
    r = k8s_get(client, path, &obj, err);
    if (r == -ENOENT) {
        if (strcmp(ev->event, "undefined") == 0)
            return 0;
        return create_resource(client, t, ev, message, err);
    }
    if (r < 0)
        return r;

    /* The object on this node is another than the one the resource names. */
    node = json_path_string(obj, "spec.nodeName");
    if (!node)
        node = json_path_string(obj, "metadata.labels.host");
    if (node && strcmp(node, ev->node) != 0)
        return 0;
    if (json_path(obj, "spec.lifecycle") && !cJSON_IsNull(json_path(obj, "spec.lifecycle")))
        return 0;

    if (strcmp(ev->event, "undefined") == 0) {
        if (!opts->mirror_deletes)
            return 0;
        memset(err, 0, sizeof(*err));
        r = k8s_delete(client, path, NULL, NULL, err);
        return r == -ENOENT ? 0 : r;
    }

    rv = json_path_string(obj, "metadata.resourceVersion");
    body = cJSON_CreateObject();
    meta = body ? cJSON_AddObjectToObject(body, "metadata") : NULL;
    spec = event_spec(ev, message);
    if (!meta || !spec || !cJSON_AddItemToObject(body, "spec", spec) ||
        !cJSON_AddStringToObject(meta, "resourceVersion", rv ? rv : ""))
        return -ENOMEM;
    return patch(client, path, body, err);
}

/* Best effort: the resource says that mirroring failed and why. */
static void write_virtlet_error(struct k8s_client *client, const char *path, const char *why)
{
    _cleanup_(cJSON_Deletep) cJSON *body = cJSON_CreateObject();
    cJSON *spec = body ? cJSON_AddObjectToObject(body, "spec") : NULL;
    struct k8s_error err = {0};

    if (spec && add_waiting(spec, "VirtletError", why))
        (void)patch(client, path, body, &err);
}

int mirror_node_event(struct k8s_client *client, const struct kube_target *t,
                      const struct mirror_opts *opts, const struct node_event *ev)
{
    _cleanup_free_ char *path = NULL;
    char resource[512], message[MIRROR_MESSAGE_MAX];
    struct log_ctx ctx = {.resource = resource, .node = ev->node};
    struct k8s_error err = {0};
    int r = 0;

    snprintf(resource, sizeof(resource), "%s/%s/%s", ev->kind,
             ev->namespace ? ev->namespace : "default", ev->name);
    r = kube_object_path(t, ev->kind, ev->namespace, ev->name, NULL, &path);
    if (r < 0) {
        log_req_warning(&ctx, "Ignored a node event about an unknown kind.");
        return 0;
    }
    snprintf(message, sizeof(message), "The %s is %s: %s on node %s (%s).",
             strcmp(ev->kind, "VirtualMachine") == 0 ? "VM" : "object",
             ev->state ? ev->state : "changed", ev->event, ev->node,
             ev->reason ? ev->reason : "outside vmrelay");

    for (int attempt = 0; attempt <= MIRROR_CONFLICT_RETRIES; attempt++) {
        r = mirror_once(client, t, opts, ev, path, message, &err);
        if (r != -EAGAIN && r != -EBUSY)
            break;
    }
    if (r == 0) {
        log_req_info(&ctx, "Mirrored a change made on the node: %s", message);
        return 0;
    }
    if (err.http_status == 0 || err.http_status >= 500)
        return r; /* the API server is away: try again later */

    log_req_warning(&ctx, "Could not mirror a change made on the node: %s",
                    err.message[0] ? err.message : strerror(-r));
    write_virtlet_error(client, path, err.message[0] ? err.message : strerror(-r));
    return 0;
}
