#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testing.h"
#include "shared/core/json.h"
#include "shared/k8s/watch-parser.h"

#define EVENTS_MAX 64

struct collected {
    int n, errors, e2big;
    enum k8s_watch_type types[EVENTS_MAX];
    char names[EVENTS_MAX][32];
    char last_err[256];
};

static void drain(struct k8s_watch_parser *p, struct collected *c)
{
    struct k8s_watch_event ev;
    char err[256];
    int r;

    while ((r = k8s_watch_parser_next(p, &ev, err, sizeof(err))) != 0) {
        if (r < 0) {
            c->errors++;
            c->e2big += r == -E2BIG;
            snprintf(c->last_err, sizeof(c->last_err), "%s", err);
            continue;
        }
        if (c->n < EVENTS_MAX) {
            const char *name = json_path_string(ev.object, "metadata.name");

            c->types[c->n] = ev.type;
            snprintf(c->names[c->n], sizeof(c->names[0]), "%s", name ? name : "");
            c->n++;
        }
        cJSON_Delete(ev.object);
    }
}

static void feed_in_pieces(struct k8s_watch_parser *p, const char *s, size_t len, size_t piece,
                           struct collected *c)
{
    for (size_t off = 0; off < len; off += piece) {
        size_t n = len - off < piece ? len - off : piece;

        CHECK_INT(k8s_watch_parser_feed(p, s + off, n), 0);
        drain(p, c);
    }
}

static const char stream[] =
    "{\"type\":\"ADDED\",\"object\":{\"kind\":\"VirtualMachine\",\"metadata\":{\"name\":\"vm1\","
    "\"resourceVersion\":\"10\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"vm1\",\"resourceVersion\":"
    "\"11\"}}}\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"VirtualMachine\",\"metadata\":{"
    "\"resourceVersion\":\"12\"}}}\n"
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"vm1\"}}}\n"
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
    "\"Failure\",\"message\":\"too old resource version: 1 (5)\",\"reason\":\"Expired\","
    "\"code\":410}}\n";

static void check_stream(const struct collected *c)
{
    CHECK_INT(c->n, 5);
    CHECK_INT(c->errors, 0);
    CHECK_INT(c->types[0], K8S_WATCH_ADDED);
    CHECK_STR(c->names[0], "vm1");
    CHECK_INT(c->types[1], K8S_WATCH_MODIFIED);
    CHECK_INT(c->types[2], K8S_WATCH_BOOKMARK);
    CHECK_INT(c->types[3], K8S_WATCH_DELETED);
    CHECK_INT(c->types[4], K8S_WATCH_ERROR);
}

/* Every split of the stream into two reads, and reads of every size. */
static void test_every_boundary(void)
{
    size_t len = strlen(stream);
    bool all_ok = true;

    for (size_t cut = 0; cut <= len; cut++) {
        _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *p = NULL;
        struct collected c = {0};

        k8s_watch_parser_new(0, &p);
        k8s_watch_parser_feed(p, stream, cut);
        drain(p, &c);
        k8s_watch_parser_feed(p, stream + cut, len - cut);
        drain(p, &c);
        if (c.n != 5 || c.errors != 0 || c.types[4] != K8S_WATCH_ERROR ||
            k8s_watch_parser_pending(p) != 0)
            all_ok = false;
    }
    CHECK(all_ok);

    for (size_t piece = 1; piece <= 17; piece++) {
        _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *p = NULL;
        struct collected c = {0};

        CHECK_INT(k8s_watch_parser_new(0, &p), 0);
        feed_in_pieces(p, stream, len, piece, &c);
        check_stream(&c);
    }
}

static void test_many_in_one_read(void)
{
    _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *p = NULL;
    struct collected c = {0};

    CHECK_INT(k8s_watch_parser_new(0, &p), 0);
    CHECK_INT(k8s_watch_parser_feed(p, stream, strlen(stream)), 0);
    drain(p, &c);
    check_stream(&c);
    CHECK_INT(k8s_watch_parser_pending(p), 0);
}

static void test_error_410(void)
{
    _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *p = NULL;
    struct k8s_watch_event ev;
    const char *line = strstr(stream, "{\"type\":\"ERROR\"");
    char err[256];

    CHECK_INT(k8s_watch_parser_new(0, &p), 0);
    CHECK_INT(k8s_watch_parser_feed(p, line, strlen(line)), 0);
    CHECK_INT(k8s_watch_parser_next(p, &ev, err, sizeof(err)), 1);
    CHECK_INT(ev.type, K8S_WATCH_ERROR);
    CHECK_STR(json_path_string(ev.object, "reason"), "Expired");
    cJSON_Delete(ev.object);
    CHECK_INT(k8s_watch_parser_next(p, &ev, err, sizeof(err)), 0);
}

