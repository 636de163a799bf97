/* The operation catalogue loader (see catalog.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "shared/core/log.h"
#include "shared/msg/catalog.h"

/* Generated from schemas/operations.json by cmake/embed.cmake. */
extern const unsigned char vmrelay_catalog_json[];
extern const size_t vmrelay_catalog_json_len;

static const char *const catalog_type_names[] = {
    [CATALOG_STRING] = "string",
    [CATALOG_BOOLEAN] = "boolean",
    [CATALOG_INTEGER] = "integer",
    [CATALOG_NUMBER] = "number",
};

const char *catalog_type_to_string(enum catalog_type t)
{
    if ((size_t)t >= ELEMENTSOF(catalog_type_names))
        return "unknown";
    return catalog_type_names[t];
}

void catalog_free(struct catalog *cat)
{
    if (!cat)
        return;
    cJSON_Delete(cat->root);
    free(cat->kinds);
    free(cat->ops);
    free(cat->fields);
    free(cat);
}

static const char *catalog_str(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static int catalog_fail(char *err, size_t errlen, const char *where, const char *what)
{
    snprintf(err, errlen, "operation catalogue: %s: %s", where, what);
    return -EINVAL;
}

static int catalog_field_load(const cJSON *jf, const char *opname, struct catalog_field *f,
                              char *err, size_t errlen)
{
    const char *type = catalog_str(jf, "type");
    const cJSON *accepts = cJSON_GetObjectItemCaseSensitive(jf, "accepts");
    const cJSON *a;
    size_t t;

    f->name = catalog_str(jf, "name");
    f->description = catalog_str(jf, "description");
    f->constraint = catalog_str(jf, "constraint");
    f->required = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(jf, "required"));
    f->example = cJSON_GetObjectItemCaseSensitive(jf, "example");
    if (!f->name || !type || !f->description)
        return catalog_fail(err, errlen, opname, "a field lacks name, type or description");
    for (t = 0; t < ELEMENTSOF(catalog_type_names); t++)
        if (strcmp(type, catalog_type_names[t]) == 0)
            break;
    if (t == ELEMENTSOF(catalog_type_names))
        return catalog_fail(err, errlen, f->name, "unknown type");
    f->type = (enum catalog_type)t;
    cJSON_ArrayForEach(a, accepts) {
        if (!cJSON_IsString(a))
            continue;
        if (strcmp(a->valuestring, "string") == 0)
            f->accepts_string = true;
        if (strcmp(a->valuestring, "integer") == 0)
            f->accepts_integer = true;
    }
    return 0;
}

static int catalog_op_load(struct catalog *cat, const char *kind, const cJSON *jop,
                           struct catalog_op *op, char *err, size_t errlen)
{
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(jop, "fields");
    const cJSON *jf;
    int r;

    op->kind = kind;
    op->name = catalog_str(jop, "name");
    op->effect = catalog_str(jop, "effect");
    op->description = catalog_str(jop, "description");
    op->refresh = catalog_str(jop, "refresh");
    op->domain_field = catalog_str(jop, "domain_field");
    op->produces = catalog_str(jop, "produces");
    op->conflicts = cJSON_GetObjectItemCaseSensitive(jop, "conflicts");
    if (!op->name || !op->effect || !op->description || !cJSON_IsArray(fields))
        return catalog_fail(err, errlen, kind, "an operation lacks name, effect, description "
                            "or fields");
    if (cJSON_GetArraySize(fields) > CATALOG_MAX_FIELDS)
        return catalog_fail(err, errlen, op->name, "too many fields");

    op->fields = cat->fields + cat->n_fields;
    cJSON_ArrayForEach(jf, fields) {
        r = catalog_field_load(jf, op->name, &cat->fields[cat->n_fields], err, errlen);
        if (r < 0)
            return r;
        cat->n_fields++;
        op->n_fields++;
    }
    return 0;
}

/* Counts operations and fields so that each table is one allocation. */
static void catalog_count(const cJSON *kinds, size_t *ret_ops, size_t *ret_fields)
{
    const cJSON *jk, *jop;

    *ret_ops = *ret_fields = 0;
    cJSON_ArrayForEach(jk, kinds) {
        cJSON_ArrayForEach(jop, cJSON_GetObjectItemCaseSensitive(jk, "operations")) {
            (*ret_ops)++;
            *ret_fields += (size_t)cJSON_GetArraySize(
                cJSON_GetObjectItemCaseSensitive(jop, "fields"));
        }
    }
}

