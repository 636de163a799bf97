/* Where the Kubernetes API server is and how vmrelay proves who it is.
 *
 * A struct k8s_config is parsed once and then only read: every client
 * (one per thread, see client.h) takes a reference to the same one, so
 * creating another client costs a CURL handle and nothing more.
 *
 * Sources, in the order k8s_config_load(NULL, ...) tries them:
 *   1. an explicit kubeconfig path (k8s_config_load(path, ...)),
 *   2. $KUBECONFIG (its first entry when it is a ':' list; the files are
 *      not merged as kubectl does),
 *   3. in-cluster service account credentials, when
 *      $KUBERNETES_SERVICE_HOST is set,
 *   4. ~/.kube/config.
 * TLS peer verification is on unless the kubeconfig's cluster says
 * insecure-skip-tls-verify: true. Exec and auth-provider plugins are not
 * supported: a user that needs one is refused with a message naming it.
 *
 * Thread safety: loading functions may be called from any thread; a loaded
 * config is immutable and may be shared by any number of threads. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "shared/core/macro.h"

/* A kubeconfig with a few embedded certificates is tens of KiB. */
#define K8S_KUBECONFIG_MAX (4u * 1024 * 1024)
/* A PEM certificate chain, key or token file. */
#define K8S_CREDENTIAL_FILE_MAX (1024u * 1024)
#define K8S_SERVICEACCOUNT_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Bytes of a certificate or key, NUL-terminated (not counted in len). */
struct k8s_blob {
    unsigned char *data;
    size_t len;
};

struct k8s_config {
    atomic_uint refs;
    char *server;    /* "https://host:port", no trailing '/' */
    char *namespace; /* the context's namespace, else "default" */
    char *source;    /* where it came from, for messages */
    bool insecure_skip_tls_verify;
    struct k8s_blob ca;          /* PEM; empty: the system's CAs */
    struct k8s_blob client_cert; /* PEM; empty: no client certificate */
    struct k8s_blob client_key;
    char *token;      /* bearer token, or NULL */
    char *token_file; /* re-read by clients, as service account tokens rotate */
};

/* Loads a kubeconfig file, or with kubeconfig_path == NULL the first
 * source of the list above. Relative file names in the kubeconfig are
 * resolved from the kubeconfig's directory. On error writes a sentence to
 * err naming the file and what is wrong. */
int k8s_config_load(const char *kubeconfig_path, struct k8s_config **ret_cfg, char *err,
                    size_t errlen);

/* Parses kubeconfig text. name is used in messages, base_dir resolves
 * relative file names, context == NULL means current-context. */
int k8s_config_parse(const char *text, size_t len, const char *name, const char *base_dir,
                     const char *context, struct k8s_config **ret_cfg, char *err,
                     size_t errlen);

/* Builds a config from $KUBERNETES_SERVICE_HOST/PORT and the token, ca.crt
 * and namespace files in sa_dir (NULL: K8S_SERVICEACCOUNT_DIR). -ENOENT
 * when not running inside a cluster. */
int k8s_config_in_cluster(const char *sa_dir, struct k8s_config **ret_cfg, char *err,
                          size_t errlen);

struct k8s_config *k8s_config_ref(struct k8s_config *cfg);
/* Drops a reference; frees on the last. Accepts NULL. */
void k8s_config_unref(struct k8s_config *cfg);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct k8s_config *, k8s_config_unref);
