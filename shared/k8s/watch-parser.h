/* Splits a Kubernetes watch stream into events.
 *
 * The API server answers "?watch=1" with one JSON object per line:
 *   {"type":"ADDED","object":{...}}\n
 * Reads from the network cut these lines anywhere, so the parser keeps the
 * unfinished line between calls. A line longer than the cap is dropped as
 * it arrives (its bytes are not kept) and reported once as -E2BIG; a line
 * that is not a valid event is reported as -EBADMSG naming its number and
 * start. Either way the parser goes on with the next line.
 *
 * Use: feed() one read, then next() until it returns 0, then feed() again.
 *
 * Thread safety: a parser is used by one thread at a time. */
#pragma once

#include <stddef.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"

/* Longest event line kept: far above any real object (etcd refuses values
 * over 1.5 MiB by default), low enough to bound memory per watch. */
#define K8S_WATCH_LINE_MAX (16u * 1024 * 1024)

enum k8s_watch_type {
    K8S_WATCH_ADDED,
    K8S_WATCH_MODIFIED,
    K8S_WATCH_DELETED,
    K8S_WATCH_BOOKMARK,
    K8S_WATCH_ERROR, /* object is a Status; code 410 means "relist" */
};

struct k8s_watch_event {
    enum k8s_watch_type type;
    cJSON *object; /* owned by whoever received the event */
};

struct k8s_watch_parser;

/* line_max 0 means K8S_WATCH_LINE_MAX. */
int k8s_watch_parser_new(size_t line_max, struct k8s_watch_parser **ret_parser);
void k8s_watch_parser_free(struct k8s_watch_parser *parser);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct k8s_watch_parser *, k8s_watch_parser_free);

/* Takes one read of the stream. -EBUSY when events of the previous read
 * were not all taken with next(); -ENOMEM. */
int k8s_watch_parser_feed(struct k8s_watch_parser *parser, const char *data, size_t len);

/* Returns 1 and fills *ret_event with the next whole event, 0 when more
 * data is needed, or a negative errno for one bad line (with a sentence in
 * err); call it again after an error, the next line is not lost. */
int k8s_watch_parser_next(struct k8s_watch_parser *parser, struct k8s_watch_event *ret_event,
                          char *err, size_t errlen);

/* Bytes of an unfinished line held: non-zero when a stream ended inside an
 * event. */
size_t k8s_watch_parser_pending(const struct k8s_watch_parser *parser);

const char *k8s_watch_type_to_string(enum k8s_watch_type type);
