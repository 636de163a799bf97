/* vmrelay fleet: the latest heartbeat of every node, read from the
 * compacted <prefix>.heartbeats topic, and what the bridge would make of
 * it (live, draining, lost) with the same fleet table and grace period. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "producer/cli/cli.h"
#include "producer/cli/format.h"
#include "producer/cli/history.h"
#include "producer/common/fleet.h"
#include "shared/core/config.h"
#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/kafka/conf.h"
#include "shared/kafka/topic.h"
#include "shared/msg/heartbeat.h"

#define FLEET_WATCH_MS 2000
#define FLEET_GRACE_S_MAX 86400
#define FLEET_LABELS_WIDTH 256
#define FLEET_FORMAT "%-20s %-9s %-9s %5s %9s %7s %8s %6s %s\n"

struct fleet_args {
    struct cli_conf_args conf;
    long grace_s;
    bool json, watch;
};

/* What the reading keeps beside the fleet table: labels (which
 * fleet_describe leaves out), nodes whose latest record is a tombstone or
 * cannot be read. Keyed by node. */
struct fleet_view {
    struct fleet *fleet;
    cJSON *extra;
    size_t unreadable;
};

static volatile int fleet_stop;

static void fleet_on_signal(int sig)
{
    fleet_stop = 1;
}

static void fleet_usage(FILE *f)
{
    fprintf(f,
            "Usage: " CLI_PROGRAM " fleet [OPTIONS]\n"
            "Reads <prefix>.heartbeats from its beginning and shows the latest heartbeat of\n"
            "every node: state (live, draining, lost, unknown), how long it has been silent,\n"
            "CPUs, free memory, running domains, requests in flight, lag of its topic and\n"
            "labels. Silence counts from the time the node wrote in its heartbeat.\n\n"
            "  --grace S           a node is lost after S seconds without a heartbeat, or\n"
            "                      three of its own intervals if longer (default: key\n"
            "                      fleet.grace-seconds, else %d)\n"
            "  --watch             redraw every %d s until Ctrl-C\n"
            "  --output text|json  json prints the array of nodes\n"
            "  --brokers LIST      Kafka bootstrap servers (key kafka.bootstrap.servers)\n"
            "  --config FILE       configuration file (else $VMRELAY_CONFIG)\n"
            "  --set KEY=VALUE     set a configuration key; may repeat\n"
            "  --log-level LEVEL   debug, info, notice, warning (default) or error\n"
            "Exit codes: 0 shown, 2 bad usage, 4 Kafka unreachable.\n",
            FLEET_GRACE_MS_DEFAULT / 1000, FLEET_WATCH_MS / 1000);
}

static int fleet_parse(int argc, char **argv, struct fleet_args *a)
{
    enum { OPT_GRACE = 256, OPT_WATCH, OPT_OUTPUT, OPT_BROKERS, OPT_CONFIG, OPT_SET, OPT_LOG,
           OPT_HELP };
    static const struct option opts[] = {
        {"grace", required_argument, NULL, OPT_GRACE},
        {"watch", no_argument, NULL, OPT_WATCH},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"brokers", required_argument, NULL, OPT_BROKERS},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"set", required_argument, NULL, OPT_SET},
        {"log-level", required_argument, NULL, OPT_LOG},
        {"help", no_argument, NULL, OPT_HELP},
        {},
    };
    int c;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
        switch (c) {
        case OPT_WATCH: a->watch = true; break;
        case OPT_BROKERS: a->conf.brokers = optarg; break;
        case OPT_CONFIG: a->conf.config_file = optarg; break;
        case OPT_LOG: a->conf.log_level = optarg; break;
        case OPT_SET:
            if (cli_conf_args_add_set(&a->conf, optarg) < 0)
                return -E2BIG;
            break;
        case OPT_GRACE:
            if (cli_parse_seconds(optarg, 1, FLEET_GRACE_S_MAX, &a->grace_s) < 0)
                return log_error_errno(EINVAL, "--grace must be a whole number of seconds "
                                       "from 1 to %d, got '%s'.", FLEET_GRACE_S_MAX, optarg);
            break;
        case OPT_OUTPUT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
                return log_error_errno(EINVAL, "--output must be text or json, got '%s'.",
                                       optarg);
            a->json = strcmp(optarg, "json") == 0;
            break;
        case OPT_HELP:
            fleet_usage(stdout);
            return 1;
        default:
            fleet_usage(stderr);
            return -EINVAL;
        }
    }
    if (optind < argc)
        return log_error_errno(EINVAL, "Unexpected argument '%s'.", argv[optind]);
    return 0;
}

