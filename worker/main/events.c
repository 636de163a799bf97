#include "worker/main/events.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libvirt/libvirt.h>

#include "shared/core/config.h"
#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/kafka/topic.h"
#include "shared/msg/event.h"
#include "worker/main/worker.h"
#include "worker/ops/ops.h"
#include "worker/ops/xmljson.h"

#define EVENTS_TICK_MS 500
#define EVENTS_PRODUCE_TIMEOUT_MS 10000

struct busy_name {
    char name[MESSAGE_NAME_MAX + 1];
    int running;
    int64_t quiet_until; /* CLOCK_MONOTONIC ms */
};

struct worker_events {
    struct worker *w;
    virConnectPtr conn;
    int callback_id, timer_id;
    pthread_t thread;
    volatile bool stop;
    char *topic;
    const char *namespace;
    pthread_mutex_t lock;
    struct busy_name busy[WORKER_EVENTS_NAMES_MAX];
    size_t n_busy;
};

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

int worker_events_setup(void)
{
    return virEventRegisterDefaultImpl() < 0 ? -EIO : 0;
}

void worker_events_busy(struct worker *w, const char *name, bool busy)
{
    struct worker_events *ev = w->events;
    struct busy_name *slot = NULL;

    if (!ev || !name)
        return;
    pthread_mutex_lock(&ev->lock);
    for (size_t i = 0; i < ev->n_busy && !slot; i++)
        if (strcmp(ev->busy[i].name, name) == 0)
            slot = &ev->busy[i];
    if (!slot) {
        /* Reuse a slot that is neither busy nor quiet any more. */
        for (size_t i = 0; i < ev->n_busy && !slot; i++)
            if (ev->busy[i].running == 0 && ev->busy[i].quiet_until < mono_ms())
                slot = &ev->busy[i];
        if (!slot && ev->n_busy < WORKER_EVENTS_NAMES_MAX)
            slot = &ev->busy[ev->n_busy++];
        if (slot)
            *slot = (struct busy_name){0};
        if (slot)
            snprintf(slot->name, sizeof(slot->name), "%s", name);
    }
    if (slot) {
        slot->running += busy ? 1 : -1;
        if (slot->running < 0)
            slot->running = 0;
        slot->quiet_until = mono_ms() + WORKER_EVENTS_QUIET_MS;
    }
    pthread_mutex_unlock(&ev->lock);
}

static bool is_quiet(struct worker_events *ev, const char *name)
{
    bool quiet = false;

    pthread_mutex_lock(&ev->lock);
    for (size_t i = 0; i < ev->n_busy; i++)
        if (strcmp(ev->busy[i].name, name) == 0)
            quiet = ev->busy[i].running > 0 || ev->busy[i].quiet_until >= mono_ms();
    pthread_mutex_unlock(&ev->lock);
    return quiet;
}

static const char *event_name(int event, int detail)
{
    switch (event) {
    case VIR_DOMAIN_EVENT_DEFINED:
        return "defined";
    case VIR_DOMAIN_EVENT_UNDEFINED:
        return "undefined";
    case VIR_DOMAIN_EVENT_STARTED:
        return "started";
    case VIR_DOMAIN_EVENT_SUSPENDED:
        return "suspended";
    case VIR_DOMAIN_EVENT_RESUMED:
        return "resumed";
    case VIR_DOMAIN_EVENT_STOPPED:
        return detail == VIR_DOMAIN_EVENT_STOPPED_CRASHED ? "crashed" : "stopped";
    case VIR_DOMAIN_EVENT_SHUTDOWN:
        return "shutdown";
    case VIR_DOMAIN_EVENT_PMSUSPENDED:
        return "pmsuspended";
    case VIR_DOMAIN_EVENT_CRASHED:
        return "crashed";
    }
    return "changed";
}

static const char *stopped_detail(int detail)
{
    static const char *const names[] = {
        [VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN] = "shutdown",
        [VIR_DOMAIN_EVENT_STOPPED_DESTROYED] = "destroyed",
        [VIR_DOMAIN_EVENT_STOPPED_CRASHED] = "crashed",
        [VIR_DOMAIN_EVENT_STOPPED_MIGRATED] = "migrated",
        [VIR_DOMAIN_EVENT_STOPPED_SAVED] = "saved",
        [VIR_DOMAIN_EVENT_STOPPED_FAILED] = "failed",
        [VIR_DOMAIN_EVENT_STOPPED_FROM_SNAPSHOT] = "from snapshot",
    };

    return detail >= 0 && (size_t)detail < ELEMENTSOF(names) && names[detail] ? names[detail]
                                                                             : "outside vmrelay";
}

/* Publishes one event about dom. The event loop thread, or the main thread
 * for the start-up reconcile. */
