/* Produce, consume in a group, commit, and resume: on a real broker, on the
 * embedded one, or on one hosted in this process.
 *
 *   test-kafka-roundtrip kafka|embedded-kafka|in-process
 *
 * N keyed messages go to a fresh topic with kafka_produce_sync(). A first
 * consumer reads them all but commits only the first half it saw; a second
 * consumer in the same group must get exactly the other half (nothing
 * committed comes again), commits it, and a third gets nothing. Keys stay
 * in order, which is what the per-object message key is for. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/peers.h"
#include "lib/testing.h"
#include "shared/core/config.h"
#include "shared/kafka/consumer.h"
#include "shared/kafka/embedded.h"
#include "shared/kafka/producer.h"
#include "shared/kafka/topic.h"

#define N_MESSAGES 40
#define N_KEYS 4
#define PRODUCE_TIMEOUT_MS 30000
/* Joining a group and fetching; generous for a cold broker on a busy box. */
#define CONSUME_TIMEOUT_S 60
/* How long the last consumer listens to be sure nothing comes. */
#define QUIET_S 2
#define POLL_MS 200

struct seen {
    int count;
    int by_index[N_MESSAGES];
    int committed[N_MESSAGES];
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void key_of(int i, char *buf, size_t len)
{
    snprintf(buf, len, "VirtualMachine/smoke/vm-%d", i % N_KEYS);
}

/* Reads until want messages came (want < 0: until quiet_s passed with
 * nothing), committing the first commit_n of them. Checks each message's
 * key against its value and that each key's indices only grow. */
static void consume(const struct config *cfg, const char *group, const char *topic, int want,
                    int commit_n, struct seen *seen)
{
    _cleanup_(kafka_consumer_freep) rd_kafka_t *rk = NULL;
    char err[512] = "";
    int last_by_key[N_KEYS];
    long long deadline;

    for (int k = 0; k < N_KEYS; k++)
        last_by_key[k] = -1;
    memset(seen, 0, sizeof(*seen));
    if (!CHECK_INT(kafka_consumer_new(cfg, group, &rk, err, sizeof(err)), 0)) {
        fprintf(stderr, "    %s\n", err);
        return;
    }
    CHECK_INT(kafka_consumer_subscribe(rk, (const char *const[]){ topic }, 1, err, sizeof(err)),
              0);

    deadline = now_ms() + CONSUME_TIMEOUT_S * 1000LL;
    if (want < 0) {
        /* Listening for silence proves nothing before the group gave this
         * consumer the partitions. */
        bool assigned = false;

        while (!assigned && now_ms() < deadline) {
            _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
            _cleanup_(rd_kafka_topic_partition_list_destroyp)
                rd_kafka_topic_partition_list_t *parts = NULL;

            if (kafka_consumer_poll(rk, POLL_MS, &msg, err, sizeof(err)) == 0 && msg)
                CHECK(!"a message came before the assignment");
            if (rd_kafka_assignment(rk, &parts) == RD_KAFKA_RESP_ERR_NO_ERROR)
                assigned = parts->cnt > 0;
        }
        CHECK(assigned);
        deadline = now_ms() + QUIET_S * 1000LL;
    }
    while (now_ms() < deadline && (want < 0 || seen->count < want)) {
        _cleanup_(rd_kafka_message_destroyp) rd_kafka_message_t *msg = NULL;
        char want_key[64], value[64];
        int r, i;

        r = kafka_consumer_poll(rk, POLL_MS, &msg, err, sizeof(err));
        if (r < 0) {
            /* Transient consumer errors (a topic not created yet) are
             * expected early on; the deadline bounds them. */
            fprintf(stderr, "consumer: %s\n", err);
            continue;
        }
        if (!msg)
            continue;
        snprintf(value, sizeof(value), "%.*s", (int)msg->len, (const char *)msg->payload);
        if (!CHECK(sscanf(value, "message %d", &i) == 1 && i >= 0 && i < N_MESSAGES))
            continue;
        key_of(i, want_key, sizeof(want_key));
        CHECK(msg->key_len == strlen(want_key) && memcmp(msg->key, want_key, msg->key_len) == 0);
        CHECK(i > last_by_key[i % N_KEYS]);
        last_by_key[i % N_KEYS] = i;
        seen->by_index[i]++;
        seen->count++;
        if (seen->count <= commit_n && CHECK_INT(kafka_consumer_commit(rk, msg, err,
                                                                       sizeof(err)), 0))
            seen->committed[i] = 1;
    }
}

static void run(const char *bootstrap)
{
    _cleanup_(config_freep) struct config *cfg = NULL;
    _cleanup_(kafka_producer_freep) struct kafka_producer *producer = NULL;
    _cleanup_free_ char *topic = NULL;
    char err[512] = "", unique[64], group[128];
    struct seen first, second, third;
    long long t0;
    int half = N_MESSAGES / 2;

    CHECK_INT(config_new(&cfg), 0);
    CHECK_INT(config_set(cfg, "kafka.bootstrap.servers", bootstrap), 0);
    /* The embedded broker makes a group whose last member left wait one
     * session timeout less a second before it admits the next; 6 s is the
     * real broker's smallest allowed session. */
    CHECK_INT(config_set(cfg, "kafka.session.timeout.ms", "6000"), 0);
    snprintf(unique, sizeof(unique), "%d-%lld", (int)getpid(), now_ms());
    CHECK_INT(kafka_topic_name("vmrelay-smoke", unique, &topic), 0);
    if (!topic)
        return;
    snprintf(group, sizeof(group), "%s.group", topic);

    t0 = now_ms();
    if (!CHECK_INT(kafka_producer_new(cfg, &producer, err, sizeof(err)), 0)) {
        fprintf(stderr, "    %s\n", err);
        return;
    }
    for (int i = 0; i < N_MESSAGES; i++) {
        char key[64], value[64];
        int r;

        key_of(i, key, sizeof(key));
        snprintf(value, sizeof(value), "message %d", i);
        r = kafka_produce_sync(producer, topic, key, value, strlen(value), PRODUCE_TIMEOUT_MS, err,
                               sizeof(err));
        if (!CHECK_INT(r, 0))
            fprintf(stderr, "    message %d: %s\n", i, err);
    }
    printf("produced %d messages to %s in %lld ms\n", N_MESSAGES, topic, now_ms() - t0);

    t0 = now_ms();
    consume(cfg, group, topic, N_MESSAGES, half, &first);
    CHECK_INT(first.count, N_MESSAGES);
    {
        int committed = 0;

        for (int i = 0; i < N_MESSAGES; i++) {
            CHECK_INT(first.by_index[i], 1);
            committed += first.committed[i];
        }
        CHECK_INT(committed, half);
    }
    printf("first consumer: %d messages in %lld ms\n", first.count, now_ms() - t0);

    t0 = now_ms();
    consume(cfg, group, topic, N_MESSAGES - half, N_MESSAGES, &second);
    CHECK_INT(second.count, N_MESSAGES - half);
    /* Exactly the ones the first did not commit: none comes twice. */
    for (int i = 0; i < N_MESSAGES; i++)
        CHECK_INT(second.by_index[i], !first.committed[i]);
    printf("second consumer: %d messages in %lld ms\n", second.count, now_ms() - t0);

    t0 = now_ms();
    consume(cfg, group, topic, -1, 0, &third);
    CHECK_INT(third.count, 0);
    printf("third consumer: %d messages in %lld ms\n", third.count, now_ms() - t0);
}

int main(int argc, char **argv)
{
    _cleanup_(kafka_embedded_freep) struct kafka_embedded *emb = NULL;
    const char *where = argc > 1 ? argv[1] : "";
    char err[512] = "";

    if (strcmp(where, "kafka") == 0 || strcmp(where, "embedded-kafka") == 0) {
        run(peer_value(where, "bootstrap"));
    } else if (strcmp(where, "in-process") == 0) {
        if (CHECK_INT(kafka_embedded_new(1, &emb, err, sizeof(err)), 0))
            run(kafka_embedded_bootstrap(emb));
        else
            fprintf(stderr, "    %s\n", err);
    } else {
        test_abort("usage: %s kafka|embedded-kafka|in-process", argv[0]);
    }
    return test_finish();
}
