#include "shared/k8s/client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/k8s/client-internal.h"
#include "shared/k8s/file.h"

#define K8S_HEADER_MAX 8192

struct k8s_client {
    struct k8s_config *cfg;
    CURL *curl;
    atomic_bool cancelled;
    size_t body_max, list_max;
    long timeout_sec;
    char *token;            /* own copy, refreshed from cfg->token_file */
    struct timespec token_read;
    char errbuf[CURL_ERROR_SIZE];
};

struct transfer {
    struct k8s_client *client;
    struct k8s_call *call;
    int write_error;
};

void k8s_error_set(struct k8s_error *err, long http_status, const char *reason,
                   const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    err->http_status = http_status;
    snprintf(err->reason, sizeof(err->reason), "%s", reason ? reason : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

int k8s_buffer_append(struct k8s_buffer *buf, const char *data, size_t len)
{
    if (len > buf->max - buf->len)
        return -EFBIG;
    if (buf->len + len + 1 > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 16384;
        char *p;

        while (cap < buf->len + len + 1)
            cap *= 2;
        if (cap > buf->max + 1)
            cap = buf->max + 1;
        p = realloc(buf->data, cap);
        if (!p)
            return -ENOMEM;
        buf->data = p;
        buf->cap = cap;
    }
    memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

void k8s_buffer_done(struct k8s_buffer *buf)
{
    free(buf->data);
    *buf = (struct k8s_buffer){.max = buf->max};
}

static int errno_from_http(long status, const char *reason)
{
    switch (status) {
    case 400:
    case 422:
        return -EINVAL;
    case 401:
        return -EACCES;
    case 403:
        return -EPERM;
    case 404:
        return -ENOENT;
    case 409:
        return strcmp(reason, "AlreadyExists") == 0 ? -EEXIST : -EBUSY;
    case 410:
        return -ESTALE;
    case 413:
        return -EFBIG;
    case 429:
        return -EAGAIN;
    default:
        return status >= 500 ? -EIO : -EPROTO;
    }
}

int k8s_error_from_response(long http_status, const char *body, size_t len,
                            struct k8s_error *err)
{
    _cleanup_(cJSON_Deletep) cJSON *status = NULL;
    const char *reason = "", *message = NULL;
    char snippet[200];
    size_t n;

    status = body && len > 0 ? cJSON_ParseWithLength(body, len) : NULL;
    if (status) {
        reason = json_path_string(status, "reason");
        message = json_path_string(status, "message");
        if (!reason)
            reason = "";
    }
    if (!message) {
        /* Not a Status: a proxy's page or an empty body. Keep its start. */
        n = len < sizeof(snippet) - 1 ? len : sizeof(snippet) - 1;
        for (size_t i = 0; i < n; i++)
            snippet[i] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : ' ';
        snippet[n] = '\0';
        message = n > 0 ? snippet : "no message";
    }
    k8s_error_set(err, http_status, reason, "HTTP %ld: %s", http_status, message);
    return errno_from_http(http_status, reason);
}

long k8s_status_code(const cJSON *status)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(status, "code");

    return cJSON_IsNumber(code) ? (long)code->valuedouble : 0;
}

int k8s_client_new(struct k8s_config *cfg, struct k8s_client **ret_client)
{
    _cleanup_(k8s_client_freep) struct k8s_client *client = NULL;

    client = calloc(1, sizeof(*client));
    if (!client)
        return -ENOMEM;
    client->cfg = k8s_config_ref(cfg);
    client->body_max = K8S_BODY_MAX;
    client->list_max = K8S_LIST_MAX;
    client->timeout_sec = K8S_TIMEOUT_DEFAULT;
    atomic_init(&client->cancelled, false);
    if (cfg->token) {
        client->token = strdup(cfg->token);
        if (!client->token)
            return -ENOMEM;
        clock_gettime(CLOCK_MONOTONIC, &client->token_read);
    }
    client->curl = curl_easy_init();
    if (!client->curl)
        return -ENOMEM;
    *ret_client = TAKE_PTR(client);
    return 0;
}

void k8s_client_free(struct k8s_client *client)
{
    if (!client)
        return;
    if (client->curl)
        curl_easy_cleanup(client->curl);
    if (client->token)
        explicit_bzero(client->token, strlen(client->token));
    free(client->token);
    k8s_config_unref(client->cfg);
    free(client);
}

const struct k8s_config *k8s_client_config(const struct k8s_client *client)
{
    return client->cfg;
}

void k8s_client_set_body_max(struct k8s_client *client, size_t body_max, size_t list_max)
{
    client->body_max = body_max;
    client->list_max = list_max;
}

void k8s_client_set_timeout(struct k8s_client *client, long seconds)
{
    client->timeout_sec = seconds;
}

size_t k8s_client_list_max(const struct k8s_client *client)
{
    return client->list_max;
}

void k8s_client_cancel(struct k8s_client *client)
{
    atomic_store(&client->cancelled, true);
}

bool k8s_client_cancelled(const struct k8s_client *client)
{
    return atomic_load(&client->cancelled);
}

static void refresh_token(struct k8s_client *client)
{
    struct timespec now;
    char *buf = NULL;
    size_t len;

    if (!client->cfg->token_file)
        return;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (client->token && now.tv_sec - client->token_read.tv_sec < K8S_TOKEN_REFRESH_SEC)
        return;
    /* On failure the old token is kept: it may still be valid, and the
     * server's 401 will say so if not. */
    if (k8s_file_read(client->cfg->token_file, K8S_CREDENTIAL_FILE_MAX, &buf, &len) < 0) {
        log_debug("Cannot re-read token file %s; keeping the previous token.",
                  client->cfg->token_file);
        return;
    }
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
        buf[--len] = '\0';
    if (len == 0) {
        free(buf);
        return;
    }
    if (client->token)
        explicit_bzero(client->token, strlen(client->token));
    free(client->token);
    client->token = buf;
    client->token_read = now;
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    long status = 0;
    int r;

    curl_easy_getinfo(t->client->curl, CURLINFO_RESPONSE_CODE, &status);
    r = t->call->write(t->call->userdata, status, ptr, size * nmemb);
    if (r < 0) {
        t->write_error = r;
        return 0;
    }
    return size * nmemb;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    struct transfer *t = userdata;

    return atomic_load(&t->client->cancelled) ? 1 : 0;
}

static int errno_from_curl(CURLcode code)
{
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return -ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
        return -ECONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return -EHOSTUNREACH;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return -ECONNRESET;
    case CURLE_ABORTED_BY_CALLBACK:
        return -ECANCELED;
    case CURLE_OUT_OF_MEMORY:
        return -ENOMEM;
    default:
        return -EIO;
    }
}

static int add_header(struct curl_slist **headers, const char *line)
{
    struct curl_slist *l = curl_slist_append(*headers, line);

    if (!l)
        return -ENOMEM;
    *headers = l;
    return 0;
}

static int build_headers(struct k8s_client *client, const struct k8s_call *call,
                         struct curl_slist **ret_headers)
{
    struct curl_slist *headers = NULL;
    char line[K8S_HEADER_MAX];
    int r;

    r = add_header(&headers, "Accept: application/json");
    /* libcurl would otherwise wait for "100 Continue" before large bodies. */
    if (r >= 0)
        r = add_header(&headers, "Expect:");
    if (r >= 0 && call->content_type) {
        snprintf(line, sizeof(line), "Content-Type: %s", call->content_type);
        r = add_header(&headers, line);
    }
    if (r >= 0 && client->token) {
        int n = snprintf(line, sizeof(line), "Authorization: Bearer %s", client->token);

        r = n > 0 && (size_t)n < sizeof(line) ? add_header(&headers, line) : -E2BIG;
        explicit_bzero(line, sizeof(line));
    }
    if (r < 0) {
        curl_slist_free_all(headers);
        return r;
    }
    *ret_headers = headers;
    return 0;
}

static void set_tls(struct k8s_client *client)
{
    const struct k8s_config *cfg = client->cfg;
    CURL *c = client->curl;

    if (cfg->insecure_skip_tls_verify) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (cfg->ca.len > 0) {
        /* The config outlives the handle (the client holds a reference),
         * so libcurl need not copy the PEM. */
        struct curl_blob ca = {cfg->ca.data, cfg->ca.len, CURL_BLOB_NOCOPY};

        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &ca);
    }
    if (cfg->client_cert.len > 0) {
        struct curl_blob cert = {cfg->client_cert.data, cfg->client_cert.len, CURL_BLOB_NOCOPY};
        struct curl_blob key = {cfg->client_key.data, cfg->client_key.len, CURL_BLOB_NOCOPY};

        curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
        curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    }
}

