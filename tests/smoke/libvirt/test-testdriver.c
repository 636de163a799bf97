/* Smoke test of libvirt's test driver, the hypervisor-less tier that
 * end-to-end tests run the worker against: test:///default, and the node
 * description tests/env/libvirt/testnode.xml (its path is the argument)
 * with running, paused and shut-off domains, a pool, volumes, a network
 * and a snapshot. If this fails, the fixture file or libvirt changed. */
#include <libvirt/libvirt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testing.h"
#include "shared/core/macro.h"

#define URI_MAX 4096
#define GIB (1024ULL * 1024 * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC(virConnectPtr, virConnectClose)
DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree)
DEFINE_TRIVIAL_CLEANUP_FUNC(virStoragePoolPtr, virStoragePoolFree)
DEFINE_TRIVIAL_CLEANUP_FUNC(virStorageVolPtr, virStorageVolFree)
DEFINE_TRIVIAL_CLEANUP_FUNC(virNetworkPtr, virNetworkFree)
DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainSnapshotPtr, virDomainSnapshotFree)

/* Counts the domains matching flags, or returns -1. */
static int count_domains(virConnectPtr conn, unsigned flags)
{
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, flags);

    for (int i = 0; i < n; i++)
        virDomainFree(doms[i]);
    free(doms);
    return n;
}

/* Returns the state of the named domain, or -1 when it cannot be read. */
static int domain_state(virConnectPtr conn, const char *name)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByName(conn, name);
    int state, reason;

    if (!dom || virDomainGetState(dom, &state, &reason, 0) < 0)
        return -1;
    return state;
}

static void check_default_node(void)
{
    _cleanup_(virConnectClosep) virConnectPtr conn = virConnectOpen("test:///default");

    if (!CHECK(conn))
        return;
    CHECK_INT(count_domains(conn, 0), 1);
    CHECK_INT(domain_state(conn, "test"), VIR_DOMAIN_RUNNING);
}

static void check_domains(virConnectPtr conn)
{
    CHECK_INT(count_domains(conn, 0), 5);
    CHECK_INT(count_domains(conn, VIR_CONNECT_LIST_DOMAINS_ACTIVE), 3);
    CHECK_INT(count_domains(conn, VIR_CONNECT_LIST_DOMAINS_INACTIVE), 2);
    CHECK_INT(domain_state(conn, "vm-running-1"), VIR_DOMAIN_RUNNING);
    CHECK_INT(domain_state(conn, "vm-running-2"), VIR_DOMAIN_RUNNING);
    CHECK_INT(domain_state(conn, "vm-paused-1"), VIR_DOMAIN_PAUSED);
    CHECK_INT(domain_state(conn, "vm-shutoff-1"), VIR_DOMAIN_SHUTOFF);
    CHECK_INT(domain_state(conn, "vm-shutoff-2"), VIR_DOMAIN_SHUTOFF);

    _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByName(conn, "vm-running-1");
    _cleanup_free_ char *xml = dom ? virDomainGetXMLDesc(dom, 0) : NULL;
    CHECK(xml && strstr(xml, "<source network='vmrelay-net'"));
    CHECK(xml && strstr(xml, "/var/lib/vmrelay-test/pool/vm-running-1.qcow2"));
}

static void check_snapshot(virConnectPtr conn)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByName(conn, "vm-shutoff-1");

    if (!CHECK(dom))
        return;
    CHECK_INT(virDomainSnapshotNum(dom, 0), 1);
    _cleanup_(virDomainSnapshotFreep) virDomainSnapshotPtr snap =
        virDomainSnapshotLookupByName(dom, "base", 0);
    CHECK(snap);
    CHECK_INT(virDomainHasCurrentSnapshot(dom, 0), 1);
}

static void check_storage(virConnectPtr conn)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool =
        virStoragePoolLookupByName(conn, "vmrelay-pool");
    virStorageVolInfo info;

    if (!CHECK(pool))
        return;
    CHECK_INT(virStoragePoolIsActive(pool), 1);
    CHECK_INT(virStoragePoolNumOfVolumes(pool), 5);

    _cleanup_(virStorageVolFreep) virStorageVolPtr vol =
        virStorageVolLookupByName(pool, "data-1.raw");
    if (!CHECK(vol))
        return;
    _cleanup_free_ char *path = virStorageVolGetPath(vol);
    CHECK_STR(path, "/var/lib/vmrelay-test/pool/data-1.raw");
    CHECK_INT(virStorageVolGetInfo(vol, &info), 0);
    CHECK_INT(info.capacity, 5 * GIB);
}

static void check_network(virConnectPtr conn)
{
    _cleanup_(virNetworkFreep) virNetworkPtr net = virNetworkLookupByName(conn, "vmrelay-net");

    if (!CHECK(net))
        return;
    CHECK_INT(virNetworkIsActive(net), 1);
    _cleanup_free_ char *bridge = virNetworkGetBridgeName(net);
    CHECK_STR(bridge, "vmrelaybr0");
}

/* The file describes the node at open time: a change made through one
 * connection is gone on the next, which lets tests run in any order. */
static void check_fresh_state(const char *uri)
{
    {
        _cleanup_(virConnectClosep) virConnectPtr conn = virConnectOpen(uri);
        _cleanup_(virDomainFreep) virDomainPtr dom =
            conn ? virDomainLookupByName(conn, "vm-shutoff-2") : NULL;
        if (!CHECK(dom))
            return;
        CHECK_INT(virDomainCreate(dom), 0);
        CHECK_INT(domain_state(conn, "vm-shutoff-2"), VIR_DOMAIN_RUNNING);
    }
    _cleanup_(virConnectClosep) virConnectPtr conn = virConnectOpen(uri);
    if (CHECK(conn))
        CHECK_INT(domain_state(conn, "vm-shutoff-2"), VIR_DOMAIN_SHUTOFF);
}

int main(int argc, char **argv)
{
    char uri[URI_MAX];

    if (argc != 2 || argv[1][0] != '/')
        test_abort("usage: %s /absolute/path/to/testnode.xml", argv[0]);
    snprintf(uri, sizeof(uri), "test://%s", argv[1]);

    check_default_node();

    _cleanup_(virConnectClosep) virConnectPtr conn = virConnectOpen(uri);
    if (!conn)
        test_abort("cannot open %s", uri);
    check_domains(conn);
    check_snapshot(conn);
    check_storage(conn);
    check_network(conn);
    check_fresh_state(uri);
    return test_finish();
}
