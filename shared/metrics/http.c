#include "shared/metrics/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "shared/core/config.h"
#include "shared/core/log.h"

#define METRICS_LISTEN_MAX 128
#define METRICS_CONNECTIONS_MAX 16

struct metrics_http {
    struct MHD_Daemon *daemon;
    struct metrics *metrics;
    metrics_ready_fn ready;
    void *userdata;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
                             char *body, bool owned)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    resp = MHD_create_response_from_buffer(strlen(body), body,
                                           owned ? MHD_RESPMEM_MUST_FREE
                                                 : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (owned)
            free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    struct metrics_http *http = cls;
    char *text;

    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
                     (char *)"only GET\n", false);
    if (strcmp(url, "/metrics") == 0) {
        text = metrics_render(http->metrics);
        if (!text)
            return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
                         (char *)"out of memory\n", false);
        return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4", text, true);
    }
    if (strcmp(url, "/healthz") == 0)
        return reply(conn, MHD_HTTP_OK, "text/plain", (char *)"ok\n", false);
    if (strcmp(url, "/readyz") == 0) {
        bool ready = !http->ready || http->ready(http->userdata);

        return reply(conn, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                     ready ? (char *)"ready\n" : (char *)"not ready\n", false);
    }
    return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", (char *)"not found\n", false);
}

/* Parses "HOST:PORT", "[V6]:PORT" or ":PORT" (all interfaces). */
static int parse_listen(const char *listen, struct sockaddr_storage *ret_sa)
{
    char host[METRICS_LISTEN_MAX];
    const char *colon = strrchr(listen, ':');
    char *end;
    long port;
    size_t n;

    if (!colon || strlen(listen) >= sizeof(host))
        return -EINVAL;
    port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || port <= 0 || port > 65535)
        return -EINVAL;
    n = (size_t)(colon - listen);
    memcpy(host, listen, n);
    host[n] = '\0';

    memset(ret_sa, 0, sizeof(*ret_sa));
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ret_sa;

        host[n - 1] = '\0';
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        return inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) == 1 ? 0 : -EINVAL;
    }
    {
        struct sockaddr_in *sin = (struct sockaddr_in *)ret_sa;

        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        if (n == 0) {
            sin->sin_addr.s_addr = htonl(INADDR_ANY);
            return 0;
        }
        return inet_pton(AF_INET, host, &sin->sin_addr) == 1 ? 0 : -EINVAL;
    }
}

int metrics_http_start(const char *listen, struct metrics *metrics, metrics_ready_fn ready,
                       void *userdata, struct metrics_http **ret_http)
{
    struct metrics_http *http;
    struct sockaddr_storage sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    int r;

    r = parse_listen(listen, &sa);
    if (r < 0)
        return r;
    http = calloc(1, sizeof(*http));
    if (!http)
        return -ENOMEM;
    http->metrics = metrics;
    http->ready = ready;
    http->userdata = userdata;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;

    http->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, http, MHD_OPTION_SOCK_ADDR,
                                    (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_LIMIT,
                                    (unsigned)METRICS_CONNECTIONS_MAX,
                                    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
    if (!http->daemon) {
        r = errno ? -errno : -EADDRINUSE;
        free(http);
        return r;
    }
    *ret_http = http;
    return 0;
}

void metrics_http_stop(struct metrics_http *http)
{
    if (!http)
        return;
    MHD_stop_daemon(http->daemon);
    free(http);
}

int metrics_http_from_config(const struct config *cfg, struct metrics *metrics,
                             metrics_ready_fn ready, void *userdata,
                             struct metrics_http **ret_http)
{
    const char *listen = config_get(cfg, "metrics.listen", NULL);
    int r;

    *ret_http = NULL;
    if (!listen || !*listen)
        return 0;
    r = metrics_http_start(listen, metrics, ready, userdata, ret_http);
    if (r == -EINVAL) {
        log_error("Setting metrics.listen: '%s' is not ADDRESS:PORT.", listen);
        return r;
    }
    if (r < 0)
        log_warning("Cannot serve metrics on %s: %s; going on without them.", listen,
                    strerror(-r));
    else
        log_info("Serving /metrics, /healthz and /readyz on %s.", listen);
    return 0;
}
