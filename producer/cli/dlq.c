/* vmrelay dlq: list the records of <prefix>.dlq, and replay one: publish
 * its original payload again on its origin topic (or another), with its
 * original key, once the payload parses as the message type of that
 * topic. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/cli/cli.h"
#include "producer/cli/format.h"
#include "producer/cli/history.h"
#include "producer/cli/replay.h"
#include "shared/core/config.h"
#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/kafka/conf.h"
#include "shared/kafka/consumer.h"
#include "shared/kafka/dlq.h"
#include "shared/kafka/producer.h"
#include "shared/kafka/topic.h"
#include "shared/msg/field.h"

#define DLQ_LIMIT_DEFAULT 50
#define DLQ_LIMIT_MAX 10000
#define DLQ_EXCERPT_MAX 100
#define DLQ_PRODUCE_TIMEOUT_MS 30000

struct dlq_args {
    struct cli_conf_args conf;
    const char *position, *to_topic;
    long limit;
    bool json, force;
};

/* The last `limit` records read, oldest first. */
struct dlq_list {
    cJSON *items;
    long limit;
    size_t total;
};

static volatile int dlq_stop;

static void dlq_on_signal(int sig)
{
    dlq_stop = 1;
}

static void dlq_usage(FILE *f)
{
    fprintf(f,
            "Usage: " CLI_PROGRAM " dlq list [--limit N] [OPTIONS]\n"
            "       " CLI_PROGRAM " dlq replay --offset P:O [--to-topic T] [--force] "
            "[OPTIONS]\n"
            "list reads <prefix>.dlq from its beginning and shows the last N records (default\n"
            "%d): their position P:O in the DLQ, when they were refused, the topic, partition\n"
            "and offset they came from, the node, the reason and the start of the payload.\n"
            "replay publishes the original payload of the record at P:O again, with its\n"
            "original key, to the topic it came from (or --to-topic T), after checking that\n"
            "it parses as that topic's message (a request on <prefix>.node.*, a result on\n"
            "<prefix>.results, an event on <prefix>.events).\n\n"
            "  --limit N           list: how many of the latest records to show (1 to %d)\n"
            "  --offset P:O        replay: partition and offset of the record in the DLQ\n"
            "  --to-topic T        replay: publish there instead of the origin topic\n"
            "  --force             replay: publish even if the payload does not parse\n"
            "  --output text|json  json prints the records (list) or what was done (replay)\n"
            "  --brokers LIST      Kafka bootstrap servers (key kafka.bootstrap.servers)\n"
            "  --config FILE       configuration file (else $VMRELAY_CONFIG)\n"
            "  --set KEY=VALUE     set a configuration key; may repeat\n"
            "  --log-level LEVEL   debug, info, notice, warning (default) or error\n"
            "Exit codes: 0 done, 1 replay refused (the payload does not parse), 2 bad usage\n"
            "or no such record, 4 Kafka unreachable.\n",
            DLQ_LIMIT_DEFAULT, DLQ_LIMIT_MAX);
}

