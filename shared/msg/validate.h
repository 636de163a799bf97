/* Request validation against the operation catalogue.
 *
 * Checks the resource name, that the operation exists for the kind, that
 * params holds no unknown field, every required field, each field's JSON
 * type and the rule of its constraint, including the paths inside option
 * strings such as "--disk PATH,opts". It never touches the filesystem:
 * symlinks and existence are the worker's to check.
 *
 * Thread safety: pure functions; any thread. */
#pragma once

#include <stddef.h>

#include <cjson/cJSON.h>

#include "shared/msg/catalog.h"

#define VALIDATE_PATH_MAX 1024
#define VALIDATE_ROOTS_MAX 16
#define VALIDATE_DEFAULT_ROOT "/var/lib/libvirt"
#define VALIDATE_NAME_MIN 8
#define VALIDATE_NAME_MAX 32

struct validate_opts {
    /* Directories under which every path must lie; NULL-terminated. NULL
     * or empty means { VALIDATE_DEFAULT_ROOT }. */
    const char *const *allowed_roots;
    /* Length bounds of resource names; 0 means the document's 8 and 32. */
    size_t name_min, name_max;
};

/* Validates one request. opts may be NULL. Returns 0, or -EINVAL with err
 * holding a sentence that names the field and the rule it broke, e.g.
 * `field "memory": must be a positive integer number of MiB, got "abc"`. */
int validate_request(const struct catalog *cat, const char *kind, const char *name,
                     const char *operation, const cJSON *params,
                     const struct validate_opts *opts, char *err, size_t errlen);

/* Validates one value against a constraint id ("path", "vcpus", ...).
 * field names the field in the error. Returns 0, -EINVAL, or -ENOENT when
 * the constraint id is unknown. */
int validate_value(const char *constraint, const char *field, const char *value,
                   const struct validate_opts *opts, char *err, size_t errlen);

/* The resource name rule alone. */
int validate_name(const char *field, const char *value, const struct validate_opts *opts,
                  char *err, size_t errlen);
