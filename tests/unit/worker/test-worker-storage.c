/* The storage operations (snapshots, pools, disks, disk images, VM images)
 * through the registry, in process, on libvirt's test driver
 * (test:///default: domain "test", pool "default-pool" at /default-pool).
 *
 * The test driver copies a volume only within one pool, so most template
 * operations run with the template pool set to default-pool; one case
 * keeps a separate template pool to check that it is created and that a
 * failed copy leaves no volume behind. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/testing.h"
#include "worker/ops/ops-storage.h"
#include "worker/ops/registry.h"

static virConnectPtr conn;
static char tmpdir[] = "/tmp/vmrelay-storage-XXXXXX";

static struct result *run(const char *kind, const char *operation, const char *name,
                          const char *params)
{
    struct request req = {.id = "t-1", .kind = (char *)kind, .operation = (char *)operation,
                          .name = (char *)name, .node = "n1", .namespace = "default"};
    struct result *res = NULL;

    req.params = cJSON_Parse(params);
    if (!req.params || result_new_for(&req, &res) < 0)
        test_abort("cannot set up %s", operation);
    (void)ops_execute(conn, &req, res);
    cJSON_Delete(req.params);
    return res;
}

/* spec.<field>.<element>.text, or .<element>.<attr> when attr is set. */
static const char *spec_get(const struct result *res, const char *field, const char *element,
                            const char *attr)
{
    cJSON *f = res->spec ? cJSON_GetObjectItem(res->spec, field) : NULL;
    cJSON *e = f ? cJSON_GetObjectItem(f, element) : NULL;
    cJSON *t = e ? cJSON_GetObjectItem(e, attr ? attr : "text") : NULL;

    return t && cJSON_IsString(t) ? t->valuestring : NULL;
}

/* Runs a request that must succeed with Ready; returns the result. */
static struct result *ok(const char *kind, const char *operation, const char *name,
                         const char *params)
{
    struct result *res = run(kind, operation, name, params);

    if (!CHECK_STR(res->reason, "Ready"))
        fprintf(stderr, "  %s %s: %s\n", operation, name, res->message);
    CHECK(res->success);
    return res;
}

/* Runs a request that must fail with reason and a message holding part. */
static void fails(const char *kind, const char *operation, const char *name, const char *params,
                  const char *reason, const char *part)
{
    struct result *res = run(kind, operation, name, params);

    CHECK(!res->success);
    if (!CHECK_STR(res->reason, reason) || !CHECK(res->message && strstr(res->message, part)))
        fprintf(stderr, "  %s %s: %s (want '%s')\n", operation, name, res->message, part);
    CHECK(res->spec == NULL);
    result_free(res);
}

static bool vol_exists(const char *pool_name, const char *name)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, pool_name);
    virStorageVolPtr vol = pool ? virStorageVolLookupByName(pool, name) : NULL;

    if (vol)
        virStorageVolFree(vol);
    if (pool)
        virStoragePoolFree(pool);
    virResetLastError();
    return vol != NULL;
}

