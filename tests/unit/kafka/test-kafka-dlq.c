/* The DLQ record codec (shared/kafka/dlq.h): what dlq_record_encode
 * writes, dlq_record_parse reads back field for field; text and base64
 * forms of key and payload; every refusal names its field; the size cap.
 *
 * dlq_record_parse reads <prefix>.dlq, which anyone with write access to
 * the topic can fill, so every rule is tried with a hand-written record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/testing.h"
#include "shared/kafka/dlq.h"

#define ERR_MAX 256

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int parse_text(const char *text, struct dlq_record **ret_rec, char *err)
{
    err[0] = '\0';
    return dlq_record_parse(text, strlen(text), ret_rec, err, ERR_MAX);
}

static void test_round_trip_text(void)
{
    static const char payload[] = "{\"version\":1,\"id\":\"x\"}";
    struct dlq_origin o = {
        .topic = "vmrelay.node.n1", .partition = 3, .offset = 123456789012LL, .node = "n1",
        .key = "VirtualMachine/default/vm1", .key_len = strlen("VirtualMachine/default/vm1"),
        .source = "vmrelay-status",
    };
    _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;
    _cleanup_free_ char *text = NULL;
    char err[ERR_MAX];
    int64_t before = now_ms();

    text = dlq_record_encode(&o, "field 'operation' is missing", payload, strlen(payload));
    CHECK(text != NULL);
    if (!text)
        return;
    /* Valid UTF-8 stays readable in the record. */
    CHECK(strstr(text, "\"payload\":") != NULL);
    CHECK(strstr(text, "\"key\":\"VirtualMachine/default/vm1\"") != NULL);
    CHECK(strstr(text, "_base64") == NULL);

    CHECK_INT(parse_text(text, &rec, err), 0);
    if (!rec)
        return;
    CHECK_INT(rec->version, DLQ_VERSION);
    CHECK_STR(rec->source, "vmrelay-status");
    CHECK_STR(rec->node, "n1");
    CHECK_STR(rec->topic, "vmrelay.node.n1");
    CHECK_INT(rec->partition, 3);
    CHECK_INT(rec->offset, 123456789012LL);
    CHECK_STR(rec->error, "field 'operation' is missing");
    CHECK(rec->received_ms >= before - 1 && rec->received_ms <= now_ms() + 1);
    CHECK(rec->has_key);
    CHECK_INT(rec->key_len, strlen("VirtualMachine/default/vm1"));
    CHECK_STR(rec->key, "VirtualMachine/default/vm1");
    CHECK(rec->payload_is_text);
    CHECK_INT(rec->payload_len, strlen(payload));
    CHECK_STR(rec->payload, payload);
}

/* A writer that knows neither key nor source gets the defaults. */
static void test_round_trip_defaults(void)
{
    struct dlq_origin o = { .topic = "vmrelay.results", .partition = 0, .offset = 0 };
    _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;
    _cleanup_free_ char *text = dlq_record_encode(&o, "not JSON", "caf\xc3\xa9", 5);
    char err[ERR_MAX];

    CHECK(text != NULL);
    if (!text)
        return;
    CHECK_INT(parse_text(text, &rec, err), 0);
    if (!rec)
        return;
    CHECK_STR(rec->source, DLQ_SOURCE_DEFAULT);
    CHECK_STR(rec->node, "");
    CHECK(!rec->has_key);
    CHECK_STR(rec->key, "");
    CHECK_INT(rec->key_len, 0);
    CHECK(rec->payload_is_text);
    CHECK_INT(rec->payload_len, 5);
    CHECK_STR(rec->payload, "caf\xc3\xa9");
}

/* Bytes that are not valid UTF-8, or hold a NUL, travel as base64 and come
 * back byte for byte. */
