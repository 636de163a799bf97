/* vmrelay-status: consumes results and writes each outcome into its
 * resource (docs/status.md), committing an offset only once the outcome is
 * written or the resource is known to be gone. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "producer/common/kube.h"
#include "producer/common/options.h"
#include "producer/status/mirror.h"
#include "shared/core/log.h"
#include "shared/metrics/http.h"
#include "shared/kafka/consumer.h"
#include "shared/kafka/dlq.h"
#include "shared/kafka/producer.h"
#include "shared/kafka/topic.h"
#include "shared/k8s/event.h"

#define STATUS_GROUP_DEFAULT "vmrelay-status"
#define STATUS_POLL_MS 500
#define STATUS_BACKOFF_INITIAL_MS 200
#define STATUS_BACKOFF_MAX_MS 10000
#define STATUS_PRODUCE_TIMEOUT_MS 15000

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    stop_requested = sig;
}

struct status_writer {
    const struct config *cfg;
    struct kube_target target;
    struct k8s_client *client;
    struct kafka_producer *producer;
    rd_kafka_t *consumer;
    char *dlq_topic;
    char *events_topic;
    struct mirror_opts mirror;

    struct metrics *metrics;
    struct metric *m_outcomes;   /* kind, operation, reason */
    struct metric *m_duration;   /* operation: finished - started on the node */
    struct metric *m_write;      /* seconds to write one outcome */
    struct metric *m_failures;   /* outcome writes that will be retried */
    struct metric *m_events;     /* node events mirrored */
    struct metric *m_dlq;        /* messages sent to the dead letters */
};

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Posts the Kubernetes Event of a request; best effort, as the older
 * backend's clients only read it for display. */
static void post_event(struct status_writer *sw, const struct result *res)
{
    char api_version[256], message[1024];
    struct k8s_object_ref ref = {
        .api_version = api_version, .kind = res->kind, .namespace = res->namespace,
        .name = res->name, .uid = res->uid,
    };
    struct k8s_error err = {0};

    snprintf(api_version, sizeof(api_version), "%s/%s", sw->target.group, sw->target.version);
    snprintf(message, sizeof(message), "%s %s/%s %s: Done, %s (eventId %s, %lld ms): %s",
             res->kind, res->namespace ? res->namespace : "default", res->name, res->operation,
             res->success ? "success" : "error", res->event_id ? res->event_id : "none",
             (long long)(res->finished_ms - res->started_ms), res->message ? res->message : "");
    if (k8s_event_create(sw->client, res->namespace ? res->namespace : "default", &ref,
                         res->operation, message, res->success ? "Normal" : "Warning", &err) < 0)
        log_debug("Could not post an Event for %s: %s", res->id, err.message);
}

/* Returns 0 when the message may be committed, a negative errno when it
 * must be tried again. */
