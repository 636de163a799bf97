/* The Kubernetes client against the real API server peer: create, list,
 * watch through an informer, merge patches of spec and /status, errors by
 * status, delete. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/peers.h"
#include "lib/testing.h"
#include "shared/core/json.h"
#include "shared/k8s/client.h"
#include "shared/k8s/event.h"
#include "shared/k8s/watch.h"

#define GROUP "cloudplus.io"
#define VERSION "v1alpha3"
#define PLURAL "virtualmachines"
#define NS "default"
#define VM "k8s-e2e-vm"
#define SEEN_MAX 256
#define WAIT_SEC 20

/* What the informer reported, for the main thread to wait on. */
struct seen {
    pthread_mutex_t lock;
    int lists_ended;
    int n;
    enum k8s_watch_type types[SEEN_MAX];
    char names[SEEN_MAX][64];
    bool lifecycle_seen; /* a MODIFIED of VM with spec.lifecycle */
};

static struct seen seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int on_object(const char *ns, enum k8s_watch_type type, const cJSON *obj, void *userdata)
{
    const char *name = json_path_string(obj, "metadata.name");

    pthread_mutex_lock(&seen.lock);
    if (seen.n < SEEN_MAX) {
        seen.types[seen.n] = type;
        snprintf(seen.names[seen.n], sizeof(seen.names[0]), "%s", name ? name : "");
        seen.n++;
    }
    if (type == K8S_WATCH_MODIFIED && name && strcmp(name, VM) == 0 &&
        json_path(obj, "spec.lifecycle.startVM"))
        seen.lifecycle_seen = true;
    pthread_mutex_unlock(&seen.lock);
    return 0;
}

static void on_list_end(const char *ns, void *userdata)
{
    pthread_mutex_lock(&seen.lock);
    seen.lists_ended++;
    pthread_mutex_unlock(&seen.lock);
}

static bool saw(enum k8s_watch_type type, const char *name)
{
    bool found = false;

    pthread_mutex_lock(&seen.lock);
    for (int i = 0; i < seen.n; i++)
        if (seen.types[i] == type && strcmp(seen.names[i], name) == 0)
            found = true;
    pthread_mutex_unlock(&seen.lock);
    return found;
}

static bool wait_for(bool (*cond)(void))
{
    for (int i = 0; i < WAIT_SEC * 10; i++) {
        if (cond())
            return true;
        usleep(100 * 1000);
    }
    return false;
}

static bool listed(void)
{
    bool r;

    pthread_mutex_lock(&seen.lock);
    r = seen.lists_ended > 0;
    pthread_mutex_unlock(&seen.lock);
    return r;
}

static bool vm_added(void)
{
    return saw(K8S_WATCH_ADDED, VM);
}

static bool vm_modified(void)
{
    bool r;

    pthread_mutex_lock(&seen.lock);
    r = seen.lifecycle_seen;
    pthread_mutex_unlock(&seen.lock);
    return r;
}

static bool vm_deleted(void)
{
    return saw(K8S_WATCH_DELETED, VM);
}

static char *vm_path(const char *name, const char *sub)
{
    char *path = NULL;

    if (k8s_resource_path(GROUP, VERSION, PLURAL, NS, name, sub, &path) < 0)
        test_abort("cannot build the path of %s", name ? name : "the collection");
    return path;
}

static void create_vm(struct k8s_client *client, const char *name)
{
    _cleanup_free_ char *coll = vm_path(NULL, NULL);
    _cleanup_(cJSON_Deletep) cJSON *created = NULL;
    struct k8s_error err = {0};
    char body[512];

    snprintf(body, sizeof(body),
             "{\"apiVersion\":\"" GROUP "/" VERSION "\",\"kind\":\"VirtualMachine\","
             "\"metadata\":{\"name\":\"%s\",\"namespace\":\"" NS "\"},"
             "\"spec\":{\"nodeName\":\"node1\"}}", name);
    CHECK_INT(k8s_create(client, coll, body, &created, &err), 0);
    CHECK_STR(json_path_string(created, "metadata.name"), name);
    CHECK(json_path_string(created, "metadata.uid") != NULL);
}

static void delete_quietly(struct k8s_client *client, const char *name)
{
    _cleanup_free_ char *path = vm_path(name, NULL);
    int r = k8s_delete(client, path, NULL, NULL, NULL);

    if (r < 0 && r != -ENOENT)
        test_abort("cannot delete leftover %s: %s", name, strerror(-r));
}

