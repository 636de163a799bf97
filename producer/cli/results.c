/* See results.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "producer/cli/cli.h"
#include "producer/cli/results.h"
#include "shared/core/config.h"
#include "shared/core/log.h"
#include "shared/kafka/cleanup.h"
#include "shared/kafka/consumer.h"
#include "shared/kafka/error.h"
#include "shared/kafka/topic.h"
#include "shared/msg/message.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(rd_kafka_topic_t *, rd_kafka_topic_destroy);

static int results_partitions(rd_kafka_t *rk, const char *topic, int *ret_n)
{
    _cleanup_(rd_kafka_topic_destroyp) rd_kafka_topic_t *rkt = NULL;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr;
    int n = 0;

    rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt)
        return -ENOMEM;
    kerr = rd_kafka_metadata(rk, 0, rkt, &md, CLI_RESULTS_METADATA_MS);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
        return log_error_errno(kafka_errno(kerr), "Cannot read the metadata of %s: %s", topic,
                               rd_kafka_err2str(kerr));
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
        n = md->topics[0].partition_cnt;
    else if (md->topic_cnt == 1)
        kerr = md->topics[0].err;
    rd_kafka_metadata_destroy(md);
    if (n <= 0)
        return log_error_errno(ENOENT, "Topic %s does not exist on the brokers (%s): the "
                               "result could never be read.", topic,
                               rd_kafka_err2str(kerr));
    *ret_n = n;
    return 0;
}

int cli_results_open(const struct config *cfg, rd_kafka_t **ret_rk)
{
    _cleanup_(kafka_consumer_freep) rd_kafka_t *rk = NULL;
    _cleanup_(rd_kafka_topic_partition_list_destroyp) rd_kafka_topic_partition_list_t *parts =
        NULL;
    _cleanup_free_ char *topic = NULL;
    char err[CLI_ERR_MAX] = "", group[64];
    rd_kafka_resp_err_t kerr;
    uint64_t rnd[2] = {0};
    int n = 0, r;

    /* A group of its own: the CLI never commits, and must not share
     * partitions with another reader. */
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
        return log_error_errno(errno, "Cannot read random bytes.");
    snprintf(group, sizeof(group), "vmrelay-cli-%016" PRIx64 "%016" PRIx64, rnd[0], rnd[1]);
    r = kafka_topic_name(kafka_topic_prefix(cfg), KAFKA_TOPIC_RESULTS, &topic);
    if (r < 0)
        return log_error_errno(r, "Invalid key topic.prefix.");
    r = kafka_consumer_new(cfg, group, &rk, err, sizeof(err));
    if (r < 0)
        return log_error_errno(r, "Cannot create the results reader: %s", err);
    r = results_partitions(rk, topic, &n);
    if (r < 0)
        return r;
    parts = rd_kafka_topic_partition_list_new(n);
    if (!parts)
        return log_error_errno(ENOMEM, "Out of memory.");
    for (int p = 0; p < n; p++) {
        int64_t lo = 0, hi = 0;

        kerr = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi,
                                                CLI_RESULTS_METADATA_MS);
        if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
            return log_error_errno(kafka_errno(kerr), "Cannot read the end of %s [%d]: %s",
                                   topic, p, rd_kafka_err2str(kerr));
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = hi;
    }
    kerr = rd_kafka_assign(rk, parts);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
        return log_error_errno(kafka_errno(kerr), "Cannot assign %s: %s", topic,
                               rd_kafka_err2str(kerr));
    log_debug("Reading %s from its end (%d partitions).", topic, n);
    *ret_rk = TAKE_PTR(rk);
    return 0;
}

int cli_results_wait(rd_kafka_t *rk, const char *id, long long deadline_ms,
                     volatile int *stop, struct result **ret_res)
{
    while (cli_mono_ms() < deadline_ms) {
        _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
        _cleanup_(result_freep) struct result *res = NULL;
        char err[CLI_ERR_MAX] = "";
        int r;

        if (stop && *stop)
            return -EINTR;
        r = kafka_consumer_poll(rk, CLI_RESULTS_POLL_MS, &msg, err, sizeof(err));
        if (r < 0) {
            log_debug("Reading results: %s", err);
            continue;
        }
        if (!msg)
            continue;
        /* Other requests' results and foreign records share the topic. */
        if (result_parse(msg->payload, msg->len, &res, err, sizeof(err)) < 0)
            continue;
        if (!res->id || strcmp(res->id, id) != 0)
            continue;
        *ret_res = TAKE_PTR(res);
        return 0;
    }
    return -ETIMEDOUT;
}
