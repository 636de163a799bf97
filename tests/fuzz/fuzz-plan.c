/* plan_make on a resource as a LIST or WATCH hands it over: any JSON a
 * user could store in a custom resource. The first byte picks the kind;
 * validation runs against the built-in catalogue as in the bridge. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "producer/bridge/plan.h"
#include "producer/common/outcome.h"
#include "shared/core/json.h"
#include "shared/msg/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int validate(const char *kind, const char *name, const char *operation,
                    const cJSON *params, char *err, size_t errlen, void *userdata)
{
    return validate_request(catalog_get(), kind, name, operation, params, NULL, err, errlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct catalog *cat = catalog_get();
    struct plan_opts opts = {.validate = validate, .now_ms = 1700000000000};
    _cleanup_(cJSON_Deletep) cJSON *obj = NULL, *patch = NULL;
    _cleanup_(plan_freep) struct plan *plan = NULL;
    _cleanup_free_ char *text = NULL;
    const char *kind;

    if (!cat)
        abort();
    if (size < 1)
        return 0;
    kind = cat->kinds[data[0] % cat->n_kinds].kind;
    obj = cJSON_ParseWithLength((const char *)data + 1, size - 1);
    if (!obj)
        return 0;
    if (plan_make(kind, obj, &opts, &plan) < 0)
        return 0;
    switch (plan->action) {
    case PLAN_NOTHING:
    case PLAN_REJECT:
        break;
    case PLAN_RECORD:
    case PLAN_RESEND:
        /* What the bridge then does: record, and encode the request. */
        if (!plan->req)
            abort();
        patch = plan_record_patch(plan, PHASE_PENDING, "1", opts.now_ms, NULL);
        text = request_encode(plan->req);
        if (!patch || !text)
            abort();
        break;
    case PLAN_SCHEDULE:
        /* Only a VirtualMachine is created by scheduling, and its request
         * is built once the node is written, never before. */
        if (plan->req || strcmp(kind, "VirtualMachine") != 0 || !plan->operation)
            abort();
        break;
    default:
        abort();
    }
    return 0;
}
