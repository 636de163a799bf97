/* vmrelay-bridge: watches the seven kinds and dispatches each request to
 * the Kafka topic of the node that owns the resource. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "producer/bridge/bridge.h"
#include "producer/bridge/schedule.h"
#include "producer/common/options.h"
#include "shared/core/log.h"
#include "shared/metrics/http.h"
#include "shared/k8s/watch.h"
#include "shared/kafka/topic.h"

static int on_object(const char *namespace, enum k8s_watch_type type, const cJSON *obj,
                     void *userdata)
{
    if (type != K8S_WATCH_ADDED && type != K8S_WATCH_MODIFIED)
        return 0;
    return bridge_handle_object(userdata, obj);
}

static int start_informers(struct bridge *b, char **namespaces, size_t n_namespaces)
{
    const struct catalog *cat = catalog_get();
    static const struct k8s_informer_ops ops = {.on_object = on_object};
    int r;

    if (!cat)
        return log_error_errno(EINVAL, "The built-in operation catalogue cannot be read.");

    for (size_t i = 0; i < cat->n_kinds && i < BRIDGE_KINDS_MAX; i++) {
        struct bridge_kind *bk = &b->kinds[b->n_kinds];
        struct k8s_informer_params params = {
            .group = b->target.group,
            .version = b->target.version,
            .plural = cat->kinds[i].plural,
            .namespaces = (const char *const *)namespaces,
            .n_namespaces = n_namespaces,
        };

        bk->bridge = b;
        bk->kind = &cat->kinds[i];
        r = k8s_client_new(b->kcfg, &bk->client);
        if (r < 0)
            return log_error_errno(r, "Cannot create a Kubernetes client.");
        r = k8s_informer_new(b->kcfg, &params, &ops, bk, &bk->informer);
        if (r < 0)
            return log_error_errno(r, "Cannot watch %s.", bk->kind->plural);
        b->n_kinds++;
        r = k8s_informer_start(bk->informer);
        if (r < 0)
            return log_error_errno(r, "Cannot start watching %s.", bk->kind->plural);
    }
    return 0;
}

static void stop_informers(struct bridge *b)
{
    for (size_t i = 0; i < b->n_kinds; i++)
        k8s_informer_stop(b->kinds[i].informer);
    for (size_t i = 0; i < b->n_kinds; i++) {
        k8s_informer_free(b->kinds[i].informer);
        k8s_client_free(b->kinds[i].client);
    }
    b->n_kinds = 0;
}

/* Copies the informers' counters into the watch metric. */
static void update_watch_metrics(struct bridge *b)
{
    for (size_t i = 0; i < b->n_kinds; i++) {
        struct k8s_informer_stats st;
        const char *const lists[] = {b->kinds[i].kind->kind, "list"};
        const char *const relists[] = {b->kinds[i].kind->kind, "relist"};
        const char *const failures[] = {b->kinds[i].kind->kind, "failure"};
        const char *const watches[] = {b->kinds[i].kind->kind, "watch"};

        k8s_informer_get_stats(b->kinds[i].informer, &st);
        metric_set(b->m_watch, lists, (double)st.lists);
        metric_set(b->m_watch, relists, (double)st.relists);
        metric_set(b->m_watch, failures, (double)st.failures);
        metric_set(b->m_watch, watches, (double)st.watches);
    }
}

static bool bridge_ready(void *userdata)
{
    const struct bridge *b = userdata;

    return b->n_kinds > 0;
}

static int setup_metrics(struct bridge *b)
{
    const char *const request_labels[] = {"kind", "operation", "outcome", NULL};
    const char *const watch_labels[] = {"kind", "event", NULL};

    if (metrics_new(&b->metrics) < 0)
        return -ENOMEM;
    b->m_requests = metrics_register(b->metrics, METRIC_COUNTER, "vmrelay_bridge_requests_total",
                                     "Requests seen by the bridge, by outcome: dispatched, "
                                     "rejected or scheduled.", request_labels);
    b->m_retries = metrics_register(b->metrics, METRIC_COUNTER, "vmrelay_bridge_retries_total",
                                    "Requests queued for another try after a failure.", NULL);
    b->m_conflicts = metrics_register(b->metrics, METRIC_COUNTER,
                                      "vmrelay_bridge_patch_conflicts_total",
                                      "Writes refused because the resource had changed.", NULL);
    b->m_watch = metrics_register(b->metrics, METRIC_COUNTER, "vmrelay_watch_events_total",
                                  "LIST and WATCH requests of the informers, relists after "
                                  "410 Gone, and failed requests.", watch_labels);
    return 0;
}

