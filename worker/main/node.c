#include "worker/main/node.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <systemd/sd-daemon.h>

#include "shared/core/config.h"
#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/kafka/topic.h"
#include "shared/metrics/http.h"
#include "shared/msg/heartbeat.h"
#include "worker/main/worker.h"

#define WORKER_LABELS_TEXT_MAX 1024

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "zone=a,gpu=yes" into a JSON object. */
static int parse_labels(const char *text, cJSON **ret_labels, char *err, size_t errlen)
{
    _cleanup_(cJSON_Deletep) cJSON *labels = cJSON_CreateObject();
    char copy[WORKER_LABELS_TEXT_MAX], *saveptr = NULL;

    if (!labels)
        return -ENOMEM;
    if (strlen(text) >= sizeof(copy)) {
        snprintf(err, errlen, "setting worker.labels: longer than %d bytes",
                 WORKER_LABELS_TEXT_MAX);
        return -EINVAL;
    }
    snprintf(copy, sizeof(copy), "%s", text);
    for (char *tok = strtok_r(copy, ",", &saveptr); tok; tok = strtok_r(NULL, ",", &saveptr)) {
        char *eq = strchr(tok, '=');

        if (!eq || eq == tok) {
            snprintf(err, errlen, "setting worker.labels: '%.64s' is not key=value", tok);
            return -EINVAL;
        }
        *eq = '\0';
        if (cJSON_GetArraySize(labels) >= HEARTBEAT_LABELS_MAX ||
            !cJSON_AddStringToObject(labels, tok, eq + 1))
            return -E2BIG;
    }
    *ret_labels = TAKE_PTR(labels);
    return 0;
}

static void register_metrics(struct worker *w)
{
    const char *const outcome_labels[] = {"operation", "outcome", NULL};
    const char *const op_labels[] = {"operation", NULL};

    w->m_requests = metrics_register(w->metrics, METRIC_COUNTER, "vmrelay_worker_requests_total",
                                     "Requests carried out, by operation and outcome reason.",
                                     outcome_labels);
    w->m_duration = metrics_register(w->metrics, METRIC_HISTOGRAM,
                                     "vmrelay_worker_request_duration_seconds",
                                     "Time from start to result on this node.", op_labels);
    w->m_dispatch = metrics_register(w->metrics, METRIC_HISTOGRAM,
                                     "vmrelay_worker_dispatch_to_start_seconds",
                                     "Time from the request's creation to its start here.",
                                     op_labels);
    w->m_replays = metrics_register(w->metrics, METRIC_COUNTER, "vmrelay_worker_replays_total",
                                    "Redelivered requests answered from the journal.", NULL);
    w->m_in_flight = metrics_register(w->metrics, METRIC_GAUGE, "vmrelay_worker_in_flight",
                                      "Requests fetched and not yet finished.", NULL);
    w->m_lag = metrics_register(w->metrics, METRIC_GAUGE, "vmrelay_worker_consumer_lag",
                                "Messages waiting on the node topic.", NULL);
    w->m_journal = metrics_register(w->metrics, METRIC_GAUGE, "vmrelay_worker_journal_entries",
                                    "Entries in the node journal.", NULL);
}

/* /readyz, on the HTTP thread: the worker consumes its topic and has not
 * begun to drain. */
static bool worker_ready(void *userdata)
{
    const struct worker *w = userdata;

    return atomic_load(&w->serving);
}

int worker_node_open(struct worker *w, const struct config *cfg, char *err, size_t errlen)
{
    long long secs;
    uint64_t usec = 0;
    int r;

    r = config_get_int(cfg, "worker.heartbeat-seconds", WORKER_HEARTBEAT_DEFAULT_S, 1, 3600,
                       &secs, err, errlen);
    if (r < 0)
        return r;
    w->heartbeat_interval_ms = secs * 1000;
    r = parse_labels(config_get(cfg, "worker.labels", ""), &w->labels, err, errlen);
    if (r < 0)
        return r;
    r = kafka_topic_name(kafka_topic_prefix(cfg), KAFKA_TOPIC_HEARTBEATS, &w->topic_heartbeats);
    if (r < 0)
        return r;

    r = metrics_new(&w->metrics);
    if (r < 0)
        return r;
    register_metrics(w);
    atomic_init(&w->serving, false);
    r = metrics_http_from_config(cfg, w->metrics, worker_ready, w, &w->http);
    if (r < 0) {
        snprintf(err, errlen, "setting metrics.listen is not ADDRESS:PORT");
        return r;
    }

    if (sd_watchdog_enabled(false, &usec) > 0)
        w->watchdog_ms = (int64_t)(usec / 1000);
    return 0;
}

/* Reads the host and its domains. Errors leave the fields at 0: a
 * heartbeat with partial figures is better than none. */