static void test_snapshot(void)
{
    struct result *res;
    virDomainPtr dom;

    res = ok("VirtualMachineSnapshot", "createSnapshot", "snapone1", "{\"domain\": \"test\"}");
    CHECK_STR(spec_get(res, "domainsnapshot", "name", NULL), "snapone1");
    CHECK_STR(spec_get(res, "domainsnapshot", "state", NULL), "running");
    CHECK_STR(res->message, "The snapshot snapone1 of VM test is created.");
    result_free(res);

    dom = virDomainLookupByName(conn, "test");
    CHECK(dom && virDomainDestroy(dom) == 0);
    res = ok("VirtualMachineSnapshot", "revertVirtualMachine", "snapone1",
             "{\"domain\": \"test\", \"running\": true}");
    CHECK_STR(spec_get(res, "domainsnapshot", "name", NULL), "snapone1");
    CHECK_INT(virDomainIsActive(dom), 1);
    result_free(res);
    res = ok("VirtualMachineSnapshot", "revertVirtualMachine", "snapone1",
             "{\"domain\": \"test\", \"running\": \"false\"}");
    result_free(res);
    virDomainFree(dom);

    fails("VirtualMachineSnapshot", "revertVirtualMachine", "snapone1",
          "{\"domain\": \"test\", \"running\": 3}", "VirtctlError", "'running'");
    fails("VirtualMachineSnapshot", "createSnapshot", "snaptwo1", "{}", "VirtctlError",
          "'domain' is required");
    fails("VirtualMachineSnapshot", "createSnapshot", "snaptwo1",
          "{\"domain\": \"test\", \"memory\": true}", "VirtctlError", "'memory'");
    fails("VirtualMachineSnapshot", "createSnapshot", "snaptwo1",
          "{\"domain\": \"te<st\"}", "VirtctlError", "domain");
    fails("VirtualMachineSnapshot", "createSnapshot", "snaptwo1",
          "{\"domain\": \"nosuchvm\"}", "LibvirtError", "Cannot find the VM nosuchvm");

    res = ok("VirtualMachineSnapshot", "deleteSnapshot", "snapone1", "{\"domain\": \"test\"}");
    CHECK(res->spec == NULL);
    result_free(res);
    res = run("VirtualMachineSnapshot", "deleteSnapshot", "snapone1", "{\"domain\": \"test\"}");
    CHECK_STR(res->reason, "LibvirtError");
    CHECK_INT(res->error_code, VIR_ERR_NO_DOMAIN_SNAPSHOT);
    result_free(res);
}

