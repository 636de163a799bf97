/* vmrelay demo: the whole pipeline on one machine in one command.
 *
 * Starts an embedded Kafka in this process, the test API server
 * (tests/env/apiserver.sh from the source tree), one vmrelay-worker per
 * node on its own libvirt test driver, the bridge and the status writer;
 * then drives sample VirtualMachines through their lifecycle as a client
 * of the API document would, showing a live table. Every child is stopped
 * on every exit path, Ctrl-C included. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "producer/cli/children.h"
#include "producer/cli/cli.h"
#include "producer/cli/drive.h"
#include "producer/cli/table.h"
#include "shared/core/log.h"
#include "shared/k8s/client.h"
#include "shared/k8s/config.h"
#include "shared/kafka/embedded.h"

#define DEMO_NODES_MAX 8
#define DEMO_VMS_PER_NODE_MAX 4
#define DEMO_VMS_MAX (DEMO_NODES_MAX * DEMO_VMS_PER_NODE_MAX)
#define DEMO_TIMEOUT_DEFAULT_S 180
#define DEMO_TIMEOUT_MAX_S (24 * 3600)
/* A cached API server starts in seconds; a cold one is built first. */
#define DEMO_APISERVER_START_MS (15 * 60 * 1000LL)
#define DEMO_APISERVER_STOP_MS (60 * 1000LL)
#define DEMO_TICK_US (500 * 1000)
#define DEMO_ENV_MAX 4096
#define DEMO_PATH_MAX 1024
#define DEMO_TOPICS_PARTITIONS 1

struct demo_args {
    const char *source_dir, *state_dir;
    long nodes, vms_per_node, timeout_s;
};

struct demo {
    struct demo_args args;
    char state[DEMO_PATH_MAX], bindir[DEMO_PATH_MAX], kubeconfig[DEMO_PATH_MAX + 64];
    char iso[DEMO_PATH_MAX + 16], roots[DEMO_PATH_MAX + 64], peers_env[DEMO_PATH_MAX + 64];
    char *envp[DEMO_ENV_MAX];
    struct kafka_embedded *emb;
    struct children kids;
    bool apiserver_started;
    struct drive_vm vms[DEMO_VMS_MAX];
    size_t n_vms;
};

static volatile int demo_stop;

static void demo_on_signal(int sig)
{
    demo_stop = 1;
}

static void demo_usage(FILE *f)
{
    fprintf(f,
            "Usage: " CLI_PROGRAM " demo [OPTIONS]\n"
            "Runs an embedded Kafka, the test API server, N workers on libvirt's test\n"
            "driver, the bridge and the status writer, and drives sample VirtualMachines\n"
            "through create, suspend, resume, resize, stop, start, reboot and delete.\n\n"
            "  --source-dir DIR     vmrelay source tree (for tests/env/apiserver.sh;\n"
            "                       default %s)\n"
            "  --state-dir DIR      logs and peer state (default ./vmrelay-demo)\n"
            "  --nodes N            worker nodes, 1..%d (default 2)\n"
            "  --vms-per-node N     VMs on each node, 1..%d (default 1)\n"
            "  --timeout S          give up after S seconds of driving (default %d)\n"
            "The API server ports come from VMRELAY_APISERVER_PORT and\n"
            "VMRELAY_APISERVER_ETCD_PORT (default 16443 and 12379).\n"
            "Exit codes: 0 every VM finished, 1 one did not, 3 timeout, 4 a peer failed.\n",
            VMRELAY_SOURCE_DIR, DEMO_NODES_MAX, DEMO_VMS_PER_NODE_MAX, DEMO_TIMEOUT_DEFAULT_S);
}

