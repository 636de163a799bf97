/* The informer against a scripted HTTP server on 127.0.0.1: LIST, WATCH,
 * an in-stream 410 that forces a relist (objects gone from it are reported
 * deleted), a bookmark that moves the resourceVersion, a 500 that is
 * retried after a backoff, and a stop that ends an idle watch. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/testing.h"
#include "shared/core/json.h"
#include "shared/k8s/watch.h"

#define REQUESTS_MAX 16
#define EVENTS_MAX 32

#define OBJ(name, rv)                                                                          \
    "{\"metadata\":{\"name\":\"" name "\",\"namespace\":\"ns1\",\"resourceVersion\":\"" rv     \
    "\"}}"
#define EV(type, name, rv) "{\"type\":\"" type "\",\"object\":" OBJ(name, rv) "}\n"

/* Responses in the order requests arrive; NULL body: hold the stream open
 * until the client goes away. */
static const struct {
    const char *status;
    const char *body;
} script[] = {
    {"200 OK", "{\"kind\":\"VirtualMachineList\",\"apiVersion\":\"cloudplus.io/v1alpha3\","
               "\"metadata\":{\"resourceVersion\":\"5\"},\"items\":[" OBJ("a", "1") ","
               OBJ("b", "2") "]}"},
    {"200 OK", EV("MODIFIED", "a", "6")
               "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
               "\"reason\":\"Expired\",\"message\":\"too old resource version\"}}\n"},
    {"200 OK", "{\"kind\":\"VirtualMachineList\",\"apiVersion\":\"cloudplus.io/v1alpha3\","
               "\"metadata\":{\"resourceVersion\":\"8\"},\"items\":[" OBJ("a", "6") ","
               OBJ("c", "7") "]}"},
    {"200 OK", "garbage line\n{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":"
               "{\"resourceVersion\":\"9\"}}}\n"},
    {"500 Internal Server Error", "{\"kind\":\"Status\",\"code\":500,\"message\":\"etcd down\"}"},
    {"200 OK", NULL},
};

static int listen_fd = -1;
static char requests[REQUESTS_MAX][512];
static bool authorized[REQUESTS_MAX];
static int n_requests;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void serve_one(int fd, size_t i)
{
    char req[4096], head[256];
    size_t n = 0;
    ssize_t k;

    while (n < sizeof(req) - 1 && (k = read(fd, req + n, sizeof(req) - 1 - n)) > 0) {
        n += (size_t)k;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n"))
            break;
    }
    req[n] = '\0';
    pthread_mutex_lock(&lock);
    sscanf(req, "GET %511s", requests[n_requests]);
    authorized[n_requests] = strstr(req, "Authorization: Bearer t0k\r\n") != NULL;
    n_requests++;
    pthread_mutex_unlock(&lock);

    snprintf(head, sizeof(head),
             "HTTP/1.1 %s\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
             script[i].status);
    if (write(fd, head, strlen(head)) < 0)
        return;
    if (script[i].body) {
        if (write(fd, script[i].body, strlen(script[i].body)) < 0)
            return;
    } else {
        /* An idle watch: wait until the client hangs up. */
        struct pollfd p = {.fd = fd, .events = POLLIN};

        poll(&p, 1, 20000);
    }
}

static void *server(void *userdata)
{
    for (size_t i = 0; i < ELEMENTSOF(script); i++) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

        if (fd < 0)
            break;
        serve_one(fd, i);
        close(fd);
    }
    return NULL;
}

static struct {
    int n, lists_started, lists_ended;
    char log[EVENTS_MAX][32];
} seen;

static void on_list_start(const char *ns, void *userdata)
{
    seen.lists_started++;
}

static int on_object(const char *ns, enum k8s_watch_type type, const cJSON *obj, void *userdata)
{
    if (seen.n < EVENTS_MAX)
        snprintf(seen.log[seen.n++], sizeof(seen.log[0]), "%s %s@%s",
                 k8s_watch_type_to_string(type), json_path_string(obj, "metadata.name"),
                 json_path_string(obj, "metadata.resourceVersion"));
    return 0;
}