static int run(struct bridge *b, char **namespaces, size_t n_namespaces)
{
    _cleanup_(k8s_client_freep) struct k8s_client *client = NULL;
    _cleanup_(metrics_http_stopp) struct metrics_http *http = NULL;
    struct timespec wait = {.tv_sec = BRIDGE_RETRY_INTERVAL_MS / 1000};
    sigset_t mask;
    int r, sig;

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    pthread_sigmask(SIG_BLOCK, &mask, NULL); /* before threads, so they inherit it */

    r = k8s_client_new(b->kcfg, &client);
    if (r < 0)
        return log_error_errno(r, "Cannot create a Kubernetes client.");
    r = setup_metrics(b);
    if (r < 0)
        return log_error_errno(r, "Out of memory.");
    r = metrics_http_from_config(b->cfg, b->metrics, bridge_ready, b, &http);
    if (r < 0)
        return r;
    r = bridge_fleet_start(b);
    if (r < 0)
        return log_error_errno(r, "Cannot start the heartbeat reader.");
    r = start_informers(b, namespaces, n_namespaces);
    if (r < 0) {
        stop_informers(b);
        bridge_fleet_stop(b);
        return r;
    }

    sd_notify(0, "READY=1\nSTATUS=Watching resources and dispatching requests.");
    log_info("Watching %zu kinds in %s.", b->n_kinds,
             n_namespaces ? "the configured namespaces" : "all namespaces");

    for (;;) {
        sig = sigtimedwait(&mask, NULL, &wait);
        if (sig == SIGTERM || sig == SIGINT)
            break;
        bridge_retry_run(b, client);
        update_watch_metrics(b);
    }

    sd_notify(0, "STOPPING=1");
    log_info("Stopping on signal %d.", sig);
    stop_informers(b);
    bridge_fleet_stop(b);
    return 0;
}

int main(int argc, char **argv)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    _cleanup_(k8s_config_unrefp) struct k8s_config *kcfg = NULL;
    _cleanup_(kafka_producer_freep) struct kafka_producer *producer = NULL;
    _cleanup_free_ char **namespaces = NULL;
    _cleanup_free_ char **roots = NULL;
    static struct bridge b;
    size_t n_namespaces = 0;
    long long name_min, name_max, grace, overcommit;
    _cleanup_(fleet_freep) struct fleet *fleet = NULL;
    char err[512] = "";
    int r;

    r = options_parse("vmrelay-bridge",
                      "Watches vmrelay's custom resources and publishes each request to the "
                      "Kafka topic of its node.",
                      argc, argv, &cfg);
    if (r != 0)
        return r > 0 ? 0 : 2;

    r = options_split_list(config_get(cfg, "kube.namespaces", ""), K8S_INFORMER_NAMESPACES_MAX,
                           &namespaces, &n_namespaces);
    if (r < 0) {
        log_error("Setting kube.namespaces: more than %d namespaces.",
                  K8S_INFORMER_NAMESPACES_MAX);
        return 2;
    }
    r = options_split_list(config_get(cfg, "paths.roots", VALIDATE_DEFAULT_ROOT),
                           VALIDATE_ROOTS_MAX, &roots, &b.n_roots);
    if (r < 0) {
        log_error("Setting paths.roots: more than %d roots.", VALIDATE_ROOTS_MAX);
        return 2;
    }

    /* The document's name rule (8 to 32 lowercase letters and digits) can
     * be relaxed for fleets whose names predate it. */
    r = config_get_int(cfg, "validate.name-min", VALIDATE_NAME_MIN, 1, MESSAGE_NAME_MAX,
                       &name_min, err, sizeof(err));
    if (r >= 0)
        r = config_get_int(cfg, "validate.name-max", VALIDATE_NAME_MAX, 1, MESSAGE_NAME_MAX,
                           &name_max, err, sizeof(err));
    if (r < 0) {
        log_error("%s", err);
        return 2;
    }
    b.vopts.name_min = (size_t)name_min;
    b.vopts.name_max = (size_t)name_max;

    r = kube_config_load(cfg, &kcfg);
    if (r < 0)
        return 1;
    r = kafka_producer_new(cfg, &producer, err, sizeof(err));
    if (r < 0) {
        log_error("Cannot create the Kafka producer: %s", err);
        return 1;
    }

    b.cfg = cfg;
    b.kcfg = kcfg;
    b.producer = producer;
    b.topic_prefix = kafka_topic_prefix(cfg);
    b.roots = roots;
    b.vopts.allowed_roots = (const char *const *)roots;
    kube_target_from_config(cfg, &b.target);
    pthread_mutex_init(&b.retry_lock, NULL);
    pthread_mutex_init(&b.sent_lock, NULL);
    r = config_get_int(cfg, "fleet.grace-seconds", FLEET_GRACE_MS_DEFAULT / 1000, 1, 86400,
                       &grace, err, sizeof(err));
    if (r >= 0)
        r = config_get_int(cfg, "schedule.cpu-overcommit", FLEET_CPU_OVERCOMMIT_DEFAULT, 1, 64,
                           &overcommit, err, sizeof(err));
    if (r < 0) {
        log_error("%s", err);
        return 2;
    }
    r = fleet_new(grace * 1000, (int)overcommit, &fleet);
    if (r < 0) {
        log_error("Out of memory.");
        return 1;
    }
    b.fleet = fleet;
    b.sent = calloc(BRIDGE_SENT_MAX, BRIDGE_ID_MAX);
    if (!b.sent) {
        log_error("Out of memory.");
        return 1;
    }

    r = run(&b, namespaces, n_namespaces);
    metrics_free(b.metrics); /* after run(), which stopped the endpoint reading them */
    free(b.sent);
    return r < 0 ? 1 : 0;
}
