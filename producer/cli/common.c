/* Configuration and small parsers shared by the subcommands. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "producer/cli/cli.h"
#include "shared/core/config.h"
#include "shared/core/log.h"

int cli_conf_args_add_set(struct cli_conf_args *a, const char *pair)
{
    if (a->n_sets >= CLI_SETS_MAX)
        return log_error_errno(E2BIG, "More than %d --set options.", CLI_SETS_MAX);
    a->sets[a->n_sets++] = pair;
    return 0;
}

int cli_config_build(const struct cli_conf_args *a, struct config **ret_cfg)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    char err[CLI_ERR_MAX] = "";
    int level, r;

    r = config_new(&cfg);
    if (r < 0)
        return log_error_errno(r, "Cannot allocate the configuration.");
    r = config_load_standard(cfg, a->config_file, err, sizeof(err));
    for (size_t i = 0; r >= 0 && i < a->n_sets; i++)
        r = config_set_pair(cfg, a->sets[i], err, sizeof(err));
    if (r >= 0 && a->brokers)
        r = config_set(cfg, "kafka.bootstrap.servers", a->brokers);
    if (r >= 0 && a->log_level)
        r = config_set(cfg, "log.level", a->log_level);
    if (r < 0)
        return log_error_errno(r, "Invalid configuration: %s", err[0] ? err : "bad value.");
    level = log_level_from_string(config_get(cfg, "log.level", "warning"));
    if (level < 0)
        return log_error_errno(EINVAL, "Key log.level must be debug, info, notice, warning "
                               "or error.");
    log_setup(CLI_PROGRAM, level);
    *ret_cfg = TAKE_PTR(cfg);
    return 0;
}

int cli_parse_seconds(const char *s, long min, long max, long *ret_value)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -EINVAL;
    *ret_value = v;
    return 0;
}

static long long clock_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

long long cli_now_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

long long cli_mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}
