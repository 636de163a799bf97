/* The error adapter, the registry's refusals, the state words, the XML to
 * JSON shape and the DLQ record. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testing.h"
#include "shared/kafka/dlq.h"
#include "worker/ops/registry.h"
#include "worker/ops/xmljson.h"

static struct result *result_blank(void)
{
    struct result *res = calloc(1, sizeof(*res));

    if (!res)
        test_abort("out of memory");
    return res;
}

static void test_virerror_adapter(void)
{
    virError e = {.code = VIR_ERR_OPERATION_INVALID, .domain = VIR_FROM_QEMU,
                  .message = "domain is not running"};
    struct result *res = result_blank();

    CHECK_INT(ops_fail_virerror(res, &e, "Cannot resume the VM"), -EIO);
    CHECK(!res->success);
    CHECK_INT(res->error_type, ERROR_LIBVIRT);
    CHECK_STR(res->reason, "LibvirtError");
    CHECK_STR(res->message, "Cannot resume the VM: domain is not running");
    CHECK_INT(res->error_code, VIR_ERR_OPERATION_INVALID);
    CHECK_INT(res->error_domain, VIR_FROM_QEMU);

    /* libvirt set no error: still a LibvirtError, with a generic code. */
    CHECK_INT(ops_fail_virerror(res, NULL, "Cannot start the VM"), -EIO);
    CHECK_STR(res->message, "Cannot start the VM: libvirt gave no reason");
    CHECK_INT(res->error_code, VIR_ERR_INTERNAL_ERROR);

    CHECK_INT(ops_fail_virtctl(res, "field '%s' is bad", "size"), -EINVAL);
    CHECK_STR(res->reason, "VirtctlError");
    CHECK_STR(res->message, "field 'size' is bad");
    CHECK_INT(ops_fail_exception(res, ENOMEM, "no memory"), -ENOMEM);
    CHECK_STR(res->reason, "Exception");
    result_free(res);
}

static void test_registry(void)
{
    struct request req = {.kind = "VirtualMachine", .operation = "teleportVM", .name = "vm1"};
    struct result *res = result_blank();

    CHECK(ops_registry_lookup("VirtualMachine", "startVM") != NULL);
    CHECK(ops_registry_lookup("VirtualMachineDisk", "startVM") == NULL);
    CHECK(ops_registry_lookup("VirtualMachine", "createAndStartVMFromISO") != NULL);

    /* No connection is needed to refuse. */
    CHECK_INT(ops_execute(NULL, &req, res), -EINVAL);
    CHECK_STR(res->reason, "VirtctlError");
    CHECK_STR(res->message, "operation teleportVM is not supported for kind VirtualMachine");

    req.operation = "stopVM";
    req.params = cJSON_Parse("{\"force\":true}");
    CHECK_INT(ops_execute(NULL, &req, res), -EINVAL);
    CHECK_STR(res->message, "stopVM: field 'force' is not supported by this operation.");
    cJSON_Delete(req.params);
    result_free(res);
}

static void test_state_words(void)
{
    CHECK_STR(ops_state_reason(VIR_DOMAIN_NOSTATE), "Running");
    CHECK_STR(ops_state_reason(VIR_DOMAIN_RUNNING), "Running");
    CHECK_STR(ops_state_reason(VIR_DOMAIN_BLOCKED), "Running");
    CHECK_STR(ops_state_reason(VIR_DOMAIN_PAUSED), "Paused");
    CHECK_STR(ops_state_reason(VIR_DOMAIN_SHUTDOWN), "Shutdown");
    CHECK_STR(ops_state_reason(VIR_DOMAIN_SHUTOFF), "Shutdown");
    CHECK_STR(ops_state_reason(VIR_DOMAIN_CRASHED), "Crashed");
}

static void test_xml_to_json(void)
{
    static const char xml[] = "<domain type='kvm'><name>vm1</name>"
                              "<devices><disk type='file'><source file='/a'/></disk>"
                              "<disk type='file'><source file='/b'/></disk>"
                              "<interface type='bridge'/></devices></domain>";
    cJSON *j = NULL, *disks;
    _cleanup_free_ char *text = NULL;

    CHECK_INT(ops_xml_to_json(xml, strlen(xml), &j), 0);
    if (!j)
        return;
    text = cJSON_PrintUnformatted(j);
    CHECK_STR(cJSON_GetObjectItem(j, "type")->valuestring, "kvm");
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "name"), "text")->valuestring, "vm1");
    disks = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "devices"), "disk");
    CHECK(cJSON_IsArray(disks));
    CHECK_INT(cJSON_GetArraySize(disks), 2);
    CHECK(strstr(text, "\"source\":{\"file\":\"/b\"}") != NULL);
    cJSON_Delete(j);

    CHECK_INT(ops_xml_to_json("<domain><open>", 14, &j), -EINVAL);
}

static void test_dlq_record(void)
{
    struct dlq_origin o = {.topic = "vmrelay.node.n1", .partition = 2, .offset = 41,
                           .node = "n1"};
    _cleanup_free_ char *text = dlq_record_encode(&o, "field 'id' is missing", "{\"x\":1}", 7);
    _cleanup_free_ char *bin = dlq_record_encode(&o, "bad", "\xff\x00z", 3);
    cJSON *j = text ? cJSON_Parse(text) : NULL;

    CHECK(j != NULL);
    if (j) {
        CHECK_STR(cJSON_GetObjectItem(j, "topic")->valuestring, "vmrelay.node.n1");
        CHECK_INT(cJSON_GetObjectItem(j, "partition")->valueint, 2);
        CHECK_INT(cJSON_GetObjectItem(j, "offset")->valueint, 41);
        CHECK_STR(cJSON_GetObjectItem(j, "error")->valuestring, "field 'id' is missing");
        CHECK_STR(cJSON_GetObjectItem(j, "payload")->valuestring, "{\"x\":1}");
        cJSON_Delete(j);
    }
    CHECK(bin && strstr(bin, "\"payload_base64\":\"/wB6\"") != NULL);
}

int main(void)
{
    test_virerror_adapter();
    test_registry();
    test_state_words();
    test_xml_to_json();
    test_dlq_record();
    return test_finish();
}
