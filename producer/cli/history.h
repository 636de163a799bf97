/* Reading a topic's history: every record from the beginning up to the end
 * offsets seen when reading starts, or the one record at a partition and
 * offset. For `vmrelay fleet` and `vmrelay dlq`.
 *
 * The reader is a consumer in a group of its own that assigns partitions
 * itself (no group join) and never commits, so it moves no other reader's
 * offsets. Records written after the start are not awaited. Main thread
 * only. */
#pragma once

#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "shared/core/macro.h"

struct config;

#define CLI_HISTORY_METADATA_MS 10000
#define CLI_HISTORY_POLL_MS 200
/* Give up when the brokers deliver nothing new for this long. */
#define CLI_HISTORY_IDLE_MS 15000
#define CLI_HISTORY_PARTITIONS_MAX 1024

/* Called for each record in partition order; a negative return stops the
 * reading and is returned. */
typedef int (*cli_history_fn)(const rd_kafka_message_t *msg, void *userdata);

/* A consumer in a random group of its own. Logs the reason on failure. */
int cli_reader_new(const struct config *cfg, rd_kafka_t **ret_rk);

/* The number of partitions of topic: -ENOENT when it does not exist (not
 * logged), else the reason is logged. */
int cli_topic_partitions(rd_kafka_t *rk, const char *topic, int *ret_n);

/* A reader of one whole topic, assigned to every partition at its
 * beginning. */
struct cli_history;

/* -ENOENT (not logged) when the topic does not exist; other failures are
 * logged. */
int cli_history_open(const struct config *cfg, const char *topic, struct cli_history **ret_h);
void cli_history_free(struct cli_history *h);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct cli_history *, cli_history_free);

/* Reads up to the end offsets the brokers report now, calling fn for each
 * record. *stop (may be NULL) ends it early with -EINTR. */
int cli_history_catch_up(struct cli_history *h, cli_history_fn fn, void *userdata,
                         volatile int *stop);

/* Calls fn for whatever arrives during the next ms milliseconds. */
int cli_history_follow(struct cli_history *h, long long ms, cli_history_fn fn, void *userdata,
                       volatile int *stop);

/* Open, catch up, free: the whole topic as it is now. */
int cli_history_read(const struct config *cfg, const char *topic, cli_history_fn fn,
                     void *userdata, volatile int *stop);

/* Reads the record at partition:offset. -ENOENT (logged) when the topic,
 * the partition or the offset does not exist (any more). The reader comes
 * back in *ret_rk: librdkafka's destroy waits for every message of the
 * handle, so *ret_msg must be destroyed before *ret_rk is freed. */
int cli_history_fetch(const struct config *cfg, const char *topic, int32_t partition,
                      int64_t offset, rd_kafka_t **ret_rk, rd_kafka_message_t **ret_msg);
