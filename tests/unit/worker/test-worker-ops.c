/* Every VirtualMachine operation through the registry, in process, on
 * libvirt's test driver (test:///default: one running domain "test"), and
 * createAndStartVMFromISO through the installed virt-install. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/testing.h"
#include "worker/main/conn.h"
#include "worker/ops/registry.h"

static virConnectPtr conn;

/* Runs one request and returns its result (the caller frees it). */
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

static const char *spec_text(const struct result *res, const char *element)
{
    cJSON *domain = res->spec ? cJSON_GetObjectItem(res->spec, "domain") : NULL;
    cJSON *e = domain ? cJSON_GetObjectItem(domain, element) : NULL;
    cJSON *t = e ? cJSON_GetObjectItem(e, "text") : NULL;

    return t && cJSON_IsString(t) ? t->valuestring : NULL;
}

/* Checks a successful outcome: reason, message and a described domain. */
static void expect_ok(const char *operation, const char *params, const char *reason,
                      const char *message)
{
    struct result *res = run(operation, "test", params);

    if (!CHECK_STR(res->reason, reason))
        fprintf(stderr, "  %s: %s\n", operation, res->message);
    CHECK(res->success);
    CHECK_STR(res->message, message);
    CHECK_STR(spec_text(res, "name"), "test");
    result_free(res);
}

static void test_power(void)
{
    struct result *res;

    expect_ok("suspendVM", "{}", "Paused", "The VM is paused.");
    expect_ok("resumeVM", "{}", "Running", "The VM is running.");

    res = run("resumeVM", "test", "{}");
    CHECK(!res->success);
    CHECK_STR(res->reason, "LibvirtError");
    CHECK_INT(res->error_code, VIR_ERR_INTERNAL_ERROR);
    CHECK_INT(res->error_domain, VIR_FROM_TEST);
    CHECK(strstr(res->message, "Cannot resume the VM: ") == res->message);
    CHECK(res->spec == NULL);
    result_free(res);

    expect_ok("rebootVM", "{}", "Running", "The VM is running.");
    expect_ok("resetVM", "{}", "Running", "The VM is running.");
    expect_ok("stopVM", "{}", "Shutdown", "The VM is shut down.");
    expect_ok("startVM", "{}", "Running", "The VM is running.");
    expect_ok("stopVMForce", "{}", "Shutdown", "The VM is shut down.");
    expect_ok("startVM", "{}", "Running", "The VM is running.");

    res = run("startVM", "no-such-vm", "{}");
    CHECK_STR(res->reason, "LibvirtError");
    CHECK_INT(res->error_code, VIR_ERR_NO_DOMAIN);
    result_free(res);
}

static void test_resources(void)
{
    struct result *res;
    cJSON *vcpu;

    res = run("resizeRAM", "test", "{\"size\":\"1048576\",\"live\":true}");
    CHECK_STR(res->reason, "Running");
    CHECK_STR(spec_text(res, "currentMemory"), "1048576");
    result_free(res);

    res = run("resizeRAM", "test", "{\"live\":true}");
    CHECK_STR(res->reason, "VirtctlError");
    CHECK(strstr(res->message, "'size' is required") != NULL);
    result_free(res);

    res = run("changeNumberOfCPU", "test", "{\"count\":1,\"live\":true}");
    CHECK_STR(res->reason, "Running");
    vcpu = res->spec ? cJSON_GetObjectItem(cJSON_GetObjectItem(res->spec, "domain"), "vcpu")
                     : NULL;
    CHECK(vcpu && cJSON_GetObjectItem(vcpu, "current") &&
          strcmp(cJSON_GetObjectItem(vcpu, "current")->valuestring, "1") == 0);
    result_free(res);

    /* The test driver has no guest agent: libvirt refuses the flag. */
    res = run("changeNumberOfCPU", "test", "{\"count\":2,\"guest\":true}");
    CHECK_STR(res->reason, "LibvirtError");
    CHECK(res->error_code != 0);
    result_free(res);
}

static void test_create_and_delete(void)
{
    static const char iso[] = "{\"memory\":\"512\",\"vcpus\":\"1\",\"disk\":\"none\","
                              "\"cdrom\":\"/tmp/vmrelay-test-worker.iso\","
                              "\"os_variant\":\"centos7.0\",\"graphics\":\"vnc,listen=0.0.0.0\","
                              "\"network\":\"network=default\",\"noautoconsole\":true,"
                              "\"autostart\":true}";
    struct result *res;
    virDomainPtr dom;
    int autostart = 0;
    FILE *f = fopen("/tmp/vmrelay-test-worker.iso", "we");

    if (f)
        fclose(f);
    res = run("createAndStartVMFromISO", "vmiso01", iso);
    if (!CHECK_STR(res->reason, "Running"))
        fprintf(stderr, "  createAndStartVMFromISO: %s\n", res->message);
    CHECK_STR(spec_text(res, "name"), "vmiso01");
    result_free(res);
    dom = virDomainLookupByName(conn, "vmiso01");
    CHECK(dom != NULL);
    if (dom) {
        CHECK_INT(virDomainIsPersistent(dom), 1);
        CHECK_INT(virDomainGetAutostart(dom, &autostart), 0);
        CHECK_INT(autostart, 1);
        virDomainFree(dom);
    }

    res = run("createAndStartVMFromISO", "vmiso01", iso);
    CHECK_STR(res->reason, "VirtctlError");
    CHECK(strstr(res->message, "already exists") != NULL);
    result_free(res);

    res = run("createAndStartVMFromISO", "vmiso02",
              "{\"memory\":\"512\",\"disk\":\"none\",\"os_variant\":\"no-such-os\"}");
    CHECK_STR(res->reason, "VirtctlError");
    CHECK(strstr(res->message, "virt-install refused the request") != NULL);
    result_free(res);

    res = run("createAndStartVMFromISO", "vmiso02", "{\"network\":\"type=l3bridge,ip=1.2.3.4\"}");
    CHECK_STR(res->reason, "VirtctlError");
    CHECK(strstr(res->message, "'ip'") != NULL);
    result_free(res);

    /* A running VM is powered off, then undefined. */
    res = run("deleteVM", "vmiso01", "{\"delete_snapshots\":true,\"remove_all_storage\":true}");
    CHECK(res->success);
    CHECK_STR(res->reason, "Ready");
    CHECK(res->message && strncmp(res->message, "The VM is deleted", 17) == 0);
    CHECK(res->spec == NULL);
    result_free(res);
    dom = virDomainLookupByName(conn, "vmiso01");
    CHECK(dom == NULL);
    unlink("/tmp/vmrelay-test-worker.iso");
}

int main(void)
{
    worker_conn_setup();
    conn = virConnectOpen("test:///default");
    if (!conn)
        test_abort("cannot open test:///default");
    test_power();
    test_resources();
    test_create_and_delete();
    virConnectClose(conn);
    return test_finish();
}
