/* vmrelay submit: validate one request with the catalogue, publish it to
 * its node's topic and optionally wait for its result. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "producer/cli/cli.h"
#include "producer/cli/results.h"
#include "shared/core/config.h"
#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/kafka/conf.h"
#include "shared/kafka/consumer.h"
#include "shared/kafka/producer.h"
#include "shared/kafka/topic.h"
#include "shared/msg/catalog.h"
#include "shared/msg/message.h"
#include "shared/msg/validate.h"

#define SUBMIT_SOURCE "vmrelay-cli"
#define SUBMIT_PRODUCE_TIMEOUT_MS 30000
#define SUBMIT_TIMEOUT_DEFAULT_S 120
#define SUBMIT_SECONDS_MAX (365L * 24 * 3600)
#define SUBMIT_PARAMS_MAX MESSAGE_MAX_BYTES

struct submit_args {
    struct cli_conf_args conf;
    const char *node, *kind, *name, *namespace, *operation, *params, *id;
    long deadline_s, timeout_s;
    bool wait, json;
};

static volatile int submit_stop;

static void submit_on_signal(int sig)
{
    submit_stop = 1;
}

static void submit_usage(FILE *f)
{
    fprintf(f,
            "Usage: " CLI_PROGRAM " submit --node N --kind K --name NAME --op OPERATION\n"
            "                      [OPTIONS]\n"
            "Validates one lifecycle request with the operation catalogue, publishes it to\n"
            "<prefix>.node.<N> and prints its id.\n\n"
            "  --node N            node whose worker runs it\n"
            "  --kind K            VirtualMachine, VirtualMachineDisk, ... (one of seven)\n"
            "  --name NAME         resource name = libvirt object name\n"
            "  --namespace NS      resource namespace (default \"default\")\n"
            "  --op OPERATION      operation, e.g. startVM (the key under spec.lifecycle)\n"
            "  --params JSON       parameter object of the operation (default {})\n"
            "  --id ID             request id (default cli-<32 random hex digits>)\n"
            "  --deadline S        refuse to run it later than S seconds from now\n"
            "  --wait              wait for the result; exit 0 success, 1 failure, 3 timeout\n"
            "  --timeout S         how long --wait waits (default %d)\n"
            "  --output text|json  json prints the result (or the id) as JSON\n"
            "  --brokers LIST      Kafka bootstrap servers (key kafka.bootstrap.servers)\n"
            "  --config FILE       configuration file (else $VMRELAY_CONFIG)\n"
            "  --set KEY=VALUE     set a configuration key; may repeat\n"
            "  --log-level LEVEL   debug, info, notice, warning (default) or error\n"
            "Keys validate.name-min and validate.name-max relax the name rule (8 to 32);\n"
            "paths.roots (comma-separated, default /var/lib/libvirt) bounds file paths.\n"
            "Exit codes: 0 published (or succeeded), 1 the request failed, 2 bad usage or\n"
            "a request the catalogue refuses, 3 timeout, 4 Kafka unreachable.\n",
            SUBMIT_TIMEOUT_DEFAULT_S);
}

static int submit_parse(int argc, char **argv, struct submit_args *a)
{
    enum {
        OPT_NODE = 256, OPT_KIND, OPT_NAME, OPT_NS, OPT_OP, OPT_PARAMS, OPT_ID, OPT_DEADLINE,
        OPT_WAIT, OPT_TIMEOUT, OPT_OUTPUT, OPT_BROKERS, OPT_CONFIG, OPT_SET, OPT_LOG, OPT_HELP,
    };
    static const struct option opts[] = {
        {"node", required_argument, NULL, OPT_NODE},
        {"kind", required_argument, NULL, OPT_KIND},
        {"name", required_argument, NULL, OPT_NAME},
        {"namespace", required_argument, NULL, OPT_NS},
        {"op", required_argument, NULL, OPT_OP},
        {"params", required_argument, NULL, OPT_PARAMS},
        {"id", required_argument, NULL, OPT_ID},
        {"deadline", required_argument, NULL, OPT_DEADLINE},
        {"wait", no_argument, NULL, OPT_WAIT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
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
        case OPT_NODE: a->node = optarg; break;
        case OPT_KIND: a->kind = optarg; break;
        case OPT_NAME: a->name = optarg; break;
        case OPT_NS: a->namespace = optarg; break;
        case OPT_OP: a->operation = optarg; break;
        case OPT_PARAMS: a->params = optarg; break;
        case OPT_ID: a->id = optarg; break;
        case OPT_WAIT: a->wait = true; break;
        case OPT_BROKERS: a->conf.brokers = optarg; break;
        case OPT_CONFIG: a->conf.config_file = optarg; break;
        case OPT_LOG: a->conf.log_level = optarg; break;
        case OPT_SET:
            if (cli_conf_args_add_set(&a->conf, optarg) < 0)
                return -E2BIG;
            break;
        case OPT_DEADLINE:
            if (cli_parse_seconds(optarg, 1, SUBMIT_SECONDS_MAX, &a->deadline_s) < 0)
                return log_error_errno(EINVAL, "--deadline must be a whole number of seconds "
                                       "from 1 to %ld, got '%s'.", SUBMIT_SECONDS_MAX, optarg);
            break;
        case OPT_TIMEOUT:
            if (cli_parse_seconds(optarg, 1, SUBMIT_SECONDS_MAX, &a->timeout_s) < 0)
                return log_error_errno(EINVAL, "--timeout must be a whole number of seconds "
                                       "from 1 to %ld, got '%s'.", SUBMIT_SECONDS_MAX, optarg);
            break;
        case OPT_OUTPUT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
                return log_error_errno(EINVAL, "--output must be text or json, got '%s'.",
                                       optarg);
            a->json = strcmp(optarg, "json") == 0;
            break;
        case OPT_HELP:
            submit_usage(stdout);
            return 1;
        default:
            submit_usage(stderr);
            return -EINVAL;
        }
    }
    if (optind < argc)
        return log_error_errno(EINVAL, "Unexpected argument '%s'.", argv[optind]);
    if (!a->node || !a->kind || !a->name || !a->operation)
        return log_error_errno(EINVAL, "Missing --%s: submit needs --node, --kind, --name and "
                               "--op.", !a->node ? "node" : !a->kind ? "kind" :
                               !a->name ? "name" : "op");
    return 0;
}

static bool submit_id_valid(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > MESSAGE_ID_MAX)
        return false;
    return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") == n;
}

/* The same keys as the bridge: validate.name-min/-max relax the name rule
 * (e.g. for the test driver's domain "test"), paths.roots lists the
 * directories paths must lie under (comma-separated). */