static int dlq_parse(int argc, char **argv, bool replay, struct dlq_args *a)
{
    enum { OPT_LIMIT = 256, OPT_OFFSET, OPT_TO_TOPIC, OPT_FORCE, OPT_OUTPUT, OPT_BROKERS,
           OPT_CONFIG, OPT_SET, OPT_LOG, OPT_HELP };
    static const struct option opts[] = {
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"offset", required_argument, NULL, OPT_OFFSET},
        {"to-topic", required_argument, NULL, OPT_TO_TOPIC},
        {"force", no_argument, NULL, OPT_FORCE},
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
        case OPT_OFFSET: a->position = optarg; break;
        case OPT_TO_TOPIC: a->to_topic = optarg; break;
        case OPT_FORCE: a->force = true; break;
        case OPT_BROKERS: a->conf.brokers = optarg; break;
        case OPT_CONFIG: a->conf.config_file = optarg; break;
        case OPT_LOG: a->conf.log_level = optarg; break;
        case OPT_SET:
            if (cli_conf_args_add_set(&a->conf, optarg) < 0)
                return -E2BIG;
            break;
        case OPT_LIMIT:
            if (cli_parse_seconds(optarg, 1, DLQ_LIMIT_MAX, &a->limit) < 0)
                return log_error_errno(EINVAL, "--limit must be a whole number from 1 to %d, "
                                       "got '%s'.", DLQ_LIMIT_MAX, optarg);
            break;
        case OPT_OUTPUT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
                return log_error_errno(EINVAL, "--output must be text or json, got '%s'.",
                                       optarg);
            a->json = strcmp(optarg, "json") == 0;
            break;
        case OPT_HELP:
            dlq_usage(stdout);
            return 1;
        default:
            dlq_usage(stderr);
            return -EINVAL;
        }
    }
    if (optind < argc)
        return log_error_errno(EINVAL, "Unexpected argument '%s'.", argv[optind]);
    if (replay && !a->position)
        return log_error_errno(EINVAL, "Missing --offset: replay needs the DLQ position P:O "
                               "of the record (see '" CLI_PROGRAM " dlq list').");
    if (!replay && (a->position || a->to_topic || a->force))
        return log_error_errno(EINVAL, "--offset, --to-topic and --force belong to replay.");
    if (replay && a->limit)
        return log_error_errno(EINVAL, "--limit belongs to list.");
    return 0;
}

/* The record as JSON with its DLQ position added; a record that is not one
 * is kept as its position and the reason. */
static cJSON *dlq_list_item(const rd_kafka_message_t *msg)
{
    _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;
    _cleanup_(cJSON_Deletep) cJSON *item = NULL;
    char err[CLI_ERR_MAX] = "";
    int r;

    r = dlq_record_parse(msg->payload ?: "", msg->len, &rec, err, sizeof(err));
    item = r < 0 ? cJSON_CreateObject() : cJSON_ParseWithLength(msg->payload, msg->len);
    if (!item ||
        !cJSON_AddNumberToObject(item, "dlq_partition", msg->partition) ||
        !cJSON_AddNumberToObject(item, "dlq_offset", (double)msg->offset) ||
        (r < 0 && !cJSON_AddStringToObject(item, "unreadable", err)))
        return NULL;
    return TAKE_PTR(item);
}

static int dlq_on_record(const rd_kafka_message_t *msg, void *userdata)
{
    struct dlq_list *l = userdata;
    cJSON *item = dlq_list_item(msg);

    if (!item || !cJSON_AddItemToArray(l->items, item)) {
        cJSON_Delete(item);
        return log_error_errno(ENOMEM, "Out of memory.");
    }
    l->total++;
    if (cJSON_GetArraySize(l->items) > l->limit)
        cJSON_DeleteItemFromArray(l->items, 0);
    return 0;
}

static void dlq_print_item(const cJSON *item)
{
    _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;
    _cleanup_free_ char *text = cJSON_PrintUnformatted(item);
    char when[FIELD_TIME_LEN] = "-", excerpt[DLQ_EXCERPT_MAX + 4], err[CLI_ERR_MAX] = "";
    long long part = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(item, "dlq_partition"));
    long long off = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(item, "dlq_offset"));

    if (!text || dlq_record_parse(text, strlen(text), &rec, err, sizeof(err)) < 0) {
        printf("%lld:%lld  (not a DLQ record: %s)\n", part, off,
               json_path_string(item, "unreadable") ?: err);
        return;
    }
    if (rec->received_ms > 0)
        field_time_format(rec->received_ms, when);
    printf("%lld:%lld  %s  from %s [%d] at %lld  node %s  by %s\n", part, off, when, rec->topic,
           (int)rec->partition, (long long)rec->offset, rec->node[0] ? rec->node : "-",
           rec->source[0] ? rec->source : "-");
    printf("    error:   %s\n", rec->error[0] ? rec->error : "-");
    if (rec->payload_is_text)
        cli_format_excerpt(rec->payload, rec->payload_len, DLQ_EXCERPT_MAX, excerpt,
                           sizeof(excerpt));
    else
        snprintf(excerpt, sizeof(excerpt), "(%zu bytes, not text)", rec->payload_len);
    printf("    payload: %s\n", excerpt);
}

