/* The device operations (plugDisk, unplugDisk, plugNIC, unplugNIC,
 * plugDevice, unplugDevice, manageISO, updateOS, migrateVM): the XML and
 * flags they build, the device file checks, and their runs through the
 * registry on libvirt's test driver. libvirt 9.0's test driver has no
 * attach, detach, update-device or migration: there the runs must reach
 * libvirt (VIR_ERR_NO_SUPPORT) after every check of the worker passed;
 * the QEMU tier (tests/real/devices/) runs them for real. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/testing.h"
#include "worker/main/conn.h"
#include "worker/ops/devices.h"
#include "worker/ops/registry.h"
#include "worker/ops/virtinstall.h"

#define PATH_LEN 1024

static virConnectPtr conn;
static char root[PATH_LEN / 2];
static char err[OPS_ERR_MAX];

static struct result *run(const char *operation, const char *name, const char *params)
{
    struct request req = {.id = "t-1", .kind = "VirtualMachine", .operation = (char *)operation,
                          .name = (char *)name, .node = "n1", .namespace = "default"};
    struct result *res = NULL;

    req.params = cJSON_Parse(params);
    if (!req.params || result_new_for(&req, &res) < 0)
        test_abort("cannot set up %s", operation);
    (void)ops_execute(conn, &req, res);
    cJSON_Delete(req.params);
    return res;
}

/* The run failed with reason and a message holding part. */
static void expect_fail(const char *operation, const char *name, const char *params,
                        const char *reason, const char *part)
{
    struct result *res = run(operation, name, params);

    CHECK(!res->success);
    if (!CHECK_STR(res->reason, reason) || !CHECK(strstr(res->message, part)))
        fprintf(stderr, "  %s %s: %s\n", operation, params, res->message);
    result_free(res);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");

    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        test_abort("cannot write %s", path);
}

static char *path_in_root(const char *name)
{
    static char buf[4][PATH_LEN];
    static int next;
    char *p = buf[next++ % 4];

    snprintf(p, PATH_LEN, "%s/%s", root, name);
    return p;
}

static cJSON *json(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    if (!j)
        test_abort("bad JSON in the test: %s", text);
    return j;
}

static void test_affect_flags(void)
{
    struct {
        const char *params;
        bool active;
        int want; /* -1: refused */
    } cases[] = {
        {"{}", true, VIR_DOMAIN_AFFECT_CURRENT},
        {"{\"live\": true}", true, VIR_DOMAIN_AFFECT_LIVE},
        {"{\"config\": \"true\"}", true, VIR_DOMAIN_AFFECT_CONFIG},
        {"{\"live\": true, \"config\": true}", true,
         VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG},
        {"{\"persistent\": true}", true, VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG},
        {"{\"persistent\": true}", false, VIR_DOMAIN_AFFECT_CONFIG},
        {"{\"current\": true}", true, VIR_DOMAIN_AFFECT_CURRENT},
        {"{\"current\": true, \"live\": true}", true, -1},
        {"{\"current\": true, \"persistent\": true}", false, -1},
        {"{\"live\": 1}", true, -1},
    };

    for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
        cJSON *p = json(cases[i].params);
        unsigned flags = 99;
        int r = devices_affect_flags(p, cases[i].active, &flags, err, sizeof(err));

        if (cases[i].want < 0) {
            CHECK_INT(r, -EINVAL);
            CHECK_INT(flags, 99);
        } else if (CHECK_INT(r, 0)) {
            CHECK_INT(flags, cases[i].want);
        }
        cJSON_Delete(p);
    }
    {
        cJSON *p = json("{\"current\":true,\"config\":true}");

        CHECK(devices_affect_flags(p, true, &(unsigned){0}, err, sizeof(err)) < 0 &&
              strstr(err, "'current'"));
        cJSON_Delete(p);
    }
}

/* devices_migrate_flags() on a JSON text. */
static int migrate_flags_of(const char *text, unsigned long *ret_flags)
{
    cJSON *p = json(text);
    int r = devices_migrate_flags(p, ret_flags, err, sizeof(err));

    cJSON_Delete(p);
    return r;
}

/* xml must hold every part. */
static void expect_xml(const char *xml, const char *const *parts)
{
    for (size_t i = 0; parts[i]; i++)
        if (!CHECK(xml && strstr(xml, parts[i])))
            fprintf(stderr, "  missing %s in %s\n", parts[i], xml ? xml : "(null)");
}

