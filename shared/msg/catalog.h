/* The operation catalogue: the 46 lifecycle operations of the seven kinds,
 * the fields of each operation's parameter object and the rule each field
 * obeys. schemas/operations.json is the source; it is compiled into
 * libvmrelay, so catalog_get() needs no data file.
 *
 * Every string and the example items point into the catalogue's own JSON
 * tree and live as long as the catalogue. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"

#define CATALOG_MAX_BYTES (1024 * 1024)
#define CATALOG_MAX_FIELDS 64

enum catalog_type {
    CATALOG_STRING,
    CATALOG_BOOLEAN,
    CATALOG_INTEGER,
    CATALOG_NUMBER,
};

struct catalog_field {
    const char *name;
    enum catalog_type type; /* the type the API document declares */
    bool required;
    bool accepts_string;  /* an integer field also takes a string of digits */
    bool accepts_integer; /* a string field also takes a JSON integer */
    const char *constraint;  /* a constraint id of the catalogue, or NULL */
    const char *description; /* English */
    const cJSON *example;
};

struct catalog_op {
    const char *kind;
    const char *name;        /* the key under spec.lifecycle, e.g. "resizeRAM" */
    const char *effect;      /* create, update, delete or convert */
    const char *description;
    const char *refresh;     /* spec field refreshed afterwards: domain, volume, pool, ... */
    const char *domain_field; /* snapshot operations: the field naming the domain; else NULL */
    const char *produces;    /* convert operations: the kind that results; else NULL */
    const cJSON *conflicts;  /* array of [a, b] pairs that may not both be true; or NULL */
    const struct catalog_field *fields;
    size_t n_fields;
};

struct catalog_kind {
    const char *kind, *plural, *short_name;
    const char *resource_field; /* the spec field that holds the libvirt description */
    const struct catalog_op *ops; /* n_ops consecutive entries of catalog.ops */
    size_t n_ops;
};

struct catalog {
    cJSON *root;
    struct catalog_kind *kinds;
    size_t n_kinds;
    struct catalog_op *ops;
    size_t n_ops;
    struct catalog_field *fields;
    size_t n_fields;
};

/* The built-in catalogue, parsed on first use. Never NULL unless the
 * embedded JSON is broken (a build error, logged once) or memory ran out.
 * Any thread: initialisation runs once under pthread_once. */
const struct catalog *catalog_get(void);

/* Parses a catalogue text (tests, or an operator's override). On failure
 * returns -EINVAL/-ENOMEM and writes a sentence naming the place. Any
 * thread. */
int catalog_load(const char *json, size_t len, struct catalog **ret_cat, char *err,
                 size_t errlen);
void catalog_free(struct catalog *cat);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct catalog *, catalog_free);

/* Lookups; NULL when absent. Any thread. */
const struct catalog_kind *catalog_find_kind(const struct catalog *cat, const char *kind);
const struct catalog_op *catalog_find(const struct catalog *cat, const char *kind,
                                      const char *operation);
const struct catalog_field *catalog_op_field(const struct catalog_op *op, const char *name);
/* The description of a constraint id, or NULL. */
const char *catalog_constraint_text(const struct catalog *cat, const char *id);
const char *catalog_type_to_string(enum catalog_type t);