static void test_list_pages(struct k8s_client *client)
{
    _cleanup_free_ char *coll = vm_path(NULL, NULL);
    _cleanup_(cJSON_Deletep) cJSON *items = NULL;
    _cleanup_free_ char *rv = NULL;
    struct k8s_list_opts opts = {.limit = 1};
    struct k8s_error err = {0};
    const cJSON *item;
    int found = 0;

    /* Three objects, one per page: k8s_list must follow "continue". */
    CHECK_INT(k8s_list(client, coll, &opts, &items, &rv, &err), 0);
    CHECK(rv && *rv);
    CHECK(cJSON_GetArraySize(items) >= 3);
    cJSON_ArrayForEach(item, items) {
        const char *name = json_path_string(item, "metadata.name");

        found += name && strncmp(name, "k8s-e2e-", 8) == 0;
        CHECK_STR(json_path_string(item, "kind"), "VirtualMachine");
        CHECK_STR(json_path_string(item, "apiVersion"), GROUP "/" VERSION);
    }
    CHECK_INT(found, 3);
}

static void test_errors(struct k8s_client *client)
{
    _cleanup_free_ char *missing = vm_path("no-such-vm", NULL);
    _cleanup_free_ char *path = vm_path(VM, NULL);
    struct k8s_error err = {0};

    CHECK_INT(k8s_get(client, missing, NULL, &err), -ENOENT);
    CHECK_INT(err.http_status, 404);
    CHECK_STR(err.reason, "NotFound");
    CHECK(strstr(err.message, "no-such-vm") != NULL);

    create_vm(client, "k8s-e2e-dup");
    {
        _cleanup_free_ char *coll = vm_path(NULL, NULL);
        const char body[] = "{\"apiVersion\":\"" GROUP "/" VERSION "\",\"kind\":"
                            "\"VirtualMachine\",\"metadata\":{\"name\":\"k8s-e2e-dup\"}}";

        CHECK_INT(k8s_create(client, coll, body, NULL, &err), -EEXIST);
        CHECK_INT(err.http_status, 409);
        CHECK_STR(err.reason, "AlreadyExists");
    }

    /* A patch naming an old resourceVersion is refused: optimistic
     * concurrency for the status writer. */
    CHECK_INT(k8s_merge_patch(client, path, "{\"metadata\":{\"resourceVersion\":\"1\"},"
                              "\"spec\":{\"x\":1}}", NULL, &err), -EBUSY);
    CHECK_INT(err.http_status, 409);
    CHECK_STR(err.reason, "Conflict");

    CHECK_INT(k8s_merge_patch(client, path, "{not json", NULL, &err), -EINVAL);
    CHECK_INT(err.http_status, 400);
}

static void test_status_patch(struct k8s_client *client)
{
    _cleanup_free_ char *status_path = vm_path(VM, "status");
    _cleanup_(cJSON_Deletep) cJSON *patched = NULL;
    struct k8s_error err = {0};

    CHECK_INT(k8s_merge_patch(client, status_path,
                              "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":"
                              "\"True\",\"reason\":\"Running\"}]},\"spec\":{\"nodeName\":"
                              "\"ignored\"}}", &patched, &err), 0);
    CHECK_STR(json_path_string(cJSON_GetArrayItem(json_path(patched, "status.conditions"), 0),
                               "reason"), "Running");
    /* The status subresource leaves spec alone. */
    CHECK_STR(json_path_string(patched, "spec.nodeName"), "node1");
}

static void test_event(struct k8s_client *client, const char *uid)
{
    struct k8s_object_ref ref = {GROUP "/" VERSION, "VirtualMachine", NS, VM, uid};
    struct k8s_error err = {0};
    int r;

    CHECK_INT(k8s_event_create(client, NS, &ref, "Started", "x", "Bogus", &err), -EINVAL);

    r = k8s_event_create(client, NS, &ref, "Started", "Domain started.", "Normal", &err);
    if (k8s_get(client, "/api/v1", NULL, NULL) == -ENOENT) {
        /* The test peer serves no core API; the refusal must still come
         * back as the server's 404. */
        CHECK_INT(r, -ENOENT);
        CHECK_INT(err.http_status, 404);
    } else
        CHECK_INT(r, 0);
}

static void test_embedded_kubeconfig(void)
{
    _cleanup_(k8s_config_unrefp) struct k8s_config *cfg = NULL;
    _cleanup_(k8s_client_freep) struct k8s_client *client = NULL;
    _cleanup_free_ char *path = vm_path(VM, NULL);
    _cleanup_(cJSON_Deletep) cJSON *vm = NULL;
    struct k8s_error err = {0};
    char msg[512] = "";

    CHECK_INT(k8s_config_load(peer_path("apiserver", "kubeconfig-embedded"), &cfg, msg,
                              sizeof(msg)), 0);
    if (!cfg)
        return;
    CHECK(cfg->ca.len > 0 && cfg->client_cert.len > 0 && cfg->client_key.len > 0);
    CHECK_INT(k8s_client_new(cfg, &client), 0);
    CHECK_INT(k8s_get(client, path, &vm, &err), 0);
    CHECK_STR(json_path_string(vm, "metadata.name"), VM);
}

