/* vmrelay-bench-load: a load generator for the benchmarks.
 *
 * Produces a stream of requests straight to the node topics (librdkafka,
 * batched, acks=all, at a fixed rate or as fast as the broker takes them)
 * and, with --results, reads the results topic and measures for each
 * request the time from its send to its result. Prints one JSON object
 * with the counts, the rates and the latency percentiles; --latency-file
 * writes every latency (ms, one a line) for the plots.
 *
 * Request seq s goes to domain d = s % total_domains in round r = s /
 * total_domains and runs operation ops[r % n_ops], so that each domain
 * sees the operations in the order given and one request per domain is in
 * each round. Domain d is vm<node:3><index:5> on node <node-prefix><node:3>,
 * the names bench/gen_node.py writes.
 *
 * Threads: main produces; one thread consumes results. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <getopt.h>

#include <librdkafka/rdkafka.h>

#define LOAD_OPS_MAX 16
#define LOAD_MSG_MAX 1024
#define LOAD_ERR_MAX 512
#define LOAD_PARTITIONS_MAX 1024
#define LOAD_FAILURES_KEPT 3
#define LOAD_FAILURE_TEXT_MAX 400
#define LOAD_COUNT_MAX 10000000L

struct load {
    const char *brokers, *prefix, *node_prefix, *run_id, *latency_file;
    const char *ops[LOAD_OPS_MAX];
    size_t n_ops;
    long nodes, domains, count, timeout_s;
    double rate;
    bool results;
    /* Filled while running. */
    int64_t *sent_ns, *done_ns;
    atomic_long completed, succeeded, failed;
    atomic_bool stop;
    char failures[LOAD_FAILURES_KEPT][LOAD_FAILURE_TEXT_MAX];
    atomic_int n_failures;
    rd_kafka_t *consumer;
    atomic_bool consumer_ready;
};

static int64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ns(int64_t ns)
{
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};

    if (ns > 0)
        nanosleep(&ts, NULL);
}

static int conf_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[LOAD_ERR_MAX];

    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "load: %s=%s: %s\n", k, v, err);
        return -EINVAL;
    }
    return 0;
}

/* The params of one operation; cheap updates alternate between two values
 * so that every request changes something. */
static const char *load_params(const char *op, long round, const char *domain, char *buf,
                               size_t len)
{
    if (strcmp(op, "resizeRAM") == 0)
        snprintf(buf, len, "{\"size\":\"%s\",\"live\":true}",
                 (round / 4) % 2 ? "1048576" : "524288");
    else if (strcmp(op, "changeNumberOfCPU") == 0)
        snprintf(buf, len, "{\"count\":%d,\"live\":true}", (round / 4) % 2 ? 1 : 2);
    else if (strcmp(op, "createSnapshot") == 0 || strcmp(op, "deleteSnapshot") == 0)
        snprintf(buf, len, "{\"domain\":\"%s\"}", domain);
    else if (strcmp(op, "deleteVM") == 0)
        snprintf(buf, len, "{\"delete_snapshots\":true}");
    else
        snprintf(buf, len, "{}");
    return buf;
}

static bool load_is_snapshot(const char *op)
{
    return strstr(op, "Snapshot") != NULL || strcmp(op, "revertVirtualMachine") == 0;
}

/* Builds request seq into buf; the key into key. Returns the length. */
static int load_request(const struct load *l, long seq, char *topic, size_t topic_len,
                        char *key, size_t key_len, char *buf, size_t len)
{
    long total = l->nodes * l->domains, d = seq % total, round = seq / total;
    long node = d / l->domains, idx = d % l->domains;
    const char *op = l->ops[round % (long)l->n_ops];
    char domain[64], name[64], params[256];
    bool snap = load_is_snapshot(op);

    snprintf(domain, sizeof(domain), "vm%03ld%05ld", node, idx);
    snprintf(name, sizeof(name), "sn%03ld%05ld", node, idx);
    snprintf(topic, topic_len, "%s.node.%s%03ld", l->prefix, l->node_prefix, node);
    snprintf(key, key_len, "VirtualMachine/default/%s", domain);
    return snprintf(buf, len,
                    "{\"version\":1,\"id\":\"bench-%s-%ld\",\"kind\":\"%s\","
                    "\"operation\":\"%s\",\"namespace\":\"default\",\"name\":\"%s\","
                    "\"node\":\"%s%03ld\",\"params\":%s,\"source\":\"bench\","
                    "\"created_at\":\"2026-01-01T00:00:00.000Z\",\"has_resource\":false}",
                    l->run_id, seq, snap ? "VirtualMachineSnapshot" : "VirtualMachine", op,
                    snap ? name : domain, l->node_prefix, node,
                    load_params(op, round, domain, params, sizeof(params)));
}

