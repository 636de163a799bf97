/* The heartbeat codec round-trips and refuses bad input by field. */
#include <string.h>

#include "lib/testing.h"
#include "shared/core/json.h"
#include "shared/msg/heartbeat.h"

static int parse(const char *text, struct heartbeat **ret_hb, char *err, size_t errlen)
{
    return heartbeat_parse(text, strlen(text), ret_hb, err, errlen);
}

int main(void)
{
    _cleanup_(cJSON_Deletep) cJSON *labels = cJSON_Parse("{\"zone\":\"a\"}");
    struct heartbeat hb = {
        .node = "node22", .time_ms = 1764790000123, .interval_ms = 5000, .memory_kib = 1024,
        .free_memory_kib = 512, .cpus = 8, .running_domains = 3, .in_flight = 1, .lag = 7,
        .labels = labels,
    };
    _cleanup_free_ char *text = heartbeat_encode(&hb);
    _cleanup_(heartbeat_freep) struct heartbeat *back = NULL;
    struct heartbeat *bad = NULL;
    char err[256] = "";

    if (!CHECK(text != NULL))
        return test_finish();
    CHECK_INT(heartbeat_parse(text, strlen(text), &back, err, sizeof(err)), 0);
    if (back) {
        CHECK_STR(back->node, "node22");
        CHECK_INT(back->time_ms, hb.time_ms);
        CHECK_INT(back->cpus, 8);
        CHECK_INT(back->lag, 7);
        CHECK_STR(json_path_string(back->labels, "zone"), "a");
    }

    CHECK_INT(parse("{\"version\":1,\"time\":\"2026-01-01T00:00:00Z\",\"interval_ms\":5}",
                    &bad, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "\"node\"") != NULL);
    CHECK_INT(parse("{\"version\":1,\"node\":\"n\",\"time\":\"2026-01-01T00:00:00Z\","
                    "\"interval_ms\":5,\"cpus\":-3}", &bad, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "\"cpus\"") != NULL);
    CHECK_INT(parse("[]", &bad, err, sizeof(err)), -EINVAL);
    CHECK(bad == NULL);
    return test_finish();
}
