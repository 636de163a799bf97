#include "producer/common/options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "shared/core/log.h"

/* Settings passed as flags are kept until the file and environment are
 * loaded, so that flags win as documented. */
#define OPTIONS_FLAGS_MAX 128

static int copy_setting(const char *key, const char *value, void *userdata)
{
    return config_set(userdata, key, value);
}

static void usage(const char *program, const char *summary)
{
    printf("Usage: %s [OPTIONS]\n\n%s\n\n"
           "  --config FILE        configuration file\n"
           "  --set KEY=VALUE      any setting (repeatable)\n"
           "  --brokers LIST       Kafka bootstrap servers (kafka.bootstrap.servers)\n"
           "  --kubeconfig PATH    kubeconfig (kube.config)\n"
           "  --namespace NS       namespace to watch (repeatable; default all)\n"
           "  --log-level LEVEL    debug, info, notice, warning or error\n"
           "  --help               this text\n\n"
           "See docs/configuration.md for every setting.\n",
           program, summary);
}

int options_parse(const char *program, const char *summary, int argc, char **argv,
                  struct config **ret_cfg)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},     {"set", required_argument, NULL, 's'},
        {"brokers", required_argument, NULL, 'b'},    {"kubeconfig", required_argument, NULL, 'k'},
        {"namespace", required_argument, NULL, 'n'},  {"log-level", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},             {0},
    };
    _cleanup_(config_freep) struct config *cfg = NULL;
    _cleanup_(config_freep) struct config *flags = NULL;
    char namespaces[4096] = "", err[512] = "";
    const char *file = NULL;
    int c, r, level;

    if (config_new(&cfg) < 0 || config_new(&flags) < 0)
        return -ENOMEM;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        r = 0;
        switch (c) {
        case 'c':
            file = optarg;
            break;
        case 's':
            r = config_set_pair(flags, optarg, err, sizeof(err));
            break;
        case 'b':
            r = config_set(flags, "kafka.bootstrap.servers", optarg);
            break;
        case 'k':
            r = config_set(flags, "kube.config", optarg);
            break;
        case 'n':
            if (strlen(namespaces) + strlen(optarg) + 2 > sizeof(namespaces)) {
                fprintf(stderr, "%s: too many namespaces\n", program);
                return -E2BIG;
            }
            if (namespaces[0])
                strncat(namespaces, ",", sizeof(namespaces) - strlen(namespaces) - 1);
            strncat(namespaces, optarg, sizeof(namespaces) - strlen(namespaces) - 1);
            r = config_set(flags, "kube.namespaces", namespaces);
            break;
        case 'l':
            r = config_set(flags, "log.level", optarg);
            break;
        case 'h':
            usage(program, summary);
            return 1;
        default:
            fprintf(stderr, "Try '%s --help'.\n", program);
            return -EINVAL;
        }
        if (r < 0) {
            fprintf(stderr, "%s: %s\n", program, err[0] ? err : strerror(-r));
            return r;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", program, argv[optind]);
        return -EINVAL;
    }

    r = config_load_standard(cfg, file, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "%s: %s\n", program, err);
        return r;
    }
    r = config_foreach_prefix(flags, "", copy_setting, cfg);
    if (r < 0)
        return r;

    level = log_level_from_string(config_get(cfg, "log.level", "info"));
    if (level < 0) {
        fprintf(stderr, "%s: setting log.level: '%s' is not a level\n", program,
                config_get(cfg, "log.level", ""));
        return -EINVAL;
    }
    log_setup(program, level);

    *ret_cfg = TAKE_PTR(cfg);
    return 0;
}

int options_split_list(const char *value, size_t max, char ***ret_list, size_t *ret_n)
{
    _cleanup_free_ char **list = NULL;
    size_t n = 0, len = value ? strlen(value) : 0;
    char *copy, *saveptr = NULL;

    /* One allocation: max+1 pointers followed by the text they point into. */
    list = calloc(1, (max + 1) * sizeof(char *) + len + 1);
    if (!list)
        return -ENOMEM;
    copy = (char *)(list + max + 1);
    if (len)
        memcpy(copy, value, len + 1);

    for (char *tok = strtok_r(copy, ",", &saveptr); tok; tok = strtok_r(NULL, ",", &saveptr)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        if (n == max)
            return -E2BIG;
        list[n++] = tok;
    }
    *ret_list = TAKE_PTR(list);
    *ret_n = n;
    return 0;
}