static void test_pool(void)
{
    static const char create[] =
        "{\"type\": \"dir\", \"target\": \"/var/lib/libvirt/poolaaaa\"}";
    virStoragePoolPtr pool;
    struct result *res;
    int autostart = -1;

    res = ok("VirtualMachinePool", "createPool", "poolaaaa", create);
    CHECK_STR(spec_get(res, "pool", "name", NULL), "poolaaaa");
    CHECK_STR(res->spec ? cJSON_GetStringValue(cJSON_GetObjectItem(
                              cJSON_GetObjectItem(res->spec, "pool"), "type")) : NULL, "dir");
    result_free(res);
    pool = virStoragePoolLookupByName(conn, "poolaaaa");
    CHECK(pool != NULL);
    CHECK_INT(virStoragePoolIsActive(pool), 1);
    CHECK_INT(virStoragePoolIsPersistent(pool), 1);
    CHECK(virStoragePoolGetAutostart(pool, &autostart) == 0 && autostart == 1);

    fails("VirtualMachinePool", "createPool", "poolaaaa", create, "VirtctlError",
          "already exists");
    fails("VirtualMachinePool", "createPool", "poolbbbb",
          "{\"type\": \"netfs\", \"target\": \"/var/lib/libvirt/poolbbbb\"}", "VirtctlError",
          "'type'");
    fails("VirtualMachinePool", "createPool", "poolbbbb",
          "{\"type\": \"dir\", \"target\": \"relative/dir\"}", "VirtctlError", "'target'");
    fails("VirtualMachinePool", "createPool", "poolbbbb", "{\"type\": \"dir\"}",
          "VirtctlError", "'target' is required");
    CHECK(virStoragePoolLookupByName(conn, "poolbbbb") == NULL);
    virResetLastError();

    res = ok("VirtualMachinePool", "autoStart", "poolaaaa", "{\"disable\": true}");
    CHECK(virStoragePoolGetAutostart(pool, &autostart) == 0 && autostart == 0);
    CHECK_STR(res->message, "The pool no longer starts with the node.");
    result_free(res);
    fails("VirtualMachinePool", "autoStart", "poolaaaa", "{}", "VirtctlError",
          "'disable' is required");

    res = ok("VirtualMachinePool", "stopPool", "poolaaaa", "{}");
    CHECK_INT(virStoragePoolIsActive(pool), 0);
    CHECK(res->spec != NULL);
    result_free(res);
    fails("VirtualMachinePool", "stopPool", "poolaaaa", "{}", "LibvirtError",
          "Cannot stop the pool");
    res = ok("VirtualMachinePool", "startPool", "poolaaaa", "{}");
    CHECK_INT(virStoragePoolIsActive(pool), 1);
    result_free(res);
    virStoragePoolFree(pool);

    /* Unregistered (stopped first): gone from libvirt, back from the
     * saved description, stopped. */
    res = ok("VirtualMachinePool", "unregisterPool", "poolaaaa", "{}");
    CHECK(res->spec == NULL);
    CHECK_STR(res->message, "The pool is stopped and unregistered; its storage is kept.");
    result_free(res);
    CHECK(virStoragePoolLookupByName(conn, "poolaaaa") == NULL);
    virResetLastError();
    fails("VirtualMachinePool", "unregisterPool", "poolaaaa", "{}", "LibvirtError",
          "Cannot find the pool poolaaaa");
    res = ok("VirtualMachinePool", "registerPool", "poolaaaa", "{}");
    CHECK_STR(spec_get(res, "pool", "name", NULL), "poolaaaa");
    CHECK_STR(spec_get(res, "pool", "target", NULL), NULL);
    result_free(res);
    pool = virStoragePoolLookupByName(conn, "poolaaaa");
    CHECK(pool && virStoragePoolIsPersistent(pool) == 1 && virStoragePoolIsActive(pool) == 0);
    if (pool) {
        char *xml = virStoragePoolGetXMLDesc(pool, 0);

        CHECK(xml && strstr(xml, "<path>/var/lib/libvirt/poolaaaa</path>"));
        free(xml);
        virStoragePoolFree(pool);
    }
    fails("VirtualMachinePool", "registerPool", "poolaaaa", "{}", "VirtctlError",
          "already defined");
    fails("VirtualMachinePool", "registerPool", "poolneverseen", "{}", "VirtctlError",
          "no description");

    /* deletePool refuses a pool that still holds volumes. */
    result_free(ok("VirtualMachinePool", "startPool", "poolaaaa", "{}"));
    result_free(ok("VirtualMachineDisk", "createDisk", "diskinpool",
                   "{\"pool\": \"poolaaaa\", \"format\": \"raw\", \"capacity\": 1048576}"));
    fails("VirtualMachinePool", "deletePool", "poolaaaa", "{}", "VirtctlError",
          "1 volume(s)");
    result_free(ok("VirtualMachineDisk", "deleteDisk", "diskinpool",
                   "{\"pool\": \"poolaaaa\"}"));
    res = ok("VirtualMachinePool", "deletePool", "poolaaaa", "{}");
    CHECK(res->spec == NULL);
    result_free(res);
    CHECK(virStoragePoolLookupByName(conn, "poolaaaa") == NULL);
    virResetLastError();
    fails("VirtualMachinePool", "deletePool", "poolaaaa", "{}", "LibvirtError",
          "Cannot find the pool poolaaaa");
    fails("VirtualMachinePool", "startPool", "poolaaaa", "{\"force\": 1}", "VirtctlError",
          "'force'");
}

/* A domain that uses /default-pool/diskaaaa, to check the in-use refusal. */
static virDomainPtr define_user(void)
{
    static const char xml[] =
        "<domain type='test'><name>diskuser</name><memory>1024</memory>"
        "<os><type>hvm</type></os><devices><disk type='file' device='disk'>"
        "<source file='/default-pool/diskaaaa'/><target dev='vda'/></disk></devices>"
        "</domain>";

    return virDomainDefineXML(conn, xml);
}