static bool page2_added(void)
{
    return saw(K8S_WATCH_ADDED, "k8s-e2e-page-2");
}

/* Watches that the server ends every second: the informer reconnects from
 * its resourceVersion and misses nothing created in between. */
static void test_reconnect(struct k8s_config *cfg, struct k8s_client *client)
{
    _cleanup_(k8s_informer_freep) struct k8s_informer *informer = NULL;
    struct k8s_informer_params params = {
        .group = GROUP, .version = VERSION, .plural = PLURAL, .watch_timeout_sec = 1,
    };
    struct k8s_informer_ops ops = {.on_object = on_object, .on_list_end = on_list_end};
    struct k8s_informer_stats stats;

    pthread_mutex_lock(&seen.lock);
    seen.n = 0;
    seen.lists_ended = 0;
    pthread_mutex_unlock(&seen.lock);

    CHECK_INT(k8s_informer_new(cfg, &params, &ops, NULL, &informer), 0);
    CHECK_INT(k8s_informer_start(informer), 0);
    CHECK(wait_for(listed));
    sleep(3);
    create_vm(client, "k8s-e2e-page-2");
    CHECK(wait_for(page2_added));
    k8s_informer_stop(informer);
    CHECK_INT(k8s_informer_wait(informer), 0);
    k8s_informer_get_stats(informer, &stats);
    CHECK(stats.watches >= 3);
    CHECK_INT(stats.lists, 1);
    CHECK_INT(stats.failures, 0);
}

int main(void)
{
    _cleanup_(k8s_config_unrefp) struct k8s_config *cfg = NULL;
    _cleanup_(k8s_client_freep) struct k8s_client *client = NULL;
    _cleanup_(k8s_informer_freep) struct k8s_informer *informer = NULL;
    _cleanup_free_ char *path = NULL;
    _cleanup_(cJSON_Deletep) cJSON *vm = NULL;
    const char *namespaces[] = {NS};
    struct k8s_informer_params params = {
        .group = GROUP, .version = VERSION, .plural = PLURAL,
        .namespaces = namespaces, .n_namespaces = 1, .watch_timeout_sec = 30,
    };
    struct k8s_informer_ops ops = {.on_object = on_object, .on_list_end = on_list_end};
    struct k8s_error err = {0};
    struct timespec t0, t1;
    char msg[512] = "";

    if (k8s_config_load(peer_path("apiserver", "kubeconfig"), &cfg, msg, sizeof(msg)) < 0)
        test_abort("peer 'apiserver': %s", msg);
    CHECK(!cfg->insecure_skip_tls_verify);
    CHECK_INT(k8s_client_new(cfg, &client), 0);
    for (int i = 0; i < 4; i++) {
        char name[32];

        snprintf(name, sizeof(name), "k8s-e2e-page-%d", i);
        delete_quietly(client, name);
    }
    delete_quietly(client, VM);
    delete_quietly(client, "k8s-e2e-dup");

    create_vm(client, VM);
    create_vm(client, "k8s-e2e-page-0");
    create_vm(client, "k8s-e2e-page-1");
    test_list_pages(client);

    CHECK_INT(k8s_informer_new(cfg, &params, &ops, NULL, &informer), 0);
    CHECK_INT(k8s_informer_start(informer), 0);
    CHECK(wait_for(listed));
    CHECK(vm_added());

    path = vm_path(VM, NULL);
    CHECK_INT(k8s_merge_patch(client, path, "{\"spec\":{\"lifecycle\":{\"startVM\":{}}}}",
                              NULL, &err), 0);
    CHECK(wait_for(vm_modified));

    test_status_patch(client);
    test_errors(client);
    test_embedded_kubeconfig();
    CHECK_INT(k8s_get(client, path, &vm, &err), 0);
    test_event(client, json_path_string(vm, "metadata.uid"));

    CHECK_INT(k8s_delete(client, path, NULL, NULL, &err), 0);
    CHECK(wait_for(vm_deleted));
    CHECK_INT(k8s_get(client, path, NULL, &err), -ENOENT);

    /* Stopping ends a watch that is idle on the server within seconds. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    k8s_informer_stop(informer);
    CHECK_INT(k8s_informer_wait(informer), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(t1.tv_sec - t0.tv_sec <= 3);

    test_reconnect(cfg, client);

    delete_quietly(client, "k8s-e2e-page-0");
    delete_quietly(client, "k8s-e2e-page-2");
    delete_quietly(client, "k8s-e2e-page-1");
    delete_quietly(client, "k8s-e2e-dup");
    return test_finish();
}