static void test_round_trip_binary(void)
{
    static const char payload[] = { 'a', '\0', (char)0xff, 'b', (char)0xc3 };
    static const char key[] = { 'k', (char)0x80, '\0', 'y' };
    struct dlq_origin o = {
        .topic = "vmrelay.node.n2", .partition = 1, .offset = 7, .node = "n2",
        .key = key, .key_len = sizeof(key),
    };
    _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;
    _cleanup_free_ char *text = dlq_record_encode(&o, "bad", payload, sizeof(payload));
    char err[ERR_MAX];

    CHECK(text != NULL);
    if (!text)
        return;
    CHECK(strstr(text, "\"payload_base64\":") != NULL);
    CHECK(strstr(text, "\"key_base64\":") != NULL);
    CHECK(strstr(text, "\"payload\":") == NULL);
    CHECK_INT(parse_text(text, &rec, err), 0);
    if (!rec)
        return;
    CHECK(!rec->payload_is_text);
    CHECK_INT(rec->payload_len, sizeof(payload));
    CHECK(memcmp(rec->payload, payload, sizeof(payload)) == 0);
    CHECK(rec->payload[sizeof(payload)] == '\0');
    CHECK(rec->has_key);
    CHECK_INT(rec->key_len, sizeof(key));
    CHECK(memcmp(rec->key, key, sizeof(key)) == 0);
}

/* A message without a payload (a tombstone) keeps an empty one. */
static void test_round_trip_empty(void)
{
    struct dlq_origin o = { .topic = "vmrelay.node.n3", .partition = 0, .offset = 1 };
    _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;
    _cleanup_free_ char *text = dlq_record_encode(&o, "empty message", NULL, 0);
    char err[ERR_MAX];

    CHECK(text != NULL);
    if (!text)
        return;
    CHECK_INT(parse_text(text, &rec, err), 0);
    if (!rec)
        return;
    CHECK_INT(rec->payload_len, 0);
    CHECK_STR(rec->payload, "");
}

/* Offsets up to 2^53 are accepted, so they must also be written exactly:
 * cJSON prints a double with 15 significant digits when that reads back
 * within DBL_EPSILON, which near 2^53 is off by one or two. */
static void test_round_trip_big_offset(void)
{
    static const int64_t offsets[] = { 9007199254740991LL, 9007199254740992LL,
                                       999999999999999LL, 4503599627370497LL };

    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        struct dlq_origin o = { .topic = "t", .partition = 0, .offset = offsets[i] };
        _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;
        _cleanup_free_ char *text = dlq_record_encode(&o, "x", "p", 1);
        char err[ERR_MAX];

        CHECK(text != NULL);
        if (!text)
            continue;
        CHECK_INT(parse_text(text, &rec, err), 0);
        if (rec && !CHECK_INT(rec->offset, offsets[i]))
            fprintf(stderr, "  record %s\n", text);
    }
}

/* Records written by hand (another tool, an older writer). */
static void test_base64_forms(void)
{
    char err[ERR_MAX];

    {
        _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;

        CHECK_INT(parse_text("{\"version\":1,\"topic\":\"t\",\"partition\":0,\"offset\":5,"
                             "\"key_base64\":\"a2V5\",\"payload_base64\":\"aGVsbG8=\"}",
                             &rec, err), 0);
        if (rec) {
            CHECK(rec->has_key);
            CHECK_STR(rec->key, "key");
            CHECK_STR(rec->payload, "hello");
            CHECK_INT(rec->payload_len, 5);
            CHECK(!rec->payload_is_text);
            /* Absent optional fields. */
            CHECK_STR(rec->source, "");
            CHECK_STR(rec->node, "");
            CHECK_STR(rec->error, "");
            CHECK_INT(rec->received_ms, 0);
        }
    }
    {
        /* Padding is optional; whitespace inside is skipped. */
        _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;

        CHECK_INT(parse_text("{\"version\":1,\"topic\":\"t\",\"partition\":0,\"offset\":5,"
                             "\"payload_base64\":\"aGVs\\nbG8\"}", &rec, err), 0);
        if (rec)
            CHECK_STR(rec->payload, "hello");
    }
    {
        /* Text wins over base64 when a record has both. */
        _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;

        CHECK_INT(parse_text("{\"version\":1,\"topic\":\"t\",\"partition\":0,\"offset\":5,"
                             "\"payload\":\"plain\",\"payload_base64\":\"aGVsbG8=\"}",
                             &rec, err), 0);
        if (rec) {
            CHECK_STR(rec->payload, "plain");
            CHECK(rec->payload_is_text);
        }
    }
    {
        /* The largest numbers the record allows. */
        _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;

        CHECK_INT(parse_text("{\"version\":1,\"topic\":\"t\",\"partition\":2147483647,"
                             "\"offset\":9007199254740992,\"received_ms\":1700000000000,"
                             "\"payload\":\"\"}", &rec, err), 0);
        if (rec) {
            CHECK_INT(rec->partition, 2147483647);
            CHECK_INT(rec->offset, 9007199254740992LL);
            CHECK_INT(rec->received_ms, 1700000000000LL);
        }
    }
}