static void test_disk_xml(void)
{
    static const char *const full[] = {
        "<disk type=\"file\" device=\"disk\">",
        "<driver name=\"qemu\" type=\"qcow2\" iothread=\"1\"/>",
        "<source file=\"/var/lib/libvirt/images/a.qcow2\"/>",
        "<target dev=\"sdc\" bus=\"sata\"/>",
        "<shareable/>",
        "<iotune><read_bytes_sec>1024</read_bytes_sec><write_bytes_sec>2048</write_bytes_sec>"
        "<read_iops_sec>40000</read_iops_sec><write_iops_sec>0</write_iops_sec></iotune>",
        NULL,
    };
    static const char *const minimal[] = {
        "<disk type=\"block\" device=\"disk\">", "<driver name=\"qemu\" type=\"raw\"/>",
        "<source dev=\"/var/lib/libvirt/b\"/>", "<target dev=\"vdb\" bus=\"virtio\"/>", NULL,
    };
    char *xml = NULL;
    cJSON *p;

    p = json("{\"source\": \"/var/lib/libvirt/images/a.qcow2\", \"target\": \"sdc\", "
             "\"targetbus\": \"sata\", \"subdriver\": \"qcow2\", \"mode\": \"shareable\", "
             "\"iothread\": 1, \"read_bytes_sec\": \"1024\", \"write_bytes_sec\": 2048, "
             "\"read_iops_sec\": \"40000\", \"write_iops_sec\": 0}");
    CHECK_INT(devices_disk_xml(p, false, "raw", &xml, err, sizeof(err)), 0);
    expect_xml(xml, full);
    CHECK(!strstr(xml, "readonly"));
    free(xml), xml = NULL;
    cJSON_Delete(p);

    /* The bus follows the target, the format the file's header. */
    p = json("{\"source\": \"/var/lib/libvirt/b\", \"target\": \"vdb\"}");
    CHECK_INT(devices_disk_xml(p, true, "raw", &xml, err, sizeof(err)), 0);
    expect_xml(xml, minimal);
    CHECK(!strstr(xml, "iotune"));
    free(xml), xml = NULL;
    cJSON_Delete(p);

    /* Every bad field is named. */
    {
        struct {
            const char *params, *field;
        } bad[] = {
            {"{\"target\": \"vdb\"}", "'source'"},
            {"{\"source\": \"/etc/passwd\", \"target\": \"vdb\"}", "\"source\""},
            {"{\"source\": \"/var/lib/libvirt/a\", \"target\": \"vdb\", \"targetbus\": \"pci\"}",
             "\"targetbus\""},
            {"{\"source\": \"/var/lib/libvirt/a\", \"target\": \"eth0\"}", "\"target\""},
            {"{\"source\": \"/var/lib/libvirt/a\", \"target\": \"vdb\", \"mode\": \"rw\"}",
             "\"mode\""},
            {"{\"source\": \"/var/lib/libvirt/a\", \"target\": \"vdb\", \"subdriver\": \"x\"}",
             "\"subdriver\""},
            {"{\"source\": \"/var/lib/libvirt/a\", \"target\": \"vdb\", "
             "\"read_iops_sec\": \"-1\"}", "\"read_iops_sec\""},
            {"{\"source\": \"/var/lib/libvirt/a\", \"target\": \"vdb\", \"driver\": \"a b\"}",
             "\"driver\""},
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
            p = json(bad[i].params);
            err[0] = '\0';
            CHECK_INT(devices_disk_xml(p, false, NULL, &xml, err, sizeof(err)), -EINVAL);
            if (!CHECK(strstr(err, bad[i].field)))
                fprintf(stderr, "  %s: %s\n", bad[i].params, err);
            cJSON_Delete(p);
        }
    }
}

