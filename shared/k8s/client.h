/* Requests to the Kubernetes API server over libcurl.
 *
 * A struct k8s_client owns one CURL handle and is used from one thread at a
 * time; a program makes one client per thread from one shared, read-only
 * struct k8s_config (see config.h), which costs a handle and a reference.
 * Connections are kept alive between requests of the same client.
 *
 * Every request returns 0 on success or a negative errno. When err is not
 * NULL it is filled on failure with the HTTP status (0 when no response
 * came) and the API's Status reason and message, so that callers can tell
 * a missing object from a conflict or an outage:
 *   400, 422 -> -EINVAL       401 -> -EACCES       403 -> -EPERM
 *   404 -> -ENOENT            409 AlreadyExists -> -EEXIST
 *   409 Conflict -> -EBUSY    410 Gone -> -ESTALE  413 -> -EFBIG
 *   429 -> -EAGAIN            5xx -> -EIO          other -> -EPROTO
 *   no answer: -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH, -ECONNRESET,
 *   -EIO (TLS and others, curl's message in err->message)
 *   cancelled with k8s_client_cancel(): -ECANCELED
 *   response body over its cap: -EFBIG */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"
#include "shared/k8s/config.h"

/* Caps on response bodies; a single object is small, a LIST of every
 * resource of a kind may be large. Both can be changed per client. */
#define K8S_BODY_MAX (8u * 1024 * 1024)
#define K8S_LIST_MAX (64u * 1024 * 1024)
/* Items per LIST page requested with limit=. */
#define K8S_LIST_PAGE_DEFAULT 500
/* Seconds a non-watch request may take, connection included. */
#define K8S_TIMEOUT_DEFAULT 30
#define K8S_CONNECT_TIMEOUT 10
/* Service account tokens rotate; a client re-reads its token file this
 * often (kubelet refreshes projected tokens well before they expire). */
#define K8S_TOKEN_REFRESH_SEC 60
/* Longest resource path k8s_resource_path() builds. */
#define K8S_PATH_MAX 2048
/* Longest query string (selectors, continue token) added to a path. */
#define K8S_QUERY_MAX 8192

struct k8s_error {
    long http_status;  /* 0 when the server gave no answer */
    char reason[64];   /* Status.reason: "NotFound", "Conflict", "Expired", ... */
    char message[512]; /* Status.message, or curl's error */
};

struct k8s_client;

/* Makes a client that holds a reference to cfg. Any thread. */
int k8s_client_new(struct k8s_config *cfg, struct k8s_client **ret_client);
/* Accepts NULL. The client's thread only. */
void k8s_client_free(struct k8s_client *client);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct k8s_client *, k8s_client_free);

const struct k8s_config *k8s_client_config(const struct k8s_client *client);

/* Caps and timeout for later requests. The client's thread only. */
void k8s_client_set_body_max(struct k8s_client *client, size_t body_max, size_t list_max);
void k8s_client_set_timeout(struct k8s_client *client, long seconds);

/* Makes the request in flight (within about a second, the rate at which
 * libcurl reports progress on an idle stream) and every later one fail
 * with -ECANCELED. Any thread; the only function that is. */
void k8s_client_cancel(struct k8s_client *client);
bool k8s_client_cancelled(const struct k8s_client *client);

/* Builds "/apis/<group>/<version>[/namespaces/<ns>]/<plural>[/<name>[/<sub>]]",
 * or "/api/v1/..." when group is NULL or "" (the core group). namespace
 * NULL means across all namespaces; name NULL means the collection.
 * Segments are checked to contain no '/', '?', '#', '%' or space and not to
 * be "." or "..": -EINVAL otherwise. Any thread. */
int k8s_resource_path(const char *group, const char *version, const char *plural,
                      const char *namespace, const char *name, const char *subresource,
                      char **ret_path);

/* Any method; body may be NULL. The parsed response (or NULL for an empty
 * one) goes to *ret_obj when ret_obj is not NULL. */
int k8s_request(struct k8s_client *client, const char *method, const char *path,
                const char *content_type, const char *body, size_t body_max, cJSON **ret_obj,
                struct k8s_error *err);

int k8s_get(struct k8s_client *client, const char *path, cJSON **ret_obj, struct k8s_error *err);

/* POST of obj_json to a collection path; the created object to *ret_obj. */
int k8s_create(struct k8s_client *client, const char *path, const char *obj_json,
               cJSON **ret_obj, struct k8s_error *err);

/* PATCH with application/merge-patch+json (RFC 7386). For the status
 * subresource pass a path built with subresource "status". Put
 * metadata.resourceVersion in the patch to make it fail with -EBUSY (409)
 * when the object changed since it was read. */
int k8s_merge_patch(struct k8s_client *client, const char *path, const char *patch_json,
                    cJSON **ret_obj, struct k8s_error *err);

/* DELETE; options_json is a DeleteOptions body or NULL. */
int k8s_delete(struct k8s_client *client, const char *path, const char *options_json,
               cJSON **ret_obj, struct k8s_error *err);

struct k8s_list_opts {
    const char *label_selector; /* NULL: all */
    const char *field_selector; /* NULL: all */
    long limit;                 /* items per page; 0: K8S_LIST_PAGE_DEFAULT */
};

/* One LIST page: the whole List object. cont is the previous page's
 * metadata.continue or NULL. -ESTALE (410) when cont expired. */
int k8s_list_page(struct k8s_client *client, const char *path, const struct k8s_list_opts *opts,
                  const char *cont, cJSON **ret_list, struct k8s_error *err);

/* Every page of a LIST, one consistent snapshot: *ret_items is a JSON array
 * of the objects, each given the kind and apiVersion the API leaves out of
 * list items, and *ret_rv the list's resourceVersion to start a watch from.
 * The pages together may not exceed the client's list cap (-EFBIG). opts
 * may be NULL. */
int k8s_list(struct k8s_client *client, const char *path, const struct k8s_list_opts *opts,
             cJSON **ret_items, char **ret_rv, struct k8s_error *err);

/* The "code" of a Status object (an ERROR watch event), or 0. Any thread. */
long k8s_status_code(const cJSON *status);