static int handle_result(struct status_writer *sw, const struct result *res)
{
    char resource[512];
    struct log_ctx ctx = {.request_id = res->id, .resource = resource, .node = res->node,
                          .operation = res->operation};
    struct k8s_error err = {0};
    int r;

    snprintf(resource, sizeof(resource), "%s/%s/%s", res->kind,
             res->namespace ? res->namespace : "default", res->name);
    if (!res->has_resource) {
        log_req_debug(&ctx, "Result of an external request; no resource to update.");
        return 0;
    }

    {
        struct timespec t0, t1;
        const char *const op[] = {res->operation};

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = kube_write_outcome(sw->client, &sw->target, res, NULL, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        metric_observe(sw->m_write, op, (double)(t1.tv_sec - t0.tv_sec) +
                                            (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    }
    if (r == -EALREADY) {
        /* Counted when it was written. */
    } else if (r == 0 || r == -ENOENT || r == -ESTALE) {
        const char *const outcome[] = {res->kind, res->operation, res->reason};
        const char *const op[] = {res->operation};

        metric_add(sw->m_outcomes, outcome, 1);
        if (res->finished_ms >= res->started_ms && res->started_ms > 0)
            metric_observe(sw->m_duration, op,
                           (double)(res->finished_ms - res->started_ms) / 1000.0);
    } else {
        metric_add(sw->m_failures, NULL, 1);
    }
    switch (r) {
    case 0:
        log_req_info(&ctx, "Wrote the outcome %s: %s", res->reason, res->message);
        post_event(sw, res);
        return 0;
    case -ENOENT:
        log_req_notice(&ctx, "The resource is gone; outcome %s not written: %s", res->reason,
                       res->message);
        return 0;
    case -ESTALE:
        log_req_notice(&ctx, "A newer request replaced this one; its outcome %s is not written.",
                       res->reason);
        return 0;
    case -EALREADY:
        log_req_notice(&ctx, "The outcome %s is already in the resource; this redelivered "
                       "result is not written again.", res->reason);
        return 0;
    default:
        log_req_warning(&ctx, "Could not write the outcome, will retry: %s",
                        err.message[0] ? err.message : strerror(-r));
        return r;
    }
}

static int send_to_dlq(struct status_writer *sw, const rd_kafka_message_t *msg, const char *why)
{
    struct dlq_origin origin = {
        .topic = rd_kafka_topic_name(msg->rkt), .partition = msg->partition,
        .offset = msg->offset, .node = NULL, .key = msg->key, .key_len = msg->key_len,
        .source = "vmrelay-status",
    };
    _cleanup_free_ char *record = dlq_record_encode(&origin, why, msg->payload, msg->len);
    char err[512] = "";

    if (!record)
        return -ENOMEM;
    if (kafka_produce_sync(sw->producer, sw->dlq_topic, NULL, record, strlen(record),
                           STATUS_PRODUCE_TIMEOUT_MS, err, sizeof(err)) < 0) {
        log_warning("Could not write to the dead-letter topic: %s", err);
        return -EIO;
    }
    metric_add(sw->m_dlq, NULL, 1);
    log_warning("Sent an unreadable message (%s [%d] at %lld) to %s: %s", origin.topic,
                (int)origin.partition, (long long)origin.offset, sw->dlq_topic, why);
    return 0;
}

static int handle_event(struct status_writer *sw, const rd_kafka_message_t *msg)
{
    _cleanup_(node_event_freep) struct node_event *ev = NULL;
    char err[512] = "";

    if (node_event_parse(msg->payload, msg->len, &ev, err, sizeof(err)) < 0)
        return send_to_dlq(sw, msg, err);
    metric_add(sw->m_events, NULL, 1);
    return mirror_node_event(sw->client, &sw->target, &sw->mirror, ev);
}

/* Handles one message until it may be committed or a stop is requested. */
static int process(struct status_writer *sw, const rd_kafka_message_t *msg)
{
    long backoff = STATUS_BACKOFF_INITIAL_MS;

    while (!stop_requested) {
        _cleanup_(result_freep) struct result *res = NULL;
        char err[512] = "";
        int r;

        if (msg->len > MESSAGE_MAX_BYTES)
            r = send_to_dlq(sw, msg, "the message is larger than the size limit");
        else if (strcmp(rd_kafka_topic_name(msg->rkt), sw->events_topic) == 0)
            r = handle_event(sw, msg);
        else if (result_parse(msg->payload, msg->len, &res, err, sizeof(err)) < 0)
            r = send_to_dlq(sw, msg, err);
        else
            r = handle_result(sw, res);
        if (r == 0)
            return 0;

        sleep_ms(backoff);
        backoff = backoff * 2 > STATUS_BACKOFF_MAX_MS ? STATUS_BACKOFF_MAX_MS : backoff * 2;
    }
    return -EINTR;
}

static int run(struct status_writer *sw)
{
    while (!stop_requested) {
        _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
        char err[512] = "";
        int r;

        r = kafka_consumer_poll(sw->consumer, STATUS_POLL_MS, &msg, err, sizeof(err));
        if (r < 0) {
            log_warning("Kafka consumer: %s", err);
            continue;
        }
        if (!msg)
            continue;

        if (process(sw, msg) < 0)
            break; /* stopping: not committed, so it is delivered again */
        r = kafka_consumer_commit(sw->consumer, msg, err, sizeof(err));
        if (r < 0)
            log_warning("Could not commit a result's offset (it may be written again): %s",
                        err);
    }
    return 0;
}

static int setup_metrics(struct status_writer *sw)
{
    const char *const outcome_labels[] = {"kind", "operation", "reason", NULL};
    const char *const op_labels[] = {"operation", NULL};

    if (metrics_new(&sw->metrics) < 0)
        return -ENOMEM;
    sw->m_outcomes = metrics_register(sw->metrics, METRIC_COUNTER, "vmrelay_requests_total",
                                      "Outcomes written back, by operation and reason.",
                                      outcome_labels);
    sw->m_duration = metrics_register(sw->metrics, METRIC_HISTOGRAM,
                                      "vmrelay_request_duration_seconds",
                                      "Time a request took on its node.", op_labels);
    sw->m_write = metrics_register(sw->metrics, METRIC_HISTOGRAM,
                                   "vmrelay_status_write_seconds",
                                   "Time to write one outcome into its resource.", op_labels);
    sw->m_failures = metrics_register(sw->metrics, METRIC_COUNTER,
                                      "vmrelay_status_write_failures_total",
                                      "Outcome writes that failed and are retried.", NULL);
    sw->m_events = metrics_register(sw->metrics, METRIC_COUNTER,
                                    "vmrelay_status_node_events_total",
                                    "Node events read for mirroring.", NULL);
    sw->m_dlq = metrics_register(sw->metrics, METRIC_COUNTER, "vmrelay_dlq_messages_total",
                                 "Messages sent to the dead-letter topic.", NULL);
    return 0;
}

int main(int argc, char **argv)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    _cleanup_(k8s_config_unrefp) struct k8s_config *kcfg = NULL;
    _cleanup_(k8s_client_freep) struct k8s_client *client = NULL;
    _cleanup_(kafka_producer_freep) struct kafka_producer *producer = NULL;
    _cleanup_(kafka_consumer_freep) rd_kafka_t *consumer = NULL;
    _cleanup_free_ char *results_topic = NULL, *dlq_topic = NULL, *events_topic = NULL;
    struct status_writer sw = {0};
    _cleanup_(metrics_http_stopp) struct metrics_http *http = NULL;
    struct sigaction sa = {.sa_handler = on_signal};
    const char *topics[2];
    char err[512] = "";
    int r;

    r = options_parse("vmrelay-status",
                      "Consumes request outcomes from Kafka and writes them into their "
                      "resources.",
                      argc, argv, &cfg);
    if (r != 0)
        return r > 0 ? 0 : 2;

    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    if (kafka_topic_name(kafka_topic_prefix(cfg), KAFKA_TOPIC_RESULTS, &results_topic) < 0 ||
        kafka_topic_name(kafka_topic_prefix(cfg), KAFKA_TOPIC_DLQ, &dlq_topic) < 0 ||
        kafka_topic_name(kafka_topic_prefix(cfg), KAFKA_TOPIC_EVENTS, &events_topic) < 0) {
        log_error("Setting topic.prefix: '%s' does not make valid topic names.",
                  kafka_topic_prefix(cfg));
        return 2;
    }

    if (kube_config_load(cfg, &kcfg) < 0 || k8s_client_new(kcfg, &client) < 0)
        return 1;
    if (kafka_producer_new(cfg, &producer, err, sizeof(err)) < 0) {
        log_error("Cannot create the Kafka producer: %s", err);
        return 1;
    }
    if (kafka_consumer_new(cfg, config_get(cfg, "status.group", STATUS_GROUP_DEFAULT), &consumer,
                           err, sizeof(err)) < 0) {
        log_error("Cannot create the Kafka consumer: %s", err);
        return 1;
    }
    topics[0] = results_topic;
    topics[1] = events_topic;
    if (kafka_consumer_subscribe(consumer, topics, 2, err, sizeof(err)) < 0) {
        log_error("Cannot subscribe to %s and %s: %s", results_topic, events_topic, err);
        return 1;
    }
    if (config_get_bool(cfg, "status.mirror-deletes", true, &sw.mirror.mirror_deletes, err,
                        sizeof(err)) < 0) {
        log_error("%s", err);
        return 2;
    }

    sw.cfg = cfg;
    sw.client = client;
    sw.producer = producer;
    sw.consumer = consumer;
    sw.dlq_topic = dlq_topic;
    sw.events_topic = events_topic;
    kube_target_from_config(cfg, &sw.target);

    if (setup_metrics(&sw) < 0)
        return 1;
    if (metrics_http_from_config(cfg, sw.metrics, NULL, NULL, &http) < 0)
        return 2;

    sd_notify(0, "READY=1\nSTATUS=Writing outcomes into resources.");
    log_info("Consuming %s and %s.", results_topic, events_topic);
    run(&sw);
    sd_notify(0, "STOPPING=1");
    log_info("Stopping.");
    metrics_http_stop(TAKE_PTR(http));
    metrics_free(sw.metrics);
    return 0;
}
