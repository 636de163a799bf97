/* Names of vmrelay's Kafka topics: "<prefix>.<suffix>".
 *
 *   <prefix>.node.<node>   requests for one node
 *   <prefix>.results       outcomes
 *   <prefix>.events        what a node saw on its own
 *   <prefix>.heartbeats    liveness and capacity (compacted, key = node)
 *   <prefix>.dlq           messages that cannot be processed
 *
 * The prefix is the configuration key "topic.prefix" (default "vmrelay");
 * it is not under "kafka." because those keys all go to librdkafka.
 *
 * Every function here is pure and may be called from any thread. */
#pragma once

#include <stdbool.h>

struct config;

#define KAFKA_TOPIC_PREFIX_KEY "topic.prefix"
#define KAFKA_TOPIC_PREFIX_DEFAULT "vmrelay"
/* Kafka refuses longer topic names. */
#define KAFKA_TOPIC_NAME_MAX 249

#define KAFKA_TOPIC_RESULTS "results"
#define KAFKA_TOPIC_EVENTS "events"
#define KAFKA_TOPIC_HEARTBEATS "heartbeats"
#define KAFKA_TOPIC_DLQ "dlq"

/* True when name is a legal Kafka topic name: 1..KAFKA_TOPIC_NAME_MAX
 * characters of [A-Za-z0-9._-], and not "." or "..". */
bool kafka_topic_is_legal(const char *name);

/* The configured prefix, or the default. The pointer lives as long as cfg. */
const char *kafka_topic_prefix(const struct config *cfg);

/* Builds "<prefix>.<suffix>" into a new string. -EINVAL when either part is
 * empty or the result is not a legal Kafka topic name (only [A-Za-z0-9._-],
 * at most KAFKA_TOPIC_NAME_MAX characters); -ENOMEM. */
int kafka_topic_name(const char *prefix, const char *suffix, char **ret_name);

/* Builds "<prefix>.node.<node>", the request topic of one node. */
int kafka_topic_node(const char *prefix, const char *node, char **ret_name);