static void test_disk(void)
{
    struct result *res;
    virDomainPtr user;

    res = ok("VirtualMachineDisk", "createDisk", "diskaaaa",
             "{\"pool\": \"default-pool\", \"format\": \"qcow2\", \"capacity\": \"1073741824\"}");
    CHECK_STR(spec_get(res, "volume", "name", NULL), "diskaaaa");
    CHECK_STR(spec_get(res, "volume", "capacity", NULL), "1073741824");
    result_free(res);
    fails("VirtualMachineDisk", "createDisk", "diskaaaa",
          "{\"pool\": \"default-pool\", \"format\": \"qcow2\", \"capacity\": \"1024\"}",
          "VirtctlError", "already holds");
    fails("VirtualMachineDisk", "createDisk", "diskzzzz",
          "{\"pool\": \"default-pool\", \"format\": \"ext4\", \"capacity\": \"1024\"}",
          "VirtctlError", "format");
    fails("VirtualMachineDisk", "createDisk", "diskzzzz",
          "{\"pool\": \"default-pool\", \"format\": \"raw\", \"capacity\": \"-5\"}",
          "VirtctlError", "'capacity'");
    fails("VirtualMachineDisk", "createDisk", "diskzzzz",
          "{\"pool\": \"nopool\", \"format\": \"raw\", \"capacity\": 5}", "LibvirtError",
          "Cannot find the pool nopool");

    /* The test driver has no virStorageVolResize: libvirt says so. */
    res = run("VirtualMachineDisk", "resizeDisk", "diskaaaa",
              "{\"pool\": \"default-pool\", \"capacity\": \"2147483648\"}");
    CHECK_STR(res->reason, "LibvirtError");
    CHECK_INT(res->error_code, VIR_ERR_NO_SUPPORT);
    result_free(res);
    fails("VirtualMachineDisk", "resizeDisk", "diskaaaa",
          "{\"pool\": \"default-pool\", \"capacity\": 1024}", "VirtctlError", "shrinking");

    res = ok("VirtualMachineDisk", "cloneDisk", "diskaaaa",
             "{\"pool\": \"default-pool\", \"newname\": \"diskbbbb\"}");
    CHECK_STR(spec_get(res, "volume", "name", NULL), "diskaaaa");
    CHECK_STR(res->message, "The disk is cloned to diskbbbb.");
    result_free(res);
    CHECK(vol_exists("default-pool", "diskbbbb"));
    fails("VirtualMachineDisk", "cloneDisk", "diskaaaa",
          "{\"pool\": \"default-pool\", \"newname\": \"diskbbbb\"}", "VirtctlError",
          "already holds");

    user = define_user();
    CHECK(user != NULL);
    fails("VirtualMachineDisk", "deleteDisk", "diskaaaa", "{\"pool\": \"default-pool\"}",
          "VirtctlError", "used by VM diskuser");
    fails("VirtualMachineDisk", "convertDiskToDiskImage", "diskaaaa",
          "{\"pool\": \"default-pool\"}", "VirtctlError", "used by VM diskuser");
    CHECK(vol_exists("default-pool", "diskaaaa"));
    if (user) {
        CHECK(virDomainUndefine(user) == 0);
        virDomainFree(user);
    }

    res = ok("VirtualMachineDisk", "convertDiskToDiskImage", "diskaaaa",
             "{\"pool\": \"default-pool\"}");
    CHECK_STR(spec_get(res, "volume", "name", NULL), "diskaaaa.diskimage");
    result_free(res);
    CHECK(!vol_exists("default-pool", "diskaaaa"));
    CHECK(vol_exists("default-pool", "diskaaaa.diskimage"));

    res = ok("VirtualMachineDisk", "createDiskFromDiskImage", "diskcccc",
             "{\"pool\": \"default-pool\", \"image\": \"diskaaaa\"}");
    CHECK_STR(spec_get(res, "volume", "name", NULL), "diskcccc");
    CHECK_STR(spec_get(res, "volume", "capacity", NULL), "1073741824");
    result_free(res);
    fails("VirtualMachineDisk", "createDiskFromDiskImage", "diskdddd",
          "{\"pool\": \"default-pool\", \"image\": \"noimage1\"}", "LibvirtError",
          "noimage1.diskimage");

    res = ok("VirtualMachineDisk", "deleteDisk", "diskbbbb", "{\"pool\": \"default-pool\"}");
    CHECK(res->spec == NULL);
    result_free(res);
    CHECK(!vol_exists("default-pool", "diskbbbb"));
}

