/* The record written to <prefix>.dlq for a message that cannot be
 * processed: where it came from, why it was refused, and the original
 * payload (as text when it is valid UTF-8 without NUL, else base64).
 *
 * Thread safety: pure; any thread. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define DLQ_VERSION 1

struct dlq_origin {
    const char *topic;
    int32_t partition;
    int64_t offset;
    const char *node;
};

/* Returns a malloc'd JSON text, or NULL on allocation failure. */
char *dlq_record_encode(const struct dlq_origin *origin, const char *error, const void *payload,
                        size_t len);
