/* The bridge's decision for a resource: same request, same id, whatever the
 * order of keys, restarts or unrelated updates; rejections name the field. */
#include <string.h>

#include "lib/testing.h"
#include "producer/bridge/plan.h"
#include "producer/common/outcome.h"
#include "shared/core/json.h"

static const char vm_start[] =
    "{\"metadata\":{\"name\":\"centos7vm0001\",\"namespace\":\"default\",\"uid\":\"u-1\","
    "\"generation\":3,\"labels\":{\"host\":\"node22\",\"eventId\":\"evt1\"}},"
    "\"spec\":{\"nodeName\":\"node22\",\"lifecycle\":{\"resizeRAM\":"
    "{\"size\":\"1048576\",\"live\":true,\"config\":true}}}}";

static struct plan *plan_for(const char *json)
{
    _cleanup_(cJSON_Deletep) cJSON *obj = cJSON_Parse(json);
    struct plan_opts opts = {.now_ms = 1700000000000};
    struct plan *plan = NULL;

    if (!CHECK(obj != NULL))
        return NULL;
    CHECK_INT(plan_make("VirtualMachine", obj, &opts, &plan), 0);
    return plan;
}

static void test_new_request(void)
{
    _cleanup_(plan_freep) struct plan *plan = plan_for(vm_start);

    if (!plan)
        return;
    CHECK_INT(plan->action, PLAN_RECORD);
    CHECK_STR(plan->operation, "resizeRAM");
    CHECK(plan->req != NULL);
    CHECK_STR(plan->req->node, "node22");
    CHECK_STR(plan->req->event_id, "evt1");
    CHECK(strncmp(plan->req->id, "k8s-", 4) == 0 && strlen(plan->req->id) == 36);
    CHECK(plan->req->has_resource);
}

static void test_id_is_deterministic(void)
{
    const char reordered[] =
        "{\"spec\":{\"lifecycle\":{\"resizeRAM\":{\"config\":true,\"live\":true,"
        "\"size\":\"1048576\"}},\"nodeName\":\"node22\"},"
        "\"metadata\":{\"uid\":\"u-1\",\"generation\":3,\"name\":\"centos7vm0001\","
        "\"namespace\":\"default\",\"labels\":{\"host\":\"node22\"}}}";
    _cleanup_(plan_freep) struct plan *a = plan_for(vm_start);
    _cleanup_(plan_freep) struct plan *b = plan_for(reordered);

    if (!a || !b || !a->req || !b->req)
        return;
    CHECK_STR(a->req->id, b->req->id);
    CHECK_STR(a->lifecycle_hash, b->lifecycle_hash);
}

/* Once recorded, the record decides: Dispatched means nothing to do even
 * after an unrelated update bumped the generation; Pending means send
 * again under the recorded id. */
static void test_recorded(void)
{
    _cleanup_(plan_freep) struct plan *first = plan_for(vm_start);
    _cleanup_(cJSON_Deletep) cJSON *obj = cJSON_Parse(vm_start);
    _cleanup_(cJSON_Deletep) cJSON *patch = NULL;
    _cleanup_(plan_freep) struct plan *again = NULL;
    _cleanup_(plan_freep) struct plan *resend = NULL;
    struct plan_opts opts = {.now_ms = 1700000001000};
    cJSON *status, *meta;

    if (!first || !obj || !first->req)
        return;
    patch = plan_record_patch(first, PHASE_DISPATCHED, NULL, opts.now_ms, NULL);
    if (!CHECK(patch != NULL))
        return;
    status = cJSON_DetachItemFromObject(patch, "status");
    cJSON_AddItemToObject(obj, "status", status);
    meta = cJSON_GetObjectItem(obj, "metadata");
    cJSON_ReplaceItemInObject(meta, "generation", cJSON_CreateNumber(7));

    CHECK_INT(plan_make("VirtualMachine", obj, &opts, &again), 0);
    CHECK_INT(again->action, PLAN_NOTHING);

    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(status, "lastRequest"), "phase",
                              cJSON_CreateString(PHASE_PENDING));
    CHECK_INT(plan_make("VirtualMachine", obj, &opts, &resend), 0);
    CHECK_INT(resend->action, PLAN_RESEND);
    if (resend->req)
        CHECK_STR(resend->req->id, first->req->id);
}

