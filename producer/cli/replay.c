/* See replay.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/cli/replay.h"
#include "shared/kafka/topic.h"
#include "shared/msg/event.h"
#include "shared/msg/message.h"

const char *cli_topic_kind_to_string(enum cli_topic_kind kind)
{
    switch (kind) {
    case CLI_TOPIC_REQUEST:
        return "request";
    case CLI_TOPIC_RESULT:
        return "result";
    case CLI_TOPIC_EVENT:
        return "event";
    case CLI_TOPIC_OTHER:
        break;
    }
    return "other";
}

static bool parse_whole(const char *s, const char *end, long long max, long long *ret)
{
    char *stop = NULL;
    long long v;

    if (s == end || *s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoll(s, &stop, 10);
    if (errno != 0 || stop != end || v > max)
        return false;
    *ret = v;
    return true;
}

int cli_parse_position(const char *s, int32_t *ret_partition, int64_t *ret_offset)
{
    const char *colon = strchr(s, ':');
    long long p, o;

    if (!colon || !parse_whole(s, colon, INT32_MAX, &p) ||
        !parse_whole(colon + 1, colon + 1 + strlen(colon + 1), INT64_MAX, &o))
        return -EINVAL;
    *ret_partition = (int32_t)p;
    *ret_offset = o;
    return 0;
}

/* True when topic is "<prefix>.<suffix>"; *ret_rest points after it. */
static bool has_prefix(const char *prefix, const char *suffix, const char *topic,
                       const char **ret_rest)
{
    size_t np = strlen(prefix), ns = strlen(suffix);

    if (strncmp(topic, prefix, np) != 0 || topic[np] != '.' ||
        strncmp(topic + np + 1, suffix, ns) != 0)
        return false;
    *ret_rest = topic + np + 1 + ns;
    return true;
}

enum cli_topic_kind cli_topic_kind(const char *prefix, const char *topic)
{
    const char *rest = NULL;

    if (has_prefix(prefix, "node.", topic, &rest))
        return rest[0] && kafka_topic_is_legal(topic) ? CLI_TOPIC_REQUEST : CLI_TOPIC_OTHER;
    if (has_prefix(prefix, KAFKA_TOPIC_RESULTS, topic, &rest) && rest[0] == '\0')
        return CLI_TOPIC_RESULT;
    if (has_prefix(prefix, KAFKA_TOPIC_EVENTS, topic, &rest) && rest[0] == '\0')
        return CLI_TOPIC_EVENT;
    return CLI_TOPIC_OTHER;
}

int cli_payload_check(enum cli_topic_kind kind, const char *payload, size_t len, char *err,
                      size_t errlen)
{
    switch (kind) {
    case CLI_TOPIC_REQUEST: {
        _cleanup_(request_freep) struct request *req = NULL;

        return request_parse(payload, len, &req, err, errlen);
    }
    case CLI_TOPIC_RESULT: {
        _cleanup_(result_freep) struct result *res = NULL;

        return result_parse(payload, len, &res, err, errlen);
    }
    case CLI_TOPIC_EVENT: {
        _cleanup_(node_event_freep) struct node_event *ev = NULL;

        return node_event_parse(payload, len, &ev, err, errlen);
    }
    case CLI_TOPIC_OTHER:
        break;
    }
    snprintf(err, errlen, "the topic carries no vmrelay message type");
    return -ENOTSUP;
}
