#include "producer/bridge/schedule.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/kafka/cleanup.h"
#include "shared/kafka/consumer.h"
#include "shared/kafka/topic.h"
#include "shared/msg/heartbeat.h"

#define FLEET_POLL_MS 500
#define SCHEDULE_NOTE_MAX 256

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *fleet_thread(void *userdata)
{
    struct bridge *b = userdata;
    _cleanup_(kafka_consumer_freep) rd_kafka_t *rk = NULL;
    _cleanup_free_ char *topic = NULL;
    const char *topics[1];
    char err[512] = "", group[64];
    uint64_t rnd = 0;

    /* Every bridge reads every heartbeat from the start of the compacted
     * topic: a group of its own that never commits. */
    if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
        rnd = (uint64_t)now_ms();
    snprintf(group, sizeof(group), "vmrelay-bridge-fleet-%016" PRIx64, rnd);
    if (kafka_topic_name(b->topic_prefix, KAFKA_TOPIC_HEARTBEATS, &topic) < 0 ||
        kafka_consumer_new(b->cfg, group, &rk, err, sizeof(err)) < 0) {
        log_error("Cannot read heartbeats, so no node will be scheduled: %s", err);
        return NULL;
    }
    topics[0] = topic;
    if (kafka_consumer_subscribe(rk, topics, 1, err, sizeof(err)) < 0) {
        log_error("Cannot subscribe to %s: %s", topic, err);
        return NULL;
    }

    while (!b->fleet_stop) {
        _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
        _cleanup_(heartbeat_freep) struct heartbeat *hb = NULL;

        if (kafka_consumer_poll(rk, FLEET_POLL_MS, &msg, err, sizeof(err)) < 0 || !msg)
            continue;
        if (heartbeat_parse(msg->payload, msg->len, &hb, err, sizeof(err)) < 0) {
            log_debug("Ignored an unreadable heartbeat: %s", err);
            continue;
        }
        if (fleet_update(b->fleet, hb, now_ms()) < 0)
            log_warning("The fleet table is full; node %s is not tracked.", hb->node);
    }
    return NULL;
}

int bridge_fleet_start(struct bridge *b)
{
    int r;

    b->fleet_stop = false;
    r = pthread_create(&b->fleet_thread, NULL, fleet_thread, b);
    if (r != 0)
        return -r;
    b->fleet_running = true;
    return 0;
}

void bridge_fleet_stop(struct bridge *b)
{
    if (!b->fleet_running)
        return;
    b->fleet_stop = true;
    pthread_join(b->fleet_thread, NULL);
    b->fleet_running = false;
}

const char *bridge_node_note(struct bridge *b, const char *node)
{
    static __thread char note[SCHEDULE_NOTE_MAX];
    int64_t silent = 0;
    enum fleet_liveness l = fleet_liveness(b->fleet, node, now_ms(), &silent);

    switch (l) {
    case FLEET_LIVE:
        return NULL;
    case FLEET_DRAINING:
        snprintf(note, sizeof(note), "Node %s is draining; the request waits on its topic "
                 "until its worker is back.", node);
        return note;
    case FLEET_LOST:
        snprintf(note, sizeof(note), "Node %s is unavailable: no heartbeat for %lld s; the "
                 "request waits on its topic until its worker is back.", node,
                 (long long)(silent / 1000));
        return note;
    case FLEET_UNKNOWN:
        break;
    }
    snprintf(note, sizeof(note), "Node %s has never sent a heartbeat; the request waits on its "
             "topic until a worker for it starts.", node);
    return note;
}

/* The leading integer of a string such as "2048" or "2,cpuset=1-4". */
static int64_t leading_int(const cJSON *item)
{
    if (cJSON_IsNumber(item))
        return (int64_t)item->valuedouble;
    if (cJSON_IsString(item)) {
        char *end;
        long long n = strtoll(item->valuestring, &end, 10);

        return end != item->valuestring && n > 0 ? n : 0;
    }
    return 0;
}

int bridge_schedule(struct bridge_kind *bk, const cJSON *obj, const struct plan *plan,
                    const struct log_ctx *ctx)
{
    struct bridge *b = bk->bridge;
    const cJSON *params = json_path(obj, "spec.lifecycle");
    const cJSON *selector = json_path(obj, "spec.nodeSelector");
    _cleanup_(cJSON_Deletep) cJSON *patch = NULL;
    _cleanup_free_ char *node = NULL, *path = NULL, *text = NULL;
    struct fleet_need need = {0};
    struct k8s_error err = {0};
    struct plan rejected;
    char why[PLAN_MESSAGE_MAX];
    cJSON *meta, *labels, *spec;
    int r;

    params = params ? cJSON_GetObjectItemCaseSensitive(params, plan->operation) : NULL;
    need.memory_kib = leading_int(cJSON_GetObjectItemCaseSensitive(params, "memory")) * 1024;
    need.vcpus = leading_int(cJSON_GetObjectItemCaseSensitive(params, "vcpus"));
    need.node_selector = cJSON_IsObject(selector) ? selector : NULL;

    r = fleet_place(b->fleet, &need, now_ms(), &node, why, sizeof(why));
    if (r < 0) {
        rejected = *plan;
        rejected.action = PLAN_REJECT;
        snprintf(rejected.message, sizeof(rejected.message),
                 "field \"spec.nodeName\": no node given and none can take the VM: %.400s",
                 why);
        return bridge_reject(bk, obj, &rejected, ctx);
    }

    patch = cJSON_CreateObject();
    meta = patch ? cJSON_AddObjectToObject(patch, "metadata") : NULL;
    labels = meta ? cJSON_AddObjectToObject(meta, "labels") : NULL;
    spec = patch ? cJSON_AddObjectToObject(patch, "spec") : NULL;
    if (!labels || !spec || !cJSON_AddStringToObject(labels, "host", node) ||
        !cJSON_AddStringToObject(spec, "nodeName", node) ||
        !cJSON_AddStringToObject(meta, "resourceVersion",
                                 json_path_string(obj, "metadata.resourceVersion")
                                     ? json_path_string(obj, "metadata.resourceVersion")
                                     : ""))
        return -ENOMEM;
    text = cJSON_PrintUnformatted(patch);
    if (!text)
        return -ENOMEM;

    r = kube_object_path(&b->target, bk->kind->kind, json_path_string(obj, "metadata.namespace"),
                         json_path_string(obj, "metadata.name"), NULL, &path);
    if (r >= 0)
        r = k8s_merge_patch(bk->client, path, text, NULL, &err);
    if (r < 0 && err.http_status == 409)
        return 0; /* changed meanwhile: its next event brings it back */
    if (r < 0) {
        log_req_warning(ctx, "Could not record the node chosen for a new VM: %s",
                        err.message[0] ? err.message : strerror(-r));
        return 0;
    }
    {
        const char *const values[] = {bk->kind->kind, plan->operation, "scheduled"};

        metric_add(b->m_requests, values, 1);
    }
    log_req_info(ctx, "Scheduled the new VM on node %s.", node);
    return 0;
}