static void test_nic_xml(void)
{
    static const char *const ovs[] = {
        "<interface type=\"bridge\">", "<mac address=\"7e:0c:b0:ef:6a:04\"/>",
        "<source bridge=\"br-int\"/>", "<virtualport type=\"openvswitch\"/>",
        "<bandwidth><inbound average=\"1024000\"/><outbound average=\"2048\"/></bandwidth>",
        "<model type=\"virtio\"/>", NULL,
    };
    char *xml = NULL;
    cJSON *p;

    p = json("{\"type\": \"l3bridge\", \"source\": \"source=br-int\", \"mac\": "
             "\"7e:0c:b0:ef:6a:04\", \"inbound\": \"1024000\", \"outbound\": 2048}");
    CHECK_INT(devices_nic_xml(p, &xml, err, sizeof(err)), 0);
    expect_xml(xml, ovs);
    free(xml), xml = NULL;
    cJSON_Delete(p);

    p = json("{\"type\": \"bridge\", \"source\": \"source=br0\", \"mac\": \"52:54:00:00:00:01\"}");
    CHECK_INT(devices_nic_xml(p, &xml, err, sizeof(err)), 0);
    CHECK(xml && strstr(xml, "<source bridge=\"br0\"/>"));
    CHECK(xml && !strstr(xml, "virtualport") && !strstr(xml, "bandwidth"));
    free(xml), xml = NULL;
    cJSON_Delete(p);

    /* OVN keys are refused by name, not dropped. */
    p = json("{\"type\": \"l2bridge\", \"source\": \"source=br-int,ip=192.168.5.2\", "
             "\"mac\": \"52:54:00:00:00:01\"}");
    CHECK_INT(devices_nic_xml(p, &xml, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "'ip'") != NULL);
    cJSON_Delete(p);
    p = json("{\"type\": \"vlan\", \"source\": \"source=br0\", \"mac\": \"52:54:00:00:00:01\"}");
    CHECK_INT(devices_nic_xml(p, &xml, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "\"type\"") != NULL);
    cJSON_Delete(p);
    p = json("{\"type\": \"bridge\", \"source\": \"source=br0\", \"mac\": \"52:54:00:00:00\"}");
    CHECK_INT(devices_nic_xml(p, &xml, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "\"mac\"") != NULL);
    cJSON_Delete(p);
}

static void test_device_file(void)
{
    char big[DEVICES_FILE_MAX + 64];
    char *xml = NULL;

    write_file(path_in_root("good.xml"),
               "<?xml version='1.0'?>\n<!-- a comment -->\n<hostdev mode='subsystem' "
               "type='pci' managed='yes'><source><address domain='0' bus='1' slot='0' "
               "function='0'/></source></hostdev>\n");
    CHECK_INT(devices_file_load(path_in_root("good.xml"), &xml, err, sizeof(err)), 0);
    CHECK(xml && strncmp(xml, "<hostdev mode=\"subsystem\"", 25) == 0);
    CHECK(xml && !strstr(xml, "comment"));
    free(xml), xml = NULL;

    write_file(path_in_root("domain.xml"), "<domain type='kvm'><name>x</name></domain>");
    CHECK_INT(devices_file_load(path_in_root("domain.xml"), &xml, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "not a device element") != NULL);

    write_file(path_in_root("dtd.xml"),
               "<!DOCTYPE disk [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><disk>&x;</disk>");
    CHECK_INT(devices_file_load(path_in_root("dtd.xml"), &xml, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "document type") != NULL);

    write_file(path_in_root("broken.xml"), "<disk><source></disk>");
    CHECK_INT(devices_file_load(path_in_root("broken.xml"), &xml, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "well-formed") != NULL);

    memset(big, ' ', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "<disk>", 6);
    write_file(path_in_root("big.xml"), big);
    CHECK_INT(devices_file_load(path_in_root("big.xml"), &xml, err, sizeof(err)), -EFBIG);

    /* A symlink inside the root that leads out of it. */
    write_file("/tmp/vmrelay-devices-outside.xml", "<disk type='file'/>");
    (void)unlink(path_in_root("link.xml"));
    if (symlink("/tmp/vmrelay-devices-outside.xml", path_in_root("link.xml")) < 0)
        test_abort("cannot make a symlink");
    CHECK_INT(devices_file_load(path_in_root("link.xml"), &xml, err, sizeof(err)), -EPERM);
    CHECK(strstr(err, "outside the allowed roots") != NULL);
    (void)unlink("/tmp/vmrelay-devices-outside.xml");

    CHECK_INT(devices_file_load(path_in_root("none.xml"), &xml, err, sizeof(err)), -ENOENT);
    CHECK(xml == NULL);
}