static int demo_parse(int argc, char **argv, struct demo_args *a)
{
    enum { OPT_SOURCE = 256, OPT_STATE, OPT_NODES, OPT_VMS, OPT_TIMEOUT, OPT_HELP };
    static const struct option opts[] = {
        {"source-dir", required_argument, NULL, OPT_SOURCE},
        {"state-dir", required_argument, NULL, OPT_STATE},
        {"nodes", required_argument, NULL, OPT_NODES},
        {"vms-per-node", required_argument, NULL, OPT_VMS},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, OPT_HELP},
        {},
    };
    int c;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
        switch (c) {
        case OPT_SOURCE: a->source_dir = optarg; break;
        case OPT_STATE: a->state_dir = optarg; break;
        case OPT_NODES:
            if (cli_parse_seconds(optarg, 1, DEMO_NODES_MAX, &a->nodes) < 0)
                return log_error_errno(EINVAL, "--nodes must be 1 to %d.", DEMO_NODES_MAX);
            break;
        case OPT_VMS:
            if (cli_parse_seconds(optarg, 1, DEMO_VMS_PER_NODE_MAX, &a->vms_per_node) < 0)
                return log_error_errno(EINVAL, "--vms-per-node must be 1 to %d.",
                                       DEMO_VMS_PER_NODE_MAX);
            break;
        case OPT_TIMEOUT:
            if (cli_parse_seconds(optarg, 1, DEMO_TIMEOUT_MAX_S, &a->timeout_s) < 0)
                return log_error_errno(EINVAL, "--timeout must be 1 to %d seconds.",
                                       DEMO_TIMEOUT_MAX_S);
            break;
        case OPT_HELP:
            demo_usage(stdout);
            return 1;
        default:
            demo_usage(stderr);
            return -EINVAL;
        }
    }
    if (optind < argc)
        return log_error_errno(EINVAL, "Unexpected argument '%s'.", argv[optind]);
    return 0;
}

static int demo_mkdir(const char *path)
{
    if (mkdir(path, 0755) < 0 && errno != EEXIST)
        return log_error_errno(errno, "Cannot create %s.", path);
    return 0;
}

/* Directories, the install medium, and where the sibling programs are. */
static int demo_prepare(struct demo *d)
{
    char self[DEMO_PATH_MAX], sub[DEMO_PATH_MAX + 32];
    ssize_t n;
    int fd;

    if (demo_mkdir(d->args.state_dir) < 0)
        return -EIO;
    if (!realpath(d->args.state_dir, d->state))
        return log_error_errno(errno, "Cannot resolve %s.", d->args.state_dir);
    snprintf(sub, sizeof(sub), "%s/logs", d->state);
    snprintf(d->kids.log_dir, sizeof(d->kids.log_dir), "%.1000s", sub);
    if (demo_mkdir(sub) < 0)
        return -EIO;
    snprintf(sub, sizeof(sub), "%s/peers", d->state);
    if (demo_mkdir(sub) < 0)
        return -EIO;
    snprintf(d->peers_env, sizeof(d->peers_env), "VMRELAY_PEERS_DIR=%s", sub);
    snprintf(d->kubeconfig, sizeof(d->kubeconfig), "%s/apiserver/kubeconfig", sub);
    /* virt-install only checks that the medium exists (the test driver
     * installs nothing); the bridge is told to accept paths under here. */
    snprintf(d->iso, sizeof(d->iso), "%s/demo.iso", d->state);
    fd = open(d->iso, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return log_error_errno(errno, "Cannot create %s.", d->iso);
    close(fd);
    snprintf(d->roots, sizeof(d->roots), "paths.roots=/var/lib/libvirt,%s", d->state);

    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
        return log_error_errno(errno, "Cannot read /proc/self/exe.");
    self[n] = '\0';
    snprintf(d->bindir, sizeof(d->bindir), "%s", dirname(self));
    return 0;
}

/* Our environment with VMRELAY_PEERS_DIR pointing into the state dir. */
static int demo_env(struct demo *d)
{
    extern char **environ;
    size_t n = 0;

    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "VMRELAY_PEERS_DIR=", 18) == 0)
            continue;
        if (n >= DEMO_ENV_MAX - 2)
            return log_error_errno(E2BIG, "More than %d environment variables.", DEMO_ENV_MAX);
        d->envp[n++] = *e;
    }
    d->envp[n++] = d->peers_env;
    d->envp[n] = NULL;
    return 0;
}