/* The side record of node, created on first use; NULL without memory. */
static cJSON *fleet_extra(struct fleet_view *v, const char *node)
{
    cJSON *e = cJSON_GetObjectItemCaseSensitive(v->extra, node);

    if (e)
        return e;
    e = cJSON_CreateObject();
    if (!e || !cJSON_AddItemToObject(v->extra, node, e)) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

static void fleet_extra_set(cJSON *e, const char *name, cJSON *item)
{
    if (!item)
        return;
    if (cJSON_HasObjectItem(e, name))
        cJSON_ReplaceItemInObjectCaseSensitive(e, name, item);
    else
        cJSON_AddItemToObject(e, name, item);
}

static int fleet_on_record(const rd_kafka_message_t *msg, void *userdata)
{
    _cleanup_(heartbeat_freep) struct heartbeat *hb = NULL;
    _cleanup_free_ char *key = NULL;
    struct fleet_view *v = userdata;
    char err[CLI_ERR_MAX] = "";
    int64_t now = cli_now_ms();
    cJSON *e;
    int r;

    if (msg->key && msg->key_len > 0)
        key = strndup(msg->key, msg->key_len);
    if (!msg->payload) {
        /* A tombstone: the node was retired; compaction will drop it. */
        if (key && (e = fleet_extra(v, key)))
            fleet_extra_set(e, "deleted", cJSON_CreateTrue());
        return 0;
    }
    if (heartbeat_parse(msg->payload, msg->len, &hb, err, sizeof(err)) < 0) {
        v->unreadable++;
        log_debug("Ignored an unreadable heartbeat at %d:%lld: %s", (int)msg->partition,
                  (long long)msg->offset, err);
        if (key && (e = fleet_extra(v, key)))
            fleet_extra_set(e, "error", cJSON_CreateString(err));
        return 0;
    }

    /* Silence counts from the node's own clock, not from when we read the
     * record: reading history would otherwise make every node look live. */
    r = fleet_update(v->fleet, hb, hb->time_ms < now ? hb->time_ms : now);
    if (r < 0)
        return log_error_errno(r, "Cannot record the heartbeat of node %s.", hb->node);
    e = fleet_extra(v, hb->node);
    if (!e)
        return log_error_errno(ENOMEM, "Out of memory.");
    cJSON_DeleteItemFromObjectCaseSensitive(e, "deleted");
    cJSON_DeleteItemFromObjectCaseSensitive(e, "error");
    fleet_extra_set(e, "labels", hb->labels ? cJSON_Duplicate(hb->labels, true)
                                            : cJSON_CreateObject());
    return 0;
}

static int fleet_compare(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

    return strcmp(json_path_string(x, "node") ?: "", json_path_string(y, "node") ?: "");
}

/* fleet_describe, with labels added, retired nodes left out, nodes seen
 * only through unreadable heartbeats as "unknown", sorted by node. */
static cJSON *fleet_snapshot(struct fleet_view *v)
{
    _cleanup_(cJSON_Deletep) cJSON *desc = fleet_describe(v->fleet, cli_now_ms());
    _cleanup_(cJSON_Deletep) cJSON *out = cJSON_CreateArray();
    _cleanup_free_ cJSON **items = NULL;
    const cJSON *e;
    size_t n = 0;
    cJSON *node;

    if (!desc || !out)
        return NULL;
    cJSON_ArrayForEach(e, v->extra)
    {
        const cJSON *error = cJSON_GetObjectItemCaseSensitive(e, "error");

        if (!cJSON_HasObjectItem(e, "labels") && cJSON_IsString(error)) {
            cJSON *o = cJSON_CreateObject();

            if (!o || !cJSON_AddItemToArray(desc, o) ||
                !cJSON_AddStringToObject(o, "node", e->string) ||
                !cJSON_AddStringToObject(o, "state", fleet_liveness_to_string(FLEET_UNKNOWN)) ||
                !cJSON_AddStringToObject(o, "error", error->valuestring))
                return NULL;
        }
    }
    items = calloc(cJSON_GetArraySize(desc) + 1, sizeof(*items));
    if (!items)
        return NULL;
    while ((node = cJSON_DetachItemFromArray(desc, 0))) {
        const char *name = json_path_string(node, "node");
        const cJSON *x = name ? cJSON_GetObjectItemCaseSensitive(v->extra, name) : NULL;
        const cJSON *labels = cJSON_GetObjectItemCaseSensitive(x, "labels");

        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(x, "deleted"))) {
            cJSON_Delete(node);
            continue;
        }
        if (labels && !cJSON_HasObjectItem(node, "labels"))
            cJSON_AddItemToObject(node, "labels", cJSON_Duplicate(labels, true));
        items[n++] = node;
    }
    qsort(items, n, sizeof(*items), fleet_compare);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(out, items[i]);
    return TAKE_PTR(out);
}