static const char domain_xml[] =
    "<domain><devices>"
    "<disk type='file' device='disk'><source file='/var/lib/libvirt/images/os.qcow2'/>"
    "<target dev='vda' bus='virtio'/></disk>"
    "<disk type='file' device='cdrom'><source file='/var/lib/libvirt/iso/a.iso'/>"
    "<target dev='hdc' bus='ide'/><readonly/></disk>"
    "<disk type='file' device='cdrom'><target dev='hdd' bus='ide'/><readonly/></disk>"
    "<interface type='bridge'><mac address='52:54:00:AA:bb:01'/><source bridge='br0'/>"
    "</interface></devices></domain>";

static void test_find_and_cdrom(void)
{
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
    xmlNodePtr n;
    char *xml = NULL;

    if (!CHECK_INT(devices_xml_parse(domain_xml, strlen(domain_xml), &doc, err, sizeof(err)),
                   0))
        return;
    n = devices_find_disk(doc, "vda", NULL);
    CHECK(n && devices_node_attr_is(n, "device", "disk"));
    CHECK(devices_find_disk(doc, "/var/lib/libvirt/images/os.qcow2", NULL) == n);
    CHECK(devices_find_disk(doc, "/var/lib/libvirt/images/os.qcow2", "cdrom") == NULL);
    CHECK(devices_find_disk(doc, "vdb", NULL) == NULL);
    CHECK(devices_find_interface(doc, "52:54:00:aa:BB:01") != NULL);
    CHECK(devices_find_interface(doc, "52:54:00:aa:bb:02") == NULL);

    n = devices_find_disk(doc, "/var/lib/libvirt/iso/a.iso", "cdrom");
    if (!CHECK(n != NULL))
        return;
    CHECK_INT(devices_cdrom_xml(n, "/var/lib/libvirt/iso/a.iso", true, false, &xml), 0);
    CHECK(xml && !strstr(xml, "<source") && strstr(xml, "<target dev=\"hdc\""));
    free(xml), xml = NULL;
    CHECK_INT(devices_cdrom_xml(n, "/dev/sr0", false, true, &xml), 0);
    CHECK(xml && strstr(xml, "<disk type=\"block\" device=\"cdrom\"><source dev=\"/dev/sr0\"/>"));
    CHECK(xml && !strstr(xml, "a.iso"));
    free(xml);
}

static void test_migrate_flags(void)
{
    static const struct {
        const char *field;
        unsigned long flag;
    } one[] = {
        {"live", VIR_MIGRATE_LIVE},
        {"p2p", VIR_MIGRATE_PEER2PEER},
        {"persistent", VIR_MIGRATE_PERSIST_DEST},
        {"undefinesource", VIR_MIGRATE_UNDEFINE_SOURCE},
        {"suspend", VIR_MIGRATE_PAUSED},
        {"copy_storage_all", VIR_MIGRATE_NON_SHARED_DISK},
        {"copy_storage_inc", VIR_MIGRATE_NON_SHARED_INC},
        {"change_protection", VIR_MIGRATE_CHANGE_PROTECTION},
        {"unsafe", VIR_MIGRATE_UNSAFE},
        {"compressed", VIR_MIGRATE_COMPRESSED},
        {"auto_converge", VIR_MIGRATE_AUTO_CONVERGE},
        {"rdma_pin_all", VIR_MIGRATE_RDMA_PIN_ALL},
        {"abort_on_error", VIR_MIGRATE_ABORT_ON_ERROR},
        {"direct", 0},
    };
    static const char *const refused[] = {
        "{\"live\": true, \"offline\": true, \"persistent\": true}",
        "{\"copy_storage_all\": true, \"copy_storage_inc\": true}",
        "{\"tunnelled\": true}",
        "{\"direct\": true, \"p2p\": true}",
        "{\"offline\": true}",
        "{\"postcopy\": true}",
        "{\"unsafe\": \"yes\"}",
    };
    unsigned long flags;
    char text[128];

    for (size_t i = 0; i < ELEMENTSOF(one); i++) {
        cJSON *p;

        snprintf(text, sizeof(text), "{\"%s\": true}", one[i].field);
        p = json(text);
        if (CHECK_INT(devices_migrate_flags(p, &flags, err, sizeof(err)), 0))
            CHECK_INT(flags, one[i].flag);
        cJSON_Delete(p);
    }
    CHECK_INT(migrate_flags_of("{\"p2p\": true, \"tunnelled\": \"true\", \"live\": true, "
                               "\"postcopy\": true}", &flags),
              0);
    CHECK_INT(flags, VIR_MIGRATE_PEER2PEER | VIR_MIGRATE_TUNNELLED | VIR_MIGRATE_LIVE |
                         VIR_MIGRATE_POSTCOPY);
    CHECK_INT(migrate_flags_of("{\"offline\": true, \"persistent\": true}", &flags), 0);
    CHECK_INT(flags, VIR_MIGRATE_OFFLINE | VIR_MIGRATE_PERSIST_DEST);
    for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
        err[0] = '\0';
        CHECK_INT(migrate_flags_of(refused[i], &flags), -EINVAL);
        CHECK(strstr(err, "field") != NULL);
    }
}

