/* The record written to <prefix>.dlq for a message that cannot be
 * processed: where it came from, why it was refused, and the original
 * payload (as text when it is valid UTF-8 without NUL, else base64), so
 * that an operator can list it and replay it (`vmrelay dlq`).
 *
 * Fields: version, source (the program that refused it), node, topic,
 * partition, offset, error, received_ms, key or key_base64 (the original
 * message key, when the writer knew it), payload or payload_base64.
 *
 * Thread safety: pure; any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/core/macro.h"

#define DLQ_VERSION 1
#define DLQ_SOURCE_DEFAULT "vmrelay-worker"
/* A DLQ record holds one message and a little about it. */
#define DLQ_RECORD_MAX_BYTES (4 * 1024 * 1024)

struct dlq_origin {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const char *node;
    /* Optional; callers that leave them zero get a record without a key
     * and with source DLQ_SOURCE_DEFAULT, as before these fields existed. */
    const void *key;
    size_t key_len;
    const char *source;
};

/* Returns a malloc'd JSON text, or NULL on allocation failure. */
char *dlq_record_encode(const struct dlq_origin *origin, const char *error, const void *payload,
                        size_t len);

/* A record read back. Strings are never NULL ("" when absent); key and
 * payload are decoded from base64 when needed and NUL-terminated (not
 * counted in their lengths). */
struct dlq_record {
    int64_t version;
    char *source;
    char *node;
    char *topic;
    int32_t partition;
    int64_t offset;
    char *error;
    int64_t received_ms;  /* 0 when absent */
    bool has_key;
    char *key;
    size_t key_len;
    char *payload;
    size_t payload_len;
    bool payload_is_text; /* false when it came as payload_base64 */
};

/* Parses a DLQ record. -EINVAL with the field and the rule in err for a
 * record that is not one (missing topic, partition, offset or payload, bad
 * base64, newer version), -EMSGSIZE past DLQ_RECORD_MAX_BYTES, -ENOMEM. */
int dlq_record_parse(const char *buf, size_t len, struct dlq_record **ret_rec, char *err,
                     size_t errlen);
void dlq_record_free(struct dlq_record *rec);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct dlq_record *, dlq_record_free);