#define GOOD_HEAD "\"version\":1,\"topic\":\"t\",\"partition\":0,\"offset\":0"

static const struct refusal {
    const char *text;
    const char *field; /* must appear in the reason */
} refusals[] = {
    { "", "JSON object" },
    { "not json", "JSON object" },
    { "[1,2]", "JSON object" },
    { "\"text\"", "JSON object" },
    { "{\"version\":1,\"topic\":\"t\"", "JSON object" },
    { "{\"topic\":\"t\",\"partition\":0,\"offset\":0,\"payload\":\"\"}", "'version'" },
    { "{\"version\":2,\"topic\":\"t\",\"partition\":0,\"offset\":0,\"payload\":\"\"}",
      "'version'" },
    { "{\"version\":0,\"topic\":\"t\",\"partition\":0,\"offset\":0,\"payload\":\"\"}",
      "'version'" },
    { "{\"version\":\"1\",\"topic\":\"t\",\"partition\":0,\"offset\":0,\"payload\":\"\"}",
      "'version'" },
    { "{\"version\":1,\"partition\":0,\"offset\":0,\"payload\":\"\"}", "'topic'" },
    { "{\"version\":1,\"topic\":\"\",\"partition\":0,\"offset\":0,\"payload\":\"\"}",
      "'topic'" },
    { "{\"version\":1,\"topic\":7,\"partition\":0,\"offset\":0,\"payload\":\"\"}", "'topic'" },
    { "{\"version\":1,\"topic\":\"t\",\"offset\":0,\"payload\":\"\"}", "'partition'" },
    { "{\"version\":1,\"topic\":\"t\",\"partition\":-1,\"offset\":0,\"payload\":\"\"}",
      "'partition'" },
    { "{\"version\":1,\"topic\":\"t\",\"partition\":2147483648,\"offset\":0,\"payload\":\"\"}",
      "'partition'" },
    { "{\"version\":1,\"topic\":\"t\",\"partition\":1.5,\"offset\":0,\"payload\":\"\"}",
      "'partition'" },
    { "{\"version\":1,\"topic\":\"t\",\"partition\":null,\"offset\":0,\"payload\":\"\"}",
      "'partition'" },
    { "{\"version\":1,\"topic\":\"t\",\"partition\":0,\"payload\":\"\"}", "'offset'" },
    { "{\"version\":1,\"topic\":\"t\",\"partition\":0,\"offset\":-5,\"payload\":\"\"}",
      "'offset'" },
    { "{\"version\":1,\"topic\":\"t\",\"partition\":0,\"offset\":1e300,\"payload\":\"\"}",
      "'offset'" },
    { "{\"version\":1,\"topic\":\"t\",\"partition\":0,\"offset\":9007199254740994,"
      "\"payload\":\"\"}", "'offset'" },
    { "{" GOOD_HEAD ",\"received_ms\":\"now\",\"payload\":\"\"}", "'received_ms'" },
    { "{" GOOD_HEAD ",\"received_ms\":-1,\"payload\":\"\"}", "'received_ms'" },
    { "{" GOOD_HEAD ",\"source\":1,\"payload\":\"\"}", "'source'" },
    { "{" GOOD_HEAD ",\"node\":[],\"payload\":\"\"}", "'node'" },
    { "{" GOOD_HEAD ",\"error\":{},\"payload\":\"\"}", "'error'" },
    { "{" GOOD_HEAD ",\"key\":5,\"payload\":\"\"}", "'key'" },
    { "{" GOOD_HEAD ",\"key_base64\":\"!!!!\",\"payload\":\"\"}", "'key_base64'" },
    { "{" GOOD_HEAD ",\"key_base64\":true,\"payload\":\"\"}", "'key_base64'" },
    { "{" GOOD_HEAD "}", "'payload'" },
    { "{" GOOD_HEAD ",\"payload\":null}", "'payload'" },
    { "{" GOOD_HEAD ",\"payload_base64\":\"a\"}", "'payload_base64'" },
    { "{" GOOD_HEAD ",\"payload_base64\":\"a*==\"}", "'payload_base64'" },
    { "{" GOOD_HEAD ",\"payload_base64\":12}", "'payload_base64'" },
};