static long long fleet_number(const cJSON *node, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(node, name);

    return cJSON_IsNumber(item) ? (long long)item->valuedouble : 0;
}

static void fleet_print_text(const cJSON *nodes, const struct fleet_view *v)
{
    const cJSON *node;
    size_t live = 0, total = 0;

    printf(FLEET_FORMAT, "NODE", "STATE", "SILENT", "CPUS", "FREE MEM", "RUNNING", "INFLIGHT",
           "LAG", "LABELS");
    cJSON_ArrayForEach(node, nodes)
    {
        const char *state = json_path_string(node, "state") ?: "unknown";
        char silent[CLI_FORMAT_SHORT_MAX], mem[CLI_FORMAT_SHORT_MAX], cpus[CLI_FORMAT_SHORT_MAX];
        char running[CLI_FORMAT_SHORT_MAX], inflight[CLI_FORMAT_SHORT_MAX];
        char lag[CLI_FORMAT_SHORT_MAX], labels[FLEET_LABELS_WIDTH];
        bool known = strcmp(state, "unknown") != 0;

        total++;
        live += strcmp(state, "live") == 0;
        snprintf(cpus, sizeof(cpus), "%lld", fleet_number(node, "cpus"));
        snprintf(running, sizeof(running), "%lld", fleet_number(node, "running_domains"));
        snprintf(inflight, sizeof(inflight), "%lld", fleet_number(node, "in_flight"));
        if (fleet_number(node, "lag") < 0)
            snprintf(lag, sizeof(lag), "?");
        else
            snprintf(lag, sizeof(lag), "%lld", fleet_number(node, "lag"));
        cli_format_duration(fleet_number(node, "silent_ms"), silent, sizeof(silent));
        cli_format_kib(fleet_number(node, "free_memory_kib"), mem, sizeof(mem));
        cli_format_labels(cJSON_GetObjectItemCaseSensitive(node, "labels"), labels,
                          sizeof(labels));
        if (known)
            printf(FLEET_FORMAT, json_path_string(node, "node"), state, silent, cpus, mem,
                   running, inflight, lag, labels);
        else
            printf(FLEET_FORMAT, json_path_string(node, "node"), state, "-", "-", "-", "-",
                   "-", "-", json_path_string(node, "error") ?: "-");
    }
    printf("%zu node(s), %zu live", total, live);
    if (v->unreadable)
        printf(", %zu unreadable heartbeat(s) ignored", v->unreadable);
    printf(".\n");
}

