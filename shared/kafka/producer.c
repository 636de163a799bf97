#include "shared/kafka/producer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "shared/core/config.h"
#include "shared/core/log.h"
#include "shared/kafka/conf.h"
#include "shared/kafka/error.h"

/* The delivery thread wakes at least this often to notice a stop. */
#define KAFKA_PRODUCER_POLL_MS 100

struct kafka_producer {
    rd_kafka_t *rk;
    pthread_t poller;
    bool poller_started;
    atomic_bool stop;
};

/* One message waiting for its delivery report. Shared by the sender and the
 * delivery thread; whichever drops the last reference frees it, so a sender
 * that timed out may leave before the report comes. */
struct kafka_delivery {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int refs;
    bool done;
    rd_kafka_resp_err_t kerr;
};

static void kafka_delivery_unref(struct kafka_delivery *d)
{
    bool last;

    pthread_mutex_lock(&d->lock);
    last = --d->refs == 0;
    pthread_mutex_unlock(&d->lock);
    if (last) {
        pthread_cond_destroy(&d->cond);
        pthread_mutex_destroy(&d->lock);
        free(d);
    }
}

/* Runs on the delivery thread, inside rd_kafka_poll(). */
static void kafka_producer_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct kafka_delivery *d = msg->_private;

    if (!d) {
        /* Sent with kafka_produce_async(): nobody waits, so say it here. */
        if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR)
            log_warning("A message to %s was not delivered: %s", rd_kafka_topic_name(msg->rkt),
                        rd_kafka_err2str(msg->err));
        return;
    }
    pthread_mutex_lock(&d->lock);
    d->done = true;
    d->kerr = msg->err;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    kafka_delivery_unref(d);
}

/* Runs on the delivery thread. Without it librdkafka would only log. */
static void kafka_producer_error_cb(rd_kafka_t *rk, int kerr, const char *reason, void *opaque)
{
    if (kerr == RD_KAFKA_RESP_ERR__FATAL) {
        char why[512] = "";

        rd_kafka_fatal_error(rk, why, sizeof(why));
        log_error("Kafka producer failed for good: %s", why);
        return;
    }
    log_debug("Kafka producer error: %s", reason);
}

static void *kafka_producer_poller(void *userdata)
{
    struct kafka_producer *producer = userdata;

    while (!atomic_load(&producer->stop))
        rd_kafka_poll(producer->rk, KAFKA_PRODUCER_POLL_MS);
    return NULL;
}

int kafka_producer_new(const struct config *cfg, struct kafka_producer **ret_producer, char *err,
                       size_t errlen)
{
    _cleanup_(rd_kafka_conf_destroyp) rd_kafka_conf_t *conf = NULL;
    _cleanup_(kafka_producer_freep) struct kafka_producer *producer = NULL;
    char why[512] = "";
    int r;

    r = kafka_conf_from_config(cfg, &conf, err, errlen);
    if (r < 0)
        return r;
    r = kafka_conf_set(conf, "enable.idempotence", "true", err, errlen);
    if (r < 0)
        return r;
    r = kafka_conf_set(conf, "acks", "all", err, errlen);
    if (r < 0)
        return r;
    /* Every send waits for its report, so librdkafka's 5 ms linger (its
     * default since 2.0) would be added to each request at every hop.
     * Messages queued while one batch is in flight still share the next. */
    if (!config_get(cfg, KAFKA_CONF_PREFIX "linger.ms", NULL) &&
        !config_get(cfg, KAFKA_CONF_PREFIX "queue.buffering.max.ms", NULL)) {
        r = kafka_conf_set(conf, "linger.ms", KAFKA_PRODUCER_LINGER_MS_DEFAULT, err, errlen);
        if (r < 0)
            return r;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, kafka_producer_dr_cb);
    rd_kafka_conf_set_error_cb(conf, kafka_producer_error_cb);

    producer = calloc(1, sizeof(*producer));
    if (!producer)
        return -ENOMEM;
    atomic_init(&producer->stop, false);
    producer->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof(why));
    if (!producer->rk) {
        if (err && errlen > 0)
            snprintf(err, errlen, "cannot create the Kafka producer: %s", why);
        return -EINVAL;
    }
    conf = NULL; /* rd_kafka_new() took it */

    r = pthread_create(&producer->poller, NULL, kafka_producer_poller, producer);
    if (r != 0) {
        if (err && errlen > 0)
            snprintf(err, errlen, "cannot start the delivery thread: %s", strerror(r));
        return -r;
    }
    producer->poller_started = true;
    *ret_producer = TAKE_PTR(producer);
    return 0;
}

