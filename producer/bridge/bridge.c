#include "producer/bridge/bridge.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "producer/bridge/plan.h"
#include "producer/bridge/schedule.h"
#include "producer/common/outcome.h"
#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/kafka/topic.h"

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int validate_adapter(const char *kind, const char *name, const char *operation,
                            const cJSON *params, char *err, size_t errlen, void *userdata)
{
    const struct bridge *b = userdata;

    return validate_request(catalog_get(), kind, name, operation, params, &b->vopts, err,
                            errlen);
}

static bool sent_contains(struct bridge *b, const char *id)
{
    bool found = false;

    pthread_mutex_lock(&b->sent_lock);
    for (size_t i = 0; b->sent && i < BRIDGE_SENT_MAX && !found; i++)
        found = strncmp(b->sent[i], id, BRIDGE_ID_MAX) == 0;
    pthread_mutex_unlock(&b->sent_lock);
    return found;
}

static void sent_add(struct bridge *b, const char *id)
{
    pthread_mutex_lock(&b->sent_lock);
    if (b->sent) {
        snprintf(b->sent[b->sent_next], BRIDGE_ID_MAX, "%s", id);
        b->sent_next = (b->sent_next + 1) % BRIDGE_SENT_MAX;
    }
    pthread_mutex_unlock(&b->sent_lock);
}

static void count_request(struct bridge *b, const char *kind, const char *operation,
                          const char *outcome)
{
    const char *const values[] = {kind, operation, outcome};

    metric_add(b->m_requests, values, 1);
}

static void retry_add(struct bridge *b, const struct catalog_kind *kind, const char *namespace,
                      const char *name)
{
    metric_add(b->m_retries, NULL, 1);
    pthread_mutex_lock(&b->retry_lock);
    for (size_t i = 0; i < b->n_retries; i++)
        if (b->retries[i].kind == kind && strcmp(b->retries[i].namespace, namespace) == 0 &&
            strcmp(b->retries[i].name, name) == 0)
            goto out;
    if (b->n_retries < BRIDGE_RETRY_MAX) {
        struct bridge_retry *r = &b->retries[b->n_retries];

        r->kind = kind;
        r->namespace = strdup(namespace);
        r->name = strdup(name);
        if (r->namespace && r->name)
            b->n_retries++;
        else {
            free(r->namespace);
            free(r->name);
        }
    }
out:
    pthread_mutex_unlock(&b->retry_lock);
}

int bridge_reject(struct bridge_kind *bk, const cJSON *obj, const struct plan *plan,
                  const struct log_ctx *ctx)
{
    struct bridge *b = bk->bridge;
    char id[64];
    struct result res = {
        .kind = (char *)bk->kind->kind,
        .operation = plan->operation,
        .namespace = (char *)json_path_string(obj, "metadata.namespace"),
        .name = (char *)json_path_string(obj, "metadata.name"),
        .uid = (char *)json_path_string(obj, "metadata.uid"),
        .event_id = (char *)json_path_string(obj, "metadata.labels.eventId"),
        .has_resource = true,
        .success = false,
        .reason = "VirtctlError",
        .message = (char *)plan->message,
        .error_type = ERROR_VIRTCTL,
        .attempt = 0,
        .finished_ms = now_ms(),
    };
    struct k8s_error err = {0};
    int r;

    snprintf(id, sizeof(id), "k8s-rejected-%.24s", plan->lifecycle_hash);
    res.id = id;
    res.started_ms = res.finished_ms;

    r = kube_write_outcome(bk->client, &b->target, &res, obj, &err);
    if (r < 0 && r != -ENOENT) {
        log_req_warning(ctx, "Could not write the rejection of an invalid request: %s",
                        err.message[0] ? err.message : strerror(-r));
        retry_add(b, bk->kind, res.namespace ? res.namespace : "default", res.name);
        return 0;
    }
    count_request(b, bk->kind->kind, plan->operation, "rejected");
    log_req_info(ctx, "Rejected an invalid request: %s", plan->message);
    return 0;
}

static int patch_record(struct bridge_kind *bk, const struct plan *plan, const char *phase,
                        const char *rv, cJSON **ret_obj, struct k8s_error *err)
{
    _cleanup_(cJSON_Deletep) cJSON *patch = NULL;
    _cleanup_free_ char *path = NULL, *text = NULL;
    int r;

    r = kube_object_path(&bk->bridge->target, plan->req->kind, plan->req->namespace,
                         plan->req->name, "status", &path);
    if (r < 0)
        return r;
    patch = plan_record_patch(plan, phase, rv, now_ms(),
                              bridge_node_note(bk->bridge, plan->req->node));
    text = patch ? cJSON_PrintUnformatted(patch) : NULL;
    if (!text)
        return -ENOMEM;
    return k8s_merge_patch(bk->client, path, text, ret_obj, err);
}

static int produce(struct bridge *b, const struct request *req, char *err, size_t errlen)
{
    _cleanup_free_ char *topic = NULL, *key = NULL, *payload = NULL;
    int r;

    r = kafka_topic_node(b->topic_prefix, req->node, &topic);
    if (r < 0) {
        snprintf(err, errlen, "node name \"%s\" does not make a valid topic name", req->node);
        return r;
    }
    key = request_ordering_key(req);
    payload = request_encode(req);
    if (!key || !payload)
        return -ENOMEM;
    return kafka_produce_sync(b->producer, topic, key, payload, strlen(payload),
                              BRIDGE_PRODUCE_TIMEOUT_MS, err, errlen);
}

