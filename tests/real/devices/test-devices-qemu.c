/* Real tier: the device operations, run in process through the worker's
 * registry against the libvirtd peer (QEMU) and the tiny guest, which
 * acknowledges PCI hot-unplug and reports devices that come and go:
 * plugDisk/unplugDisk (QoS as iotune), manageISO insert/eject on an IDE
 * CD-ROM, plugNIC/unplugNIC on a Linux bridge made for the test (root and
 * iproute2; skipped with a note otherwise), plugDevice/unplugDevice with a
 * device XML file, and updateOS once the guest is off. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/peers.h"
#include "lib/testing.h"
#include "real/libvirt/guest.h"
#include "worker/main/conn.h"
#include "worker/ops/devices.h"
#include "worker/ops/registry.h"

#define PATH_LEN 4096
#define DIR_LEN 3072
#define NAME_LEN 128
#define XML_LEN 16384
#define BOOT_TIMEOUT_MS (120 * 1000)
#define HOTPLUG_TIMEOUT_MS (30 * 1000)
#define POLL_MS 200
/* The guest's console log is a few KiB. */
#define LOG_MAX (1024 * 1024)
#define IP_PROGRAM "/usr/sbin/ip"

extern char **environ;

static virConnectPtr conn;
static char name[NAME_LEN];
static char serial_log[PATH_LEN];

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* How often marker occurs in the serial log. */
static int log_count(const char *marker)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    FILE *f = fopen(serial_log, "re");
    int n = 0;

    if (!f)
        return 0;
    text = malloc(LOG_MAX + 1);
    if (text)
        len = fread(text, 1, LOG_MAX, f);
    fclose(f);
    if (!text)
        return 0;
    text[len] = '\0';
    for (const char *p = text; (p = strstr(p, marker)); p += strlen(marker))
        n++;
    return n;
}

/* Waits until marker has occurred at least times times. */
static bool wait_log_n(const char *marker, int times, long long timeout_ms)
{
    const struct timespec tick = {0, POLL_MS * 1000000L};
    long long start = now_ms();

    while (log_count(marker) < times) {
        if (now_ms() - start > timeout_ms)
            return false;
        nanosleep(&tick, NULL);
    }
    return true;
}

static bool wait_log(const char *marker, long long timeout_ms)
{
    return wait_log_n(marker, 1, timeout_ms);
}

static struct result *run(const char *operation, const char *params)
{
    struct request req = {.id = "real-1", .kind = "VirtualMachine",
                          .operation = (char *)operation, .name = name, .node = "n1",
                          .namespace = "default"};
    struct result *res = NULL;

    req.params = cJSON_Parse(params);
    if (!req.params || result_new_for(&req, &res) < 0)
        test_abort("cannot set up %s", operation);
    (void)ops_execute(conn, &req, res);
    cJSON_Delete(req.params);
    return res;
}

/* Runs an operation that must succeed with reason. */
static bool run_ok(const char *operation, const char *params, const char *reason)
{
    struct result *res = run(operation, params);
    bool ok = CHECK(res->success) & CHECK_STR(res->reason, reason);

    if (!ok)
        fprintf(stderr, "  %s %s: %s\n", operation, params, res->message);
    result_free(res);
    return ok;
}

static bool live_has(virDomainPtr dom, const char *needle)
{
    _cleanup_free_ char *xml = virDomainGetXMLDesc(dom, 0);

    return xml && strstr(xml, needle);
}

