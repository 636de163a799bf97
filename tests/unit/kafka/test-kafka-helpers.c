/* The Kafka helpers without a broker: topic names, configuration
 * pass-through, error mapping, and a send that cannot be delivered. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/testing.h"
#include "shared/core/config.h"
#include "shared/kafka/conf.h"
#include "shared/kafka/error.h"
#include "shared/kafka/producer.h"
#include "shared/kafka/topic.h"

static void test_topic_names(void)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    char long_node[KAFKA_TOPIC_NAME_MAX + 1];

    {
        _cleanup_free_ char *name = NULL;

        CHECK_INT(kafka_topic_name("vmrelay", KAFKA_TOPIC_RESULTS, &name), 0);
        CHECK_STR(name, "vmrelay.results");
    }
    {
        _cleanup_free_ char *name = NULL;

        CHECK_INT(kafka_topic_node("vmrelay", "node-1.example", &name), 0);
        CHECK_STR(name, "vmrelay.node.node-1.example");
    }
    {
        _cleanup_free_ char *name = NULL;

        CHECK_INT(kafka_topic_name("vmrelay", "bad/name", &name), -EINVAL);
        CHECK(name == NULL);
        CHECK_INT(kafka_topic_name("", "results", &name), -EINVAL);
        CHECK_INT(kafka_topic_name("vmrelay", "", &name), -EINVAL);
        CHECK_INT(kafka_topic_node("vmrelay", NULL, &name), -EINVAL);
        CHECK(name == NULL);
    }

    /* A name one past Kafka's limit is refused, one at the limit is not. */
    memset(long_node, 'n', sizeof(long_node));
    long_node[KAFKA_TOPIC_NAME_MAX - strlen("vmrelay.node.") + 1] = '\0';
    {
        _cleanup_free_ char *name = NULL;

        CHECK_INT(kafka_topic_node("vmrelay", long_node, &name), -EINVAL);
        long_node[strlen(long_node) - 1] = '\0';
        CHECK_INT(kafka_topic_node("vmrelay", long_node, &name), 0);
        CHECK_INT(name ? strlen(name) : 0, KAFKA_TOPIC_NAME_MAX);
    }

    CHECK(kafka_topic_is_legal("vmrelay.node.n1"));
    CHECK(!kafka_topic_is_legal(".."));
    CHECK(!kafka_topic_is_legal(""));
    CHECK(!kafka_topic_is_legal("a b"));

    CHECK_INT(config_new(&cfg), 0);
    CHECK_STR(kafka_topic_prefix(cfg), "vmrelay");
    CHECK_INT(config_set(cfg, "topic.prefix", "lab"), 0);
    CHECK_STR(kafka_topic_prefix(cfg), "lab");
}

static void test_conf_pass_through(void)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    char err[512] = "", value[256];
    size_t len = sizeof(value);

    CHECK_INT(config_new(&cfg), 0);
    CHECK(!kafka_conf_has_brokers(cfg));
    CHECK_INT(config_set(cfg, "kafka.bootstrap.servers", "127.0.0.1:19092"), 0);
    CHECK_INT(config_set(cfg, "kafka.socket.timeout.ms", "12345"), 0);
    CHECK_INT(config_set(cfg, "libvirt.uri", "test:///default"), 0);
    CHECK(kafka_conf_has_brokers(cfg));
    {
        _cleanup_(rd_kafka_conf_destroyp) rd_kafka_conf_t *conf = NULL;

        CHECK_INT(kafka_conf_from_config(cfg, &conf, err, sizeof(err)), 0);
        if (conf) {
            CHECK_INT(rd_kafka_conf_get(conf, "bootstrap.servers", value, &len),
                      RD_KAFKA_CONF_OK);
            CHECK_STR(value, "127.0.0.1:19092");
            len = sizeof(value);
            CHECK_INT(rd_kafka_conf_get(conf, "socket.timeout.ms", value, &len),
                      RD_KAFKA_CONF_OK);
            CHECK_STR(value, "12345");
            len = sizeof(value);
            CHECK_INT(rd_kafka_conf_get(conf, "client.id", value, &len), RD_KAFKA_CONF_OK);
            CHECK_STR(value, "vmrelay");
        }
    }

    /* An unknown property fails, naming the vmrelay key. */
    CHECK_INT(config_set(cfg, "kafka.no.such.property", "1"), 0);
    {
        _cleanup_(rd_kafka_conf_destroyp) rd_kafka_conf_t *conf = NULL;

        CHECK_INT(kafka_conf_from_config(cfg, &conf, err, sizeof(err)), -EINVAL);
        CHECK(conf == NULL);
        CHECK(strstr(err, "kafka.no.such.property") != NULL);
    }

    /* A known property with a bad value fails too, naming it. */
    {
        _cleanup_(config_freep) struct config *bad = NULL;
        _cleanup_(rd_kafka_conf_destroyp) rd_kafka_conf_t *conf = NULL;

        CHECK_INT(config_new(&bad), 0);
        CHECK_INT(config_set(bad, "kafka.acks", "several"), 0);
        err[0] = '\0';
        CHECK_INT(kafka_conf_from_config(bad, &conf, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "kafka.acks") != NULL);
    }
}

