#include "producer/bridge/plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "producer/common/outcome.h"
#include "shared/core/digest.h"
#include "shared/core/json.h"
#include "shared/msg/catalog.h"

/* Request ids from the bridge: a fixed prefix and 32 hex digits (128 bits)
 * of a digest, well inside MESSAGE_ID_MAX. */
#define PLAN_ID_PREFIX "k8s-"
#define PLAN_ID_HEX 32

void plan_free(struct plan *plan)
{
    if (!plan)
        return;
    free(plan->operation);
    free(plan->lifecycle_hash);
    request_free(plan->req);
    free(plan);
}

static void reject(struct plan *plan, const char *fmt, ...) _printf_(2, 3);
static void reject(struct plan *plan, const char *fmt, ...)
{
    va_list ap;

    plan->action = PLAN_REJECT;
    va_start(ap, fmt);
    vsnprintf(plan->message, sizeof(plan->message), fmt, ap);
    va_end(ap);
}

static int lifecycle_hash(const char *operation, const cJSON *params, char **ret_hash)
{
    _cleanup_free_ char *canon = json_print_canonical(params);
    _cleanup_free_ char *text = NULL;
    char hex[DIGEST_HEX_LEN + 1];
    size_t len;
    int r;

    if (!canon)
        return -ENOMEM;
    len = strlen(operation) + 1 + strlen(canon) + 1;
    text = malloc(len);
    if (!text)
        return -ENOMEM;
    snprintf(text, len, "%s\n%s", operation, canon);

    r = digest_sha256_hex(text, strlen(text), hex);
    if (r < 0)
        return r;
    *ret_hash = strdup(hex);
    return *ret_hash ? 0 : -ENOMEM;
}

