#include "shared/k8s/watch-parser.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/core/json.h"

/* Characters of a bad line quoted in its error message. */
#define K8S_WATCH_SNIPPET_MAX 60

struct k8s_watch_parser {
    size_t line_max;
    char *buf;
    size_t start, len, cap; /* unconsumed bytes are buf[start, len) */
    bool has_newline;       /* buf[start, len) holds a complete line */
    bool discarding;        /* dropping the rest of an over-long line */
    bool overlong_done;     /* that line ended: report it on next() */
    size_t overlong_bytes;
    unsigned long line_no; /* lines finished so far */
};

static const char *const type_names[] = {
    [K8S_WATCH_ADDED] = "ADDED",       [K8S_WATCH_MODIFIED] = "MODIFIED",
    [K8S_WATCH_DELETED] = "DELETED",   [K8S_WATCH_BOOKMARK] = "BOOKMARK",
    [K8S_WATCH_ERROR] = "ERROR",
};

const char *k8s_watch_type_to_string(enum k8s_watch_type type)
{
    return (size_t)type < ELEMENTSOF(type_names) ? type_names[type] : "UNKNOWN";
}

int k8s_watch_parser_new(size_t line_max, struct k8s_watch_parser **ret_parser)
{
    struct k8s_watch_parser *parser = calloc(1, sizeof(*parser));

    if (!parser)
        return -ENOMEM;
    parser->line_max = line_max ? line_max : K8S_WATCH_LINE_MAX;
    *ret_parser = parser;
    return 0;
}

void k8s_watch_parser_free(struct k8s_watch_parser *parser)
{
    if (!parser)
        return;
    free(parser->buf);
    free(parser);
}

size_t k8s_watch_parser_pending(const struct k8s_watch_parser *parser)
{
    return parser->len - parser->start + parser->overlong_bytes;
}

static int buffer_append(struct k8s_watch_parser *parser, const char *data, size_t len)
{
    /* Everything before start was consumed; move the tail to the front. */
    if (parser->start > 0) {
        memmove(parser->buf, parser->buf + parser->start, parser->len - parser->start);
        parser->len -= parser->start;
        parser->start = 0;
    }
    if (parser->len + len > parser->cap) {
        size_t cap = parser->cap ? parser->cap : 16384;
        char *p;

        while (cap < parser->len + len)
            cap *= 2;
        p = realloc(parser->buf, cap);
        if (!p)
            return -ENOMEM;
        parser->buf = p;
        parser->cap = cap;
    }
    memcpy(parser->buf + parser->len, data, len);
    parser->len += len;
    return 0;
}

int k8s_watch_parser_feed(struct k8s_watch_parser *parser, const char *data, size_t len)
{
    const char *nl;
    size_t held;

    if (parser->has_newline || parser->overlong_done)
        return -EBUSY;
    if (len == 0)
        return 0;

    nl = memchr(data, '\n', len);
    if (parser->discarding) {
        if (!nl) {
            parser->overlong_bytes += len;
            return 0;
        }
        parser->overlong_bytes += (size_t)(nl - data);
        parser->discarding = false;
        parser->overlong_done = true;
        len -= (size_t)(nl - data) + 1;
        data = nl + 1;
        nl = memchr(data, '\n', len);
        if (len == 0)
            return 0;
    }

    /* The buffer holds only an unfinished line here (next() drained the
     * rest), so the line grows by everything up to the first newline. */
    held = parser->len - parser->start;
    if (!nl && held + len > parser->line_max) {
        parser->overlong_bytes = held + len;
        parser->start = parser->len = 0;
        parser->discarding = true;
        /* Give the memory of the long line back at once. */
        free(parser->buf);
        parser->buf = NULL;
        parser->cap = 0;
        return 0;
    }
    if (buffer_append(parser, data, len) < 0)
        return -ENOMEM;
    parser->has_newline = nl != NULL;
    return 0;
}

