/* See history.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "producer/cli/cli.h"
#include "producer/cli/history.h"
#include "shared/core/log.h"
#include "shared/kafka/cleanup.h"
#include "shared/kafka/consumer.h"
#include "shared/kafka/error.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(rd_kafka_topic_t *, rd_kafka_topic_destroy);

int cli_reader_new(const struct config *cfg, rd_kafka_t **ret_rk)
{
    char err[CLI_ERR_MAX] = "", group[64];
    uint64_t rnd[2] = {0};
    int r;

    /* A group of its own: the CLI never commits, and must not share
     * partitions with another reader. */
    if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
        return log_error_errno(errno, "Cannot read random bytes.");
    snprintf(group, sizeof(group), "vmrelay-cli-%016" PRIx64 "%016" PRIx64, rnd[0], rnd[1]);
    r = kafka_consumer_new(cfg, group, ret_rk, err, sizeof(err));
    if (r < 0)
        return log_error_errno(r, "Cannot create the Kafka reader: %s", err);
    return 0;
}

int cli_topic_partitions(rd_kafka_t *rk, const char *topic, int *ret_n)
{
    _cleanup_(rd_kafka_topic_destroyp) rd_kafka_topic_t *rkt = NULL;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr;
    int n = 0;

    rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt)
        return log_error_errno(ENOMEM, "Out of memory.");
    kerr = rd_kafka_metadata(rk, 0, rkt, &md, CLI_HISTORY_METADATA_MS);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
        return log_error_errno(kafka_errno(kerr), "Cannot read the metadata of %s: %s", topic,
                               rd_kafka_err2str(kerr));
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
        n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    if (n <= 0)
        return -ENOENT;
    if (n > CLI_HISTORY_PARTITIONS_MAX)
        return log_error_errno(E2BIG, "Topic %s has %d partitions, more than %d.", topic, n,
                               CLI_HISTORY_PARTITIONS_MAX);
    *ret_n = n;
    return 0;
}

static int history_watermarks(rd_kafka_t *rk, const char *topic, int32_t partition,
                              int64_t *ret_lo, int64_t *ret_hi)
{
    rd_kafka_resp_err_t kerr;

    kerr = rd_kafka_query_watermark_offsets(rk, topic, partition, ret_lo, ret_hi,
                                            CLI_HISTORY_METADATA_MS);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
        return log_error_errno(kafka_errno(kerr), "Cannot read the offsets of %s [%d]: %s",
                               topic, (int)partition, rd_kafka_err2str(kerr));
    return 0;
}

struct cli_history {
    rd_kafka_t *rk;
    char *topic;
    rd_kafka_topic_partition_list_t *parts;
    int64_t *hi;
};

void cli_history_free(struct cli_history *h)
{
    if (!h)
        return;
    kafka_consumer_free(h->rk);
    if (h->parts)
        rd_kafka_topic_partition_list_destroy(h->parts);
    free(h->hi);
    free(h->topic);
    free(h);
}

