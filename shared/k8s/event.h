/* core/v1 Events, the record "kubectl describe" shows under an object.
 *
 * Thread safety: the client's thread. */
#pragma once

#include "shared/k8s/client.h"

/* Longest message kept; kubectl and the API server expect short ones. */
#define K8S_EVENT_MESSAGE_MAX 1024
#define K8S_EVENT_COMPONENT "vmrelay"

/* The object an event is about. namespace NULL: the event's namespace. */
struct k8s_object_ref {
    const char *api_version; /* "cloudplus.io/v1alpha3" */
    const char *kind;        /* "VirtualMachine" */
    const char *namespace;
    const char *name;
    const char *uid; /* may be NULL */
};

/* Posts an Event in namespace about obj. type is "Normal" or "Warning"
 * (-EINVAL otherwise); reason is a short CamelCase word; message is cut at
 * K8S_EVENT_MESSAGE_MAX bytes. The server names the event
 * "<obj name>.<random>". */
int k8s_event_create(struct k8s_client *client, const char *namespace,
                     const struct k8s_object_ref *obj, const char *reason, const char *message,
                     const char *type, struct k8s_error *err);
