/* Real tier: migrateVM between two libvirt daemons with QEMU on this
 * machine. The libvirtd fixture is the source; the test starts a second
 * peer (tests/env/libvirt.sh under <binary dir>/peers-migrate) as the
 * destination and stops it at the end. The domain has no disk (shared
 * storage is the operator's business), so QEMU only moves memory and state.
 *
 * Steps: a live migration with the worker connecting to both daemons
 * (virDomainMigrate3), the result describing the VM on the destination;
 * back again peer to peer (the source libvirtd connects, the worker only
 * names the URI) with undefinesource; and an offline migration of the
 * stopped definition. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/peers.h"
#include "lib/testing.h"
#include "worker/main/conn.h"
#include "worker/ops/registry.h"

#define PATH_LEN 4096
#define URI_LEN 4096
#define NAME_LEN 64

extern char **environ;

static char name[NAME_LEN];

static struct result *run(virConnectPtr conn, const char *params)
{
    struct request req = {.id = "real-mig", .kind = "VirtualMachine",
                          .operation = "migrateVM", .name = name, .node = "n1",
                          .namespace = "default"};
    struct result *res = NULL;

    req.params = cJSON_Parse(params);
    if (!req.params || result_new_for(&req, &res) < 0)
        test_abort("cannot set up migrateVM");
    (void)ops_execute(conn, &req, res);
    cJSON_Delete(req.params);
    return res;
}

static bool run_ok(virConnectPtr conn, const char *params, const char *reason)
{
    struct result *res = run(conn, params);
    bool ok = CHECK(res->success) & CHECK_STR(res->reason, reason);

    if (!ok)
        fprintf(stderr, "  migrateVM %s: %s\n", params, res->message);
    result_free(res);
    return ok;
}

/* Runs tests/env/libvirt.sh verb with VMRELAY_PEERS_DIR=peers. */
static int peer_script(const char *peers, const char *verb)
{
    const char *src = getenv("VMRELAY_SOURCE_DIR");
    char script[PATH_LEN], env_peers[PATH_LEN + 32];
    char *argv[] = {"/bin/bash", script, (char *)verb, NULL};
    char *envp[] = {env_peers, "PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", NULL};
    pid_t pid;
    int status;

    snprintf(script, sizeof(script), "%s/tests/env/libvirt.sh", src ? src : ".");
    snprintf(env_peers, sizeof(env_peers), "VMRELAY_PEERS_DIR=%s", peers);
    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, envp) != 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int read_line(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    bool ok = f && fgets(buf, (int)len, f);

    if (f)
        fclose(f);
    if (!ok)
        return -1;
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

static int state_on(virConnectPtr conn)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);
    int state = -1, reason;

    virResetLastError();
    if (!dom)
        return -1;
    if (virDomainGetState(dom, &state, &reason, 0) < 0)
        state = -1;
    virDomainFree(dom);
    return state;
}

static void steps(virConnectPtr src, const char *src_uri, virConnectPtr dst, const char *dst_uri)
{
    char xml[1024], params[URI_LEN + 256];
    virDomainPtr dom;

    snprintf(xml, sizeof(xml),
             "<domain type='%s'><name>%s</name><memory unit='MiB'>64</memory>"
             "<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>"
             "<emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>",
             strcmp(peer_value("libvirt", "accel"), "kvm") == 0 ? "kvm" : "qemu", name);
    dom = virDomainDefineXML(src, xml);
    if (!CHECK(dom != NULL) || !CHECK_INT(virDomainCreate(dom), 0)) {
        if (dom)
            virDomainFree(dom);
        return;
    }
    virDomainFree(dom);

    /* Refused before anything moves. */
    snprintf(params, sizeof(params), "{\"desturi\": \"%s\", \"tunnelled\": true}", dst_uri);
    {
        struct result *res = run(src, params);

        CHECK_STR(res->reason, "VirtctlError");
        result_free(res);
    }
    CHECK_INT(state_on(src), VIR_DOMAIN_RUNNING);

    /* Live, the worker connecting to both; the outcome describes the VM
     * where it now runs. */
    snprintf(params, sizeof(params),
             "{\"desturi\": \"%s\", \"live\": true, \"persistent\": true, "
             "\"undefinesource\": true, \"auto_converge\": true}", dst_uri);
    if (!run_ok(src, params, "Running"))
        return;
    CHECK_INT(state_on(dst), VIR_DOMAIN_RUNNING);
    CHECK_INT(state_on(src), -1);

    /* Back, peer to peer and paused on arrival. */
    snprintf(params, sizeof(params),
             "{\"desturi\": \"%s\", \"p2p\": true, \"live\": true, \"suspend\": true, "
             "\"persistent\": \"true\", \"undefinesource\": true}", src_uri);
    if (!run_ok(dst, params, "Paused"))
        return;
    CHECK_INT(state_on(src), VIR_DOMAIN_PAUSED);
    CHECK_INT(state_on(dst), -1);

    /* Offline: the stopped definition only. */
    dom = virDomainLookupByName(src, name);
    if (dom) {
        CHECK_INT(virDomainDestroy(dom), 0);
        virDomainFree(dom);
    }
    snprintf(params, sizeof(params),
             "{\"desturi\": \"%s\", \"offline\": true, \"persistent\": true}", dst_uri);
    if (run_ok(src, params, "Shutdown"))
        CHECK_INT(state_on(dst), VIR_DOMAIN_SHUTOFF);
}

static void cleanup_on(virConnectPtr conn)
{
    virDomainPtr dom = virDomainLookupByName(conn, name);

    virResetLastError();
    if (!dom)
        return;
    if (virDomainIsActive(dom) == 1)
        (void)virDomainDestroy(dom);
    (void)virDomainUndefine(dom);
    virDomainFree(dom);
}

int main(void)
{
    const char *bin = getenv("VMRELAY_BINARY_DIR");
    char peers2[PATH_LEN], uri_file[PATH_LEN + 32], src_uri[URI_LEN], dst_uri[URI_LEN];
    virConnectPtr src = NULL, dst = NULL;

    if (!bin)
        test_abort("VMRELAY_BINARY_DIR is not set; run this test through ctest");
    snprintf(src_uri, sizeof(src_uri), "%s", peer_value("libvirt", "uri"));
    snprintf(peers2, sizeof(peers2), "%s/peers-migrate", bin);
    snprintf(name, sizeof(name), "vmrelaymig%ld", (long)getpid());
    if (peer_script(peers2, "start") != 0)
        test_abort("cannot start the destination libvirtd under %s", peers2);
    snprintf(uri_file, sizeof(uri_file), "%s/libvirt/uri", peers2);
    if (read_line(uri_file, dst_uri, sizeof(dst_uri)) < 0)
        test_abort("no URI in %s", uri_file);

    worker_conn_setup();
    src = virConnectOpen(src_uri);
    dst = virConnectOpen(dst_uri);
    if (CHECK(src != NULL) && CHECK(dst != NULL)) {
        steps(src, src_uri, dst, dst_uri);
        cleanup_on(src);
        cleanup_on(dst);
    }
    if (src)
        virConnectClose(src);
    if (dst)
        virConnectClose(dst);
    CHECK_INT(peer_script(peers2, "stop"), 0);
    return test_finish();
}