int cli_history_open(const struct config *cfg, const char *topic, struct cli_history **ret_h)
{
    _cleanup_(cli_history_freep) struct cli_history *h = NULL;
    rd_kafka_resp_err_t kerr;
    int n = 0, r;

    h = calloc(1, sizeof(*h));
    if (!h || !(h->topic = strdup(topic)))
        return log_error_errno(ENOMEM, "Out of memory.");
    r = cli_reader_new(cfg, &h->rk);
    if (r < 0)
        return r;
    r = cli_topic_partitions(h->rk, topic, &n);
    if (r < 0)
        return r;
    h->parts = rd_kafka_topic_partition_list_new(n);
    h->hi = calloc(n, sizeof(*h->hi));
    if (!h->parts || !h->hi)
        return log_error_errno(ENOMEM, "Out of memory.");
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(h->parts, topic, p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    kerr = rd_kafka_assign(h->rk, h->parts);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
        return log_error_errno(kafka_errno(kerr), "Cannot assign %s: %s", topic,
                               rd_kafka_err2str(kerr));
    log_debug("Reading %s from its beginning (%d partitions).", topic, n);
    *ret_h = TAKE_PTR(h);
    return 0;
}

/* True when the reader's position reached hi[p] on every partition. The
 * position moves past offsets that compaction removed, which a check of
 * the last offset seen would wait for forever. */
static bool history_at_end(struct cli_history *h)
{
    if (rd_kafka_position(h->rk, h->parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return false;
    for (int i = 0; i < h->parts->cnt; i++) {
        int64_t pos = h->parts->elems[i].offset;

        /* No position yet: nothing fetched, which is the end only for an
         * empty partition. */
        if (pos < 0 ? h->hi[i] > 0 : pos < h->hi[i])
            return false;
    }
    return true;
}

/* One poll; fn for the record it brings. 1 when a record came. */
static int history_poll_one(struct cli_history *h, int timeout_ms, cli_history_fn fn,
                            void *userdata)
{
    _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
    char err[CLI_ERR_MAX] = "";
    int r;

    r = kafka_consumer_poll(h->rk, timeout_ms, &msg, err, sizeof(err));
    if (r < 0)
        log_debug("Reading %s: %s", h->topic, err);
    if (r < 0 || !msg)
        return 0;
    r = fn(msg, userdata);
    return r < 0 ? r : 1;
}

int cli_history_catch_up(struct cli_history *h, cli_history_fn fn, void *userdata,
                         volatile int *stop)
{
    long long idle_until = cli_mono_ms() + CLI_HISTORY_IDLE_MS;

    for (int p = 0; p < h->parts->cnt; p++) {
        int64_t lo = 0;
        int r = history_watermarks(h->rk, h->topic, p, &lo, &h->hi[p]);

        if (r < 0)
            return r;
        /* Everything below lo is gone: an empty partition is at its end. */
        if (h->hi[p] == lo)
            h->hi[p] = 0;
    }
    while (!history_at_end(h)) {
        int r;

        if (stop && *stop)
            return -EINTR;
        if (cli_mono_ms() > idle_until)
            return log_error_errno(ETIMEDOUT, "Reading %s: nothing new for %d s before its "
                                   "end.", h->topic, CLI_HISTORY_IDLE_MS / 1000);
        r = history_poll_one(h, CLI_HISTORY_POLL_MS, fn, userdata);
        if (r < 0)
            return r;
        if (r > 0)
            idle_until = cli_mono_ms() + CLI_HISTORY_IDLE_MS;
    }
    return 0;
}

int cli_history_follow(struct cli_history *h, long long ms, cli_history_fn fn, void *userdata,
                       volatile int *stop)
{
    long long until = cli_mono_ms() + ms;

    while (cli_mono_ms() < until) {
        int r;

        if (stop && *stop)
            return -EINTR;
        r = history_poll_one(h, CLI_HISTORY_POLL_MS, fn, userdata);
        if (r < 0)
            return r;
    }
    return 0;
}

int cli_history_read(const struct config *cfg, const char *topic, cli_history_fn fn,
                     void *userdata, volatile int *stop)
{
    _cleanup_(cli_history_freep) struct cli_history *h = NULL;
    int r;

    r = cli_history_open(cfg, topic, &h);
    if (r < 0)
        return r;
    return cli_history_catch_up(h, fn, userdata, stop);
}

int cli_history_fetch(const struct config *cfg, const char *topic, int32_t partition,
                      int64_t offset, rd_kafka_t **ret_rk, rd_kafka_message_t **ret_msg)
{
    _cleanup_(kafka_consumer_freep) rd_kafka_t *rk = NULL;
    _cleanup_(rd_kafka_topic_partition_list_destroyp) rd_kafka_topic_partition_list_t *parts =
        NULL;
    rd_kafka_resp_err_t kerr;
    int64_t lo = 0, hi = 0;
    long long deadline;
    int n = 0, r;

    r = cli_reader_new(cfg, &rk);
    if (r < 0)
        return r;
    r = cli_topic_partitions(rk, topic, &n);
    if (r == -ENOENT)
        return log_error_errno(ENOENT, "Topic %s does not exist.", topic);
    if (r < 0)
        return r;
    if (partition >= n)
        return log_error_errno(ENOENT, "Topic %s has no partition %d (it has %d).", topic,
                               (int)partition, n);
    r = history_watermarks(rk, topic, partition, &lo, &hi);
    if (r < 0)
        return r;
    if (offset < lo || offset >= hi)
        return log_error_errno(ENOENT, "%s [%d] holds offsets %lld to %lld; %lld is not "
                               "there.", topic, (int)partition, (long long)lo,
                               (long long)hi - 1, (long long)offset);
    parts = rd_kafka_topic_partition_list_new(1);
    if (!parts)
        return log_error_errno(ENOMEM, "Out of memory.");
    rd_kafka_topic_partition_list_add(parts, topic, partition)->offset = offset;
    kerr = rd_kafka_assign(rk, parts);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR)
        return log_error_errno(kafka_errno(kerr), "Cannot assign %s: %s", topic,
                               rd_kafka_err2str(kerr));

    deadline = cli_mono_ms() + CLI_HISTORY_IDLE_MS;
    while (cli_mono_ms() < deadline) {
        _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
        char err[CLI_ERR_MAX] = "";

        if (kafka_consumer_poll(rk, CLI_HISTORY_POLL_MS, &msg, err, sizeof(err)) < 0 || !msg)
            continue;
        /* Compaction may have removed it: the next one comes instead. */
        if (msg->offset != offset)
            return log_error_errno(ENOENT, "%s [%d] has no record at offset %lld any more.",
                                   topic, (int)partition, (long long)offset);
        *ret_msg = TAKE_PTR(msg);
        *ret_rk = TAKE_PTR(rk);
        return 0;
    }
    return log_error_errno(ETIMEDOUT, "Could not read %s [%d] at %lld within %d s.", topic,
                           (int)partition, (long long)offset, CLI_HISTORY_IDLE_MS / 1000);
}