static int demo_kafka(struct demo *d)
{
    char err[CLI_ERR_MAX] = "", topic[128];
    static const char *const fixed[] = {"vmrelay.results", "vmrelay.dlq", "vmrelay.events",
                                        "vmrelay.heartbeats"};
    int r;

    r = kafka_embedded_new(1, &d->emb, err, sizeof(err));
    if (r < 0)
        return log_error_errno(r, "Cannot start the embedded Kafka: %s", err);
    for (size_t i = 0; i < ELEMENTSOF(fixed) && r >= 0; i++)
        r = kafka_embedded_topic_create(d->emb, fixed[i], DEMO_TOPICS_PARTITIONS, err,
                                        sizeof(err));
    for (long i = 1; i <= d->args.nodes && r >= 0; i++) {
        snprintf(topic, sizeof(topic), "vmrelay.node.demo-node-%ld", i);
        r = kafka_embedded_topic_create(d->emb, topic, DEMO_TOPICS_PARTITIONS, err,
                                        sizeof(err));
    }
    if (r < 0)
        return log_error_errno(r, "Cannot create the demo topics: %s", err);
    printf("embedded Kafka at %s (in memory)\n", kafka_embedded_bootstrap(d->emb));
    return 0;
}

static int demo_apiserver(struct demo *d, const char *verb)
{
    char script[DEMO_PATH_MAX + 64], name[32];
    char *argv[] = {script, (char *)verb, NULL};
    bool start = strcmp(verb, "start") == 0;
    int r;

    snprintf(script, sizeof(script), "%s/tests/env/apiserver.sh", d->args.source_dir);
    snprintf(name, sizeof(name), "apiserver-%s", verb);
    d->apiserver_started = d->apiserver_started || start;
    r = children_run(&d->kids, name, argv, d->envp,
                     start ? DEMO_APISERVER_START_MS : DEMO_APISERVER_STOP_MS,
                     start ? &demo_stop : NULL);
    if (r != 0)
        return log_error_errno(r < 0 ? r : EIO, "%s %s failed (exit %d); see %s/%s.log.",
                               script, verb, r, d->kids.log_dir, name);
    return 0;
}

static int demo_programs(struct demo *d)
{
    const char *brokers = kafka_embedded_bootstrap(d->emb);
    char prog[DEMO_PATH_MAX + 64], node[32], name[48];
    /* Short group timeouts: the embedded broker makes a rejoining member
     * wait for them (see shared/kafka/embedded.h). */
    char *common[] = {"--set", "kafka.session.timeout.ms=6000", "--set",
                      "kafka.topic.metadata.refresh.interval.ms=1000", NULL};
    int r;

    snprintf(prog, sizeof(prog), "%s/../../worker/main/vmrelay-worker", d->bindir);
    for (long i = 1; i <= d->args.nodes; i++) {
        /* The workers check paths against the same roots as the bridge. */
        char *argv[] = {prog, "--node", node, "--libvirt-uri", "test:///default", "--brokers",
                        (char *)brokers, "--set", d->roots, common[0], common[1], common[2],
                        common[3], NULL};

        snprintf(node, sizeof(node), "demo-node-%ld", i);
        snprintf(name, sizeof(name), "worker-%s", node);
        r = children_spawn(&d->kids, name, argv, d->envp);
        if (r < 0)
            return r;
    }
    snprintf(prog, sizeof(prog), "%s/../bridge/vmrelay-bridge", d->bindir);
    {
        char *argv[] = {prog, "--kubeconfig", d->kubeconfig, "--brokers", (char *)brokers,
                        "--namespace", "default", "--set", d->roots, common[0], common[1],
                        common[2], common[3], NULL};

        r = children_spawn(&d->kids, "bridge", argv, d->envp);
        if (r < 0)
            return r;
    }
    snprintf(prog, sizeof(prog), "%s/../status/vmrelay-status", d->bindir);
    {
        char *argv[] = {prog, "--kubeconfig", d->kubeconfig, "--brokers", (char *)brokers,
                        "--namespace", "default", common[0], common[1], common[2], common[3],
                        NULL};

        r = children_spawn(&d->kids, "status", argv, d->envp);
        if (r < 0)
            return r;
    }
    printf("started %ld worker(s), the bridge and the status writer; logs in %s\n",
           d->args.nodes, d->kids.log_dir);
    return 0;
}

static bool demo_all_settled(const struct demo *d)
{
    for (size_t i = 0; i < d->n_vms; i++)
        if (!d->vms[i].done && !d->vms[i].failed)
            return false;
    return true;
}

/* Creates the VMs and polls them until all settled, a child died, the
 * timeout passed or Ctrl-C. Returns an exit code. */