static int dispatch(struct bridge_kind *bk, const cJSON *obj, const struct plan *plan,
                    const struct log_ctx *ctx)
{
    struct bridge *b = bk->bridge;
    _cleanup_(cJSON_Deletep) cJSON *recorded = NULL;
    const char *rv = json_path_string(obj, "metadata.resourceVersion");
    struct k8s_error err = {0};
    char perr[512] = "";
    int r;

    if (plan->action == PLAN_RECORD) {
        r = patch_record(bk, plan, PHASE_PENDING, rv, &recorded, &err);
        if (r < 0 && err.http_status == 409) {
            /* Someone else wrote first (another bridge, the client): the
             * event for that write brings the resource back to us. */
            metric_add(b->m_conflicts, NULL, 1);
            log_req_debug(ctx, "The resource changed before the request was recorded.");
            return 0;
        }
        if (r < 0) {
            log_req_warning(ctx, "Could not record the request: %s",
                            err.message[0] ? err.message : strerror(-r));
            retry_add(b, bk->kind, plan->req->namespace, plan->req->name);
            return 0;
        }
        rv = json_path_string(recorded, "metadata.resourceVersion");
    }

    /* A Pending record we wrote ourselves comes back in the watch event of
     * that write; the request is already on its way. */
    if (plan->action == PLAN_RESEND && sent_contains(b, plan->req->id))
        return 0;

    r = produce(b, plan->req, perr, sizeof(perr));
    if (r < 0) {
        log_req_warning(ctx, "Could not publish the request, will retry: %s", perr);
        retry_add(b, bk->kind, plan->req->namespace, plan->req->name);
        return 0;
    }

    sent_add(b, plan->req->id);

    memset(&err, 0, sizeof(err));
    r = patch_record(bk, plan, PHASE_DISPATCHED, rv, NULL, &err);
    if (r < 0 && err.http_status != 409)
        log_req_warning(ctx, "Published the request but could not mark it dispatched: %s",
                        err.message[0] ? err.message : strerror(-r));
    count_request(b, bk->kind->kind, plan->operation, "dispatched");
    log_req_info(ctx, "Dispatched the request to its node.");
    return 0;
}

int bridge_handle_object(struct bridge_kind *bk, const cJSON *obj)
{
    struct bridge *b = bk->bridge;
    _cleanup_(plan_freep) struct plan *plan = NULL;
    struct plan_opts opts = {
        .validate = validate_adapter, .validate_userdata = b, .now_ms = now_ms(),
    };
    const char *ns = json_path_string(obj, "metadata.namespace");
    const char *name = json_path_string(obj, "metadata.name");
    char resource[512];
    struct log_ctx ctx = {.resource = resource};
    int r;

    snprintf(resource, sizeof(resource), "%s/%s/%s", bk->kind->kind, ns ? ns : "",
             name ? name : "");
    r = plan_make(bk->kind->kind, obj, &opts, &plan);
    if (r < 0) {
        log_req_warning(&ctx, "Ignored a resource without name or uid.");
        return 0;
    }

    ctx.operation = plan->operation;
    if (plan->req) {
        ctx.request_id = plan->req->id;
        ctx.node = plan->req->node;
    }

    switch (plan->action) {
    case PLAN_NOTHING:
        return 0;
    case PLAN_REJECT:
        return bridge_reject(bk, obj, plan, &ctx);
    case PLAN_SCHEDULE:
        return bridge_schedule(bk, obj, plan, &ctx);
    case PLAN_RECORD:
    case PLAN_RESEND:
        return dispatch(bk, obj, plan, &ctx);
    }
    return 0;
}

void bridge_retry_run(struct bridge *b, struct k8s_client *client)
{
    struct bridge_retry batch[64];
    size_t n;

    pthread_mutex_lock(&b->retry_lock);
    n = b->n_retries < ELEMENTSOF(batch) ? b->n_retries : ELEMENTSOF(batch);
    memcpy(batch, b->retries, n * sizeof(batch[0]));
    memmove(b->retries, b->retries + n, (b->n_retries - n) * sizeof(b->retries[0]));
    b->n_retries -= n;
    pthread_mutex_unlock(&b->retry_lock);

    for (size_t i = 0; i < n; i++) {
        _cleanup_(cJSON_Deletep) cJSON *obj = NULL;
        _cleanup_free_ char *path = NULL;
        struct bridge_kind bk = {.bridge = b, .kind = batch[i].kind, .client = client};
        struct k8s_error err = {0};

        if (k8s_resource_path(b->target.group, b->target.version, batch[i].kind->plural,
                              batch[i].namespace, batch[i].name, NULL, &path) == 0 &&
            k8s_get(client, path, &obj, &err) == 0)
            bridge_handle_object(&bk, obj);
        else if (err.http_status != 404 || strcmp(err.reason, "NotFound") != 0)
            /* Only a Status NotFound says the resource is gone: a starting
             * API server answers a plain "404 page not found" for a kind
             * it does not serve yet. */
            retry_add(b, batch[i].kind, batch[i].namespace, batch[i].name);
        free(batch[i].namespace);
        free(batch[i].name);
    }
}
