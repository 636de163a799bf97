/* The virt-install argument vector built from createAndStartVMFromISO and
 * the split of its printed XML. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testing.h"
#include "worker/ops/virtinstall.h"

static int build(const char *text, struct virtinstall_argv **ret, char *err, size_t errlen)
{
    cJSON *p = cJSON_Parse(text);
    int r;

    if (!p)
        test_abort("bad JSON in the test: %s", text);
    r = virtinstall_argv_build("test:///default", "vm1", p, VIRTINSTALL_INSTALL, ret, err, errlen);
    cJSON_Delete(p);
    return r;
}

static size_t count(const struct virtinstall_argv *a, const char *arg)
{
    size_t n = 0;

    for (size_t i = 0; i < a->n; i++)
        n += strcmp(a->argv[i], arg) == 0;
    return n;
}

static void test_document_example(void)
{
    static const char req[] =
        "{\"metadata\":\"uuid=950646e8-c17a-49d0-b83c-1c797811e001\","
        "\"graphics\":\"vnc,listen=0.0.0.0,password=abcdefg\","
        "\"disk\":\"/var/lib/libvirt/images/test3.qcow2,read_bytes_sec=1024000000 --disk "
        "/opt/ISO/CentOS-7-x86_64-Minimal-1511.iso,device=cdrom,perms=ro\","
        "\"memory\":\"2048\",\"network\":\"type=bridge,source=br-int,model=virtio\","
        "\"virt_type\":\"kvm\",\"os_variant\":\"centos7.0\",\"vcpus\":2,"
        "\"noautoconsole\":true,\"autostart\":false,\"noreboot\":\"true\"}";
    _cleanup_(virtinstall_argv_freep) struct virtinstall_argv *a = NULL;
    char err[256] = "";

    CHECK_INT(build(req, &a, err, sizeof(err)), 0);
    if (!a)
        return;
    CHECK_STR(a->argv[0], "virt-install");
    CHECK_STR(a->argv[1], "--connect=test:///default");
    CHECK_STR(a->argv[2], "--name=vm1");
    CHECK(a->argv[a->n] == NULL);
    CHECK_INT(count(a, "--disk=/var/lib/libvirt/images/test3.qcow2,read_bytes_sec=1024000000"),
              1);
    CHECK_INT(count(a, "--disk=/opt/ISO/CentOS-7-x86_64-Minimal-1511.iso,device=cdrom,perms=ro"),
              1);
    CHECK_INT(count(a, "--memory=2048"), 1);
    CHECK_INT(count(a, "--vcpus=2"), 1);
    CHECK_INT(count(a, "--virt-type=kvm"), 1);
    CHECK_INT(count(a, "--os-variant=centos7.0"), 1);
    CHECK_INT(count(a, "--metadata=uuid=950646e8-c17a-49d0-b83c-1c797811e001"), 1);
    CHECK_INT(count(a, "--network=type=bridge,source=br-int,model=virtio"), 1);
    CHECK_INT(count(a, "--noreboot"), 1);
    CHECK_INT(count(a, "--autostart"), 0);
    CHECK_INT(count(a, "--noautoconsole"), 1);
    CHECK_INT(count(a, "--print-xml"), 1);
    CHECK_INT(count(a, "--dry-run"), 1);
}

static void test_network(void)
{
    _cleanup_(virtinstall_argv_freep) struct virtinstall_argv *a = NULL;
    struct virtinstall_argv *b = NULL;
    char err[256] = "";

    CHECK_INT(build("{\"network\":\"type=l3bridge,source=br-int,mac=52:54:00:00:00:01 "
                    "--network network=default\"}", &a, err, sizeof(err)), 0);
    if (a) {
        CHECK_INT(count(a, "--network=type=bridge,source=br-int,mac=52:54:00:00:00:01,"
                           "virtualport.type=openvswitch"), 1);
        CHECK_INT(count(a, "--network=network=default"), 1);
    }
    CHECK_INT(build("{\"network\":\"type=l3bridge,source=br-int,ip=192.168.5.9\"}", &b, err,
                    sizeof(err)), -EINVAL);
    CHECK(b == NULL);
    CHECK(strstr(err, "'ip'") != NULL);
}

static void test_refused(void)
{
    struct virtinstall_argv *a = NULL;
    char err[256] = "";

    CHECK_INT(build("{\"dry_run\":\"true\"}", &a, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "'dry_run'") != NULL);
    CHECK_INT(build("{\"import\":\"maybe\"}", &a, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "'import' must be a boolean") != NULL);
    CHECK_INT(build("{\"memory\":true}", &a, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "'memory'") != NULL);
    CHECK_INT(build("{\"disk\":\"a --disk  --disk b\"}", &a, err, sizeof(err)), -EINVAL);
    CHECK(a == NULL);
}

/* A value starting with '-' stays glued to its option. */
static void test_values_are_not_options(void)
{
    _cleanup_(virtinstall_argv_freep) struct virtinstall_argv *a = NULL;
    char err[256] = "";

    CHECK_INT(build("{\"extra_args\":\"--help\",\"qemu_commandline\":\"-foo\"}", &a, err,
                    sizeof(err)), 0);
    if (!a)
        return;
    CHECK_INT(count(a, "--extra-args=--help"), 1);
    CHECK_INT(count(a, "--qemu-commandline=-foo"), 1);
    CHECK_INT(count(a, "--help"), 0);
}

