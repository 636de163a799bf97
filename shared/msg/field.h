/* Typed access to the fields of a JSON object, with errors that name the
 * field. Used by the message, event and catalogue decoders so that every
 * refusal reads the same way: `field "<name>": <what is wrong>`.
 *
 * A field whose value is JSON null counts as absent. Each getter returns 0
 * when the field is present and valid, 1 when an optional field is absent
 * (ret_* untouched), and -EINVAL (or -ENOMEM) with err filled otherwise.
 *
 * Thread safety: pure functions; any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"

/* Length of "YYYY-MM-DDTHH:MM:SS.mmmZ" plus its NUL. */
#define FIELD_TIME_LEN 25

/* Writes `field "<name>": <detail>` to err and returns -EINVAL. */
int field_error(char *err, size_t errlen, const char *name, const char *fmt, ...) _printf_(4, 5);

/* A string of 1..maxlen bytes. When charset is not NULL every byte must
 * be one of it, and the error names the rule with rule_text. On success
 * *ret_str is a malloc'd copy. */
int field_get_string(const cJSON *obj, const char *name, bool required, size_t maxlen,
                     const char *charset, const char *rule_text, char **ret_str, char *err,
                     size_t errlen);

int field_get_bool(const cJSON *obj, const char *name, bool required, bool *ret_b, char *err,
                   size_t errlen);

/* An integer number (no fraction) within [min, max]. */
int field_get_int(const cJSON *obj, const char *name, bool required, int64_t min, int64_t max,
                  int64_t *ret_n, char *err, size_t errlen);

/* An RFC 3339 time string, returned as ms since the epoch. */
int field_get_time(const cJSON *obj, const char *name, bool required, int64_t *ret_ms,
                   char *err, size_t errlen);

/* Formats ms since the epoch as UTC with milliseconds; returns buf. */
char *field_time_format(int64_t ms, char buf[static FIELD_TIME_LEN]);

/* Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)". Returns 0 or
 * -EINVAL. */
int field_time_parse(const char *s, int64_t *ret_ms);

/* Returns a malloc'd "a/b/c" (the Kafka key form), or NULL on allocation
 * failure. NULL parts count as empty. */
char *field_key_join(const char *a, const char *b, const char *c);

/* Adds the string when it is not NULL. Returns 0 or -ENOMEM. */
int field_add_string(cJSON *obj, const char *name, const char *value);
/* Adds an RFC 3339 time when ms > 0. Returns 0 or -ENOMEM. */
int field_add_time(cJSON *obj, const char *name, int64_t ms);
