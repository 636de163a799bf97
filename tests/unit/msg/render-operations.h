/* Renders docs/operations.md from the operation catalogue. */
#pragma once

#include <cjson/cJSON.h>

#include "shared/msg/catalog.h"

/* The example parameter object of op, built from its fields' examples. */
cJSON *render_example_params(const struct catalog_op *op);

/* The whole document as a malloc'd string, or NULL. coverage is
 * tests/operation-coverage.json (operation -> [{source, tests}]); the
 * tests/unit/msg/check_coverage.py test keeps it true. */
char *render_operations_md(const struct catalog *cat, const cJSON *coverage);