int k8s_client_perform(struct k8s_client *client, struct k8s_call *call, struct k8s_error *err)
{
    struct transfer t = {.client = client, .call = call};
    struct curl_slist *headers = NULL;
    _cleanup_free_ char *url = NULL;
    size_t n;
    CURLcode code;
    CURL *c = client->curl;
    int r;

    if (atomic_load(&client->cancelled)) {
        k8s_error_set(err, 0, "Cancelled", "The client was cancelled.");
        return -ECANCELED;
    }

    n = strlen(client->cfg->server) + strlen(call->path) + 1;
    url = malloc(n);
    if (!url)
        return -ENOMEM;
    snprintf(url, n, "%s%s", client->cfg->server, call->path);

    refresh_token(client);
    r = build_headers(client, call, &headers);
    if (r < 0)
        return r;

    curl_easy_reset(c);
    client->errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "vmrelay");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, client->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)K8S_CONNECT_TIMEOUT);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, call->timeout_sec);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call->method);
    if (call->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(call->body));
    }
    set_tls(client);

    code = curl_easy_perform(c);
    curl_slist_free_all(headers);
    /* The header list and URL are freed now; drop libcurl's pointers. */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);

    call->http_status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &call->http_status);
    if (code == CURLE_WRITE_ERROR && t.write_error < 0) {
        if (t.write_error == -EFBIG)
            k8s_error_set(err, call->http_status, "TooLarge",
                          "The response to %s %s is larger than its cap.", call->method,
                          call->path);
        return t.write_error;
    }
    if (code != CURLE_OK) {
        r = errno_from_curl(code);
        if (r == -ECANCELED)
            k8s_error_set(err, 0, "Cancelled", "%s %s was cancelled.", call->method,
                          call->path);
        else
            k8s_error_set(err, 0, "", "%s %s: %s", call->method, call->path,
                          client->errbuf[0] ? client->errbuf : curl_easy_strerror(code));
        return r;
    }
    return 0;
}