void kafka_producer_free(struct kafka_producer *producer)
{
    if (!producer)
        return;
    if (producer->rk) {
        /* The delivery thread still polls, so flush only waits. */
        rd_kafka_resp_err_t kerr = rd_kafka_flush(producer->rk, KAFKA_PRODUCER_FLUSH_MS);

        if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
            log_debug("Kafka producer closed with %d messages undelivered.",
                      rd_kafka_outq_len(producer->rk));
    }
    if (producer->poller_started) {
        atomic_store(&producer->stop, true);
        pthread_join(producer->poller, NULL);
    }
    if (producer->rk)
        rd_kafka_destroy(producer->rk);
    free(producer);
}

rd_kafka_t *kafka_producer_handle(struct kafka_producer *producer)
{
    return producer->rk;
}

static void kafka_deadline(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int kafka_delivery_new(struct kafka_delivery **ret_d)
{
    struct kafka_delivery *d = calloc(1, sizeof(*d));
    pthread_condattr_t attr;

    if (!d)
        return -ENOMEM;
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cond, &attr);
    pthread_condattr_destroy(&attr);
    d->refs = 2; /* the sender and the delivery report */
    *ret_d = d;
    return 0;
}

int kafka_produce_sync(struct kafka_producer *producer, const char *topic, const char *key,
                       const void *value, size_t len, int timeout_ms, char *err, size_t errlen)
{
    struct kafka_delivery *d = NULL;
    rd_kafka_resp_err_t kerr;
    struct timespec deadline;
    bool done;
    int r;

    if (!producer || !topic || (!value && len > 0) || timeout_ms < 0)
        return -EINVAL;
    r = kafka_delivery_new(&d);
    if (r < 0)
        return r;

    /* The casts drop const only for librdkafka's prototypes: with F_COPY it
     * copies key and value before returning. */
    kerr = rd_kafka_producev(producer->rk, RD_KAFKA_V_TOPIC(topic),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY((void *)key, key ? strlen(key) : 0),
                             RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_OPAQUE(d),
                             RD_KAFKA_V_END);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        /* Never queued: no report will come, so both references go. */
        d->refs = 1;
        kafka_delivery_unref(d);
        return kafka_error(kerr, topic, err, errlen);
    }

    kafka_deadline(&deadline, timeout_ms);
    pthread_mutex_lock(&d->lock);
    while (!d->done) {
        if (pthread_cond_timedwait(&d->cond, &d->lock, &deadline) == ETIMEDOUT)
            break;
    }
    done = d->done;
    kerr = d->kerr;
    pthread_mutex_unlock(&d->lock);
    kafka_delivery_unref(d);

    if (!done) {
        if (err && errlen > 0)
            snprintf(err, errlen,
                     "%s: no delivery report within %d ms; the message may still be written",
                     topic, timeout_ms);
        return -ETIMEDOUT;
    }
    return kafka_error(kerr, topic, err, errlen);
}

int kafka_produce_async(struct kafka_producer *producer, const char *topic, const char *key,
                        const void *value, size_t len, char *err, size_t errlen)
{
    rd_kafka_resp_err_t kerr;

    if (!producer || !topic || (!value && len > 0))
        return -EINVAL;

    kerr = rd_kafka_producev(producer->rk, RD_KAFKA_V_TOPIC(topic),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_KEY((void *)key, key ? strlen(key) : 0),
                             RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_OPAQUE(NULL),
                             RD_KAFKA_V_END);
    return kafka_error(kerr, topic, err, errlen);
}