static void snippet(const char *line, size_t len, char *out, size_t outlen)
{
    size_t n = len < K8S_WATCH_SNIPPET_MAX ? len : K8S_WATCH_SNIPPET_MAX;

    if (n >= outlen)
        n = outlen - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (line[i] >= 0x20 && line[i] < 0x7f) ? line[i] : '?';
    out[n] = '\0';
}

static int parse_line(struct k8s_watch_parser *parser, const char *line, size_t len,
                      struct k8s_watch_event *ret_event, char *err, size_t errlen)
{
    _cleanup_(cJSON_Deletep) cJSON *root = NULL;
    char quoted[K8S_WATCH_SNIPPET_MAX + 1];
    const char *type;
    cJSON *object;

    root = cJSON_ParseWithLength(line, len);
    if (!root || !cJSON_IsObject(root)) {
        snippet(line, len, quoted, sizeof(quoted));
        snprintf(err, errlen, "Watch stream line %lu is not a JSON object: '%s%s'.",
                 parser->line_no, quoted, len > K8S_WATCH_SNIPPET_MAX ? "..." : "");
        return -EBADMSG;
    }
    type = json_path_string(root, "type");
    object = cJSON_GetObjectItemCaseSensitive(root, "object");
    if (!type || !cJSON_IsObject(object)) {
        snippet(line, len, quoted, sizeof(quoted));
        snprintf(err, errlen, "Watch stream line %lu has no type or object: '%s%s'.",
                 parser->line_no, quoted, len > K8S_WATCH_SNIPPET_MAX ? "..." : "");
        return -EBADMSG;
    }
    for (size_t i = 0; i < ELEMENTSOF(type_names); i++)
        if (strcmp(type, type_names[i]) == 0) {
            ret_event->type = (enum k8s_watch_type)i;
            ret_event->object = cJSON_DetachItemViaPointer(root, object);
            return 1;
        }
    snprintf(err, errlen, "Watch stream line %lu has an unknown event type '%.32s'.",
             parser->line_no, type);
    return -EBADMSG;
}

int k8s_watch_parser_next(struct k8s_watch_parser *parser, struct k8s_watch_event *ret_event,
                          char *err, size_t errlen)
{
    if (parser->overlong_done) {
        size_t n = parser->overlong_bytes;

        parser->overlong_done = false;
        parser->overlong_bytes = 0;
        parser->line_no++;
        snprintf(err, errlen, "Watch stream line %lu is %zu bytes, over the cap of %zu; "
                 "it was skipped.", parser->line_no, n, parser->line_max);
        /* buf may be NULL when nothing is held, and memchr(NULL, c, 0) is
         * undefined. */
        parser->has_newline = parser->len > parser->start &&
                              memchr(parser->buf + parser->start, '\n',
                                     parser->len - parser->start) != NULL;
        return -E2BIG;
    }

    while (parser->has_newline) {
        char *line = parser->buf + parser->start;
        size_t avail = parser->len - parser->start;
        char *nl = memchr(line, '\n', avail);
        size_t len;

        if (!nl) {
            parser->has_newline = false;
            break;
        }
        len = (size_t)(nl - line);
        parser->start += len + 1;
        parser->line_no++;
        /* A line can arrive whole in one read and still be too long. */
        if (len > parser->line_max) {
            snprintf(err, errlen, "Watch stream line %lu is %zu bytes, over the cap of %zu; "
                     "it was skipped.", parser->line_no, len, parser->line_max);
            return -E2BIG;
        }
        /* Blank lines (and "\r" of a CRLF proxy) carry nothing. */
        while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
            len--;
        if (len == 0)
            continue;
        return parse_line(parser, line, len, ret_event, err, errlen);
    }

    /* Drained: an unfinished line past the cap is dropped now rather than
     * waiting for the next feed. */
    if (parser->len - parser->start > parser->line_max) {
        parser->overlong_bytes = parser->len - parser->start;
        parser->start = parser->len = 0;
        parser->discarding = true;
    }
    return 0;
}