/* The operations through the registry on test:///default ("test" runs,
 * with disk vda and a network interface aa:bb:cc:dd:ee:ff). */
static void test_registry_runs(void)
{
    char params[2048];

    expect_fail("plugDisk", "test", "{\"source\": \"/x\", \"target\": \"vdb\", \"current\": true}",
                "VirtctlError", "'current'");
    snprintf(params, sizeof(params), "{\"source\": \"%s\", \"target\": \"vdb\"}",
             path_in_root("missing.qcow2"));
    expect_fail("plugDisk", "test", params, "VirtctlError", "No such file");
    write_file(path_in_root("data.img"), "raw bytes of a disk");
    snprintf(params, sizeof(params), "{\"source\": \"%s\", \"target\": \"vdb\", "
             "\"read_bytes_sec\": 1000, \"live\": true}", path_in_root("data.img"));
    expect_fail("plugDisk", "test", params, "LibvirtError", "Cannot attach the disk: ");
    expect_fail("plugDisk", "nosuchvm1", params, "LibvirtError", "Cannot find the VM");

    expect_fail("unplugDisk", "test", "{\"target\": \"vdz\"}", "VirtctlError", "'target'");
    expect_fail("unplugDisk", "test", "{\"target\": \"vda\", \"live\": true}", "LibvirtError",
                "Cannot detach the disk: ");
    expect_fail("unplugDisk", "test", "{\"target\": \"/guest/diskimage1\"}", "VirtctlError",
                "\"target\"");

    expect_fail("plugNIC", "test", "{\"type\": \"bridge\", \"source\": \"source=br0\", "
                "\"mac\": \"52:54:00:00:00:09\", \"switch\": \"s\"}", "VirtctlError",
                "'switch'");
    expect_fail("plugNIC", "test", "{\"type\": \"bridge\", \"source\": \"source=br0\", "
                "\"mac\": \"52:54:00:00:00:09\", \"inbound\": 100}", "LibvirtError",
                "Cannot attach the network interface: ");
    expect_fail("unplugNIC", "test", "{\"type\": \"bridge\", \"mac\": \"aa:bb:cc:dd:ee:ff\"}",
                "VirtctlError", "'type'");
    expect_fail("unplugNIC", "test", "{\"type\": \"bridge\", \"mac\": \"aa:bb:cc:dd:ee:00\"}",
                "VirtctlError", "'mac'");

    write_file(path_in_root("nic.xml"), "<interface type='network'><source network='default'/>"
               "</interface>");
    snprintf(params, sizeof(params), "{\"file\": \"%s\", \"config\": true}",
             path_in_root("nic.xml"));
    expect_fail("plugDevice", "test", params, "LibvirtError", "Cannot attach the device: ");
    expect_fail("unplugDevice", "test", params, "LibvirtError", "Cannot detach the device: ");
    snprintf(params, sizeof(params), "{\"file\": \"%s\"}", path_in_root("domain.xml"));
    expect_fail("plugDevice", "test", params, "VirtctlError", "not a device element");
    expect_fail("plugDevice", "test", "{\"file\": \"/etc/passwd\"}", "VirtctlError",
                "\"file\"");

    write_file(path_in_root("a.iso"), "CD001");
    snprintf(params, sizeof(params), "{\"path\": \"%s\", \"insert\": true}",
             path_in_root("a.iso"));
    expect_fail("manageISO", "test", params, "VirtctlError", "no empty CD-ROM");
    snprintf(params, sizeof(params), "{\"path\": \"%s\", \"insert\": true, \"eject\": true}",
             path_in_root("a.iso"));
    expect_fail("manageISO", "test", params, "VirtctlError", "'eject'");
    snprintf(params, sizeof(params), "{\"path\": \"%s\"}", path_in_root("a.iso"));
    expect_fail("manageISO", "test", params, "VirtctlError", "'insert'");
    snprintf(params, sizeof(params), "{\"path\": \"%s\", \"eject\": true}",
             path_in_root("a.iso"));
    expect_fail("manageISO", "test", params, "VirtctlError", "no CD-ROM drive");
    snprintf(params, sizeof(params), "{\"path\": \"%s\", \"insert\": true, \"block\": true}",
             path_in_root("a.iso"));
    expect_fail("manageISO", "test", params, "VirtctlError", "block device");

    expect_fail("migrateVM", "test", "{\"desturi\": \"test:///default\", \"offline\": true}",
                "VirtctlError", "'persistent'");
    expect_fail("migrateVM", "test", "{\"desturi\": \"bad uri\"}", "VirtctlError",
                "\"desturi\"");
    expect_fail("migrateVM", "test", "{\"desturi\": \"test:///default\", \"p2p\": true}",
                "LibvirtError", "Cannot migrate the VM: ");
    expect_fail("migrateVM", "test", "{\"desturi\": \"test:///default\", \"live\": true}",
                "LibvirtError", "Cannot migrate the VM: ");
}

