/* An embedded Kafka broker: librdkafka's mock cluster on loopback.
 *
 * For a demo on one machine and for fast tests, never for production: it
 * keeps messages in memory only, drops the oldest of a partition past a
 * bound (about 14,000 messages of 50,000 were kept), and speaks enough of
 * the protocol for producers (idempotent too), group consumers and offset
 * commits, but not the admin API (topics are created here or on first
 * use).
 *
 * Consumer groups: when the last member of a group leaves, the next one to
 * join waits session.timeout.ms less one second for its partitions (the
 * mock coordinator's rebalance timer), so clients of it should use a short
 * "kafka.session.timeout.ms" such as 6000.
 *
 * Each broker listens on 127.0.0.1 at a port the kernel picks: librdkafka
 * (2.0.2 and later) has no way to choose it, so clients learn the address
 * from kafka_embedded_bootstrap(), usually through a file.
 *
 * Threads: the cluster runs on librdkafka's own thread. new and free are
 * called by the owner; the other functions from any thread. */
#pragma once

#include <stddef.h>

#include "shared/core/macro.h"

struct kafka_embedded;

#define KAFKA_EMBEDDED_BROKERS_MAX 16
#define KAFKA_EMBEDDED_PARTITIONS_MAX 1024
/* Replicas of a topic: as many as brokers, up to this. */
#define KAFKA_EMBEDDED_REPLICAS_MAX 3

/* Starts a cluster of brokers (1..KAFKA_EMBEDDED_BROKERS_MAX) brokers.
 * -EINVAL for a bad count, -EIO with the reason in err when the cluster
 * cannot start. */
int kafka_embedded_new(int brokers, struct kafka_embedded **ret_emb, char *err, size_t errlen);

/* Stops the cluster; clients connected to it see their brokers go down.
 * Accepts NULL. */
void kafka_embedded_free(struct kafka_embedded *emb);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kafka_embedded *, kafka_embedded_free);

/* "127.0.0.1:PORT[,127.0.0.1:PORT...]": the bootstrap.servers of clients.
 * Lives as long as emb. */
const char *kafka_embedded_bootstrap(const struct kafka_embedded *emb);

/* Creates topic with partitions partitions
 * (1..KAFKA_EMBEDDED_PARTITIONS_MAX). -EINVAL with the reason in err for
 * an illegal name. Creating an existing topic again succeeds and changes
 * nothing. */
int kafka_embedded_topic_create(struct kafka_embedded *emb, const char *topic, int partitions,
                                char *err, size_t errlen);
