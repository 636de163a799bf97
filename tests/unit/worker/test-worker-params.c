/* Parameter reading and the mapping of request flags to libvirt flags. */
#include <errno.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "lib/testing.h"
#include "worker/ops/params.h"

static cJSON *json(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    if (!j)
        test_abort("bad JSON in the test: %s", text);
    return j;
}

/* Returns the flags, or -1 with err filled when the mapping refuses. */
static long long memory_flags(const char *text, char *err, size_t errlen)
{
    cJSON *p = json(text);
    unsigned flags = 0xdead;
    int r = ops_memory_flags(p, &flags, err, errlen);

    cJSON_Delete(p);
    return r < 0 ? -1 : (long long)flags;
}

static long long vcpu_flags(const char *text, char *err, size_t errlen)
{
    cJSON *p = json(text);
    unsigned flags = 0xdead;
    int r = ops_vcpu_flags(p, &flags, err, errlen);

    cJSON_Delete(p);
    return r < 0 ? -1 : (long long)flags;
}

static void test_memory_flags(void)
{
    char err[256] = "";

    CHECK_INT(memory_flags("{}", err, sizeof(err)), VIR_DOMAIN_AFFECT_CURRENT);
    CHECK_INT(memory_flags("{\"current\":true}", err, sizeof(err)), VIR_DOMAIN_AFFECT_CURRENT);
    CHECK_INT(memory_flags("{\"live\":true}", err, sizeof(err)), VIR_DOMAIN_AFFECT_LIVE);
    CHECK_INT(memory_flags("{\"config\":\"true\",\"live\":false}", err, sizeof(err)),
              VIR_DOMAIN_AFFECT_CONFIG);
    CHECK_INT(memory_flags("{\"config\":true,\"live\":true}", err, sizeof(err)),
              VIR_DOMAIN_AFFECT_CONFIG | VIR_DOMAIN_AFFECT_LIVE);
    CHECK_INT(memory_flags("{\"current\":true,\"live\":true}", err, sizeof(err)), -1);
    CHECK(strstr(err, "'current'") != NULL);
    CHECK_INT(memory_flags("{\"live\":\"yes\"}", err, sizeof(err)), -1);
    CHECK(strstr(err, "'live' must be a boolean") != NULL);
}

static void test_vcpu_flags(void)
{
    char err[256] = "";

    CHECK_INT(vcpu_flags("{}", err, sizeof(err)), VIR_DOMAIN_AFFECT_CURRENT);
    CHECK_INT(vcpu_flags("{\"live\":true,\"config\":true}", err, sizeof(err)),
              VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_AFFECT_CONFIG);
    CHECK_INT(vcpu_flags("{\"hotpluggable\":true}", err, sizeof(err)),
              VIR_DOMAIN_AFFECT_LIVE | VIR_DOMAIN_VCPU_HOTPLUGGABLE);
    CHECK_INT(vcpu_flags("{\"guest\":true}", err, sizeof(err)), VIR_DOMAIN_VCPU_GUEST);
    CHECK_INT(vcpu_flags("{\"maximum\":true,\"config\":true}", err, sizeof(err)),
              VIR_DOMAIN_VCPU_MAXIMUM | VIR_DOMAIN_AFFECT_CONFIG);
    CHECK_INT(vcpu_flags("{\"maximum\":true,\"live\":true}", err, sizeof(err)), -1);
    CHECK(strstr(err, "'maximum'") != NULL);
    CHECK_INT(vcpu_flags("{\"guest\":true,\"config\":true}", err, sizeof(err)), -1);
    CHECK(strstr(err, "'guest'") != NULL);
    CHECK_INT(vcpu_flags("{\"current\":true,\"hotpluggable\":true}", err, sizeof(err)), -1);
    CHECK(strstr(err, "'current'") != NULL);
}

static void test_undefine_flags(void)
{
    cJSON *p = json("{\"delete_snapshots\":true,\"remove_all_storage\":\"true\"}");
    char err[256] = "";
    unsigned flags = 0;
    bool storage = false;

    CHECK_INT(ops_undefine_flags(p, &flags, &storage, err, sizeof(err)), 0);
    CHECK_INT(flags, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA);
    CHECK(storage);
    cJSON_Delete(p);

    p = json("{}");
    CHECK_INT(ops_undefine_flags(p, &flags, &storage, err, sizeof(err)), 0);
    CHECK_INT(flags, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE);
    CHECK(!storage);
    cJSON_Delete(p);

    p = json("{\"delete_snapshots\":1}");
    CHECK_INT(ops_undefine_flags(p, &flags, &storage, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "'delete_snapshots'") != NULL);
    cJSON_Delete(p);
}

static void test_fields(void)
{
    static const char *const allowed[] = {"size", "live", NULL};
    cJSON *p = json("{\"size\":\"1048576\",\"live\":true,\"bogus\":1}");
    unsigned long long n = 0;
    char err[256] = "";

    CHECK_INT(ops_params_only(p, allowed, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "'bogus'") != NULL);
    CHECK_INT(ops_param_uint(p, "size", true, 1ULL << 40, &n, err, sizeof(err)), 0);
    CHECK_INT(n, 1048576);
    CHECK_INT(ops_param_uint(p, "count", true, 10, &n, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "'count' is required") != NULL);
    CHECK_INT(ops_param_uint(p, "count", false, 10, &n, err, sizeof(err)), -ENOENT);
    cJSON_Delete(p);

    p = json("{\"count\":\"12x\",\"size\":0,\"big\":99}");
    CHECK_INT(ops_param_uint(p, "count", true, 100, &n, err, sizeof(err)), -EINVAL);
    CHECK_INT(ops_param_uint(p, "size", true, 100, &n, err, sizeof(err)), -EINVAL);
    CHECK_INT(ops_param_uint(p, "big", true, 98, &n, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "from 1 to 98") != NULL);
    cJSON_Delete(p);

    CHECK_INT(ops_params_only(NULL, allowed, err, sizeof(err)), 0);
}

int main(void)
{
    test_memory_flags();
    test_vcpu_flags();
    test_undefine_flags();
    test_fields();
    return test_finish();
}