static void test_update_os(void)
{
    char xml[2048], params[2048], got[64] = "";
    virDomainPtr dom;
    struct result *res;
    FILE *f;

    write_file(path_in_root("os.img"), "old raw disk");
    write_file(path_in_root("tpl.qcow2"), "QFI\xfb template bytes");
    snprintf(xml, sizeof(xml),
             "<domain type='test'><name>vmosupd1</name><memory>65536</memory>"
             "<os><type>hvm</type></os><devices><disk type='file' device='disk'>"
             "<driver name='qemu' type='raw'/><source file='%s'/>"
             "<target dev='vda' bus='virtio'/></disk></devices></domain>",
             path_in_root("os.img"));
    dom = virDomainDefineXML(conn, xml);
    if (!CHECK(dom != NULL))
        return;

    snprintf(params, sizeof(params), "{\"source\": \"%s\", \"target\": \"%s\"}",
             path_in_root("os.img"), path_in_root("tpl.qcow2"));
    res = run("updateOS", "vmosupd1", params);
    if (!CHECK_STR(res->reason, "Shutdown"))
        fprintf(stderr, "  updateOS: %s\n", res->message);
    result_free(res);
    f = fopen(path_in_root("os.img"), "re");
    if (f) {
        CHECK(fgets(got, sizeof(got), f) != NULL);
        fclose(f);
    }
    CHECK_STR(got, "QFI\xfb template bytes");
    {
        char *desc = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);

        CHECK(desc && strstr(desc, "type='qcow2'"));
        free(desc);
    }

    /* Not a disk of the VM; and the VM running. */
    snprintf(params, sizeof(params), "{\"source\": \"%s\", \"target\": \"%s\"}",
             path_in_root("data.img"), path_in_root("tpl.qcow2"));
    expect_fail("updateOS", "vmosupd1", params, "VirtctlError", "'source'");
    CHECK_INT(virDomainCreate(dom), 0);
    snprintf(params, sizeof(params), "{\"source\": \"%s\", \"target\": \"%s\"}",
             path_in_root("os.img"), path_in_root("tpl.qcow2"));
    expect_fail("updateOS", "vmosupd1", params, "VirtctlError", "shut off");
    (void)virDomainDestroy(dom);
    (void)virDomainUndefine(dom);
    virDomainFree(dom);
}

/* createAndStartVMFromISO: inbound/outbound go into the printed XML, the
 * n-th --network group to the n-th interface. */