static void collect(struct worker *w, struct heartbeat *hb)
{
    virConnectPtr conn = NULL;
    virDomainPtr *doms = NULL;
    virNodeInfo info;
    char err[256];
    int n;

    if (worker_conn_get(&w->conns[0], &conn, err, sizeof(err)) < 0)
        return;
    if (virNodeGetInfo(conn, &info) == 0) {
        hb->memory_kib = (int64_t)info.memory;
        hb->cpus = info.cpus;
    }
    {
        unsigned long long free_bytes = virNodeGetFreeMemory(conn);

        hb->free_memory_kib = free_bytes ? (int64_t)(free_bytes / 1024) : hb->memory_kib;
    }
    n = virConnectListAllDomains(conn, &doms, 0);
    for (int i = 0; i < n; i++) {
        virDomainInfo di;

        hb->defined_domains++;
        if (virDomainIsActive(doms[i]) == 1 && virDomainGetInfo(doms[i], &di) == 0) {
            hb->running_domains++;
            hb->vcpus_allocated += di.nrVirtCpu;
            hb->memory_allocated_kib += (int64_t)di.memory;
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    virConnectClose(conn);
}

/* Messages waiting: high watermark minus position, over the assignment. */
static int64_t consumer_lag(struct worker *w)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    int64_t lag = 0;

    if (rd_kafka_assignment(w->consumer, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    if (rd_kafka_position(w->consumer, parts) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_topic_partition_list_destroy(parts);
        return -1;
    }
    for (int i = 0; i < parts->cnt; i++) {
        int64_t low = 0, high = 0;

        if (rd_kafka_get_watermark_offsets(w->consumer, parts->elems[i].topic,
                                           parts->elems[i].partition, &low, &high) ==
                RD_KAFKA_RESP_ERR_NO_ERROR &&
            parts->elems[i].offset >= 0 && high > parts->elems[i].offset)
            lag += high - parts->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return lag;
}

static void send_heartbeat(struct worker *w, bool draining)
{
    struct heartbeat hb = {
        .node = (char *)w->node, .time_ms = now_ms(), .interval_ms = w->heartbeat_interval_ms,
        .draining = draining, .labels = w->labels,
    };
    _cleanup_free_ char *text = NULL;
    char err[512];
    int64_t finished = 0, in_flight = 0;

    collect(w, &hb);
    hb.in_flight = (int64_t)worker_pool_size(w->pool);
    hb.lag = consumer_lag(w);
    metric_set(w->m_in_flight, NULL, (double)hb.in_flight);
    metric_set(w->m_lag, NULL, (double)hb.lag);
    if (journal_count(w->journal, &finished, &in_flight) >= 0)
        metric_set(w->m_journal, NULL, (double)(finished + in_flight));

    text = heartbeat_encode(&hb);
    if (!text)
        return;
    /* Not waited for: the main loop also serves systemd's watchdog. */
    if (kafka_produce_async(w->producer, w->topic_heartbeats, w->node, text, strlen(text), err,
                            sizeof(err)) < 0)
        log_warning("Cannot publish a heartbeat to %s: %s", w->topic_heartbeats, err);
}

/* systemd wants a ping at least every half period. The main loop turns
 * only every WORKER_POLL_MS when idle, so the ping is due that much
 * earlier; a quarter of the period is the floor for short watchdogs. */
static int64_t watchdog_interval_ms(int64_t period_ms)
{
    int64_t interval = period_ms / 2 - WORKER_POLL_MS;

    return interval > period_ms / 4 ? interval : period_ms / 4;
}

void worker_node_tick(struct worker *w)
{
    int64_t now = mono_ms();

    if (!w->ready_sent) {
        sd_notifyf(0, "READY=1\nSTATUS=Consuming %s.", w->topic_node);
        w->ready_sent = true;
        atomic_store(&w->serving, true);
    }
    if (w->watchdog_ms > 0 && now >= w->next_watchdog) {
        sd_notify(0, "WATCHDOG=1");
        w->next_watchdog = now + watchdog_interval_ms(w->watchdog_ms);
    }
    if (now >= w->next_status) {
        sd_notifyf(0, "STATUS=Consuming %s; %zu requests in flight.", w->topic_node,
                   worker_pool_size(w->pool));
        w->next_status = now + WORKER_STATUS_INTERVAL_MS;
    }
    if (now >= w->next_heartbeat) {
        send_heartbeat(w, false);
        w->next_heartbeat = now + w->heartbeat_interval_ms;
    }
}

void worker_node_stopping(struct worker *w)
{
    atomic_store(&w->serving, false);
    sd_notifyf(0, "STOPPING=1\nSTATUS=Draining: finishing %zu requests in flight.",
               worker_pool_size(w->pool));
    if (w->producer && w->topic_heartbeats)
        send_heartbeat(w, true);
}

void worker_node_close(struct worker *w)
{
    metrics_http_stop(w->http);
    w->http = NULL;
    metrics_free(w->metrics);
    w->metrics = NULL;
    cJSON_Delete(w->labels);
    w->labels = NULL;
    free(w->topic_heartbeats);
    w->topic_heartbeats = NULL;
}

void worker_node_count(struct worker *w, const struct request *req, const struct result *res)
{
    const char *const outcome[] = {req->operation, res->reason ? res->reason : "unknown"};
    const char *const op[] = {req->operation};

    metric_add(w->m_requests, outcome, 1);
    if (res->finished_ms >= res->started_ms)
        metric_observe(w->m_duration, op, (double)(res->finished_ms - res->started_ms) / 1e3);
    if (req->created_ms > 0 && res->started_ms >= req->created_ms)
        metric_observe(w->m_dispatch, op, (double)(res->started_ms - req->created_ms) / 1e3);
}
