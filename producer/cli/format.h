/* Text formatting for the CLI's tables: durations, memory sizes, labels
 * and one-line excerpts of message payloads. Pure; any thread. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define CLI_FORMAT_SHORT_MAX 32

/* "850ms", "42s", "3m05s", "2h07m", "4d03h"; "0s" for negative values
 * (a sender's clock ahead of ours). Returns buf. */
char *cli_format_duration(int64_t ms, char *buf, size_t len);

/* "512Ki", "1.5Gi", ... (powers of 1024). Returns buf. */
char *cli_format_kib(int64_t kib, char *buf, size_t len);

/* "zone=a,rack=3" from an object of string values; "-" when empty or NULL.
 * Cut with "..." when it does not fit. Returns buf. */
char *cli_format_labels(const cJSON *labels, char *buf, size_t len);

/* At most max bytes of text on one line: control characters become
 * spaces, the cut falls on a UTF-8 character boundary and is marked with
 * "...". buf needs max + 4 bytes. Returns buf. */
char *cli_format_excerpt(const char *text, size_t text_len, size_t max, char *buf,
                         size_t len);
