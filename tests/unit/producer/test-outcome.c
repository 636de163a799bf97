/* The patches that write an outcome match CONTRACTS.md. */
#include <string.h>

#include "lib/testing.h"
#include "producer/common/outcome.h"
#include "shared/core/json.h"

static void test_spec_patch(void)
{
    struct result res = {
        .id = "k8s-1", .operation = "startVM", .success = true, .reason = "Running",
        .message = "The VM is running", .attempt = 1,
    };
    _cleanup_(cJSON_Deletep) cJSON *spec = cJSON_Parse("{\"domain\":{\"name\":{\"text\":\"x\"}}}");
    _cleanup_(cJSON_Deletep) cJSON *patch = NULL;

    res.spec = spec;
    patch = outcome_spec_patch(&res, "42", true);
    if (!CHECK(patch != NULL))
        return;
    CHECK_STR(json_path_string(patch, "spec.status.conditions.state.waiting.reason"), "Running");
    CHECK_STR(json_path_string(patch, "spec.status.conditions.state.waiting.message"),
              "The VM is running");
    CHECK_STR(json_path_string(patch, "spec.domain.name.text"), "x");
    CHECK(cJSON_IsNull(json_path(patch, "spec.lifecycle")));
    CHECK_STR(json_path_string(patch, "metadata.resourceVersion"), "42");

    cJSON_Delete(patch);
    patch = outcome_spec_patch(&res, NULL, false);
    CHECK(patch && json_path(patch, "spec.lifecycle") == NULL);
    CHECK(patch && json_path(patch, "metadata") == NULL);
}

static void test_status_patch(void)
{
    struct result res = {
        .id = "k8s-2", .operation = "resumeVM", .node = "node22", .success = false,
        .reason = "LibvirtError", .message = "domain is not paused",
        .error_type = ERROR_LIBVIRT, .error_code = 55, .error_domain = 10, .attempt = 1,
        .started_ms = 1000, .finished_ms = 2000,
    };
    _cleanup_(cJSON_Deletep) cJSON *patch = outcome_status_patch(&res, 5, 3000);
    const cJSON *ready;

    if (!CHECK(patch != NULL))
        return;
    ready = cJSON_GetArrayItem(json_path(patch, "status.conditions"), 0);
    CHECK_STR(json_path_string(ready, "type"), "Ready");
    CHECK_STR(json_path_string(ready, "status"), "False");
    CHECK_STR(json_path_string(ready, "reason"), "LibvirtError");
    CHECK_STR(json_path_string(ready, "lastTransitionTime"), "1970-01-01T00:00:03.000Z");
    CHECK_STR(json_path_string(patch, "status.lastRequest.phase"), PHASE_FAILED);
    CHECK_STR(json_path_string(patch, "status.lastRequest.error.type"), "LibvirtError");
    CHECK_INT(json_path(patch, "status.lastRequest.error.code")->valuedouble, 55);

    res.attempt = 0;
    res.error_type = ERROR_VIRTCTL;
    cJSON_Delete(patch);
    patch = outcome_status_patch(&res, 5, 3000);
    CHECK_STR(json_path_string(patch, "status.lastRequest.phase"), PHASE_REJECTED);
}

static void test_deleting_operations(void)
{
    CHECK(outcome_deletes_object("deleteVM"));
    CHECK(outcome_deletes_object("deleteDisk"));
    CHECK(!outcome_deletes_object("stopVM"));
}

int main(void)
{
    test_spec_patch();
    test_status_patch();
    test_deleting_operations();
    return test_finish();
}