static void test_garbage_line(void)
{
    _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *p = NULL;
    const char in[] = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n"
                      "<html>502 Bad Gateway</html>\n"
                      "\n"
                      "{\"type\":\"SOMETHING\",\"object\":{}}\n"
                      "{\"type\":\"ADDED\"}\n"
                      "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}\r\n";
    struct collected c = {0};
    struct k8s_watch_event ev;
    char err[256];

    CHECK_INT(k8s_watch_parser_new(0, &p), 0);
    CHECK_INT(k8s_watch_parser_feed(p, in, strlen(in)), 0);
    CHECK_INT(k8s_watch_parser_next(p, &ev, err, sizeof(err)), 1);
    cJSON_Delete(ev.object);
    CHECK_INT(k8s_watch_parser_next(p, &ev, err, sizeof(err)), -EBADMSG);
    CHECK(strstr(err, "line 2") != NULL);
    CHECK(strstr(err, "<html>502 Bad Gateway") != NULL);
    /* Feeding before the read was drained would lose order. */
    CHECK_INT(k8s_watch_parser_feed(p, "x", 1), -EBUSY);
    CHECK_INT(k8s_watch_parser_next(p, &ev, err, sizeof(err)), -EBADMSG);
    CHECK(strstr(err, "SOMETHING") != NULL);
    CHECK(strstr(err, "line 4") != NULL);
    CHECK_INT(k8s_watch_parser_next(p, &ev, err, sizeof(err)), -EBADMSG);
    CHECK(strstr(err, "no type or object") != NULL);
    drain(p, &c);
    CHECK_INT(c.n, 1);
    CHECK_STR(c.names[0], "b");
}

/* A line of len bytes of a valid ADDED event. */
static char *long_event(size_t len)
{
    const char head[] =
        "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"big\"},\"pad\":\"";
    const char tail[] = "\"}}\n";
    char *s = malloc(len + 1);

    memcpy(s, head, strlen(head));
    memset(s + strlen(head), 'x', len - strlen(head) - strlen(tail));
    memcpy(s + len - strlen(tail), tail, strlen(tail) + 1);
    return s;
}

static void test_long_lines(void)
{
    const char next[] = "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"after\"}}}\n";
    _cleanup_free_ char *fits = long_event(1000 * 1000);
    _cleanup_free_ char *over = long_event(300 * 1000);

    /* A 1 MB line within a 2 MB cap, fed in 16 KiB reads like libcurl's. */
    {
        _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *p = NULL;
        struct collected c = {0};

        CHECK_INT(k8s_watch_parser_new(2 * 1000 * 1000, &p), 0);
        feed_in_pieces(p, fits, strlen(fits), 16384, &c);
        CHECK_INT(c.n, 1);
        CHECK_STR(c.names[0], "big");
        CHECK_INT(c.errors, 0);
    }

    /* Over a 100 KB cap, in small reads: dropped as it streams, reported
     * once, and the next event is intact. */
    {
        _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *p = NULL;
        struct collected c = {0};

        CHECK_INT(k8s_watch_parser_new(100 * 1000, &p), 0);
        feed_in_pieces(p, over, strlen(over), 16384, &c);
        CHECK(k8s_watch_parser_pending(p) == 0);
        feed_in_pieces(p, next, strlen(next), 7, &c);
        CHECK_INT(c.e2big, 1);
        CHECK(strstr(c.last_err, "over the cap") != NULL);
        CHECK_INT(c.n, 1);
        CHECK_STR(c.names[0], "after");
    }

    /* Over the cap but whole in one read, with the next event behind it. */
    {
        _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *p = NULL;
        _cleanup_free_ char *both = malloc(strlen(over) + strlen(next) + 1);
        struct collected c = {0};

        memcpy(both, over, strlen(over));
        memcpy(both + strlen(over), next, strlen(next) + 1);
        CHECK_INT(k8s_watch_parser_new(100 * 1000, &p), 0);
        CHECK_INT(k8s_watch_parser_feed(p, both, strlen(both)), 0);
        drain(p, &c);
        CHECK_INT(c.e2big, 1);
        CHECK_INT(c.n, 1);
        CHECK_STR(c.names[0], "after");
    }
}

static void test_truncated(void)
{
    _cleanup_(k8s_watch_parser_freep) struct k8s_watch_parser *p = NULL;
    struct collected c = {0};

    CHECK_INT(k8s_watch_parser_new(0, &p), 0);
    CHECK_INT(k8s_watch_parser_feed(p, stream, 40), 0);
    drain(p, &c);
    CHECK_INT(c.n, 0);
    CHECK_INT(k8s_watch_parser_pending(p), 40);
    CHECK_STR(k8s_watch_type_to_string(K8S_WATCH_BOOKMARK), "BOOKMARK");
}

int main(void)
{
    test_every_boundary();
    test_many_in_one_read();
    test_error_410();
    test_garbage_line();
    test_long_lines();
    test_truncated();
    return test_finish();
}