static int dlq_list_run(const struct dlq_args *a, const struct config *cfg, const char *topic)
{
    _cleanup_(cJSON_Deletep) cJSON *items = cJSON_CreateArray();
    _cleanup_free_ char *text = NULL;
    struct dlq_list l = {.items = items, .limit = a->limit ?: DLQ_LIMIT_DEFAULT};
    const cJSON *item;
    int r;

    if (!items)
        return log_error_errno(ENOMEM, "Out of memory.");
    r = cli_history_read(cfg, topic, dlq_on_record, &l, &dlq_stop);
    if (r == -ENOENT)
        log_notice("Topic %s does not exist yet: nothing was dead-lettered.", topic);
    else if (r < 0 && r != -EINTR)
        return r;
    if (a->json) {
        text = cJSON_PrintUnformatted(items);
        if (!text)
            return log_error_errno(ENOMEM, "Out of memory.");
        printf("%s\n", text);
        return 0;
    }
    cJSON_ArrayForEach(item, items)
        dlq_print_item(item);
    printf("%zu record(s) in %s", l.total, topic);
    if ((size_t)cJSON_GetArraySize(items) < l.total)
        printf(", the last %d shown (--limit)", cJSON_GetArraySize(items));
    printf(".\n");
    return 0;
}

/* The key to publish with: the one the record holds, else the key of the
 * DLQ message itself (workers write the original key there). NULL for
 * none. */
static int dlq_replay_key(const struct dlq_record *rec, const rd_kafka_message_t *msg,
                          char **ret_key)
{
    char *key = NULL;

    if (rec->has_key)
        key = strndup(rec->key, rec->key_len);
    else if (msg->key && msg->key_len > 0)
        key = strndup(msg->key, msg->key_len);
    else {
        *ret_key = NULL;
        return 0;
    }
    if (!key)
        return -ENOMEM;
    *ret_key = key;
    return 0;
}

static void dlq_print_replay(const struct dlq_args *a, const struct dlq_record *rec,
                             const char *target, const char *key, enum cli_topic_kind kind,
                             bool checked)
{
    _cleanup_(cJSON_Deletep) cJSON *o = NULL;
    _cleanup_free_ char *text = NULL;

    if (!a->json) {
        printf("Replayed DLQ record %s (from %s [%d] at %lld) to %s with %s%s%s; the payload "
               "%s%s.\n", a->position, rec->topic, (int)rec->partition, (long long)rec->offset,
               target, key ? "key '" : "no key", key ?: "", key ? "'" : "",
               checked ? "parsed as a " : "was not checked (--force)",
               checked ? cli_topic_kind_to_string(kind) : "");
        return;
    }
    o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "replayed", a->position) ||
        !cJSON_AddStringToObject(o, "topic", target) ||
        (key ? !cJSON_AddStringToObject(o, "key", key) : !cJSON_AddNullToObject(o, "key")) ||
        !cJSON_AddStringToObject(o, "type", cli_topic_kind_to_string(kind)) ||
        !cJSON_AddBoolToObject(o, "checked", checked) ||
        !(text = cJSON_PrintUnformatted(o)))
        return;
    printf("%s\n", text);
}

