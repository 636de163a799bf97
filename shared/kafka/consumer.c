#include "shared/kafka/consumer.h"

#include <errno.h>
#include <stdio.h>

#include "shared/core/config.h"
#include "shared/core/log.h"
#include "shared/kafka/conf.h"
#include "shared/kafka/error.h"

int kafka_consumer_new(const struct config *cfg, const char *group, rd_kafka_t **ret_rk,
                       char *err, size_t errlen)
{
    _cleanup_(rd_kafka_conf_destroyp) rd_kafka_conf_t *conf = NULL;
    char why[512] = "";
    rd_kafka_t *rk;
    int r;

    if (!group || !*group)
        return -EINVAL;
    r = kafka_conf_from_config(cfg, &conf, err, errlen);
    if (r < 0)
        return r;
    if (!config_get(cfg, KAFKA_CONF_PREFIX "auto.offset.reset", NULL)) {
        r = kafka_conf_set(conf, "auto.offset.reset", "earliest", err, errlen);
        if (r < 0)
            return r;
    }
    /* A consumer that subscribes to a topic nobody has written yet learns
     * of it only at a metadata refresh, by default five minutes later: a
     * status writer started before the first worker would sit idle that
     * long. Subscriptions are a few topics, so a refresh is cheap. */
    if (!config_get(cfg, KAFKA_CONF_PREFIX "topic.metadata.refresh.interval.ms", NULL)) {
        r = kafka_conf_set(conf, "topic.metadata.refresh.interval.ms",
                           KAFKA_CONSUMER_REFRESH_MS_DEFAULT, err, errlen);
        if (r < 0)
            return r;
    }
    r = kafka_conf_set(conf, "group.id", group, err, errlen);
    if (r < 0)
        return r;
    r = kafka_conf_set(conf, "enable.auto.commit", "false", err, errlen);
    if (r < 0)
        return r;

    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
    if (!rk) {
        if (err && errlen > 0)
            snprintf(err, errlen, "cannot create the Kafka consumer: %s", why);
        return -EINVAL;
    }
    conf = NULL; /* rd_kafka_new() took it */
    /* One queue for messages and events, served by kafka_consumer_poll(). */
    rd_kafka_poll_set_consumer(rk);
    *ret_rk = rk;
    return 0;
}

void kafka_consumer_free(rd_kafka_t *rk)
{
    rd_kafka_resp_err_t kerr;

    if (!rk)
        return;
    kerr = rd_kafka_consumer_close(rk);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
        log_debug("Kafka consumer closed uncleanly: %s", rd_kafka_err2str(kerr));
    rd_kafka_destroy(rk);
}

int kafka_consumer_subscribe(rd_kafka_t *rk, const char *const *topics, size_t n, char *err,
                             size_t errlen)
{
    _cleanup_(rd_kafka_topic_partition_list_destroyp) rd_kafka_topic_partition_list_t *list = NULL;

    if (n == 0 || n > KAFKA_CONSUMER_TOPICS_MAX)
        return -EINVAL;
    list = rd_kafka_topic_partition_list_new((int)n);
    if (!list)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, topics[i], RD_KAFKA_PARTITION_UA);
    return kafka_error(rd_kafka_subscribe(rk, list), "subscribe", err, errlen);
}

int kafka_consumer_poll(rd_kafka_t *rk, int timeout_ms, rd_kafka_message_t **ret_msg, char *err,
                        size_t errlen)
{
    _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
    char what[256];

    msg = rd_kafka_consumer_poll(rk, timeout_ms);
    if (msg && msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
        rd_kafka_message_destroy(TAKE_PTR(msg));
    if (msg && msg->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (msg->rkt)
            snprintf(what, sizeof(what), "consume %s [%d]", rd_kafka_topic_name(msg->rkt),
                     (int)msg->partition);
        else
            snprintf(what, sizeof(what), "consume");
        /* The message's payload holds the error's own text when it has one. */
        if (err && errlen > 0)
            snprintf(err, errlen, "%s: %s", what, rd_kafka_message_errstr(msg));
        return kafka_errno(msg->err);
    }
    *ret_msg = TAKE_PTR(msg);
    return 0;
}

int kafka_consumer_commit(rd_kafka_t *rk, const rd_kafka_message_t *msg, char *err,
                          size_t errlen)
{
    char what[256];

    if (!msg || !msg->rkt)
        return -EINVAL;
    snprintf(what, sizeof(what), "commit %s [%d] offset %lld", rd_kafka_topic_name(msg->rkt),
             (int)msg->partition, (long long)msg->offset + 1);
    return kafka_error(rd_kafka_commit_message(rk, msg, 0), what, err, errlen);
}
