/* vmrelay-worker: one per node; runs the requests of its node topic on the
 * local libvirt and reports every outcome on the results topic. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "shared/core/config.h"
#include "shared/core/log.h"
#include "worker/main/events.h"
#include "worker/main/worker.h"
#include "worker/ops/ops.h"
#include "worker/ops/ops-network.h"
#include "worker/ops/ops-storage.h"

#define MAIN_ERR_MAX 1024
#define MAIN_SETS_MAX 256

static volatile sig_atomic_t main_stop;

static void main_on_signal(int sig)
{
    main_stop = 1;
}

static void main_usage(FILE *f)
{
    fprintf(f, "Usage: vmrelay-worker --node NAME [options]\n"
               "  --node NAME          this node's name (key 'node')\n"
               "  --config FILE        configuration file (else $VMRELAY_CONFIG)\n"
               "  --set KEY=VALUE      set a configuration key; may repeat\n"
               "  --libvirt-uri URI    libvirt connection (default test:///default)\n"
               "  --brokers LIST       Kafka bootstrap servers (kafka.bootstrap.servers)\n"
               "  --help               this text\n");
}

struct main_args {
    const char *config_file, *node, *uri, *brokers;
    const char *sets[MAIN_SETS_MAX];
    size_t n_sets;
};

static int main_parse(int argc, char **argv, struct main_args *a)
{
    enum { OPT_NODE = 256, OPT_CONFIG, OPT_SET, OPT_URI, OPT_BROKERS, OPT_HELP };
    static const struct option opts[] = {
        {"node", required_argument, NULL, OPT_NODE},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"set", required_argument, NULL, OPT_SET},
        {"libvirt-uri", required_argument, NULL, OPT_URI},
        {"brokers", required_argument, NULL, OPT_BROKERS},
        {"help", no_argument, NULL, OPT_HELP},
        {},
    };
    int c;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
        switch (c) {
        case OPT_NODE:
            a->node = optarg;
            break;
        case OPT_CONFIG:
            a->config_file = optarg;
            break;
        case OPT_SET:
            if (a->n_sets >= MAIN_SETS_MAX)
                return log_error_errno(-E2BIG, "More than %d --set options.", MAIN_SETS_MAX);
            a->sets[a->n_sets++] = optarg;
            break;
        case OPT_URI:
            a->uri = optarg;
            break;
        case OPT_BROKERS:
            a->brokers = optarg;
            break;
        case OPT_HELP:
            main_usage(stdout);
            return 1;
        default:
            main_usage(stderr);
            return -EINVAL;
        }
    }
    if (optind < argc)
        return log_error_errno(-EINVAL, "Unexpected argument '%s'.", argv[optind]);
    return 0;
}

/* Precedence, lowest first: file, environment, --set, the named flags. */
static int main_config(const struct main_args *a, struct config *cfg)
{
    char err[MAIN_ERR_MAX] = "";
    int r;

    r = config_load_standard(cfg, a->config_file, err, sizeof(err));
    for (size_t i = 0; r >= 0 && i < a->n_sets; i++)
        r = config_set_pair(cfg, a->sets[i], err, sizeof(err));
    if (r >= 0 && a->node)
        r = config_set(cfg, "node", a->node);
    if (r >= 0 && a->uri)
        r = config_set(cfg, "libvirt.uri", a->uri);
    if (r >= 0 && a->brokers)
        r = config_set(cfg, "kafka.bootstrap.servers", a->brokers);
    if (r < 0)
        return log_error_errno(r, "Invalid configuration: %s", err[0] ? err : "bad value");
    return 0;
}

static int main_run(int argc, char **argv)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    struct main_args args = {0};
    struct sigaction sa = {.sa_handler = main_on_signal};
    char err[MAIN_ERR_MAX] = "";
    struct worker w;
    int level, r;

    log_setup("vmrelay-worker", LOG_INFO);
    r = main_parse(argc, argv, &args);
    if (r != 0)
        return r;
    r = config_new(&cfg);
    if (r < 0)
        return log_error_errno(r, "Cannot allocate the configuration.");
    r = main_config(&args, cfg);
    if (r < 0)
        return r;
    level = log_level_from_string(config_get(cfg, "log.level", "info"));
    if (level < 0)
        return log_error_errno(level, "Key log.level must be debug, info, notice, warning or "
                               "error.");
    log_setup("vmrelay-worker", level);
    if (!config_get(cfg, "kafka.bootstrap.servers", NULL))
        return log_error_errno(-EINVAL, "No Kafka brokers: use --brokers or the key "
                               "kafka.bootstrap.servers (vmrelay-embedded-kafka prints one).");
    ops_create_set_program(config_get(cfg, "worker.virt-install", NULL));
    ops_storage_configure(config_get(cfg, "worker.template-pool", NULL),
                          config_get(cfg, "worker.storage-dir", NULL));
    if (ops_paths_set_roots(config_get(cfg, "paths.roots", NULL)) < 0)
        return log_error_errno(-E2BIG, "Key paths.roots holds more than 16 roots.");
    r = ops_network_configure(config_get(cfg, "worker.switch-backend", NULL),
                              config_get(cfg, "worker.ovn-nb", NULL),
                              config_get(cfg, "worker.switch-forward", NULL), err, sizeof(err));
    if (r < 0)
        return log_error_errno(r, "%s", err);

    /* No SA_RESTART: a stop must interrupt a poll or a backoff sleep. */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    worker_conn_setup();
    if (worker_events_setup() < 0)
        return log_error_errno(-EIO, "Cannot start libvirt's event loop.");

    r = worker_open(&w, cfg, err, sizeof(err));
    if (r < 0) {
        worker_close(&w);
        return log_error_errno(r, "Cannot start the worker: %s", err[0] ? err : strerror(-r));
    }
    r = worker_run(&w, &main_stop);
    worker_close(&w);
    return r;
}

int main(int argc, char **argv)
{
    int r = main_run(argc, argv);

    return r < 0 ? 1 : 0;
}
