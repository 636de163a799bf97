/* What `vmrelay dlq replay` checks before it re-publishes a payload: which
 * message type a topic carries, and that the payload parses as one. Pure;
 * any thread. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum cli_topic_kind {
    CLI_TOPIC_OTHER,
    CLI_TOPIC_REQUEST, /* <prefix>.node.<node> */
    CLI_TOPIC_RESULT,  /* <prefix>.results */
    CLI_TOPIC_EVENT,   /* <prefix>.events */
};

const char *cli_topic_kind_to_string(enum cli_topic_kind kind);

/* Parses "P:O" (a partition from 0 and an offset from 0). -EINVAL. */
int cli_parse_position(const char *s, int32_t *ret_partition, int64_t *ret_offset);

/* The kind of topic under prefix; CLI_TOPIC_OTHER for anything else. */
enum cli_topic_kind cli_topic_kind(const char *prefix, const char *topic);

/* 0 when payload parses as the message type of kind, else -EINVAL (or
 * -EMSGSIZE) with the parser's reason in err. CLI_TOPIC_OTHER: -ENOTSUP,
 * nothing to check against. */
int cli_payload_check(enum cli_topic_kind kind, const char *payload, size_t len, char *err,
                      size_t errlen);
