/* The wire contract: requests, results and node events as JSON.
 *
 * These are public: other systems publish requests and read results with
 * them. The JSON Schemas in schemas/ (request.schema.json,
 * result.schema.json, event.schema.json) are the normative text and
 * docs/messages.md explains every field; this header is their C form.
 *
 * Every message carries "version": MESSAGE_VERSION. A decoder refuses a
 * newer major version, and ignores unknown fields so that minor additions
 * stay compatible.
 *
 * Thread safety: pure functions on their arguments; any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"

#define MESSAGE_VERSION 1

/* Caps on what a message may hold. A Kafka message above MESSAGE_MAX_BYTES
 * is refused before parsing. */
#define MESSAGE_MAX_BYTES (1024 * 1024)
#define MESSAGE_ID_MAX 128
#define MESSAGE_NAME_MAX 253
#define MESSAGE_TEXT_MAX 8192

/* The four error types of the API document. */
enum error_type {
    ERROR_NONE = 0,
    ERROR_LIBVIRT,  /* "LibvirtError": a libvirt call failed */
    ERROR_VIRTCTL,  /* "VirtctlError": the request cannot be carried out */
    ERROR_VIRTLET,  /* "VirtletError": mirroring node-side changes failed */
    ERROR_EXCEPTION /* "Exception": anything else */
};

const char *error_type_to_string(enum error_type t);
enum error_type error_type_from_string(const char *s); /* ERROR_NONE if unknown */

/* A lifecycle request, as published to vmrelay.node.<node>. */
struct request {
    char *id;         /* required; [A-Za-z0-9._:-]{1,128} */
    char *kind;       /* required; one of the seven kinds */
    char *operation;  /* required; the key under spec.lifecycle */
    char *namespace;  /* optional; resource namespace, "default" if absent */
    char *name;       /* required; resource name = libvirt object name */
    char *node;       /* required; the node whose topic carries it */
    cJSON *params;    /* required object; the value of spec.lifecycle.<op> */
    char *uid;        /* optional; metadata.uid of the resource it came from */
    char *event_id;   /* optional; the client's eventId label */
    char *source;     /* optional; "bridge" or the external publisher's name */
    int64_t created_ms;  /* required; ms since the epoch */
    int64_t deadline_ms; /* optional; 0 = none; refused as expired after it */
    bool has_resource;   /* true when a Kubernetes resource awaits the result */
};

/* A request's outcome, as published to vmrelay.results. */
struct result {
    char *id, *kind, *operation, *namespace, *name, *node, *uid, *event_id;
    bool has_resource;
    bool success;
    char *reason;  /* Running/Paused/Shutdown/Crashed/Ready, or the error type */
    char *message; /* a sentence a person can act on */
    enum error_type error_type;
    int error_code;   /* libvirt virErrorNumber, 0 if none */
    int error_domain; /* libvirt virErrorDomain, 0 if none */
    cJSON *spec;      /* optional object: spec fields to refresh, e.g. {"domain": {...}} */
    int64_t started_ms, finished_ms;
    int attempt;      /* 1 for the first execution */
    bool replayed;    /* true when republished from the node journal */
};

/* Parses a request. On failure returns -EINVAL (or -EMSGSIZE/-ENOMEM) and
 * writes to err a sentence naming the field and what is wrong with it. */
int request_parse(const char *buf, size_t len, struct request **ret_req, char *err, size_t errlen);
/* Returns a malloc'd JSON text, or NULL on allocation failure. */
char *request_encode(const struct request *req);
void request_free(struct request *req);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct request *, request_free);

/* The Kafka message key: "<Kind>/<namespace>/<name>", except snapshot
 * requests, which use their domain's VirtualMachine key so that they stay
 * in order with it. Returns a malloc'd string or NULL. */
char *request_ordering_key(const struct request *req);

int result_parse(const char *buf, size_t len, struct result **ret_res, char *err, size_t errlen);
char *result_encode(const struct result *res);
void result_free(struct result *res);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct result *, result_free);

/* Starts a result for req: copies its identity fields, sets attempt = 1. */
int result_new_for(const struct request *req, struct result **ret_res);
