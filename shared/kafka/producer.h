/* An idempotent producer with a synchronous send.
 *
 * kafka_producer_new() forces enable.idempotence=true and acks=all on top
 * of the "kafka.*" configuration: a consumer commits its offset only after
 * the outcome it owes was produced durably, and that needs both.
 *
 * Threads: the producer owns one thread of its own that serves delivery
 * reports, so kafka_produce_sync() may be called from any number of
 * threads at once and nobody has to call rd_kafka_poll(). new and free are
 * called by the owner, once, with no send in progress. */
#pragma once

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "shared/core/macro.h"

struct config;
struct kafka_producer;

/* linger.ms unless "kafka.linger.ms" says otherwise (docs/configuration.md). */
#define KAFKA_PRODUCER_LINGER_MS_DEFAULT "0"
/* How long kafka_producer_free() waits for queued messages to leave. */
#define KAFKA_PRODUCER_FLUSH_MS 10000

/* Creates the producer. -EINVAL with "kafka.<property>: ..." in err for a
 * bad property, -ENOMEM, or librdkafka's reason for a failed start. */
int kafka_producer_new(const struct config *cfg, struct kafka_producer **ret_producer, char *err,
                       size_t errlen);

/* Flushes for at most KAFKA_PRODUCER_FLUSH_MS, stops the delivery thread
 * and destroys the handle. Accepts NULL. */
void kafka_producer_free(struct kafka_producer *producer);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kafka_producer *, kafka_producer_free);

/* The librdkafka handle, for calls this module does not wrap (metadata,
 * admin). Do not poll it and do not destroy it. */
rd_kafka_t *kafka_producer_handle(struct kafka_producer *producer);

/* Sends one message and waits for its delivery report: returns 0 only when
 * the broker acknowledged it (acks=all), else -errno with the reason in
 * err. key may be NULL (then the message has no key). A topic that does not
 * exist is created when the broker allows it. On -ETIMEDOUT (timeout_ms
 * passed first) the outcome is unknown and the message may still be
 * written: callers resend, and consumers de-duplicate by request id. */
int kafka_produce_sync(struct kafka_producer *producer, const char *topic, const char *key,
                       const void *value, size_t len, int timeout_ms, char *err, size_t errlen);

/* Queues one message and returns at once: for messages nobody waits for,
 * like heartbeats, whose loss the next one repairs. 0 when queued, else
 * -errno (a full queue is -ENOBUFS) with the reason in err. A failed
 * delivery is logged by the delivery thread. */
int kafka_produce_async(struct kafka_producer *producer, const char *topic, const char *key,
                        const void *value, size_t len, char *err, size_t errlen);
