/* Renders docs/operations.md from the operation catalogue. */
#pragma once

#include <cjson/cJSON.h>

#include "shared/msg/catalog.h"

/* The example parameter object of op, built from its fields' examples. */
cJSON *render_example_params(const struct catalog_op *op);

/* The whole document as a malloc'd string, or NULL. */
char *render_operations_md(const struct catalog *cat);