static void test_diskimage(void)
{
    struct result *res;

    res = ok("VirtualMachineDiskImage", "createDiskImage", "imgaaaaa",
             "{\"source\": \"/default-pool/diskcccc\"}");
    CHECK_STR(spec_get(res, "volume", "name", NULL), "imgaaaaa.diskimage");
    result_free(res);
    CHECK(vol_exists("default-pool", "diskcccc"));
    fails("VirtualMachineDiskImage", "createDiskImage", "imgaaaaa",
          "{\"source\": \"/default-pool/diskcccc\"}", "VirtctlError", "already holds");
    fails("VirtualMachineDiskImage", "createDiskImage", "imgbbbbb",
          "{\"source\": \"/nowhere/disk.qcow2\"}", "VirtctlError", "'source'");

    res = ok("VirtualMachineDiskImage", "convertDiskImageToDisk", "imgaaaaa",
             "{\"pool\": \"default-pool\"}");
    CHECK_STR(spec_get(res, "volume", "name", NULL), "imgaaaaa");
    result_free(res);
    CHECK(vol_exists("default-pool", "imgaaaaa"));
    CHECK(!vol_exists("default-pool", "imgaaaaa.diskimage"));
    /* The target name is taken now: the image must stay as it was. */
    result_free(ok("VirtualMachineDiskImage", "createDiskImage", "imgaaaaa",
                   "{\"source\": \"/default-pool/diskcccc\"}"));
    fails("VirtualMachineDiskImage", "convertDiskImageToDisk", "imgaaaaa",
          "{\"pool\": \"default-pool\"}", "VirtctlError", "already holds");
    CHECK(vol_exists("default-pool", "imgaaaaa.diskimage"));

    res = ok("VirtualMachineDiskImage", "deleteDiskImage", "imgaaaaa", "{}");
    CHECK(res->spec == NULL);
    result_free(res);
    CHECK(!vol_exists("default-pool", "imgaaaaa.diskimage"));
    result_free(ok("VirtualMachineDiskImage", "deleteDiskImage", "diskaaaa", "{}"));
    fails("VirtualMachineDiskImage", "deleteDiskImage", "diskaaaa", "{}", "LibvirtError",
          "diskaaaa.diskimage");
}

static void test_image(void)
{
    char path[512];
    struct result *res;
    virDomainPtr dom;

    res = ok("VirtualMachineImage", "createImage", "imageaaa",
             "{\"disk\": \"/default-pool/diskcccc\"}");
    CHECK_STR(spec_get(res, "domain", "name", NULL), "imageaaa");
    CHECK_STR(spec_get(res, "domain", "metadata", NULL), NULL);
    result_free(res);
    snprintf(path, sizeof(path), "%s/images/imageaaa.xml", tmpdir);
    CHECK(access(path, F_OK) == 0);
    CHECK(vol_exists("default-pool", "imageaaa.vmimage"));
    fails("VirtualMachineImage", "createImage", "imageaaa",
          "{\"disk\": \"/default-pool/diskcccc\"}", "VirtctlError", "already exists");

    res = ok("VirtualMachineImage", "convertImageToVM", "imageaaa", "{}");
    CHECK_STR(spec_get(res, "domain", "name", NULL), "imageaaa");
    result_free(res);
    dom = virDomainLookupByName(conn, "imageaaa");
    CHECK(dom != NULL);
    if (dom) {
        char *xml = virDomainGetXMLDesc(dom, 0);

        CHECK(xml && strstr(xml, "/default-pool/imageaaa'"));
        CHECK(xml && !strstr(xml, "vmrelay"));
        free(xml);
        virDomainFree(dom);
    }
    CHECK(access(path, F_OK) < 0);
    CHECK(!vol_exists("default-pool", "imageaaa.vmimage"));
    CHECK(vol_exists("default-pool", "imageaaa"));
    fails("VirtualMachineImage", "convertImageToVM", "imageaaa", "{}", "VirtctlError",
          "no VM image imageaaa");

    /* And back: the VM becomes the image again, its disk moves. */
    res = ok("VirtualMachine", "convertVMToImage", "imageaaa", "{}");
    CHECK_STR(spec_get(res, "domain", "name", NULL), "imageaaa");
    result_free(res);
    CHECK(virDomainLookupByName(conn, "imageaaa") == NULL);
    virResetLastError();
    CHECK(!vol_exists("default-pool", "imageaaa"));
    CHECK(vol_exists("default-pool", "imageaaa.vmimage"));
    CHECK(access(path, F_OK) == 0);
    fails("VirtualMachine", "convertVMToImage", "test", "{}", "VirtctlError", "running");

    res = ok("VirtualMachineImage", "deleteImage", "imageaaa", "{}");
    CHECK(res->spec == NULL);
    result_free(res);
    CHECK(access(path, F_OK) < 0);
    CHECK(!vol_exists("default-pool", "imageaaa.vmimage"));
    fails("VirtualMachineImage", "deleteImage", "imageaaa", "{}", "VirtctlError",
          "no VM image");
    fails("VirtualMachineImage", "createImage", "imagebbb", "{\"disk\": \"/a/../b\"}",
          "VirtctlError", "'disk'");
}

