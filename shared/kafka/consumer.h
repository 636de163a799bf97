/* A group consumer that commits by hand.
 *
 * kafka_consumer_new() forces enable.auto.commit=false: vmrelay commits an
 * offset only after the outcome it owes is durably written, with
 * kafka_consumer_commit(). A group with no committed offset starts at the
 * earliest message unless "kafka.auto.offset.reset" says otherwise, so
 * requests queued before the first start are not skipped. Topic metadata
 * is refreshed every 10 s, so a subscribed topic created later is found.
 *
 * Threads: a consumer belongs to one thread at a time; every function on
 * it is called from that thread. Different consumers are independent. */
#pragma once

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "shared/core/macro.h"
#include "shared/kafka/cleanup.h"

struct config;

/* Topics one consumer may subscribe to at once. */
#define KAFKA_CONSUMER_TOPICS_MAX 64
/* How often a consumer looks for topics it subscribed to that did not
 * exist yet, unless "kafka.topic.metadata.refresh.interval.ms" says. */
#define KAFKA_CONSUMER_REFRESH_MS_DEFAULT "10000"
/* How long kafka_consumer_free() lets the group hear that we leave. */
#define KAFKA_CONSUMER_CLOSE_MS 10000

/* Creates a consumer in group (overrides "kafka.group.id"). Errors as for
 * kafka_conf_from_config(). */
int kafka_consumer_new(const struct config *cfg, const char *group, rd_kafka_t **ret_rk,
                       char *err, size_t errlen);

/* Leaves the group (revoking partitions cleanly) and destroys the handle.
 * Accepts NULL. */
void kafka_consumer_free(rd_kafka_t *rk);
DEFINE_TRIVIAL_CLEANUP_FUNC(rd_kafka_t *, kafka_consumer_free);

/* Subscribes to n topics (replacing an earlier subscription). */
int kafka_consumer_subscribe(rd_kafka_t *rk, const char *const *topics, size_t n, char *err,
                             size_t errlen);

/* Waits up to timeout_ms for the next message. Returns 0 with *ret_msg set
 * (the caller destroys it), 0 with *ret_msg NULL when nothing came, or
 * -errno with the reason in err for a consumer error (usually transient:
 * the caller logs and polls again). */
int kafka_consumer_poll(rd_kafka_t *rk, int timeout_ms, rd_kafka_message_t **ret_msg, char *err,
                        size_t errlen);

/* Commits msg's offset + 1 for its partition and waits for the group
 * coordinator to confirm. */
int kafka_consumer_commit(rd_kafka_t *rk, const rd_kafka_message_t *msg, char *err,
                          size_t errlen);
