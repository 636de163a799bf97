/* librdkafka configuration from vmrelay's configuration.
 *
 * Every key "kafka.<property>" is handed to librdkafka as "<property>", so
 * "kafka.bootstrap.servers", SASL, TLS and tuning properties work without
 * vmrelay knowing them. An unknown or invalid property is an error that
 * names the vmrelay key.
 *
 * vmrelay keys cannot contain '_', so the one librdkafka property that
 * does, "log_level", is out of reach; "debug" and vmrelay's own log level
 * cover it.
 *
 * librdkafka's log lines are forwarded to vmrelay's log at their own level
 * but never above warning (from librdkafka's threads; log_emit is thread
 * safe).
 *
 * May be called from any thread; cfg is only read. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "shared/kafka/cleanup.h"

struct config;

#define KAFKA_CONF_PREFIX "kafka."
#define KAFKA_CLIENT_ID_DEFAULT "vmrelay"

/* Creates a librdkafka configuration with client.id "vmrelay" (a
 * "kafka.client.id" key overrides it), the log forwarding above, and every
 * "kafka.*" key of cfg. On failure returns -EINVAL and writes
 * "kafka.<property>: <librdkafka's reason>" to err. Does not require
 * "kafka.bootstrap.servers": a caller that wants the embedded broker when
 * none is configured checks kafka_conf_has_brokers() first. */
int kafka_conf_from_config(const struct config *cfg, rd_kafka_conf_t **ret, char *err,
                           size_t errlen);

/* True when cfg names brokers ("kafka.bootstrap.servers" or its alias
 * "kafka.metadata.broker.list" is set and not empty). */
bool kafka_conf_has_brokers(const struct config *cfg);

/* Sets one property, with the error convention above (key is the
 * librdkafka name; the message says "kafka.<key>"). */
int kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err,
                   size_t errlen);