static void publish(struct worker_events *ev, virDomainPtr dom, const char *what,
                    const char *reason, bool gone)
{
    struct worker *w = ev->w;
    struct node_event ne = {
        .node = (char *)w->node, .kind = "VirtualMachine", .name = (char *)virDomainGetName(dom),
        .namespace = (char *)ev->namespace, .event = (char *)what, .reason = (char *)reason,
        .time_ms = now_ms(),
    };
    _cleanup_(cJSON_Deletep) cJSON *spec = NULL;
    _cleanup_free_ char *xml = NULL, *text = NULL, *key = NULL;
    cJSON *domain = NULL;
    char err[512];
    int state = VIR_DOMAIN_SHUTOFF, why;

    if (!ne.name)
        return;
    if (!gone) {
        if (virDomainGetState(dom, &state, &why, 0) < 0)
            state = VIR_DOMAIN_SHUTOFF;
        xml = virDomainGetXMLDesc(dom, 0);
        spec = cJSON_CreateObject();
        if (xml && spec && ops_xml_to_json(xml, strlen(xml), &domain) >= 0 &&
            !cJSON_AddItemToObject(spec, "domain", domain))
            cJSON_Delete(domain);
        ne.spec = spec;
    }
    ne.state = (char *)ops_state_reason(state);

    text = node_event_encode(&ne);
    key = node_event_key(&ne);
    if (!text || !key)
        return;
    if (kafka_produce_sync(w->producer, ev->topic, key, text, strlen(text),
                           EVENTS_PRODUCE_TIMEOUT_MS, err, sizeof(err)) < 0)
        log_warning("Cannot publish that %s was %s on the node: %s", ne.name, what, err);
    else
        log_info("Published that %s was %s on the node (%s).", ne.name, what,
                 reason ? reason : "present");
}

static int lifecycle_cb(virConnectPtr conn, virDomainPtr dom, int event, int detail,
                        void *opaque)
{
    struct worker_events *ev = opaque;
    const char *name = virDomainGetName(dom);
    const char *reason = event == VIR_DOMAIN_EVENT_STOPPED ? stopped_detail(detail)
                                                           : "outside vmrelay";

    if (!name || is_quiet(ev, name))
        return 0;
    publish(ev, dom, event_name(event, detail), reason, event == VIR_DOMAIN_EVENT_UNDEFINED);
    return 0;
}

static void tick_cb(int timer, void *opaque)
{
    /* Only wakes the loop so that a stop is noticed. */
}

static void *loop_thread(void *userdata)
{
    struct worker_events *ev = userdata;

    while (!ev->stop)
        if (virEventRunDefaultImpl() < 0)
            break;
    return NULL;
}

static void reconcile(struct worker_events *ev)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(ev->conn, &doms, 0);

    for (int i = 0; i < n; i++) {
        publish(ev, doms[i], "present", "seen at worker start", false);
        virDomainFree(doms[i]);
    }
    free(doms);
    if (n >= 0)
        log_info("Reported the %d domains present on the node.", n);
}

int worker_events_start(struct worker *w, char *err, size_t errlen)
{
    struct worker_events *ev = calloc(1, sizeof(*ev));
    const char *uri = config_get(w->cfg, "libvirt.uri", "test:///default");
    bool reconcile_on = true;
    int r;

    if (!ev)
        return -ENOMEM;
    ev->w = w;
    ev->callback_id = ev->timer_id = -1;
    pthread_mutex_init(&ev->lock, NULL);
    ev->namespace = config_get(w->cfg, "worker.namespace", "default");
    w->events = ev;

    r = config_get_bool(w->cfg, "worker.reconcile", true, &reconcile_on, err, errlen);
    if (r < 0)
        return r;
    r = kafka_topic_name(kafka_topic_prefix(w->cfg), KAFKA_TOPIC_EVENTS, &ev->topic);
    if (r < 0)
        return r;

    /* A test driver file is a separate host per open: watch the one the
     * worker's requests act on. */
    if (worker_conn_shared(uri))
        r = worker_conn_get(&w->conns[0], &ev->conn, err, errlen);
    else
        r = (ev->conn = virConnectOpen(uri)) ? 0 : -ECONNREFUSED;
    if (r < 0) {
        snprintf(err, errlen, "cannot open a libvirt connection to %s for its events", uri);
        return r;
    }

    ev->callback_id = virConnectDomainEventRegisterAny(
        ev->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE, VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb),
        ev, NULL);
    ev->timer_id = virEventAddTimeout(EVENTS_TICK_MS, tick_cb, NULL, NULL);
    if (ev->callback_id < 0 || ev->timer_id < 0) {
        snprintf(err, errlen, "libvirt refused the event registration on %s", uri);
        return -EIO;
    }
    r = pthread_create(&ev->thread, NULL, loop_thread, ev);
    if (r != 0) {
        ev->timer_id = -1;
        return -r;
    }
    if (reconcile_on)
        reconcile(ev);
    return 0;
}

void worker_events_stop(struct worker *w)
{
    struct worker_events *ev = w->events;

    if (!ev)
        return;
    if (ev->callback_id >= 0)
        virConnectDomainEventDeregisterAny(ev->conn, ev->callback_id);
    if (ev->timer_id >= 0) {
        ev->stop = true;
        pthread_join(ev->thread, NULL);
        virEventRemoveTimeout(ev->timer_id);
    }
    if (ev->conn)
        virConnectClose(ev->conn);
    free(ev->topic);
    pthread_mutex_destroy(&ev->lock);
    free(ev);
    w->events = NULL;
}
