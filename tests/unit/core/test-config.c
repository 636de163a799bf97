#include <string.h>

#include "lib/testing.h"
#include "shared/core/config.h"

static void test_file_format(void)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    const char text[] = "# comment\n\n  libvirt.uri = test:///default  \n"
                        "kafka.bootstrap.servers=127.0.0.1:9092\nlibvirt.uri=qemu:///system\n";
    char err[256] = "";
    long long n;
    bool b;

    CHECK(config_new(&cfg) == 0);
    CHECK_INT(config_load_buffer(cfg, "t.conf", text, strlen(text), err, sizeof(err)), 0);
    CHECK_STR(config_get(cfg, "libvirt.uri", NULL), "qemu:///system");
    CHECK_STR(config_get(cfg, "kafka.bootstrap.servers", NULL), "127.0.0.1:9092");
    CHECK_STR(config_get(cfg, "missing", "fallback"), "fallback");

    CHECK_INT(config_set(cfg, "worker.concurrency", "8"), 0);
    CHECK_INT(config_get_int(cfg, "worker.concurrency", 1, 1, 64, &n, err, sizeof(err)), 0);
    CHECK_INT(n, 8);
    CHECK_INT(config_set(cfg, "worker.concurrency", "800"), 0);
    CHECK_INT(config_get_int(cfg, "worker.concurrency", 1, 1, 64, &n, err, sizeof(err)),
              -EINVAL);
    CHECK(strstr(err, "worker.concurrency") != NULL);

    CHECK_INT(config_set(cfg, "tls.verify", "off"), 0);
    CHECK_INT(config_get_bool(cfg, "tls.verify", true, &b, err, sizeof(err)), 0);
    CHECK(!b);
}

static void test_bad_input(void)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    char err[256] = "";

    CHECK(config_new(&cfg) == 0);
    CHECK_INT(config_load_buffer(cfg, "bad.conf", "a.b = 1\nno equals sign\n", 24, err,
                                 sizeof(err)), -EINVAL);
    CHECK(strstr(err, "bad.conf:2") != NULL);
    CHECK_INT(config_load_buffer(cfg, "bad.conf", "Upper_Case = 1\n", 15, err, sizeof(err)),
              -EINVAL);
    CHECK(strstr(err, "Upper_Case") != NULL);
    CHECK_INT(config_set_pair(cfg, "node=node22", err, sizeof(err)), 0);
    CHECK_STR(config_get(cfg, "node", NULL), "node22");
}

static void test_env(void)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    char *envp[] = {"VMRELAY_KAFKA_SASL_MECHANISM=PLAIN", "VMRELAY_CONFIG=/x", "PATH=/bin",
                    NULL};
    char err[256] = "";

    CHECK(config_new(&cfg) == 0);
    CHECK_INT(config_load_env(cfg, envp, err, sizeof(err)), 0);
    CHECK_STR(config_get(cfg, "kafka.sasl.mechanism", NULL), "PLAIN");
    CHECK(config_get(cfg, "config", NULL) == NULL);
}

int main(void)
{
    test_file_format();
    test_bad_input();
    test_env();
    return test_finish();
}