static void test_split(void)
{
    _cleanup_free_ char *install = NULL, *final = NULL, *one_i = NULL, *one_f = NULL;

    CHECK_INT(virtinstall_split("<domain type=\"test\">\n <a/>\n</domain>\n"
                                "<domain type=\"test\"><b/></domain>\n", &install, &final), 0);
    CHECK_STR(install, "<domain type=\"test\">\n <a/>\n</domain>");
    CHECK_STR(final, "<domain type=\"test\"><b/></domain>");
    CHECK_INT(virtinstall_split("<domain><c/></domain>\n", &one_i, &one_f), 0);
    CHECK(one_i == NULL);
    CHECK_STR(one_f, "<domain><c/></domain>");
    CHECK_INT(virtinstall_split("ERROR nothing", &one_i, &one_f), -EINVAL);
}

/* The runner returns stdout and reports a failing child with its stderr. */
static void test_run(void)
{
    struct virtinstall_argv sh = {.argv = {"sh", "-c", "echo out; echo oops >&2; exit 3"},
                                  .n = 3};
    struct virtinstall_argv ok = {.argv = {"echo", "<domain/>"}, .n = 2};
    char *out = NULL, err[256] = "";

    CHECK_INT(virtinstall_run("/bin/sh", &sh, &out, err, sizeof(err)), -EPROTO);
    CHECK_STR(err, "oops");
    CHECK(out == NULL);
    CHECK_INT(virtinstall_run("/bin/echo", &ok, &out, err, sizeof(err)), 0);
    CHECK_STR(out, "<domain/>\n");
    free(out);
    out = NULL;
    CHECK(virtinstall_run("/nonexistent/virt-install", &ok, &out, err, sizeof(err)) < 0);
    CHECK(strstr(err, "/nonexistent/virt-install") != NULL);
}

/* createAndStartVMFromImage: --import, and the medium as a CD-ROM disk. */
static void test_import(void)
{
    cJSON *p = cJSON_Parse("{\"memory\":\"512\",\"vcpus\":\"1\","
                           "\"cdrom\":\"/var/lib/libvirt/iso/tools.iso\","
                           "\"disk\":\"/var/lib/libvirt/images/boot0001.qcow2\","
                           "\"noautoconsole\":true}");
    _cleanup_(virtinstall_argv_freep) struct virtinstall_argv *a = NULL, *b = NULL;
    char err[256] = "";

    CHECK_INT(virtinstall_argv_build("test:///default", "vm1", p, VIRTINSTALL_IMPORT, &a, err,
                                     sizeof(err)), 0);
    CHECK_INT(virtinstall_argv_build("test:///default", "vm1", p, VIRTINSTALL_INSTALL, &b, err,
                                     sizeof(err)), 0);
    cJSON_Delete(p);
    if (!a || !b)
        return;
    CHECK_INT(count(a, "--import"), 1);
    CHECK_INT(count(a, "--disk=/var/lib/libvirt/images/boot0001.qcow2"), 1);
    CHECK_INT(count(a, "--disk=/var/lib/libvirt/iso/tools.iso,device=cdrom,readonly=on"), 1);
    CHECK_INT(count(a, "--cdrom=/var/lib/libvirt/iso/tools.iso"), 0);
    /* The boot disk comes first, as virt-install boots the first disk. */
    for (size_t i = 0; i < a->n; i++)
        if (strncmp(a->argv[i], "--disk=", 7) == 0) {
            CHECK_STR(a->argv[i], "--disk=/var/lib/libvirt/images/boot0001.qcow2");
            break;
        }
    CHECK_INT(count(b, "--import"), 0);
    CHECK_INT(count(b, "--cdrom=/var/lib/libvirt/iso/tools.iso"), 1);
}

int main(void)
{
    test_import();
    test_document_example();
    test_network();
    test_refused();
    test_values_are_not_options();
    test_split();
    test_run();
    return test_finish();
}
