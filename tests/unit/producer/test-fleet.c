/* Liveness and placement of the fleet table (docs/scheduling.md). */
#include <string.h>

#include "lib/testing.h"
#include "producer/common/fleet.h"
#include "shared/core/json.h"

static void beat(struct fleet *fleet, const char *node, int64_t at, int64_t free_kib,
                 int64_t running, const char *labels_json, bool draining)
{
    _cleanup_(cJSON_Deletep) cJSON *labels = labels_json ? cJSON_Parse(labels_json) : NULL;
    struct heartbeat hb = {
        .node = (char *)node, .time_ms = at, .interval_ms = 5000, .draining = draining,
        .memory_kib = 16 << 20, .free_memory_kib = free_kib, .cpus = 4,
        .running_domains = running, .vcpus_allocated = running, .labels = labels, .lag = -1,
    };

    CHECK_INT(fleet_update(fleet, &hb, at), 0);
}

static void test_liveness(void)
{
    _cleanup_(fleet_freep) struct fleet *fleet = NULL;
    int64_t silent = 0;

    CHECK_INT(fleet_new(30000, 4, &fleet), 0);
    beat(fleet, "node1", 1000, 1 << 20, 0, NULL, false);
    beat(fleet, "node2", 1000, 1 << 20, 0, NULL, true);

    CHECK_INT(fleet_liveness(fleet, "node1", 20000, NULL), FLEET_LIVE);
    CHECK_INT(fleet_liveness(fleet, "node2", 20000, NULL), FLEET_DRAINING);
    CHECK_INT(fleet_liveness(fleet, "node1", 32000, &silent), FLEET_LOST);
    CHECK_INT(silent, 31000);
    CHECK_INT(fleet_liveness(fleet, "node9", 1000, NULL), FLEET_UNKNOWN);

    /* An older heartbeat read late does not bring a node back. */
    beat(fleet, "node1", 40000, 1 << 20, 0, NULL, false);
    {
        struct heartbeat old = {.node = "node1", .time_ms = 2000, .interval_ms = 5000};

        CHECK_INT(fleet_update(fleet, &old, 41000), 0);
    }
    CHECK_INT(fleet_liveness(fleet, "node1", 60000, NULL), FLEET_LIVE);
}

static void test_placement(void)
{
    _cleanup_(fleet_freep) struct fleet *fleet = NULL;
    struct fleet_need need = {.memory_kib = 2 << 20, .vcpus = 2};
    _cleanup_free_ char *first = NULL, *second = NULL, *third = NULL, *zoned = NULL;
    _cleanup_(cJSON_Deletep) cJSON *selector = cJSON_Parse("{\"zone\":\"b\"}");
    char *none = NULL;
    char why[256] = "";

    CHECK_INT(fleet_new(30000, 4, &fleet), 0);
    beat(fleet, "small", 1000, 1 << 20, 0, "{\"zone\":\"a\"}", false);  /* 1 GiB free */
    beat(fleet, "busy", 1000, 8 << 20, 5, "{\"zone\":\"a\"}", false);
    beat(fleet, "idle", 1000, 8 << 20, 1, "{\"zone\":\"b\"}", false);
    beat(fleet, "gone", 1000, 64 << 20, 0, NULL, false);
    beat(fleet, "drain", 1000, 64 << 20, 0, NULL, true);

    /* At t=20 s "gone" is still live; make it lost by moving past its grace. */
    beat(fleet, "small", 40000, 1 << 20, 0, "{\"zone\":\"a\"}", false);
    beat(fleet, "busy", 40000, 8 << 20, 5, "{\"zone\":\"a\"}", false);
    beat(fleet, "idle", 40000, 8 << 20, 1, "{\"zone\":\"b\"}", false);
    beat(fleet, "drain", 40000, 64 << 20, 0, NULL, true);

    /* Least loaded with room: idle (1 running) over busy (5); small has no room;
     * gone is lost and drain is draining, whatever their memory. */
    CHECK_INT(fleet_place(fleet, &need, 41000, &first, why, sizeof(why)), 0);
    CHECK_STR(first, "idle");

    /* Placements count until the next heartbeat: idle now has load 2, still
     * less than busy's 5; after four more it is busy's turn. */
    CHECK_INT(fleet_place(fleet, &need, 41000, &second, why, sizeof(why)), 0);
    CHECK_STR(second, "idle");
    for (int i = 0; i < 3; i++) {
        char *n = NULL;

        CHECK_INT(fleet_place(fleet, &need, 41000, &n, why, sizeof(why)), 0);
        free(n);
    }
    /* idle: 8 GiB free minus 5 x 2 GiB placed is not enough any more. */
    CHECK_INT(fleet_place(fleet, &need, 41000, &third, why, sizeof(why)), 0);
    CHECK_STR(third, "busy");

    need.node_selector = selector;
    beat(fleet, "idle", 42000, 8 << 20, 1, "{\"zone\":\"b\"}", false);
    CHECK_INT(fleet_place(fleet, &need, 42000, &zoned, why, sizeof(why)), 0);
    CHECK_STR(zoned, "idle");

    need.node_selector = NULL;
    need.memory_kib = 100 << 20;
    CHECK_INT(fleet_place(fleet, &need, 42000, &none, why, sizeof(why)), -ENOSPC);
    CHECK(strstr(why, "free memory") != NULL);
    CHECK(none == NULL);

    CHECK_INT(fleet_place(fleet, &need, 500000, &none, why, sizeof(why)), -ENOSPC);
    CHECK(strstr(why, "no node is live") != NULL);
}

int main(void)
{
    test_liveness();
    test_placement();
    return test_finish();
}