/* Finds our request id in a result and returns its seq, or -1. */
static long load_result_seq(const struct load *l, const char *payload, size_t len)
{
    char needle[128], *p, *end;
    const char *hay;
    long seq;
    int n;

    /* Payloads are not NUL-terminated; results are small. */
    if (len >= 65536)
        return -1;
    hay = payload;
    n = snprintf(needle, sizeof(needle), "\"id\":\"bench-%s-", l->run_id);
    p = memmem(hay, len, needle, (size_t)n);
    if (!p)
        return -1;
    errno = 0;
    seq = strtol(p + n, &end, 10);
    if (errno || end == p + n || seq < 0 || seq >= l->count)
        return -1;
    return seq;
}

static void load_note_result(struct load *l, const rd_kafka_message_t *m)
{
    long seq = load_result_seq(l, m->payload, m->len);
    int64_t zero = 0;
    bool ok;

    if (seq < 0)
        return;
    /* At least once: only the first result of an id counts. */
    if (!__atomic_compare_exchange_n(&l->done_ns[seq], &zero, mono_ns(), false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return;
    ok = memmem(m->payload, m->len, "\"success\":true", 14) != NULL;
    if (ok) {
        atomic_fetch_add(&l->succeeded, 1);
    } else {
        int k = atomic_fetch_add(&l->n_failures, 1);

        atomic_fetch_add(&l->failed, 1);
        if (k < LOAD_FAILURES_KEPT)
            snprintf(l->failures[k], LOAD_FAILURE_TEXT_MAX, "%.*s",
                     (int)(m->len < 300 ? m->len : 300), (const char *)m->payload);
    }
    atomic_fetch_add(&l->completed, 1);
}

/* Assigns every partition of the results topic from the beginning: each
 * benchmark case runs on a fresh broker or a fresh topic prefix. */
static int load_consumer_open(struct load *l)
{
    char err[LOAD_ERR_MAX], topic[256], group[128];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_partition_list_t *parts;
    rd_kafka_topic_t *rkt;
    int r = 0;

    snprintf(topic, sizeof(topic), "%s.results", l->prefix);
    snprintf(group, sizeof(group), "bench-results-%s", l->run_id);
    if (conf_set(conf, "bootstrap.servers", l->brokers) < 0 ||
        conf_set(conf, "group.id", group) < 0 ||
        conf_set(conf, "enable.auto.commit", "false") < 0 ||
        conf_set(conf, "auto.offset.reset", "earliest") < 0 ||
        conf_set(conf, "fetch.wait.max.ms", "10") < 0 ||
        conf_set(conf, "allow.auto.create.topics", "true") < 0) {
        rd_kafka_conf_destroy(conf);
        return -EINVAL;
    }
    l->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!l->consumer) {
        fprintf(stderr, "load: consumer: %s\n", err);
        return -EIO;
    }
    rkt = rd_kafka_topic_new(l->consumer, topic, NULL);
    /* The topic may not exist yet: the first metadata request creates it
     * where the broker allows, the next ones see its partitions. */
    for (int tries = 0; tries < 100; tries++) {
        if (rd_kafka_metadata(l->consumer, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            md->topic_cnt == 1 && md->topics[0].err == 0 && md->topics[0].partition_cnt > 0)
            break;
        if (md)
            rd_kafka_metadata_destroy(md);
        md = NULL;
        sleep_ns(100000000);
    }
    rd_kafka_topic_destroy(rkt);
    if (!md) {
        fprintf(stderr, "load: topic %s has no partitions\n", topic);
        return -ENOENT;
    }
    parts = rd_kafka_topic_partition_list_new(md->topics[0].partition_cnt);
    for (int i = 0; i < md->topics[0].partition_cnt && i < LOAD_PARTITIONS_MAX; i++)
        rd_kafka_topic_partition_list_add(parts, topic, md->topics[0].partitions[i].id)
            ->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_metadata_destroy(md);
    if (rd_kafka_assign(l->consumer, parts) != RD_KAFKA_RESP_ERR_NO_ERROR)
        r = -EIO;
    rd_kafka_topic_partition_list_destroy(parts);
    return r;
}

static void *load_consume(void *userdata)
{
    struct load *l = userdata;

    while (!atomic_load(&l->stop) && atomic_load(&l->completed) < l->count) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(l->consumer, 100);

        if (!m)
            continue;
        if (!m->err)
            load_note_result(l, m);
        rd_kafka_message_destroy(m);
    }
    return NULL;
}

static rd_kafka_t *load_producer_open(const struct load *l)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[LOAD_ERR_MAX];
    rd_kafka_t *rk;

    if (conf_set(conf, "bootstrap.servers", l->brokers) < 0 ||
        conf_set(conf, "acks", "all") < 0 || conf_set(conf, "linger.ms", "5") < 0 ||
        conf_set(conf, "batch.num.messages", "10000") < 0 ||
        conf_set(conf, "queue.buffering.max.messages", "1000000") < 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        fprintf(stderr, "load: producer: %s\n", err);
    return rk;
}

/* Sends every request, paced to l->rate when it is set. Returns the
 * number the broker acknowledged. */
static long load_produce(struct load *l, rd_kafka_t *rk, int64_t *ret_elapsed_ns)
{
    int64_t start = mono_ns(), interval = l->rate > 0 ? (int64_t)(1e9 / l->rate) : 0;
    char topic[256], key[128], buf[LOAD_MSG_MAX];
    long delivered;

    for (long s = 0; s < l->count && !atomic_load(&l->stop); s++) {
        int len = load_request(l, s, topic, sizeof(topic), key, sizeof(key), buf, sizeof(buf));
        rd_kafka_resp_err_t e;

        if (interval > 0)
            sleep_ns(start + s * interval - mono_ns());
        for (;;) {
            l->sent_ns[s] = mono_ns();
            e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                                  RD_KAFKA_V_VALUE(buf, (size_t)len),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(rk, 10);
        }
        if (e) {
            fprintf(stderr, "load: produce: %s\n", rd_kafka_err2str(e));
            break;
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 60000);
    *ret_elapsed_ns = mono_ns() - start;
    delivered = l->count - rd_kafka_outq_len(rk);
    return delivered;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double pct(const double *v, long n, double p)
{
    long i;

    if (n == 0)
        return 0;
    i = (long)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static void load_report(struct load *l, long delivered, int64_t produce_ns)
{
    double *lat = calloc((size_t)l->count + 1, sizeof(double));
    int64_t first_sent = l->sent_ns[0], first_done = INT64_MAX, last_done = 0;
    long n = 0;
    FILE *f = NULL;

    if (!lat)
        return;
    for (long s = 0; s < l->count; s++) {
        if (!l->done_ns[s])
            continue;
        lat[n++] = (double)(l->done_ns[s] - l->sent_ns[s]) / 1e6;
        if (l->done_ns[s] > last_done)
            last_done = l->done_ns[s];
        if (l->done_ns[s] < first_done)
            first_done = l->done_ns[s];
    }
    qsort(lat, (size_t)n, sizeof(double), cmp_double);
    if (l->latency_file && (f = fopen(l->latency_file, "we"))) {
        for (long i = 0; i < n; i++)
            fprintf(f, "%.3f\n", lat[i]);
        fclose(f);
    }
    printf("{\"run_id\":\"%s\",\"requested\":%ld,\"delivered\":%ld,\"produce_s\":%.4f,"
           "\"produce_rate\":%.1f,\"offered_rate\":%.1f",
           l->run_id, l->count, delivered, (double)produce_ns / 1e9,
           (double)delivered / ((double)produce_ns / 1e9), l->rate);
    if (l->results) {
        double span = last_done > first_sent ? (double)(last_done - first_sent) / 1e9 : 0;
        /* The rate at which a backlog drains, from the first result to the
         * last: without the time the consumer takes to join its group. */
        double drain = n > 1 && last_done > first_done ? (double)(last_done - first_done) / 1e9
                                                       : 0;

        printf(",\"completed\":%ld,\"succeeded\":%ld,\"failed\":%ld,\"span_s\":%.4f,"
               "\"throughput\":%.1f,\"drain_s\":%.4f,\"drain_throughput\":%.1f,"
               "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
               "\"max\":%.3f},\"failures\":[",
               atomic_load(&l->completed), atomic_load(&l->succeeded),
               atomic_load(&l->failed), span, span > 0 ? (double)n / span : 0, drain,
               drain > 0 ? (double)(n - 1) / drain : 0,
               pct(lat, n, 50), pct(lat, n, 90), pct(lat, n, 99), n ? lat[n - 1] : 0);
        for (int k = 0; k < LOAD_FAILURES_KEPT && k < atomic_load(&l->n_failures); k++) {
            printf("%s\"", k ? "," : "");
            for (const char *c = l->failures[k]; *c; c++)
                if (*c == '"' || *c == '\\')
                    printf("\\%c", *c);
                else if ((unsigned char)*c >= 0x20)
                    putchar(*c);
            putchar('"');
        }
        printf("]");
    }
    printf("}\n");
    free(lat);
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: vmrelay-bench-load --brokers B --count N [options]\n"
               "  --prefix P        topic prefix (default vmrelay)\n"
               "  --nodes N         nodes (default 1), named <node-prefix>000...\n"
               "  --node-prefix S   (default bench)\n"
               "  --domains N       domains per node (default 1000)\n"
               "  --ops A,B,...     operations in order per domain\n"
               "                    (default suspendVM,resumeVM,resizeRAM,changeNumberOfCPU)\n"
               "  --rate R          requests/s (default 0: as fast as possible)\n"
               "  --results         wait for every result and measure latency\n"
               "  --timeout S       stop waiting after S seconds (default 300)\n"
               "  --run-id ID       request ids are bench-ID-SEQ (default the pid)\n"
               "  --latency-file F  write each latency in ms, one a line\n");
}

static int parse_args(int argc, char **argv, struct load *l)
{
    static const struct option opts[] = {
        {"brokers", required_argument, NULL, 'b'}, {"count", required_argument, NULL, 'c'},
        {"prefix", required_argument, NULL, 'p'}, {"nodes", required_argument, NULL, 'n'},
        {"node-prefix", required_argument, NULL, 'N'},
        {"domains", required_argument, NULL, 'd'}, {"ops", required_argument, NULL, 'o'},
        {"rate", required_argument, NULL, 'r'}, {"results", no_argument, NULL, 'R'},
        {"timeout", required_argument, NULL, 't'}, {"run-id", required_argument, NULL, 'i'},
        {"latency-file", required_argument, NULL, 'L'}, {"help", no_argument, NULL, 'h'},
        {},
    };
    static char ops_buf[512];
    int c;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
        switch (c) {
        case 'b': l->brokers = optarg; break;
        case 'c': l->count = strtol(optarg, NULL, 10); break;
        case 'p': l->prefix = optarg; break;
        case 'n': l->nodes = strtol(optarg, NULL, 10); break;
        case 'N': l->node_prefix = optarg; break;
        case 'd': l->domains = strtol(optarg, NULL, 10); break;
        case 'o':
            snprintf(ops_buf, sizeof(ops_buf), "%s", optarg);
            l->n_ops = 0;
            for (char *save = NULL, *t = strtok_r(ops_buf, ",", &save);
                 t && l->n_ops < LOAD_OPS_MAX; t = strtok_r(NULL, ",", &save))
                l->ops[l->n_ops++] = t;
            break;
        case 'r': l->rate = strtod(optarg, NULL); break;
        case 'R': l->results = true; break;
        case 't': l->timeout_s = strtol(optarg, NULL, 10); break;
        case 'i': l->run_id = optarg; break;
        case 'L': l->latency_file = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -EINVAL;
        }
    }
    if (!l->brokers || l->count <= 0 || l->count > LOAD_COUNT_MAX || l->nodes <= 0 ||
        l->nodes > 999 || l->domains <= 0 || l->domains > 99999 || l->n_ops == 0) {
        usage(stderr);
        return -EINVAL;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static char pid_id[32];
    struct load l = {.prefix = "vmrelay", .node_prefix = "bench", .nodes = 1, .domains = 1000,
                     .timeout_s = 300,
                     .ops = {"suspendVM", "resumeVM", "resizeRAM", "changeNumberOfCPU"},
                     .n_ops = 4};
    pthread_t reader;
    int64_t produce_ns = 0, deadline;
    rd_kafka_t *rk;
    long delivered;

    if (parse_args(argc, argv, &l) < 0)
        return 2;
    if (!l.run_id) {
        snprintf(pid_id, sizeof(pid_id), "%ld", (long)getpid());
        l.run_id = pid_id;
    }
    l.sent_ns = calloc((size_t)l.count, sizeof(int64_t));
    l.done_ns = calloc((size_t)l.count, sizeof(int64_t));
    if (!l.sent_ns || !l.done_ns)
        return 1;
    if (l.results) {
        if (load_consumer_open(&l) < 0)
            return 1;
        if (pthread_create(&reader, NULL, load_consume, &l) != 0)
            return 1;
    }
    rk = load_producer_open(&l);
    if (!rk)
        return 1;
    delivered = load_produce(&l, rk, &produce_ns);
    rd_kafka_destroy(rk);
    if (l.results) {
        deadline = mono_ns() + (int64_t)l.timeout_s * 1000000000;
        while (atomic_load(&l.completed) < l.count && mono_ns() < deadline)
            sleep_ns(10000000);
        atomic_store(&l.stop, true);
        pthread_join(reader, NULL);
        rd_kafka_consumer_close(l.consumer);
        rd_kafka_destroy(l.consumer);
    }
    load_report(&l, delivered, produce_ns);
    free(l.sent_ns);
    free(l.done_ns);
    return 0;
}