static int demo_drive(struct demo *d)
{
    _cleanup_(k8s_config_unrefp) struct k8s_config *kcfg = NULL;
    _cleanup_(k8s_client_freep) struct k8s_client *client = NULL;
    long long start = cli_mono_ms();
    long long deadline = start + d->args.timeout_s * 1000LL;
    bool tty = isatty(STDOUT_FILENO);
    char err[CLI_ERR_MAX] = "";
    const struct child *dead;
    int r;

    r = k8s_config_load(d->kubeconfig, &kcfg, err, sizeof(err));
    if (r >= 0)
        r = k8s_client_new(kcfg, &client);
    if (r < 0) {
        log_error_errno(r, "Cannot use %s: %s", d->kubeconfig, err);
        return CLI_EXIT_ERROR;
    }
    for (long n = 1; n <= d->args.nodes; n++)
        for (long v = 0; v < d->args.vms_per_node; v++) {
            struct drive_vm *vm = &d->vms[d->n_vms++];

            snprintf(vm->name, sizeof(vm->name), "demovm%02d%02d", (int)n, (int)v + 1);
            snprintf(vm->node, sizeof(vm->node), "demo-node-%ld", n);
            if (drive_create(client, vm, d->iso) < 0)
                log_warning("%s: %s", vm->name, vm->message);
        }
    while (!demo_all_settled(d)) {
        if (demo_stop) {
            table_show(d->vms, d->n_vms, tty, (cli_mono_ms() - start) / 1000);
            printf("Interrupted.\n");
            table_summary(d->vms, d->n_vms);
            return 128 + SIGINT;
        }
        dead = children_reap(&d->kids);
        if (dead) {
            table_show(d->vms, d->n_vms, tty, (cli_mono_ms() - start) / 1000);
            printf("%s exited unexpectedly (status %d); see %s/%s.log\n", dead->name,
                   dead->status, d->kids.log_dir, dead->name);
            table_summary(d->vms, d->n_vms);
            return CLI_EXIT_ERROR;
        }
        if (cli_mono_ms() > deadline) {
            table_show(d->vms, d->n_vms, tty, (cli_mono_ms() - start) / 1000);
            printf("Timed out after %ld s.\n", d->args.timeout_s);
            table_summary(d->vms, d->n_vms);
            return CLI_EXIT_TIMEOUT;
        }
        for (size_t i = 0; i < d->n_vms; i++)
            drive_poll(client, &d->vms[i], d->iso);
        table_show(d->vms, d->n_vms, tty, (cli_mono_ms() - start) / 1000);
        usleep(DEMO_TICK_US);
    }
    table_show(d->vms, d->n_vms, tty, (cli_mono_ms() - start) / 1000);
    return table_summary(d->vms, d->n_vms) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

static int demo_run(struct demo *d)
{
    if (demo_prepare(d) < 0 || demo_env(d) < 0)
        return CLI_EXIT_ERROR;
    if (demo_kafka(d) < 0)
        return CLI_EXIT_ERROR;
    printf("starting the API server (log %s/apiserver-start.log)\n", d->kids.log_dir);
    fflush(stdout);
    if (demo_apiserver(d, "start") < 0)
        return demo_stop ? 128 + SIGINT : CLI_EXIT_ERROR;
    if (demo_programs(d) < 0)
        return CLI_EXIT_ERROR;
    fflush(stdout);
    return demo_drive(d);
}

int cli_demo(int argc, char **argv)
{
    static struct demo d;
    struct sigaction sa = {.sa_handler = demo_on_signal};
    int code, r;

    d.args = (struct demo_args){.source_dir = VMRELAY_SOURCE_DIR, .state_dir = "vmrelay-demo",
                                .nodes = 2, .vms_per_node = 1,
                                .timeout_s = DEMO_TIMEOUT_DEFAULT_S};
    log_setup(CLI_PROGRAM, LOG_INFO);
    r = demo_parse(argc, argv, &d.args);
    if (r != 0)
        return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    code = demo_run(&d);

    printf("stopping the demo's programs\n");
    fflush(stdout);
    children_stop_all(&d.kids);
    if (d.apiserver_started)
        demo_apiserver(&d, "stop");
    kafka_embedded_free(d.emb);
    return code;
}