static void test_refusals(void)
{
    static struct dlq_record sentinel;

    for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
        struct dlq_record *rec = &sentinel;
        char err[ERR_MAX];
        int r = parse_text(refusals[i].text, &rec, err);

        if (!CHECK_INT(r, -EINVAL) || !CHECK(strstr(err, refusals[i].field) != NULL))
            fprintf(stderr, "  record %s: got %d, \"%s\"\n", refusals[i].text, r, err);
        /* The output is left alone on failure. */
        CHECK(rec == &sentinel);
        if (rec != &sentinel)
            dlq_record_free(rec);
    }

    /* No error buffer is fine too. */
    {
        struct dlq_record *rec = NULL;

        CHECK_INT(dlq_record_parse("{}", 2, &rec, NULL, 0), -EINVAL);
        CHECK(rec == NULL);
    }
}

/* A record of exactly DLQ_RECORD_MAX_BYTES parses; one byte more does
 * not, whatever it holds. */
static void test_size_limit(void)
{
    static const char head[] = "{" GOOD_HEAD ",\"payload\":\"";
    static const char tail[] = "\"}";
    size_t len = DLQ_RECORD_MAX_BYTES;
    size_t fill = len - strlen(head) - strlen(tail);
    _cleanup_free_ char *buf = malloc(len + 2);
    char err[ERR_MAX];

    CHECK(buf != NULL);
    if (!buf)
        return;
    memcpy(buf, head, strlen(head));
    memset(buf + strlen(head), 'x', fill);
    memcpy(buf + strlen(head) + fill, tail, strlen(tail));
    buf[len] = '\0';
    {
        _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;

        CHECK_INT(dlq_record_parse(buf, len, &rec, err, sizeof(err)), 0);
        if (rec)
            CHECK_INT(rec->payload_len, fill);
    }

    /* One more payload byte. */
    memcpy(buf + strlen(head) + fill, "x\"}", 3);
    buf[len + 1] = '\0';
    {
        struct dlq_record *rec = NULL;

        err[0] = '\0';
        CHECK_INT(dlq_record_parse(buf, len + 1, &rec, err, sizeof(err)), -EMSGSIZE);
        CHECK(rec == NULL);
        CHECK(strstr(err, "larger than") != NULL);
    }
}

int main(void)
{
    test_round_trip_text();
    test_round_trip_defaults();
    test_round_trip_binary();
    test_round_trip_empty();
    test_round_trip_big_offset();
    test_base64_forms();
    test_refusals();
    test_size_limit();
    return test_finish();
}