static void on_list_end(const char *ns, void *userdata)
{
    seen.lists_ended++;
}

int main(void)
{
    _cleanup_(k8s_config_unrefp) struct k8s_config *cfg = NULL;
    _cleanup_(k8s_informer_freep) struct k8s_informer *informer = NULL;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    const char *const namespaces[] = {"ns1"};
    struct k8s_informer_params params = {
        .group = "cloudplus.io", .version = "v1alpha3", .plural = "virtualmachines",
        .namespaces = namespaces, .n_namespaces = 1,
        .backoff_initial_ms = 50, .backoff_max_ms = 200,
    };
    struct k8s_informer_ops ops = {on_list_start, on_object, on_list_end};
    struct k8s_informer_stats stats;
    struct timespec t0, t1;
    char kubeconfig[512], err[256] = "";
    pthread_t thread;
    int n;

    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(listen_fd, 8) < 0 || getsockname(listen_fd, (struct sockaddr *)&addr, &len) < 0)
        test_abort("cannot listen on 127.0.0.1: %s", strerror(errno));
    pthread_create(&thread, NULL, server, NULL);

    snprintf(kubeconfig, sizeof(kubeconfig),
             "current-context: t\n"
             "clusters: [{name: s, cluster: {server: 'http://127.0.0.1:%u'}}]\n"
             "contexts: [{name: t, context: {cluster: s, user: u}}]\n"
             "users: [{name: u, user: {token: t0k}}]\n", ntohs(addr.sin_port));
    CHECK_INT(k8s_config_parse(kubeconfig, strlen(kubeconfig), "test", NULL, NULL, &cfg, err,
                               sizeof(err)), 0);
    CHECK_INT(k8s_informer_new(cfg, &params, &ops, NULL, &informer), 0);
    CHECK_INT(k8s_informer_start(informer), 0);

    /* Until the last scripted (idle) watch is open. */
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&lock);
        n = n_requests;
        pthread_mutex_unlock(&lock);
        if (n == (int)ELEMENTSOF(script))
            break;
        usleep(50 * 1000);
    }
    CHECK_INT(n, ELEMENTSOF(script));

    clock_gettime(CLOCK_MONOTONIC, &t0);
    k8s_informer_stop(informer);
    CHECK_INT(k8s_informer_wait(informer), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(t1.tv_sec - t0.tv_sec <= 2);
    pthread_join(thread, NULL);

    CHECK_INT(seen.n, 5);
    CHECK_STR(seen.log[0], "ADDED a@1");
    CHECK_STR(seen.log[1], "ADDED b@2");
    CHECK_STR(seen.log[2], "MODIFIED a@6");
    /* The relist: a is unchanged, c is new, b vanished while unwatched. */
    CHECK_STR(seen.log[3], "ADDED c@7");
    CHECK_STR(seen.log[4], "DELETED b@2");
    CHECK_INT(seen.lists_started, 2);
    CHECK_INT(seen.lists_ended, 2);

    CHECK(strstr(requests[0], "/apis/cloudplus.io/v1alpha3/namespaces/ns1/virtualmachines?"
                              "limit=500") == requests[0]);
    CHECK(strstr(requests[1], "watch=1") && strstr(requests[1], "resourceVersion=5") &&
          strstr(requests[1], "allowWatchBookmarks=true"));
    CHECK(strstr(requests[2], "watch=") == NULL);
    CHECK(strstr(requests[3], "resourceVersion=8") != NULL);
    /* The bookmark moved the resourceVersion; the 500 kept it. */
    CHECK(strstr(requests[4], "resourceVersion=9") != NULL);
    CHECK(strstr(requests[5], "resourceVersion=9") != NULL);
    for (int i = 0; i < (int)ELEMENTSOF(script); i++)
        CHECK(authorized[i]);

    k8s_informer_get_stats(informer, &stats);
    CHECK_INT(stats.lists, 2);
    CHECK_INT(stats.relists, 1);
    CHECK_INT(stats.failures, 1);
    close(listen_fd);
    return test_finish();
}