static int request_id(const char *uid, int64_t generation, const char *hash, char **ret_id)
{
    char text[512], hex[DIGEST_HEX_LEN + 1], id[sizeof(PLAN_ID_PREFIX) + PLAN_ID_HEX];
    int r;

    snprintf(text, sizeof(text), "%s/%lld/%s", uid, (long long)generation, hash);
    r = digest_sha256_hex(text, strlen(text), hex);
    if (r < 0)
        return r;
    snprintf(id, sizeof(id), "%s%.*s", PLAN_ID_PREFIX, PLAN_ID_HEX, hex);
    *ret_id = strdup(id);
    return *ret_id ? 0 : -ENOMEM;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int build_request(const char *kind, const cJSON *obj, struct plan *plan, const char *id,
                         const char *node, const cJSON *params, int64_t now_ms)
{
    _cleanup_(request_freep) struct request *req = calloc(1, sizeof(*req));
    const char *ns = json_path_string(obj, "metadata.namespace");

    if (!req)
        return -ENOMEM;
    req->id = strdup(id);
    req->kind = strdup(kind);
    req->operation = strdup(plan->operation);
    req->namespace = strdup(ns ? ns : "default");
    req->name = dup_or_null(json_path_string(obj, "metadata.name"));
    req->node = strdup(node);
    req->params = cJSON_Duplicate(params, true);
    req->uid = dup_or_null(json_path_string(obj, "metadata.uid"));
    req->event_id = dup_or_null(json_path_string(obj, "metadata.labels.eventId"));
    req->source = strdup("bridge");
    req->created_ms = now_ms;
    req->has_resource = true;
    if (!req->id || !req->kind || !req->operation || !req->namespace || !req->name ||
        !req->node || !req->params || !req->source)
        return -ENOMEM;

    plan->req = TAKE_PTR(req);
    return 0;
}

/* Requests that bring a new VM into being may be placed by vmrelay; every
 * other request acts on an object that already lives on some node. */
static bool creates_vm(const char *kind, const char *operation)
{
    const struct catalog *cat = catalog_get();
    const struct catalog_op *op = cat ? catalog_find(cat, kind, operation) : NULL;

    return op && strcmp(kind, "VirtualMachine") == 0 && op->effect &&
           strcmp(op->effect, "create") == 0;
}

static const char *owning_node(const cJSON *obj)
{
    const char *node = json_path_string(obj, "spec.nodeName");

    if (node && *node)
        return node;
    node = json_path_string(obj, "metadata.labels.host");
    return node && *node ? node : NULL;
}

int plan_make(const char *kind, const cJSON *obj, const struct plan_opts *opts,
              struct plan **ret_plan)
{
    _cleanup_(plan_freep) struct plan *plan = calloc(1, sizeof(*plan));
    const cJSON *lifecycle, *params, *record, *generation;
    const char *name, *uid, *rec_hash, *rec_phase, *rec_id, *node;
    _cleanup_free_ char *id = NULL;
    char err[PLAN_MESSAGE_MAX];
    int r;

    if (!plan)
        return -ENOMEM;
    plan->action = PLAN_NOTHING;

    lifecycle = json_path(obj, "spec.lifecycle");
    if (!lifecycle || cJSON_IsNull(lifecycle) || json_path(obj, "metadata.deletionTimestamp"))
        goto done;

    name = json_path_string(obj, "metadata.name");
    uid = json_path_string(obj, "metadata.uid");
    if (!name || !uid)
        return -EINVAL;

    if (!cJSON_IsObject(lifecycle) || cJSON_GetArraySize(lifecycle) != 1) {
        plan->operation = strdup("lifecycle");
        plan->lifecycle_hash = strdup("");
        if (!plan->operation || !plan->lifecycle_hash)
            return -ENOMEM;
        reject(plan, "field \"spec.lifecycle\": must hold exactly one request, as "
                     "{\"<operation>\": {...}}");
        goto done;
    }

    params = lifecycle->child;
    plan->operation = strdup(params->string);
    if (!plan->operation)
        return -ENOMEM;
    r = lifecycle_hash(plan->operation, params, &plan->lifecycle_hash);
    if (r < 0)
        return r;

    /* A request already recorded with the same content is the same request. */
    record = json_path(obj, "status.lastRequest");
    rec_hash = json_path_string(record, "lifecycleHash");
    rec_phase = json_path_string(record, "phase");
    rec_id = json_path_string(record, "id");
    if (rec_hash && rec_phase && rec_id && strcmp(rec_hash, plan->lifecycle_hash) == 0) {
        if (strcmp(rec_phase, PHASE_DISPATCHED) == 0)
            goto done;
        if (strcmp(rec_phase, PHASE_PENDING) == 0) {
            node = json_path_string(record, "node");
            if (!node)
                node = owning_node(obj);
            if (!node) {
                reject(plan, "field \"spec.nodeName\": no node owns this resource; set "
                             "spec.nodeName or the label host");
                goto done;
            }
            r = build_request(kind, obj, plan, rec_id, node,
                              cJSON_IsObject(params) ? params : NULL, opts->now_ms);
            if (r < 0)
                return r;
            plan->action = PLAN_RESEND;
            goto done;
        }
    }

    if (!cJSON_IsObject(params)) {
        reject(plan, "field \"spec.lifecycle.%s\": must be an object of parameters",
               plan->operation);
        goto done;
    }

    node = owning_node(obj);
    if (!node && !creates_vm(kind, plan->operation)) {
        reject(plan, "field \"spec.nodeName\": no node owns this resource; set spec.nodeName "
                     "or the label host (only requests that create a VirtualMachine are "
                     "scheduled)");
        goto done;
    }

    if (opts->validate) {
        err[0] = '\0';
        r = opts->validate(kind, name, plan->operation, params, err, sizeof(err),
                           opts->validate_userdata);
        if (r < 0) {
            plan->action = PLAN_REJECT;
            snprintf(plan->message, sizeof(plan->message), "%s",
                     err[0] ? err : "the request breaks a rule of its operation");
            goto done;
        }
    }

    if (!node) {
        plan->action = PLAN_SCHEDULE;
        goto done;
    }

    generation = json_path(obj, "metadata.generation");
    r = request_id(uid, cJSON_IsNumber(generation) ? (int64_t)generation->valuedouble : 0,
                   plan->lifecycle_hash, &id);
    if (r < 0)
        return r;
    r = build_request(kind, obj, plan, id, node, params, opts->now_ms);
    if (r < 0)
        return r;
    plan->action = PLAN_RECORD;

done:
    *ret_plan = TAKE_PTR(plan);
    return 0;
}

cJSON *plan_record_patch(const struct plan *plan, const char *phase, const char *resource_version,
                         int64_t now_ms, const char *node_note)
{
    _cleanup_(cJSON_Deletep) cJSON *patch = cJSON_CreateObject();
    cJSON *status, *last;
    char when[40];

    if (!patch || !plan->req)
        return NULL;
    if (resource_version) {
        cJSON *meta = cJSON_AddObjectToObject(patch, "metadata");

        if (!meta || !cJSON_AddStringToObject(meta, "resourceVersion", resource_version))
            return NULL;
    }
    outcome_format_time(now_ms, when, sizeof(when));

    status = cJSON_AddObjectToObject(patch, "status");
    last = status ? cJSON_AddObjectToObject(status, "lastRequest") : NULL;
    if (!last || !cJSON_AddStringToObject(last, "id", plan->req->id) ||
        !cJSON_AddStringToObject(last, "operation", plan->operation) ||
        !cJSON_AddStringToObject(last, "phase", phase) ||
        !cJSON_AddStringToObject(last, "node", plan->req->node) ||
        !cJSON_AddStringToObject(last, "lifecycleHash", plan->lifecycle_hash) ||
        !cJSON_AddStringToObject(last, strcmp(phase, PHASE_PENDING) == 0 ? "acceptedAt"
                                                                          : "dispatchedAt",
                                 when) ||
        !cJSON_AddNullToObject(last, "error") || !cJSON_AddNullToObject(last, "finishedAt"))
        return NULL;
    if (node_note ? !cJSON_AddStringToObject(last, "message", node_note)
                  : !cJSON_AddNullToObject(last, "message"))
        return NULL;

    return TAKE_PTR(patch);
}
