#include "shared/kafka/embedded.h"

#include <errno.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "shared/kafka/cleanup.h"
#include "shared/kafka/conf.h"
#include "shared/kafka/error.h"
#include "shared/kafka/topic.h"

struct kafka_embedded {
    /* The mock cluster needs a client handle for its bookkeeping; this one
     * never connects anywhere. */
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mcluster;
    int brokers;
};

int kafka_embedded_new(int brokers, struct kafka_embedded **ret_emb, char *err, size_t errlen)
{
    _cleanup_(kafka_embedded_freep) struct kafka_embedded *emb = NULL;
    _cleanup_(rd_kafka_conf_destroyp) rd_kafka_conf_t *conf = NULL;
    char why[512] = "";
    int r;

    if (brokers < 1 || brokers > KAFKA_EMBEDDED_BROKERS_MAX)
        return -EINVAL;
    emb = calloc(1, sizeof(*emb));
    if (!emb)
        return -ENOMEM;
    emb->brokers = brokers;

    conf = rd_kafka_conf_new();
    if (!conf)
        return -ENOMEM;
    /* The host handle has no brokers on purpose; its notice saying so is
     * noise. Warnings of the mock brokers still come through. */
    r = kafka_conf_set(conf, "log_level", "4", err, errlen);
    if (r < 0)
        return r;
    r = kafka_conf_set(conf, "client.id", "vmrelay-embedded-kafka", err, errlen);
    if (r < 0)
        return r;
    emb->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!emb->rk) {
        if (err && errlen > 0)
            snprintf(err, errlen, "cannot create the embedded broker's host handle: %s", why);
        return -EIO;
    }
    conf = NULL; /* rd_kafka_new() took it */

    emb->mcluster = rd_kafka_mock_cluster_new(emb->rk, brokers);
    if (!emb->mcluster) {
        if (err && errlen > 0)
            snprintf(err, errlen, "cannot start %d embedded brokers on 127.0.0.1", brokers);
        return -EIO;
    }
    *ret_emb = TAKE_PTR(emb);
    return 0;
}

void kafka_embedded_free(struct kafka_embedded *emb)
{
    if (!emb)
        return;
    /* The cluster before the handle it was created on. */
    if (emb->mcluster)
        rd_kafka_mock_cluster_destroy(emb->mcluster);
    if (emb->rk)
        rd_kafka_destroy(emb->rk);
    free(emb);
}

const char *kafka_embedded_bootstrap(const struct kafka_embedded *emb)
{
    return rd_kafka_mock_cluster_bootstraps(emb->mcluster);
}

int kafka_embedded_topic_create(struct kafka_embedded *emb, const char *topic, int partitions,
                                char *err, size_t errlen)
{
    int replicas = emb->brokers < KAFKA_EMBEDDED_REPLICAS_MAX ? emb->brokers
                                                               : KAFKA_EMBEDDED_REPLICAS_MAX;

    if (!kafka_topic_is_legal(topic)) {
        if (err && errlen > 0)
            snprintf(err, errlen, "'%s' is not a legal Kafka topic name", topic ? topic : "");
        return -EINVAL;
    }
    if (partitions < 1 || partitions > KAFKA_EMBEDDED_PARTITIONS_MAX)
        return -EINVAL;
    return kafka_error(rd_kafka_mock_topic_create(emb->mcluster, topic, partitions, replicas),
                       topic, err, errlen);
}
