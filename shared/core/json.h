/* Small helpers over cJSON shared by every program. Any thread. */
#pragma once

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(cJSON *, cJSON_Delete);

/* Follows a dotted path of object keys ("spec.lifecycle"); NULL if any step
 * is missing or not an object. */
const cJSON *json_path(const cJSON *root, const char *dotted);

/* The string at a dotted path, or NULL when absent or not a string. */
const char *json_path_string(const cJSON *root, const char *dotted);

/* Prints with object keys sorted at every level, no whitespace: two
 * documents equal as JSON print the same, whatever their key order.
 * Returns a malloc'd string or NULL on allocation failure. */
char *json_print_canonical(const cJSON *item);