static int buffer_write(void *userdata, long http_status, const char *data, size_t len)
{
    return k8s_buffer_append(userdata, data, len);
}

int k8s_request(struct k8s_client *client, const char *method, const char *path,
                const char *content_type, const char *body, size_t body_max, cJSON **ret_obj,
                struct k8s_error *err)
{
    return k8s_request_sized(client, method, path, content_type, body, body_max, ret_obj, NULL,
                             err);
}

int k8s_request_sized(struct k8s_client *client, const char *method, const char *path,
                      const char *content_type, const char *body, size_t body_max,
                      cJSON **ret_obj, size_t *ret_len, struct k8s_error *err)
{
    struct k8s_buffer buf = {.max = body_max ? body_max : client->body_max};
    struct k8s_call call = {
        .method = method,
        .path = path,
        .content_type = content_type,
        .body = body,
        .timeout_sec = client->timeout_sec,
        .write = buffer_write,
        .userdata = &buf,
    };
    cJSON *obj = NULL;
    int r;

    r = k8s_client_perform(client, &call, err);
    if (r < 0)
        goto out;
    if (call.http_status < 200 || call.http_status > 299) {
        r = k8s_error_from_response(call.http_status, buf.data, buf.len, err);
        goto out;
    }
    if (buf.len > 0) {
        obj = cJSON_ParseWithLength(buf.data, buf.len);
        if (!obj) {
            k8s_error_set(err, call.http_status, "BadResponse",
                          "The response to %s %s is not JSON.", method, path);
            r = -EBADMSG;
            goto out;
        }
    }
    if (ret_len)
        *ret_len = buf.len;
    if (ret_obj)
        *ret_obj = obj;
    else
        cJSON_Delete(obj);
    r = 0;
out:
    k8s_buffer_done(&buf);
    return r;
}

int k8s_get(struct k8s_client *client, const char *path, cJSON **ret_obj, struct k8s_error *err)
{
    return k8s_request(client, "GET", path, NULL, NULL, 0, ret_obj, err);
}

int k8s_create(struct k8s_client *client, const char *path, const char *obj_json,
               cJSON **ret_obj, struct k8s_error *err)
{
    return k8s_request(client, "POST", path, "application/json", obj_json, 0, ret_obj, err);
}

int k8s_merge_patch(struct k8s_client *client, const char *path, const char *patch_json,
                    cJSON **ret_obj, struct k8s_error *err)
{
    return k8s_request(client, "PATCH", path, "application/merge-patch+json", patch_json, 0,
                       ret_obj, err);
}

int k8s_delete(struct k8s_client *client, const char *path, const char *options_json,
               cJSON **ret_obj, struct k8s_error *err)
{
    return k8s_request(client, "DELETE", path, options_json ? "application/json" : NULL,
                       options_json, 0, ret_obj, err);
}