static int dlq_replay_run(const struct dlq_args *a, const struct config *cfg, const char *topic)
{
    /* Declared before msg so that it is freed after it (see cli_history_fetch). */
    _cleanup_(kafka_consumer_freep) rd_kafka_t *reader = NULL;
    _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
    _cleanup_(kafka_producer_freep) struct kafka_producer *producer = NULL;
    _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;
    _cleanup_free_ char *key = NULL;
    char err[CLI_ERR_MAX] = "";
    enum cli_topic_kind kind;
    const char *target;
    int32_t partition;
    int64_t offset;
    int r;

    if (cli_parse_position(a->position, &partition, &offset) < 0) {
        log_error("--offset must be PARTITION:OFFSET, e.g. 0:42, got '%s'.", a->position);
        return CLI_EXIT_USAGE;
    }
    r = cli_history_fetch(cfg, topic, partition, offset, &reader, &msg);
    if (r < 0)
        return r == -ENOENT ? CLI_EXIT_USAGE : CLI_EXIT_ERROR;
    if (!msg->payload ||
        dlq_record_parse(msg->payload, msg->len, &rec, err, sizeof(err)) < 0) {
        log_error("The record at %s of %s is not a DLQ record: %s", a->position, topic,
                  msg->payload ? err : "it is empty.");
        return CLI_EXIT_USAGE;
    }
    target = a->to_topic ?: rec->topic;
    if (!kafka_topic_is_legal(target)) {
        log_error("'%s' is not a legal topic name.", target);
        return CLI_EXIT_USAGE;
    }

    kind = cli_topic_kind(kafka_topic_prefix(cfg), target);
    if (!a->force) {
        r = cli_payload_check(kind, rec->payload, rec->payload_len, err, sizeof(err));
        if (r < 0) {
            log_error("Not replayed: the payload of DLQ record %s is not a valid %s for %s: "
                      "%s. Use --force to publish it anyway.", a->position,
                      kind == CLI_TOPIC_OTHER ? "message" : cli_topic_kind_to_string(kind),
                      target, err);
            return CLI_EXIT_FAILED;
        }
    }
    if (dlq_replay_key(rec, msg, &key) < 0) {
        log_error("Out of memory.");
        return CLI_EXIT_ERROR;
    }
    if (key && strlen(key) != (rec->has_key ? rec->key_len : msg->key_len))
        log_warning("The original key holds a NUL byte; it is cut there.");

    r = kafka_producer_new(cfg, &producer, err, sizeof(err));
    if (r < 0) {
        log_error("Cannot create the Kafka producer: %s", err);
        return CLI_EXIT_ERROR;
    }
    r = kafka_produce_sync(producer, target, key, rec->payload, rec->payload_len,
                           DLQ_PRODUCE_TIMEOUT_MS, err, sizeof(err));
    if (r < 0) {
        log_error("Cannot publish to %s: %s", target, err);
        return CLI_EXIT_ERROR;
    }
    dlq_print_replay(a, rec, target, key, kind, !a->force);
    return CLI_EXIT_OK;
}

int cli_dlq(int argc, char **argv)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    _cleanup_free_ char *topic = NULL;
    struct sigaction sa = {.sa_handler = dlq_on_signal};
    struct dlq_args a = {0};
    bool replay;
    int r;

    if (argc < 2 || (strcmp(argv[1], "list") != 0 && strcmp(argv[1], "replay") != 0)) {
        if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
            dlq_usage(stdout);
            return CLI_EXIT_OK;
        }
        dlq_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    replay = strcmp(argv[1], "replay") == 0;
    r = dlq_parse(argc - 1, argv + 1, replay, &a);
    if (r != 0)
        return r > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (cli_config_build(&a.conf, &cfg) < 0)
        return CLI_EXIT_USAGE;
    if (!kafka_conf_has_brokers(cfg)) {
        log_error("No Kafka brokers: use --brokers or the key kafka.bootstrap.servers.");
        return CLI_EXIT_USAGE;
    }
    if (kafka_topic_name(kafka_topic_prefix(cfg), KAFKA_TOPIC_DLQ, &topic) < 0) {
        log_error("Invalid key topic.prefix.");
        return CLI_EXIT_USAGE;
    }
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (replay)
        return dlq_replay_run(&a, cfg, topic);
    return dlq_list_run(&a, cfg, topic) < 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}
