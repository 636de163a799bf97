#include "producer/common/kube.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "producer/common/outcome.h"
#include "producer/common/decide.h"
#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/msg/catalog.h"

int kube_config_load(const struct config *cfg, struct k8s_config **ret_kcfg)
{
    char err[512] = "";
    int r;

    r = k8s_config_load(config_get(cfg, "kube.config", NULL), ret_kcfg, err, sizeof(err));
    if (r < 0)
        log_error("Cannot load Kubernetes credentials: %s", err);
    return r;
}

void kube_target_from_config(const struct config *cfg, struct kube_target *ret_target)
{
    ret_target->group = config_get(cfg, "crd.group", KUBE_GROUP_DEFAULT);
    ret_target->version = config_get(cfg, "crd.version", KUBE_VERSION_DEFAULT);
}

int kube_object_path(const struct kube_target *t, const char *kind, const char *namespace,
                     const char *name, const char *subresource, char **ret_path)
{
    const struct catalog *cat = catalog_get();
    const struct catalog_kind *k = cat ? catalog_find_kind(cat, kind) : NULL;

    if (!k)
        return -ENOENT;
    return k8s_resource_path(t->group, t->version, k->plural, namespace ? namespace : "default",
                             name, subresource, ret_path);
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int patch_json(struct k8s_client *client, const char *path, cJSON *patch, cJSON **ret_obj,
                      struct k8s_error *err)
{
    _cleanup_free_ char *text = cJSON_PrintUnformatted(patch);

    if (!text)
        return -ENOMEM;
    return k8s_merge_patch(client, path, text, ret_obj, err);
}

static int delete_resource(struct k8s_client *client, const char *path, const cJSON *obj,
                           struct k8s_error *err)
{
    const char *uid = json_path_string(obj, "metadata.uid");
    char body[256];
    int r;

    /* The uid precondition keeps a resource made again under the same name
     * from being deleted by an old result. */
    snprintf(body, sizeof(body),
             "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\","
             "\"preconditions\":{\"uid\":\"%s\"}}",
             uid ? uid : "");
    r = k8s_delete(client, path, uid ? body : NULL, NULL, err);
    return r == -ENOENT || err->http_status == 404 || err->http_status == 409 ? -ENOENT : r;
}

int kube_write_outcome(struct k8s_client *client, const struct kube_target *t,
                       const struct result *res, const cJSON *obj, struct k8s_error *err)
{
    _cleanup_free_ char *path = NULL, *status_path = NULL;
    _cleanup_(cJSON_Deletep) cJSON *current = NULL;
    int r;

    r = kube_object_path(t, res->kind, res->namespace, res->name, NULL, &path);
    if (r < 0)
        return r;
    r = kube_object_path(t, res->kind, res->namespace, res->name, "status", &status_path);
    if (r < 0)
        return r;

    for (int attempt = 0; attempt <= KUBE_CONFLICT_RETRIES; attempt++) {
        _cleanup_(cJSON_Deletep) cJSON *spec_patch = NULL, *status_patch = NULL;
        _cleanup_(cJSON_Deletep) cJSON *patched = NULL;
        const cJSON *generation;
        enum status_action action;

        if (!obj || attempt > 0) {
            cJSON_Delete(current);
            current = NULL;
            memset(err, 0, sizeof(*err));
            r = k8s_get(client, path, &current, err);
            if (r < 0 && err->http_status == 404)
                return -ENOENT;
            if (r < 0)
                return r;
            obj = current;
        }

        action = status_decide(res, obj);
        switch (action) {
        case STATUS_SKIP_EXTERNAL:
            return 0;
        case STATUS_SKIP_GONE:
            return -ENOENT;
        case STATUS_SKIP_STALE:
            return -ESTALE;
        case STATUS_SKIP_WRITTEN:
            return -EALREADY;
        case STATUS_DELETE:
            return delete_resource(client, path, obj, err);
        case STATUS_PATCH:
            break;
        }

        spec_patch = outcome_spec_patch(res, json_path_string(obj, "metadata.resourceVersion"),
                                        true);
        if (!spec_patch)
            return -ENOMEM;
        memset(err, 0, sizeof(*err));
        r = patch_json(client, path, spec_patch, &patched, err);
        if (r < 0 && err->http_status == 409)
            continue; /* changed under us: read again and decide again */
        if (r < 0 && err->http_status == 404)
            return -ENOENT;
        if (r < 0)
            return r;

        generation = json_path(patched, "metadata.generation");
        status_patch = outcome_status_patch(res, cJSON_IsNumber(generation)
                                                     ? (int64_t)generation->valuedouble : 0,
                                            now_ms());
        if (!status_patch)
            return -ENOMEM;
        memset(err, 0, sizeof(*err));
        r = patch_json(client, status_path, status_patch, NULL, err);
        if (r < 0 && err->http_status == 404)
            return -ENOENT;
        return r;
    }
    snprintf(err->message, sizeof(err->message),
             "the resource kept changing; gave up after %d conflicts", KUBE_CONFLICT_RETRIES);
    return -EAGAIN;
}
