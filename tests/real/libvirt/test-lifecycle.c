/* Real-tier smoke test of the libvirtd peer with QEMU and the tiny guest:
 * define, start, wait for the guest, suspend, resume, hot-plug a second
 * disk, hot-unplug it (the guest must acknowledge: the device-removed event
 * arrives only then), graceful shutdown through ACPI, undefine.
 *
 * Prints how long the guest took to boot and to power off, so that a slow
 * machine (TCG) shows up in the log before it shows up as a timeout. */
#include <errno.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/peers.h"
#include "lib/testing.h"
#include "real/libvirt/guest.h"
#include "shared/core/macro.h"

#define PATH_LEN 4096
/* Leaves room in PATH_LEN for the file names inside the folder. */
#define DIR_LEN 3072
#define NAME_LEN 128
#define ALIAS_LEN 128
/* TCG on a loaded two-core machine boots in 6 to 30 s; KVM in about 1 s. */
#define BOOT_TIMEOUT_MS (120 * 1000)
#define HOTPLUG_TIMEOUT_MS (30 * 1000)
#define SHUTDOWN_TIMEOUT_MS (30 * 1000)
#define EVENT_TICK_MS 100

DEFINE_TRIVIAL_CLEANUP_FUNC(virConnectPtr, virConnectClose)
DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree)

struct removed {
    char alias[ALIAS_LEN];
    unsigned count;
};

static char serial_log[PATH_LEN];

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_device_removed(virConnectPtr conn, virDomainPtr dom, const char *alias,
                              void *opaque)
{
    struct removed *rm = opaque;

    snprintf(rm->alias, sizeof(rm->alias), "%s", alias);
    rm->count++;
}

static void on_quiet_error(void *opaque, virErrorPtr err)
{
}

/* Wakes the event loop so that waits notice their deadline. */
static void on_tick(int timer, void *opaque)
{
}

typedef bool (*cond_fn)(void *data);

/* Runs the libvirt event loop until cond holds or timeout_ms pass; returns
 * the milliseconds it took, or -1 on timeout. */
static long long wait_until(cond_fn cond, void *data, long long timeout_ms)
{
    long long start = now_ms();

    while (!cond(data)) {
        if (now_ms() - start > timeout_ms)
            return -1;
        if (virEventRunDefaultImpl() < 0)
            return -1;
    }
    return now_ms() - start;
}

static bool log_has(void *marker)
{
    return guest_log_has(serial_log, marker);
}

static bool removed_once(void *data)
{
    return ((struct removed *)data)->count > 0;
}

static int state_of(virDomainPtr dom, int *ret_reason)
{
    int state, reason;

    if (virDomainGetState(dom, &state, &reason, 0) < 0)
        return -1;
    if (ret_reason)
        *ret_reason = reason;
    return state;
}

static bool is_shut_off(void *dom)
{
    return state_of(dom, NULL) == VIR_DOMAIN_SHUTOFF;
}

static bool live_xml_has(virDomainPtr dom, const char *needle)
{
    _cleanup_free_ char *xml = virDomainGetXMLDesc(dom, 0);

    return xml && strstr(xml, needle);
}

/* Returns whether the guest came up; the later steps need it. */
static bool step_boot(virDomainPtr dom)
{
    long long ms;

    if (!CHECK_INT(virDomainCreate(dom), 0))
        return false;
    CHECK_INT(state_of(dom, NULL), VIR_DOMAIN_RUNNING);
    ms = wait_until(log_has, GUEST_READY, BOOT_TIMEOUT_MS);
    if (!CHECK(ms >= 0)) {
        fprintf(stderr, "the guest printed no %s in %s\n", GUEST_READY, serial_log);
        return false;
    }
    printf("guest ready %lld ms after start (%s)\n", ms, peer_value("libvirt", "accel"));
    return true;
}

static void step_pause(virDomainPtr dom)
{
    CHECK_INT(virDomainSuspend(dom), 0);
    CHECK_INT(state_of(dom, NULL), VIR_DOMAIN_PAUSED);
    CHECK_INT(virDomainResume(dom), 0);
    CHECK_INT(state_of(dom, NULL), VIR_DOMAIN_RUNNING);
}

