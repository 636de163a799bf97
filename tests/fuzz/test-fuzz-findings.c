/* What fuzzing found, one check per finding, so that each stays fixed
 * even where the fuzz tier is not run. The inputs that found them are in
 * tests/fuzz/corpus/<target>/regress-*. */
#include <errno.h>
#include <string.h>

#include "lib/testing.h"
#include "shared/k8s/watch-parser.h"
#include "shared/kafka/dlq.h"
#include "shared/msg/event.h"
#include "shared/msg/message.h"

/* A time before 1970 parsed to a negative ms, which the encoder drops as
 * "no time": a re-encoded request lost its required created_at. */
static void test_pre_epoch_time(void)
{
    const char req_text[] =
        "{\"version\":1,\"id\":\"r1\",\"kind\":\"VirtualMachine\",\"operation\":\"startVM\","
        "\"name\":\"centos7vm0001\",\"node\":\"node22\",\"params\":{},"
        "\"created_at\":\"1013-01-02T03:04:05.678Z\"}";
    const char ev_text[] =
        "{\"version\":1,\"node\":\"node22\",\"kind\":\"VirtualMachine\",\"name\":\"vm1\","
        "\"event\":\"stopped\",\"time\":\"1970-01-01T00:00:00Z\"}";
    _cleanup_(request_freep) struct request *req = NULL;
    _cleanup_(node_event_freep) struct node_event *ev = NULL;
    char err[256] = "";

    CHECK_INT(request_parse(req_text, strlen(req_text), &req, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "created_at") != NULL);
    CHECK(req == NULL);
    CHECK_INT(node_event_parse(ev_text, strlen(ev_text), &ev, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "time") != NULL);
    CHECK(ev == NULL);
}

/* A number beyond int64_t was converted to int64_t before its range was
 * checked: undefined behaviour, caught by UBSan in the ASan unit tier. */
static void test_huge_integer(void)
{
    const char *const texts[] = {
        "{\"version\":1.8e49,\"node\":\"n\"}",
        "{\"version\":9223372036854775808,\"node\":\"n\"}",
        "{\"version\":-1e300,\"node\":\"n\"}",
    };

    for (size_t i = 0; i < ELEMENTSOF(texts); i++) {
        _cleanup_(node_event_freep) struct node_event *ev = NULL;
        char err[256] = "";

        CHECK_INT(node_event_parse(texts[i], strlen(texts[i]), &ev, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "version") != NULL);
    }
}

/* An over-long line whose newline ended a read left the parser's buffer
 * NULL, and next() ran memchr(NULL, '\n', 0), which is undefined: caught
 * by UBSan in the ASan unit tier. */
static void test_overlong_line_alone(void)
{
    _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *parser = NULL;
    struct k8s_watch_event ev = {};
    char line[5000], err[256] = "";

    memset(line, 'x', sizeof(line));
    if (!CHECK(k8s_watch_parser_new(4096, &parser) == 0))
        return;
    CHECK_INT(k8s_watch_parser_feed(parser, line, sizeof(line)), 0);
    CHECK_INT(k8s_watch_parser_feed(parser, "\n", 1), 0);
    CHECK_INT(k8s_watch_parser_next(parser, &ev, err, sizeof(err)), -E2BIG);
    CHECK(strstr(err, "over the cap") != NULL);
    CHECK_INT(k8s_watch_parser_next(parser, &ev, err, sizeof(err)), 0);
    CHECK_INT(k8s_watch_parser_pending(parser), 0);
}

/* dlq_record_encode printed offsets through cJSON's double printer, whose
 * 15 significant digits pass its own round-trip check near 2^53: a
 * re-encoded record named offset ...990 instead of ...991. */
static void test_dlq_offset_near_2_53(void)
{
    const char text[] = "{\"version\":1,\"topic\":\"vmrelay.node.n\",\"partition\":0,"
                        "\"offset\":9007199254740991,\"payload\":\"x\"}";
    _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL, *again = NULL;
    _cleanup_free_ char *out = NULL;
    struct dlq_origin o;
    char err[256] = "";

    if (!CHECK_INT(dlq_record_parse(text, strlen(text), &rec, err, sizeof(err)), 0))
        return;
    o = (struct dlq_origin){.topic = rec->topic, .partition = rec->partition,
                            .offset = rec->offset};
    out = dlq_record_encode(&o, rec->error, rec->payload, rec->payload_len);
    if (!CHECK(out != NULL))
        return;
    CHECK(strstr(out, "\"offset\":9007199254740991,") != NULL);
    CHECK_INT(dlq_record_parse(out, strlen(out), &again, err, sizeof(err)), 0);
    if (again)
        CHECK_INT(again->offset, 9007199254740991LL);
}

int main(void)
{
    test_dlq_offset_near_2_53();
    test_pre_epoch_time();
    test_huge_integer();
    test_overlong_line_alone();
    return test_finish();
}