static int submit_validate_opts(const struct config *cfg, char *roots_buf, size_t roots_len,
                                const char **roots, struct validate_opts *opts)
{
    const char *list = config_get(cfg, "paths.roots", VALIDATE_DEFAULT_ROOT);
    char err[CLI_ERR_MAX] = "", *save = NULL;
    long long min, max;
    size_t n = 0;

    if (strlen(list) >= roots_len)
        return log_error_errno(EINVAL, "Key paths.roots is longer than %zu bytes.", roots_len);
    snprintf(roots_buf, roots_len, "%s", list);
    for (char *t = strtok_r(roots_buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (n >= VALIDATE_ROOTS_MAX)
            return log_error_errno(EINVAL, "Key paths.roots: more than %d roots.",
                                   VALIDATE_ROOTS_MAX);
        roots[n++] = t;
    }
    roots[n] = NULL;
    opts->allowed_roots = roots;

    if (config_get_int(cfg, "validate.name-min", VALIDATE_NAME_MIN, 1, MESSAGE_NAME_MAX, &min,
                       err, sizeof(err)) < 0 ||
        config_get_int(cfg, "validate.name-max", VALIDATE_NAME_MAX, min, MESSAGE_NAME_MAX, &max,
                       err, sizeof(err)) < 0)
        return log_error_errno(EINVAL, "Invalid configuration: %s", err);
    opts->name_min = (size_t)min;
    opts->name_max = (size_t)max;
    return 0;
}

/* Checks what the worker would refuse, so that the operator hears it now. */
static int submit_validate(const struct submit_args *a, const struct config *cfg,
                           cJSON **ret_params)
{
    struct validate_opts vopts = {0};
    const char *roots[VALIDATE_ROOTS_MAX + 1];
    char roots_buf[VALIDATE_ROOTS_MAX * VALIDATE_PATH_MAX];
    _cleanup_(cJSON_Deletep) cJSON *params = NULL;
    const struct catalog *cat = catalog_get();
    char err[CLI_ERR_MAX] = "";
    const char *text = a->params ? a->params : "{}";

    if (!cat)
        return log_error_errno(EIO, "The built-in operation catalogue cannot be read.");
    if (strlen(text) > SUBMIT_PARAMS_MAX)
        return log_error_errno(EMSGSIZE, "--params is longer than %d bytes.", SUBMIT_PARAMS_MAX);
    params = cJSON_Parse(text);
    if (!cJSON_IsObject(params))
        return log_error_errno(EINVAL, "--params must be a JSON object, e.g. "
                               "'{\"size\":\"1048576\"}'.");
    if (a->id && !submit_id_valid(a->id))
        return log_error_errno(EINVAL, "--id must be 1 to %d characters of A-Z, a-z, 0-9, "
                               "'.', '_', ':' and '-'.", MESSAGE_ID_MAX);
    if (submit_validate_opts(cfg, roots_buf, sizeof(roots_buf), roots, &vopts) < 0)
        return -EINVAL;
    if (!catalog_find_kind(cat, a->kind))
        return log_error_errno(EINVAL, "--kind: unknown kind '%s'.", a->kind);
    if (!catalog_find(cat, a->kind, a->operation))
        return log_error_errno(EINVAL, "--op: kind %s has no operation '%s'.", a->kind,
                               a->operation);
    if (validate_request(cat, a->kind, a->name, a->operation, params, &vopts, err,
                         sizeof(err)) < 0)
        return log_error_errno(EINVAL, "Invalid request: %s", err);
    *ret_params = TAKE_PTR(params);
    return 0;
}

static int submit_random_id(char *buf, size_t len)
{
    uint64_t rnd[2];

    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
        return -errno;
    snprintf(buf, len, "cli-%016" PRIx64 "%016" PRIx64, rnd[0], rnd[1]);
    return 0;
}

static int submit_publish(const struct config *cfg, const struct request *req)
{
    _cleanup_(kafka_producer_freep) struct kafka_producer *producer = NULL;
    _cleanup_free_ char *topic = NULL, *text = NULL, *key = NULL;
    char err[CLI_ERR_MAX] = "";
    int r;

    r = kafka_topic_node(kafka_topic_prefix(cfg), req->node, &topic);
    if (r < 0)
        return log_error_errno(r, "--node '%s' does not make a legal topic name.", req->node);
    text = request_encode(req);
    key = request_ordering_key(req);
    if (!text || !key)
        return log_error_errno(ENOMEM, "Cannot encode the request.");
    r = kafka_producer_new(cfg, &producer, err, sizeof(err));
    if (r < 0)
        return log_error_errno(r, "Cannot create the Kafka producer: %s", err);
    r = kafka_produce_sync(producer, topic, key, text, strlen(text), SUBMIT_PRODUCE_TIMEOUT_MS,
                           err, sizeof(err));
    if (r < 0)
        return log_error_errno(r, "Cannot publish request %s to %s: %s", req->id, topic, err);
    return 0;
}

static void submit_print_result(const struct submit_args *a, const struct result *res)
{
    _cleanup_free_ char *text = NULL;

    if (a->json) {
        text = result_encode(res);
        printf("%s\n", text ? text : "null");
        return;
    }
    printf("result: %s \u2014 %s", res->reason ? res->reason : "?",
           res->message ? res->message : "");
    if (res->error_code)
        printf(" (libvirt error %d, domain %d)", res->error_code, res->error_domain);
    printf("\n");
}

static int submit_run(const struct submit_args *a, struct config *cfg)
{
    _cleanup_(kafka_consumer_freep) rd_kafka_t *rk = NULL;
    _cleanup_(result_freep) struct result *res = NULL;
    _cleanup_(cJSON_Deletep) cJSON *params = NULL;
    struct sigaction sa = {.sa_handler = submit_on_signal};
    char id[MESSAGE_ID_MAX + 1];
    struct request req = {0};
    long long deadline;
    int r;

    if (submit_validate(a, cfg, &params) < 0)
        return CLI_EXIT_USAGE;
    if (!kafka_conf_has_brokers(cfg)) {
        log_error("No Kafka brokers: use --brokers or the key kafka.bootstrap.servers.");
        return CLI_EXIT_USAGE;
    }
    if (a->id)
        snprintf(id, sizeof(id), "%s", a->id);
    else if (submit_random_id(id, sizeof(id)) < 0) {
        log_error("Cannot read random bytes for the request id.");
        return CLI_EXIT_ERROR;
    }

    req = (struct request){
        .id = id, .kind = (char *)a->kind, .operation = (char *)a->operation,
        .namespace = (char *)(a->namespace ? a->namespace : "default"),
        .name = (char *)a->name, .node = (char *)a->node, .params = params,
        .source = SUBMIT_SOURCE, .created_ms = cli_now_ms(), .has_resource = false,
    };
    if (a->deadline_s > 0)
        req.deadline_ms = req.created_ms + a->deadline_s * 1000LL;

    /* Listen before publishing: a fast worker may answer at once. */
    if (a->wait && cli_results_open(cfg, &rk) < 0)
        return CLI_EXIT_ERROR;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (submit_publish(cfg, &req) < 0)
        return CLI_EXIT_ERROR;
    if (!a->wait) {
        if (a->json)
            printf("{\"id\":\"%s\"}\n", id);
        else
            printf("%s\n", id);
        return CLI_EXIT_OK;
    }
    /* Progress goes to stderr with --output json so that stdout stays JSON. */
    fprintf(a->json ? stderr : stdout, "published %s\nwaiting for node %s\n", id, a->node);
    fflush(stdout);
    deadline = cli_mono_ms() + (a->timeout_s > 0 ? a->timeout_s : SUBMIT_TIMEOUT_DEFAULT_S) *
                               1000LL;
    r = cli_results_wait(rk, id, deadline, &submit_stop, &res);
    if (r == -EINTR) {
        fprintf(stderr, "Interrupted; request %s stays queued for node %s.\n", id, a->node);
        return 128 + SIGINT;
    }
    if (r < 0) {
        fprintf(stderr, "No result for %s from node %s within %ld s.\n", id, a->node,
                a->timeout_s > 0 ? a->timeout_s : SUBMIT_TIMEOUT_DEFAULT_S);
        return CLI_EXIT_TIMEOUT;
    }
    submit_print_result(a, res);
    return res->success ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

int cli_submit(int argc, char **argv)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    struct submit_args a = {0};
    int r;

    r = submit_parse(argc, argv, &a);
    if (r != 0)
        return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (cli_config_build(&a.conf, &cfg) < 0)
        return CLI_EXIT_USAGE;
    return submit_run(&a, cfg);
}