static int spawn_wait(char *const argv[])
{
    pid_t pid;
    int status;

    if (posix_spawn(&pid, argv[0], NULL, NULL, argv, environ) != 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");

    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        test_abort("cannot write %s", path);
}

static void step_disk(virDomainPtr dom, const char *disk)
{
    char params[PATH_LEN + 256];

    snprintf(params, sizeof(params),
             "{\"source\": \"%s\", \"target\": \"vdb\", \"subdriver\": \"qcow2\", "
             "\"read_bytes_sec\": \"10485760\", \"write_iops_sec\": 400, \"live\": true}", disk);
    if (!run_ok("plugDisk", params, "Running"))
        return;
    CHECK(live_has(dom, "<target dev='vdb' bus='virtio'/>"));
    CHECK(live_has(dom, "<read_bytes_sec>10485760</read_bytes_sec>"));
    CHECK(live_has(dom, "<write_iops_sec>400</write_iops_sec>"));
    CHECK(wait_log("VMRELAY-GUEST-HOTPLUG add vdb", HOTPLUG_TIMEOUT_MS));

    /* Found by its source path, as any disk of the VM can be. */
    snprintf(params, sizeof(params), "{\"target\": \"%s\", \"live\": true}", disk);
    run_ok("unplugDisk", params, "Running");
    CHECK(!live_has(dom, "<target dev='vdb'"));
    CHECK(wait_log("VMRELAY-GUEST-HOTPLUG remove vdb", HOTPLUG_TIMEOUT_MS));
}

static void step_iso(virDomainPtr dom, const char *iso)
{
    char params[PATH_LEN + 128], needle[PATH_LEN + 64];

    snprintf(needle, sizeof(needle), "<source file='%s'", iso);
    snprintf(params, sizeof(params), "{\"path\": \"%s\", \"insert\": true}", iso);
    if (run_ok("manageISO", params, "Running"))
        CHECK(live_has(dom, needle));
    /* The drive now holds a medium: insert alone finds no empty drive. */
    {
        struct result *res = run("manageISO", params);

        CHECK_STR(res->reason, "VirtctlError");
        result_free(res);
    }
    snprintf(params, sizeof(params), "{\"path\": \"%s\", \"eject\": true, \"force\": true}",
             iso);
    if (run_ok("manageISO", params, "Running"))
        CHECK(!live_has(dom, needle));
}

/* Bandwidth is shaped by libvirt with tc (htb and sfq); a host kernel
 * without those qdiscs refuses it, which is reported and tolerated: the
 * XML the worker sends is checked in the unit tier. */
static void step_nic_bandwidth(virDomainPtr dom, const char *bridge)
{
    char params[256];
    struct result *res;

    snprintf(params, sizeof(params),
             "{\"type\": \"bridge\", \"source\": \"source=%s\", \"mac\": \"52:54:00:5e:00:43\", "
             "\"inbound\": 1024, \"outbound\": \"2048\", \"config\": true, \"live\": true}",
             bridge);
    res = run("plugNIC", params);
    if (res->success) {
        CHECK(live_has(dom, "<inbound average='1024'/>"));
        CHECK(live_has(dom, "<outbound average='2048'/>"));
        result_free(res);
        run_ok("unplugNIC", "{\"type\": \"bridge\", \"mac\": \"52:54:00:5e:00:43\", "
                            "\"config\": true, \"live\": true}", "Running");
        CHECK(!live_has(dom, "52:54:00:5e:00:43"));
        return;
    }
    CHECK_STR(res->reason, "LibvirtError");
    if (CHECK(strstr(res->message, "qdisc") != NULL))
        printf("plugNIC with bandwidth: this host's kernel cannot shape traffic: %s\n",
               res->message);
    else
        fprintf(stderr, "  plugNIC with bandwidth: %s\n", res->message);
    result_free(res);
    CHECK(!live_has(dom, "52:54:00:5e:00:43"));
}

static void step_nic(virDomainPtr dom)
{
    char bridge[16];
    char *add[] = {IP_PROGRAM, "link", "add", bridge, "type", "bridge", NULL};
    char *up[] = {IP_PROGRAM, "link", "set", bridge, "up", NULL};
    char *del[] = {IP_PROGRAM, "link", "del", bridge, NULL};
    char params[256];

    snprintf(bridge, sizeof(bridge), "vmrbr%d", (int)(getpid() % 100000));
    if (geteuid() != 0 || access(IP_PROGRAM, X_OK) != 0 || spawn_wait(add) != 0) {
        printf("no Linux bridge can be made here (needs root and iproute2): NIC step skipped\n");
        return;
    }
    (void)spawn_wait(up);
    step_nic_bandwidth(dom, bridge);
    snprintf(params, sizeof(params),
             "{\"type\": \"bridge\", \"source\": \"source=%s\", \"mac\": \"52:54:00:5e:00:42\", "
             "\"live\": true}", bridge);
    if (run_ok("plugNIC", params, "Running")) {
        CHECK(live_has(dom, "<mac address='52:54:00:5e:00:42'/>"));
        CHECK(live_has(dom, "<model type='virtio'/>"));
        CHECK(wait_log("VMRELAY-GUEST-HOTPLUG add eth1", HOTPLUG_TIMEOUT_MS));
        /* The MAC names it; the wrong type is refused, the right one goes. */
        {
            struct result *res = run("unplugNIC", "{\"type\": \"l2bridge\", "
                                                  "\"mac\": \"52:54:00:5E:00:42\"}");

            CHECK_STR(res->reason, "VirtctlError");
            result_free(res);
        }
        run_ok("unplugNIC", "{\"type\": \"bridge\", \"mac\": \"52:54:00:5E:00:42\"}",
               "Running");
        CHECK(!live_has(dom, "52:54:00:5e:00:42"));
        CHECK(wait_log("VMRELAY-GUEST-HOTPLUG remove eth1", HOTPLUG_TIMEOUT_MS));
    }
    (void)spawn_wait(del);
}

static void step_device_file(virDomainPtr dom, const char *dir, const char *disk)
{
    char file[PATH_LEN], xml[PATH_LEN + 256], params[PATH_LEN + 64];

    snprintf(file, sizeof(file), "%s/plug.xml", dir);
    snprintf(xml, sizeof(xml),
             "<?xml version='1.0'?>\n<disk type='file' device='disk'>"
             "<driver name='qemu' type='qcow2'/><source file='%s'/>"
             "<target dev='vdc' bus='virtio'/></disk>\n", disk);
    write_file(file, xml);
    snprintf(params, sizeof(params), "{\"file\": \"%s\"}", file);
    if (!run_ok("plugDevice", params, "Running"))
        return;
    CHECK(live_has(dom, "<target dev='vdc'"));
    /* The guest names disks in probe order: vdc is its second vdb. */
    CHECK(wait_log_n("VMRELAY-GUEST-HOTPLUG add vdb", 2, HOTPLUG_TIMEOUT_MS));
    run_ok("unplugDevice", params, "Running");
    CHECK(wait_log_n("VMRELAY-GUEST-HOTPLUG remove vdb", 2, HOTPLUG_TIMEOUT_MS));
    CHECK(!live_has(dom, "<target dev='vdc'"));
}

static void step_update_os(virDomainPtr dom, const char *os_disk, const char *template)
{
    char params[2 * PATH_LEN + 64];
    struct result *res;
    struct stat a, b;

    snprintf(params, sizeof(params), "{\"source\": \"%s\", \"target\": \"%s\"}", os_disk,
             template);
    res = run("updateOS", params);
    CHECK_STR(res->reason, "VirtctlError"); /* still running */
    result_free(res);
    CHECK_INT(virDomainDestroy(dom), 0);
    if (!run_ok("updateOS", params, "Shutdown"))
        return;
    CHECK(stat(os_disk, &a) == 0 && stat(template, &b) == 0 && a.st_size == b.st_size);
}

int main(void)
{
    const char *bin = getenv("VMRELAY_BINARY_DIR");
    char base[DIR_LEN - 64], dir[DIR_LEN], disk_a[PATH_LEN], disk_b[PATH_LEN];
    char tpl[PATH_LEN], iso[PATH_LEN], cdrom_xml[XML_LEN];
    _cleanup_free_ char *uri = NULL, *xml = NULL;
    virDomainPtr dom;
    char *end;

    if (!bin)
        test_abort("VMRELAY_BINARY_DIR is not set; run this test through ctest");
    uri = strdup(peer_value("libvirt", "uri"));
    if (!uri)
        test_abort("out of memory");
    snprintf(base, sizeof(base), "%s/tests-tmp", bin);
    if (mkdir(base, 0755) < 0 && errno != EEXIST)
        test_abort("cannot make %s", base);
    snprintf(dir, sizeof(dir), "%s/real-devices-XXXXXX", base);
    if (!mkdtemp(dir))
        test_abort("cannot make a folder like %s", dir);
    if (devices_set_roots(dir) < 0)
        test_abort("cannot set the roots");
    snprintf(disk_a, sizeof(disk_a), "%s/vda.qcow2", dir);
    snprintf(disk_b, sizeof(disk_b), "%s/vdb.qcow2", dir);
    snprintf(tpl, sizeof(tpl), "%s/template.qcow2", dir);
    snprintf(iso, sizeof(iso), "%s/medium.iso", dir);
    snprintf(serial_log, sizeof(serial_log), "%s/serial.log", dir);
    snprintf(name, sizeof(name), "vmrelay-real-devices-%ld", (long)getpid());
    CHECK_INT(guest_disk_create(disk_a, "64M"), 0);
    CHECK_INT(guest_disk_create(disk_b, "16M"), 0);
    CHECK_INT(guest_disk_create(tpl, "32M"), 0);
    write_file(iso, "not really ISO 9660, but QEMU only opens it");
    if (!CHECK_INT(guest_domain_xml(name, disk_a, serial_log, &xml), 0))
        return test_finish();

    /* An empty IDE CD-ROM drive for manageISO (IDE cannot be hot-plugged). */
    end = strstr(xml, "</devices>");
    if (!end)
        test_abort("the guest domain XML has no </devices>");
    snprintf(cdrom_xml, sizeof(cdrom_xml),
             "%.*s<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/>"
             "</disk>%s", (int)(end - xml), xml, end);

    worker_conn_setup();
    conn = virConnectOpen(uri);
    if (!conn)
        test_abort("peer 'libvirt' does not answer at %s", uri);
    dom = virDomainDefineXML(conn, cdrom_xml);
    if (!CHECK(dom))
        return test_finish();
    if (CHECK_INT(virDomainCreate(dom), 0) && CHECK(wait_log(GUEST_READY, BOOT_TIMEOUT_MS))) {
        step_disk(dom, disk_b);
        step_iso(dom, iso);
        step_nic(dom);
        step_device_file(dom, dir, disk_b);
        step_update_os(dom, disk_a, tpl);
    }
    if (virDomainIsActive(dom) == 1)
        virDomainDestroy(dom);
    CHECK_INT(virDomainUndefine(dom), 0);
    virDomainFree(dom);
    virConnectClose(conn);
    return test_finish();
}
