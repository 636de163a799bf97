/* What the bridge does with one resource it sees in a LIST or WATCH.
 *
 * The decision depends only on the object, so a restart, a relist or an
 * unrelated update reaches the same decision:
 *   - no spec.lifecycle, or the resource is being deleted: nothing;
 *   - a request whose dispatch is already recorded in status.lastRequest
 *     (same operation and parameters, phase Dispatched): nothing;
 *   - the same, phase Pending (recorded, then the bridge stopped before the
 *     broker acknowledged): produce again under the recorded id;
 *   - a new request that breaks a rule: reject, never dispatch;
 *   - a valid request creating a VirtualMachine on no node: schedule it
 *     (the node is written into the resource, whose next event
 *     dispatches it);
 *   - a new valid request: record it as Pending, produce, mark Dispatched.
 * The id of a new request is derived from the resource's uid, its
 * generation when the request was first seen and the request itself; once
 * recorded, the record is what keeps it stable.
 *
 * Pure: no I/O. Any thread. */
#pragma once

#include <stdint.h>

#include <cjson/cJSON.h>

#include "shared/msg/message.h"

#define PLAN_MESSAGE_MAX 512

enum plan_action {
    PLAN_NOTHING,
    PLAN_REJECT,  /* write a VirtctlError outcome; message says why */
    PLAN_RECORD,  /* new request: record Pending, then produce */
    PLAN_RESEND,  /* recorded Pending earlier: produce under that id */
    PLAN_SCHEDULE, /* a new VM with no node: choose one, write it, then dispatch */
};

/* Checks params of kind/operation; returns 0 or -EINVAL with a sentence in
 * err naming the field and the rule. */
typedef int (*plan_validate_fn)(const char *kind, const char *name, const char *operation,
                                const cJSON *params, char *err, size_t errlen, void *userdata);

struct plan_opts {
    plan_validate_fn validate; /* may be NULL: no field checks */
    void *validate_userdata;
    int64_t now_ms;
};

struct plan {
    enum plan_action action;
    char *operation;
    char *lifecycle_hash;        /* sha256 of operation and canonical params */
    struct request *req;         /* for PLAN_RECORD and PLAN_RESEND */
    char message[PLAN_MESSAGE_MAX]; /* for PLAN_REJECT */
};

int plan_make(const char *kind, const cJSON *obj, const struct plan_opts *opts,
              struct plan **ret_plan);
void plan_free(struct plan *plan);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct plan *, plan_free);

/* The patch of /status that records a request before it is produced
 * (phase Pending) or after the broker acknowledged it (phase Dispatched).
 * node_note, when not NULL, says why the request may wait (its node is
 * not live) and is written as lastRequest.message. */
cJSON *plan_record_patch(const struct plan *plan, const char *phase, const char *resource_version,
                         int64_t now_ms, const char *node_note);