/* A separate template pool is created on first use; the test driver then
 * cannot copy across pools, and the failed copy leaves nothing behind. */
static void test_template_pool(void)
{
    virStoragePoolPtr pool;
    struct result *res;
    int autostart = 0, n;

    ops_storage_configure("vmrelay-templates", tmpdir);
    res = run("VirtualMachineDiskImage", "createDiskImage", "imgccccc",
              "{\"source\": \"/default-pool/diskcccc\"}");
    CHECK_STR(res->reason, "LibvirtError");
    CHECK(strstr(res->message, "Cannot copy the volume diskcccc") != NULL);
    result_free(res);
    pool = virStoragePoolLookupByName(conn, "vmrelay-templates");
    CHECK(pool != NULL);
    if (pool) {
        char *xml = virStoragePoolGetXMLDesc(pool, 0);
        char want[512];

        snprintf(want, sizeof(want), "<path>%s/templates</path>", tmpdir);
        CHECK(xml && strstr(xml, want));
        free(xml);
        CHECK_INT(virStoragePoolIsActive(pool), 1);
        CHECK(virStoragePoolGetAutostart(pool, &autostart) == 0 && autostart == 1);
        n = virStoragePoolNumOfVolumes(pool);
        CHECK_INT(n, 0);
        virStoragePoolFree(pool);
    }
    fails("VirtualMachinePool", "deletePool", "vmrelay-templates", "{}", "VirtctlError",
          "template pool");
    ops_storage_configure("default-pool", tmpdir);
}

/* The failures are expected and checked: keep them off stderr. */
static void quiet(void *data, virErrorPtr err)
{
}

int main(void)
{
    char images[600];

    if (!mkdtemp(tmpdir))
        test_abort("cannot make a temporary directory");
    ops_storage_configure("default-pool", tmpdir);
    virSetErrorFunc(NULL, quiet);
    conn = virConnectOpen("test:///default");
    if (!conn)
        test_abort("cannot open test:///default");

    test_snapshot();
    test_pool();
    test_disk();
    test_diskimage();
    test_image();
    test_template_pool();

    virConnectClose(conn);
    snprintf(images, sizeof(images), "%s/pools/poolaaaa.xml", tmpdir);
    (void)unlink(images);
    snprintf(images, sizeof(images), "%s/pools", tmpdir);
    (void)rmdir(images);
    snprintf(images, sizeof(images), "%s/images", tmpdir);
    (void)rmdir(images);
    (void)rmdir(tmpdir);
    return test_finish();
}