static void test_virtinstall_bandwidth(void)
{
    static const char printed[] =
        "<domain type='kvm'><name>v</name><devices>"
        "<interface type='network'><source network='default'/></interface>"
        "<disk type='file' device='disk'/>"
        "<interface type='bridge'><source bridge='br-int'/></interface></devices></domain>";
    cJSON *p;
    char *xml = NULL;
    const char *second;

    p = json("{\"network\": \"network=default --network type=l3bridge,source=br-int,"
             "inbound=100,outbound=200\"}");
    CHECK_INT(virtinstall_apply_bandwidth(p, printed, &xml, err, sizeof(err)), 0);
    second = xml ? strstr(xml, "<interface type=\"bridge\">") : NULL;
    CHECK(second && strstr(second, "<bandwidth><inbound average=\"100\"/>"
                                   "<outbound average=\"200\"/></bandwidth>"));
    CHECK(xml && strstr(xml, "<bandwidth>") == strstr(second, "<bandwidth>"));
    free(xml), xml = NULL;
    cJSON_Delete(p);

    p = json("{\"network\": \"type=bridge,source=br0\"}");
    CHECK_INT(virtinstall_apply_bandwidth(p, printed, &xml, err, sizeof(err)), 0);
    CHECK(xml == NULL);
    cJSON_Delete(p);

    p = json("{\"network\": \"type=bridge,source=a,inbound=1 --network type=bridge,source=b "
             "--network type=bridge,source=c,outbound=5\"}");
    CHECK_INT(virtinstall_apply_bandwidth(p, printed, &xml, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "fewer interfaces") != NULL);
    cJSON_Delete(p);
}

/* The whole path through virt-install on the test driver: the defined VM
 * carries the bandwidth virt-install could not take. */
static void test_create_with_bandwidth(void)
{
    char params[2048];
    struct result *res;
    virDomainPtr dom;
    char *desc;

    if (access(VIRTINSTALL_PATH, X_OK) != 0) {
        fprintf(stderr, "  no %s: createAndStartVMFromISO not run\n", VIRTINSTALL_PATH);
        return;
    }
    snprintf(params, sizeof(params),
             "{\"memory\":\"512\",\"vcpus\":\"1\",\"disk\":\"none\",\"cdrom\":\"%s\","
             "\"os_variant\":\"centos7.0\",\"graphics\":\"vnc,listen=0.0.0.0\","
             "\"network\":\"type=l2bridge,source=br-int,inbound=102400,outbound=2048,"
             "mac=52:54:00:12:34:56,model=e1000\",\"noautoconsole\":true}",
             path_in_root("a.iso"));
    res = run("createAndStartVMFromISO", "vmbwtest1", params);
    if (!CHECK(res->success))
        fprintf(stderr, "  createAndStartVMFromISO: %s\n", res->message);
    result_free(res);
    dom = virDomainLookupByName(conn, "vmbwtest1");
    if (!CHECK(dom != NULL))
        return;
    desc = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    CHECK(desc && strstr(desc, "<inbound average='102400'/>"));
    CHECK(desc && strstr(desc, "<outbound average='2048'/>"));
    CHECK(desc && strstr(desc, "<virtualport type='openvswitch'"));
    CHECK(desc && strstr(desc, "<mac address='52:54:00:12:34:56'/>"));
    CHECK(desc && strstr(desc, "<model type='e1000'/>"));
    if (desc && !strstr(desc, "<inbound"))
        fprintf(stderr, "%s\n", desc);
    free(desc);
    (void)virDomainDestroy(dom);
    (void)virDomainUndefine(dom);
    virDomainFree(dom);
}

static void cleanup_root(void)
{
    static const char *const files[] = {"good.xml", "domain.xml", "dtd.xml", "broken.xml",
                                        "big.xml", "link.xml", "data.img", "nic.xml",
                                        "a.iso", "os.img", "tpl.qcow2", NULL};

    for (size_t i = 0; files[i]; i++)
        (void)unlink(path_in_root(files[i]));
    (void)rmdir(root);
}

int main(void)
{
    char roots[2 * PATH_LEN];

    snprintf(root, sizeof(root), "/tmp/vmrelay-devices-XXXXXX");
    if (!mkdtemp(root))
        test_abort("cannot make a folder");
    snprintf(roots, sizeof(roots), "%s,/var/lib/libvirt", root);
    if (devices_set_roots(roots) < 0)
        test_abort("cannot set the roots");
    worker_conn_setup();
    conn = virConnectOpen("test:///default");
    if (!conn)
        test_abort("cannot open test:///default");

    test_affect_flags();
    test_disk_xml();
    test_nic_xml();
    test_device_file();
    test_find_and_cdrom();
    test_migrate_flags();
    test_registry_runs();
    test_update_os();
    test_virtinstall_bandwidth();
    test_create_with_bandwidth();

    virConnectClose(conn);
    cleanup_root();
    return test_finish();
}
