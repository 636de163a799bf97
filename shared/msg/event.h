/* Node events: what a worker observed on its node on its own (a domain
 * started, stopped, defined or removed outside vmrelay), published to
 * vmrelay.events with key "<Kind>/<namespace>/<name>" so that the status
 * writer can mirror it into the resource. schemas/event.schema.json is the
 * normative text; docs/messages.md explains every field.
 *
 * Thread safety: pure functions on their arguments; any thread. */
#pragma once

#include <stdint.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"

#define EVENT_NAME_MAX 32

struct node_event {
    char *node;      /* required; the node that saw it */
    char *kind;      /* required; one of the seven kinds */
    char *name;      /* required; libvirt object name = resource name */
    char *namespace; /* optional; "default" if absent */
    char *event;     /* required; started, stopped, crashed, defined, undefined,
                      * suspended, resumed, ... ([a-z_]{1,32}, new values may appear) */
    char *reason;    /* optional; libvirt's detail, e.g. "booted", "destroyed" */
    char *state;     /* optional; power state after it: Running, Paused, Shutdown, Crashed */
    cJSON *spec;     /* optional object: refreshed description, e.g. {"domain": {...}} */
    int64_t time_ms; /* required; when the node saw it, ms since the epoch */
};

/* Parses an event. On failure returns -EINVAL (or -EMSGSIZE/-ENOMEM) and
 * writes to err a sentence naming the field. */
int node_event_parse(const char *buf, size_t len, struct node_event **ret_ev, char *err,
                     size_t errlen);
/* Returns a malloc'd JSON text, or NULL on allocation failure. */
char *node_event_encode(const struct node_event *ev);
/* The Kafka key "<Kind>/<namespace>/<name>". Returns a malloc'd string or NULL. */
char *node_event_key(const struct node_event *ev);
void node_event_free(struct node_event *ev);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct node_event *, node_event_free);