static void step_hotplug(virConnectPtr conn, virDomainPtr dom, const char *disk)
{
    char xml[PATH_LEN + 256];
    struct removed rm = { 0 };
    int cb;

    snprintf(xml, sizeof(xml),
             "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>"
             "<source file='%s'/><target dev='vdb' bus='virtio'/></disk>", disk);
    CHECK_INT(virDomainAttachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE), 0);
    CHECK(live_xml_has(dom, "<target dev='vdb'"));
    CHECK(wait_until(log_has, GUEST_HOTPLUG " add vdb", HOTPLUG_TIMEOUT_MS) >= 0);

    cb = virConnectDomainEventRegisterAny(conn, dom, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
                                          VIR_DOMAIN_EVENT_CALLBACK(on_device_removed), &rm,
                                          NULL);
    CHECK(cb >= 0);
    CHECK_INT(virDomainDetachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE), 0);
    CHECK(wait_until(removed_once, &rm, HOTPLUG_TIMEOUT_MS) >= 0);
    CHECK_STR(rm.alias, "virtio-disk1");
    CHECK(!live_xml_has(dom, "<target dev='vdb'"));
    CHECK(wait_until(log_has, GUEST_HOTPLUG " remove vdb", HOTPLUG_TIMEOUT_MS) >= 0);
    if (cb >= 0)
        virConnectDomainEventDeregisterAny(conn, cb);
}

static void step_shutdown(virDomainPtr dom)
{
    long long ms;
    int reason = -1;

    CHECK_INT(virDomainShutdown(dom), 0);
    ms = wait_until(is_shut_off, dom, SHUTDOWN_TIMEOUT_MS);
    CHECK(ms >= 0);
    CHECK_INT(state_of(dom, &reason), VIR_DOMAIN_SHUTOFF);
    CHECK_INT(reason, VIR_DOMAIN_SHUTOFF_SHUTDOWN);
    CHECK(guest_log_has(serial_log, GUEST_POWEROFF));
    printf("guest shut off %lld ms after virDomainShutdown\n", ms);
}

int main(void)
{
    const char *bin = getenv("VMRELAY_BINARY_DIR");
    char base[DIR_LEN - 64], dir[DIR_LEN], disk_a[PATH_LEN], disk_b[PATH_LEN], name[NAME_LEN];
    _cleanup_free_ char *uri = NULL, *xml = NULL;
    int r;

    if (!bin)
        test_abort("VMRELAY_BINARY_DIR is not set; run this test through ctest");
    uri = strdup(peer_value("libvirt", "uri"));
    if (!uri)
        test_abort("out of memory");
    /* Images and the console log stay in the build tree: libvirtd's mount
     * namespace shows it at the same path. */
    snprintf(base, sizeof(base), "%s/tests-tmp", bin);
    if (mkdir(base, 0755) < 0 && errno != EEXIST)
        test_abort("cannot make %s", base);
    snprintf(dir, sizeof(dir), "%s/real-libvirt-lifecycle-XXXXXX", base);
    if (!mkdtemp(dir))
        test_abort("cannot make a folder like %s", dir);
    snprintf(disk_a, sizeof(disk_a), "%s/vda.qcow2", dir);
    snprintf(disk_b, sizeof(disk_b), "%s/vdb.qcow2", dir);
    snprintf(serial_log, sizeof(serial_log), "%s/serial.log", dir);
    snprintf(name, sizeof(name), "vmrelay-real-lifecycle-%ld", (long)getpid());

    CHECK_INT(guest_disk_create(disk_a, "64M"), 0);
    CHECK_INT(guest_disk_create(disk_b, "16M"), 0);
    r = guest_domain_xml(name, disk_a, serial_log, &xml);
    if (!CHECK_INT(r, 0))
        return test_finish();

    if (virEventRegisterDefaultImpl() < 0 || virEventAddTimeout(EVENT_TICK_MS, on_tick,
                                                                NULL, NULL) < 0)
        test_abort("cannot set up the libvirt event loop");
    _cleanup_(virConnectClosep) virConnectPtr conn = virConnectOpen(uri);
    if (!conn)
        test_abort("peer 'libvirt' does not answer at %s", uri);

    _cleanup_(virDomainFreep) virDomainPtr dom = virDomainDefineXML(conn, xml);
    if (!CHECK(dom))
        return test_finish();

    if (step_boot(dom)) {
        step_pause(dom);
        step_hotplug(conn, dom, disk_b);
        step_shutdown(dom);
    }

    /* A failed step may leave the guest running; the undefine must still
     * leave the peer clean for the next test. */
    if (state_of(dom, NULL) != VIR_DOMAIN_SHUTOFF)
        virDomainDestroy(dom);
    CHECK_INT(virDomainUndefine(dom), 0);
    /* The lookup is meant to fail: keep its error off stderr. */
    virSetErrorFunc(NULL, on_quiet_error);
    _cleanup_(virDomainFreep) virDomainPtr gone = virDomainLookupByName(conn, name);
    CHECK(!gone);
    CHECK_INT(virGetLastErrorCode(), VIR_ERR_NO_DOMAIN);
    virSetErrorFunc(NULL, NULL);

    if (test_failed == 0) {
        unlink(disk_a);
        unlink(disk_b);
        unlink(serial_log);
        rmdir(dir);
    } else {
        fprintf(stderr, "kept %s for inspection\n", dir);
    }
    return test_finish();
}
