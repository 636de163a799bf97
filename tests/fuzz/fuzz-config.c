/* config_load_buffer on a configuration file, then the typed getters the
 * programs use on what it set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shared/core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int visit(const char *key, const char *value, void *userdata)
{
    size_t *count = userdata;

    if (!key || !value)
        abort();
    (*count)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    size_t count = 0;
    long long n;
    bool b;
    char err[512];

    if (config_new(&cfg) < 0)
        abort();
    if (config_load_buffer(cfg, "fuzz.conf", (const char *)data, size, err, sizeof(err)) < 0)
        return 0;
    (void)config_get_int(cfg, "worker.threads", 4, 1, 64, &n, err, sizeof(err));
    (void)config_get_int(cfg, "kafka.session.timeout.ms", 0, 0, INT32_MAX, &n, err,
                         sizeof(err));
    (void)config_get_bool(cfg, "log.json", false, &b, err, sizeof(err));
    (void)config_get(cfg, "libvirt.uri", NULL);
    if (config_foreach_prefix(cfg, "kafka.", visit, &count) < 0)
        abort();
    if (config_foreach_prefix(cfg, "", visit, &count) < 0)
        abort();
    return 0;
}