static int fleet_show(const struct fleet_args *a, struct fleet_view *v, bool redraw)
{
    _cleanup_(cJSON_Deletep) cJSON *nodes = fleet_snapshot(v);
    _cleanup_free_ char *text = NULL;

    if (!nodes)
        return log_error_errno(ENOMEM, "Out of memory.");
    if (a->json) {
        text = cJSON_PrintUnformatted(nodes);
        if (!text)
            return log_error_errno(ENOMEM, "Out of memory.");
        printf("%s\n", text);
    } else {
        if (redraw)
            printf("\033[H\033[J"); /* home and clear: the table replaces itself */
        fleet_print_text(nodes, v);
    }
    fflush(stdout);
    return 0;
}

static int fleet_run(const struct fleet_args *a, const struct config *cfg)
{
    _cleanup_(cli_history_freep) struct cli_history *h = NULL;
    _cleanup_(fleet_freep) struct fleet *fleet = NULL;
    _cleanup_(cJSON_Deletep) cJSON *extra = cJSON_CreateObject();
    _cleanup_free_ char *topic = NULL;
    struct sigaction sa = {.sa_handler = fleet_on_signal};
    struct fleet_view v = {0};
    bool tty = isatty(STDOUT_FILENO);
    char err[CLI_ERR_MAX] = "";
    long long grace_s = a->grace_s;
    int r;

    if (!kafka_conf_has_brokers(cfg)) {
        log_error("No Kafka brokers: use --brokers or the key kafka.bootstrap.servers.");
        return CLI_EXIT_USAGE;
    }
    if (grace_s == 0 && config_get_int(cfg, "fleet.grace-seconds", FLEET_GRACE_MS_DEFAULT / 1000,
                                       1, FLEET_GRACE_S_MAX, &grace_s, err, sizeof(err)) < 0) {
        log_error("Invalid configuration: %s", err);
        return CLI_EXIT_USAGE;
    }
    if (kafka_topic_name(kafka_topic_prefix(cfg), KAFKA_TOPIC_HEARTBEATS, &topic) < 0) {
        log_error("Invalid key topic.prefix.");
        return CLI_EXIT_USAGE;
    }
    if (!extra || fleet_new(grace_s * 1000, 0, &fleet) < 0) {
        log_error("Out of memory.");
        return CLI_EXIT_ERROR;
    }
    v = (struct fleet_view){.fleet = fleet, .extra = extra};

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    r = cli_history_open(cfg, topic, &h);
    if (r == -ENOENT)
        log_notice("Topic %s does not exist yet: no node has sent a heartbeat.", topic);
    else if (r < 0)
        return CLI_EXIT_ERROR;
    else
        r = cli_history_catch_up(h, fleet_on_record, &v, &fleet_stop);
    if (r < 0 && r != -ENOENT && r != -EINTR)
        return CLI_EXIT_ERROR;
    if (fleet_show(a, &v, a->watch && tty) < 0)
        return CLI_EXIT_ERROR;

    while (a->watch && h && !fleet_stop) {
        r = cli_history_follow(h, FLEET_WATCH_MS, fleet_on_record, &v, &fleet_stop);
        if (r < 0 && r != -EINTR)
            return CLI_EXIT_ERROR;
        if (!fleet_stop && fleet_show(a, &v, tty) < 0)
            return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

int cli_fleet(int argc, char **argv)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    struct fleet_args a = {0};
    int r;

    r = fleet_parse(argc, argv, &a);
    if (r != 0)
        return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (cli_config_build(&a.conf, &cfg) < 0)
        return CLI_EXIT_USAGE;
    return fleet_run(&a, cfg);
}