static void test_rejections(void)
{
    _cleanup_(plan_freep) struct plan *two = plan_for(
        "{\"metadata\":{\"name\":\"vm00000001\",\"uid\":\"u\"},\"spec\":{\"nodeName\":\"n\","
        "\"lifecycle\":{\"startVM\":{},\"stopVM\":{}}}}");
    _cleanup_(plan_freep) struct plan *nonode = plan_for(
        "{\"metadata\":{\"name\":\"vm00000001\",\"uid\":\"u\"},"
        "\"spec\":{\"lifecycle\":{\"startVM\":{}}}}");
    _cleanup_(plan_freep) struct plan *notobj = plan_for(
        "{\"metadata\":{\"name\":\"vm00000001\",\"uid\":\"u\"},\"spec\":{\"nodeName\":\"n\","
        "\"lifecycle\":{\"startVM\":\"now\"}}}");
    _cleanup_(plan_freep) struct plan *none = plan_for(
        "{\"metadata\":{\"name\":\"vm00000001\",\"uid\":\"u\"},\"spec\":{\"nodeName\":\"n\"}}");

    if (two) {
        CHECK_INT(two->action, PLAN_REJECT);
        CHECK(strstr(two->message, "spec.lifecycle") != NULL);
    }
    if (nonode) {
        CHECK_INT(nonode->action, PLAN_REJECT);
        CHECK(strstr(nonode->message, "spec.nodeName") != NULL);
    }
    if (notobj) {
        CHECK_INT(notobj->action, PLAN_REJECT);
        CHECK(strstr(notobj->message, "spec.lifecycle.startVM") != NULL);
    }
    if (none)
        CHECK_INT(none->action, PLAN_NOTHING);
}

/* A new VM on no node is scheduled; a request on an existing object with no
 * node is rejected (it cannot be anywhere else). */
static void test_schedule(void)
{
    _cleanup_(plan_freep) struct plan *create = plan_for(
        "{\"metadata\":{\"name\":\"vm00000001\",\"uid\":\"u\"},\"spec\":{\"lifecycle\":"
        "{\"createAndStartVMFromISO\":{\"memory\":\"1024\"}}}}");
    _cleanup_(plan_freep) struct plan *disk = plan_for(
        "{\"metadata\":{\"name\":\"disk0001\",\"uid\":\"u\"},\"spec\":{\"lifecycle\":"
        "{\"createDisk\":{}}}}");

    if (create)
        CHECK_INT(create->action, PLAN_SCHEDULE);
    if (disk)
        CHECK_INT(disk->action, PLAN_REJECT);
}

static int refuse_memory(const char *kind, const char *name, const char *operation,
                         const cJSON *params, char *err, size_t errlen, void *userdata)
{
    snprintf(err, errlen, "field \"size\": refused by the test validator");
    return -EINVAL;
}

static void test_validator_is_used(void)
{
    _cleanup_(cJSON_Deletep) cJSON *obj = cJSON_Parse(vm_start);
    _cleanup_(plan_freep) struct plan *plan = NULL;
    struct plan_opts opts = {.validate = refuse_memory, .now_ms = 1};

    CHECK_INT(plan_make("VirtualMachine", obj, &opts, &plan), 0);
    CHECK_INT(plan->action, PLAN_REJECT);
    CHECK_STR(plan->message, "field \"size\": refused by the test validator");
}

int main(void)
{
    test_new_request();
    test_id_is_deterministic();
    test_recorded();
    test_rejections();
    test_validator_is_used();
    test_schedule();
    return test_finish();
}
