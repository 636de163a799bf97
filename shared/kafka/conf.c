#include "shared/kafka/conf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "shared/core/config.h"
#include "shared/core/log.h"

/* librdkafka's error strings are short sentences; room for one plus a key. */
#define KAFKA_CONF_ERR_MAX 512

/* Runs on librdkafka's internal threads. librdkafka logs every refused
 * connection as an error while it keeps retrying; whether that is an error
 * is for the caller to decide, so its lines are warnings at most. */
static void kafka_conf_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    if (level < LOG_WARNING)
        level = LOG_WARNING;
    else if (level > LOG_DEBUG)
        level = LOG_DEBUG;
    log_emit(level, 0, NULL, "librdkafka %s %s: %s", rd_kafka_name(rk), fac, buf);
}

int kafka_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value, char *err,
                   size_t errlen)
{
    char why[KAFKA_CONF_ERR_MAX] = "";

    if (rd_kafka_conf_set(conf, key, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
        if (err && errlen > 0)
            snprintf(err, errlen, "%s%s: %s", KAFKA_CONF_PREFIX, key, why);
        return -EINVAL;
    }
    return 0;
}

struct kafka_conf_visit {
    rd_kafka_conf_t *conf;
    char *err;
    size_t errlen;
};

static int kafka_conf_visit(const char *key, const char *value, void *userdata)
{
    struct kafka_conf_visit *v = userdata;

    return kafka_conf_set(v->conf, key, value, v->err, v->errlen);
}

int kafka_conf_from_config(const struct config *cfg, rd_kafka_conf_t **ret, char *err,
                           size_t errlen)
{
    _cleanup_(rd_kafka_conf_destroyp) rd_kafka_conf_t *conf = NULL;
    struct kafka_conf_visit v;
    int r;

    conf = rd_kafka_conf_new();
    if (!conf)
        return -ENOMEM;
    rd_kafka_conf_set_log_cb(conf, kafka_conf_log_cb);
    r = kafka_conf_set(conf, "client.id", KAFKA_CLIENT_ID_DEFAULT, err, errlen);
    if (r < 0)
        return r;

    v = (struct kafka_conf_visit){ .conf = conf, .err = err, .errlen = errlen };
    r = config_foreach_prefix(cfg, KAFKA_CONF_PREFIX, kafka_conf_visit, &v);
    if (r < 0)
        return r;

    *ret = TAKE_PTR(conf);
    return 0;
}

bool kafka_conf_has_brokers(const struct config *cfg)
{
    const char *s = config_get(cfg, KAFKA_CONF_PREFIX "bootstrap.servers", NULL);

    if (!s || !*s)
        s = config_get(cfg, KAFKA_CONF_PREFIX "metadata.broker.list", NULL);
    return s && *s;
}
