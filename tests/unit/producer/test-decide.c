/* The status writer never writes over a newer request or a new resource. */
#include "lib/testing.h"
#include "producer/common/decide.h"
#include "shared/core/json.h"

static enum status_action decide(struct result *res, const char *json)
{
    _cleanup_(cJSON_Deletep) cJSON *obj = json ? cJSON_Parse(json) : NULL;

    return status_decide(res, obj);
}

int main(void)
{
    struct result res = {.id = "k8s-a", .uid = "u-1", .operation = "startVM",
                         .has_resource = true, .success = true, .attempt = 1};
    const char *current = "{\"metadata\":{\"uid\":\"u-1\"},"
                          "\"status\":{\"lastRequest\":{\"id\":\"k8s-a\"}}}";

    CHECK_INT(decide(&res, current), STATUS_PATCH);
    CHECK_INT(decide(&res, "{\"metadata\":{\"uid\":\"u-1\"}}"), STATUS_PATCH);
    CHECK_INT(decide(&res, NULL), STATUS_SKIP_GONE);
    CHECK_INT(decide(&res, "{\"metadata\":{\"uid\":\"u-2\"}}"), STATUS_SKIP_GONE);
    CHECK_INT(decide(&res, "{\"metadata\":{\"uid\":\"u-1\"},"
                           "\"status\":{\"lastRequest\":{\"id\":\"k8s-b\"}}}"),
              STATUS_SKIP_STALE);

    /* A rejection is never recorded, so it is never stale. */
    res.attempt = 0;
    CHECK_INT(decide(&res, "{\"metadata\":{\"uid\":\"u-1\"},"
                           "\"status\":{\"lastRequest\":{\"id\":\"k8s-b\"}}}"),
              STATUS_PATCH);
    res.attempt = 1;

    /* A redelivered result whose outcome is already written (a final phase
     * for its id) writes nothing: spec.lifecycle may hold the next request. */
    CHECK_INT(decide(&res, "{\"metadata\":{\"uid\":\"u-1\"},\"spec\":{\"lifecycle\":"
                           "{\"startVM\":{}}},\"status\":{\"lastRequest\":{\"id\":\"k8s-a\","
                           "\"phase\":\"Succeeded\"}}}"),
              STATUS_SKIP_WRITTEN);
    CHECK_INT(decide(&res, "{\"metadata\":{\"uid\":\"u-1\"},"
                           "\"status\":{\"lastRequest\":{\"id\":\"k8s-a\",\"phase\":\"Failed\"}}}"),
              STATUS_SKIP_WRITTEN);
    /* Recorded but not finished (a crash between the spec and the status
     * patch leaves Dispatched): the outcome is written. */
    CHECK_INT(decide(&res, "{\"metadata\":{\"uid\":\"u-1\"},"
                           "\"status\":{\"lastRequest\":{\"id\":\"k8s-a\","
                           "\"phase\":\"Dispatched\"}}}"),
              STATUS_PATCH);
    CHECK_INT(decide(&res, "{\"metadata\":{\"uid\":\"u-1\"},"
                           "\"status\":{\"lastRequest\":{\"id\":\"k8s-a\","
                           "\"phase\":\"Pending\"}}}"),
              STATUS_PATCH);

    res.operation = "deleteVM";
    CHECK_INT(decide(&res, current), STATUS_DELETE);
    res.success = false;
    CHECK_INT(decide(&res, current), STATUS_PATCH);

    res.has_resource = false;
    CHECK_INT(decide(&res, NULL), STATUS_SKIP_EXTERNAL);
    CHECK_STR(status_action_to_string(STATUS_SKIP_STALE), "skip-stale");
    CHECK_STR(status_action_to_string(STATUS_SKIP_WRITTEN), "skip-written");
    return test_finish();
}