static void test_errors(void)
{
    char err[256] = "";

    CHECK_INT(kafka_errno(RD_KAFKA_RESP_ERR_NO_ERROR), 0);
    CHECK_INT(kafka_errno(RD_KAFKA_RESP_ERR__MSG_TIMED_OUT), -ETIMEDOUT);
    CHECK_INT(kafka_errno(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN), -ECONNREFUSED);
    CHECK_INT(kafka_errno(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART), -ENOENT);
    CHECK_INT(kafka_errno(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE), -EMSGSIZE);
    CHECK_INT(kafka_errno(RD_KAFKA_RESP_ERR__FATAL), -ENOTRECOVERABLE);
    CHECK_INT(kafka_errno(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED), -EACCES);
    CHECK_INT(kafka_errno(RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE), -EIO);

    CHECK_INT(kafka_error(RD_KAFKA_RESP_ERR__QUEUE_FULL, "vmrelay.results", err, sizeof(err)),
              -ENOBUFS);
    CHECK(strncmp(err, "vmrelay.results: ", 17) == 0);
    CHECK(strstr(err, rd_kafka_err2str(RD_KAFKA_RESP_ERR__QUEUE_FULL)) != NULL);
    /* Success leaves the buffer alone. */
    snprintf(err, sizeof(err), "untouched");
    CHECK_INT(kafka_error(RD_KAFKA_RESP_ERR_NO_ERROR, "x", err, sizeof(err)), 0);
    CHECK_STR(err, "untouched");
}

/* Nothing listens on port 1: the first send gives up waiting before the
 * delivery report (which must then not touch freed memory), the second
 * gets the report that the message timed out. */
static void test_undeliverable(void)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    _cleanup_(kafka_producer_freep) struct kafka_producer *producer = NULL;
    char err[512] = "";

    CHECK_INT(config_new(&cfg), 0);
    CHECK_INT(config_set(cfg, "kafka.bootstrap.servers", "127.0.0.1:1"), 0);
    CHECK_INT(config_set(cfg, "kafka.message.timeout.ms", "1500"), 0);
    if (!CHECK_INT(kafka_producer_new(cfg, &producer, err, sizeof(err)), 0))
        return;

    CHECK_INT(kafka_produce_sync(producer, "t", "k", "v", 1, 100, err, sizeof(err)), -ETIMEDOUT);
    CHECK(strstr(err, "no delivery report") != NULL);
    CHECK_INT(kafka_produce_sync(producer, "t", NULL, "v", 1, 20000, err, sizeof(err)),
              -ETIMEDOUT);
    CHECK(strstr(err, "t: ") == err);
    CHECK(strstr(err, "no delivery report") == NULL);
    CHECK_INT(kafka_produce_sync(producer, "t", NULL, NULL, 1, 100, err, sizeof(err)), -EINVAL);
}

int main(void)
{
    test_topic_names();
    test_conf_pass_through();
    test_errors();
    test_undeliverable();
    return test_finish();
}