static int catalog_kind_load(struct catalog *cat, const cJSON *jk, struct catalog_kind *k,
                             char *err, size_t errlen)
{
    const cJSON *jop;
    int r;

    k->kind = catalog_str(jk, "kind");
    k->plural = catalog_str(jk, "plural");
    k->short_name = catalog_str(jk, "short");
    k->resource_field = catalog_str(jk, "resource_field");
    if (!k->kind || !k->plural || !k->short_name || !k->resource_field)
        return catalog_fail(err, errlen, "kinds", "a kind lacks kind, plural, short or "
                            "resource_field");

    k->ops = cat->ops + cat->n_ops;
    cJSON_ArrayForEach(jop, cJSON_GetObjectItemCaseSensitive(jk, "operations")) {
        r = catalog_op_load(cat, k->kind, jop, &cat->ops[cat->n_ops], err, errlen);
        if (r < 0)
            return r;
        cat->n_ops++;
        k->n_ops++;
    }
    return 0;
}

int catalog_load(const char *json, size_t len, struct catalog **ret_cat, char *err,
                 size_t errlen)
{
    _cleanup_(catalog_freep) struct catalog *cat = NULL;
    const cJSON *kinds, *jk;
    size_t n_ops, n_fields;
    int r;

    if (len > CATALOG_MAX_BYTES)
        return catalog_fail(err, errlen, "document", "larger than the 1 MiB cap");
    cat = calloc(1, sizeof(*cat));
    if (!cat)
        return -ENOMEM;
    cat->root = cJSON_ParseWithLength(json, len);
    if (!cat->root)
        return catalog_fail(err, errlen, "document", "not valid JSON");
    kinds = cJSON_GetObjectItemCaseSensitive(cat->root, "kinds");
    if (!cJSON_IsArray(kinds) || cJSON_GetArraySize(kinds) == 0)
        return catalog_fail(err, errlen, "kinds", "expected a non-empty array");

    catalog_count(kinds, &n_ops, &n_fields);
    cat->kinds = calloc((size_t)cJSON_GetArraySize(kinds), sizeof(*cat->kinds));
    cat->ops = calloc(n_ops + 1, sizeof(*cat->ops));
    cat->fields = calloc(n_fields + 1, sizeof(*cat->fields));
    if (!cat->kinds || !cat->ops || !cat->fields)
        return -ENOMEM;

    cJSON_ArrayForEach(jk, kinds) {
        r = catalog_kind_load(cat, jk, &cat->kinds[cat->n_kinds], err, errlen);
        if (r < 0)
            return r;
        cat->n_kinds++;
    }
    *ret_cat = TAKE_PTR(cat);
    return 0;
}

static struct catalog *catalog_builtin;

static void catalog_builtin_init(void)
{
    char err[256] = "";
    int r;

    r = catalog_load((const char *)vmrelay_catalog_json, vmrelay_catalog_json_len,
                     &catalog_builtin, err, sizeof(err));
    if (r < 0)
        log_error_errno(r, "The built-in operation catalogue cannot be loaded: %s", err);
}

const struct catalog *catalog_get(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, catalog_builtin_init);
    return catalog_builtin;
}

const struct catalog_kind *catalog_find_kind(const struct catalog *cat, const char *kind)
{
    if (!cat || !kind)
        return NULL;
    for (size_t i = 0; i < cat->n_kinds; i++)
        if (strcmp(cat->kinds[i].kind, kind) == 0)
            return &cat->kinds[i];
    return NULL;
}

const struct catalog_op *catalog_find(const struct catalog *cat, const char *kind,
                                      const char *operation)
{
    const struct catalog_kind *k = catalog_find_kind(cat, kind);

    if (!k || !operation)
        return NULL;
    for (size_t i = 0; i < k->n_ops; i++)
        if (strcmp(k->ops[i].name, operation) == 0)
            return &k->ops[i];
    return NULL;
}

const struct catalog_field *catalog_op_field(const struct catalog_op *op, const char *name)
{
    for (size_t i = 0; i < op->n_fields; i++)
        if (strcmp(op->fields[i].name, name) == 0)
            return &op->fields[i];
    return NULL;
}

const char *catalog_constraint_text(const struct catalog *cat, const char *id)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(cat->root, "constraints");

    c = cJSON_GetObjectItemCaseSensitive(c, id);
    return catalog_str(c, "description");
}
