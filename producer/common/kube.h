/* The Kubernetes side of the producer programs: credentials from the
 * configuration, where each kind lives, and writing an outcome.
 *
 * Settings: kube.config (kubeconfig path; unset: $KUBECONFIG, in-cluster,
 * ~/.kube/config), crd.group (cloudplus.io), crd.version (v1alpha3). */
#pragma once

#include <cjson/cJSON.h>

#include "shared/core/config.h"
#include "shared/k8s/client.h"
#include "shared/k8s/config.h"
#include "shared/msg/message.h"

#define KUBE_GROUP_DEFAULT "cloudplus.io"
#define KUBE_VERSION_DEFAULT "v1alpha3"
/* How often an outcome write is retried after a conflict before giving up
 * until the next delivery of the result. */
#define KUBE_CONFLICT_RETRIES 5

struct kube_target {
    const char *group, *version;
};

/* Loads the credentials named by the configuration. Any thread. */
int kube_config_load(const struct config *cfg, struct k8s_config **ret_kcfg);

void kube_target_from_config(const struct config *cfg, struct kube_target *ret_target);

/* The path of one resource (subresource may be NULL) of a kind known to
 * the catalogue. -ENOENT for an unknown kind. */
int kube_object_path(const struct kube_target *t, const char *kind, const char *namespace,
                     const char *name, const char *subresource, char **ret_path);

/* Writes an outcome into the resource as docs/status.md describes: spec
 * patch (with the resourceVersion of obj as a precondition, re-reading on
 * conflict), then status patch; or deletes the resource for a successful
 * delete operation. obj may be NULL (then it is read first). Returns 0,
 * -ENOENT when the resource is gone or is another one (uid), -ESTALE when a
 * newer request replaced this one, -EALREADY when the resource already
 * records this request as finished (nothing written), or another -errno with err filled.
 * The client's thread. */
int kube_write_outcome(struct k8s_client *client, const struct kube_target *t,
                       const struct result *res, const cJSON *obj, struct k8s_error *err);
