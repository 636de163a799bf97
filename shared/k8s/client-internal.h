/* What client.c shares with watch.c and event.c; not for other modules.
 *
 * Thread safety: the client's thread only. */
#pragma once

#include <stddef.h>

#include "shared/k8s/client.h"

/* One HTTP exchange. write() receives the response body as it arrives,
 * with the response's HTTP status; a negative return aborts the transfer
 * and becomes k8s_client_perform()'s result. */
struct k8s_call {
    const char *method;
    const char *path; /* with its query string */
    const char *content_type;
    const char *body;
    long timeout_sec; /* whole transfer; 0: none */
    int (*write)(void *userdata, long http_status, const char *data, size_t len);
    void *userdata;
    long http_status; /* out */
};

/* Runs the call. 0 when a response arrived, whatever its status; a
 * negative errno and err filled when none did. */
int k8s_client_perform(struct k8s_client *client, struct k8s_call *call, struct k8s_error *err);

/* The client's cap on a whole LIST (all pages). */
size_t k8s_client_list_max(const struct k8s_client *client);

/* Appends "?key=value" or "&key=value" to *path, the value escaped. */
int k8s_query_append(char **path, const char *key, const char *value);

/* k8s_request() that also tells the size of the response body. */
int k8s_request_sized(struct k8s_client *client, const char *method, const char *path,
                      const char *content_type, const char *body, size_t body_max,
                      cJSON **ret_obj, size_t *ret_len, struct k8s_error *err);

/* A growing buffer with a cap, NUL-terminated. */
struct k8s_buffer {
    char *data;
    size_t len, cap, max;
};

int k8s_buffer_append(struct k8s_buffer *buf, const char *data, size_t len);
void k8s_buffer_done(struct k8s_buffer *buf);

/* Maps a non-2xx response to -errno and fills err from its Status body. */
int k8s_error_from_response(long http_status, const char *body, size_t len,
                            struct k8s_error *err);

void k8s_error_set(struct k8s_error *err, long http_status, const char *reason,
                   const char *fmt, ...) _printf_(4, 5);
