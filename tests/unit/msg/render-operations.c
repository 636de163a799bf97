/* Renders docs/operations.md from the operation catalogue, so that the
 * document can never drift from what the validator enforces. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render-operations.h"
#include "shared/core/macro.h"

cJSON *render_example_params(const struct catalog_op *op)
{
    cJSON *params = cJSON_CreateObject();

    for (size_t i = 0; params && i < op->n_fields; i++)
        if (op->fields[i].example)
            cJSON_AddItemToObject(params, op->fields[i].name,
                                  cJSON_Duplicate(op->fields[i].example, true));
    return params;
}

/* Writes text into a table cell, where a bare pipe would end the cell. */
static void render_cell(FILE *f, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        if (*p == '|')
            fputs("\\|", f);
        else
            fputc(*p, f);
    }
}

static void render_example_value(FILE *f, const cJSON *example)
{
    char *text = example ? cJSON_PrintUnformatted(example) : NULL;

    render_cell(f, text);
    free(text);
}

/* One parameter a line, two-space indented: easier to read than cJSON's
 * tab-indented output. */
static void render_example(FILE *f, const struct catalog_op *op)
{
    cJSON *params = render_example_params(op);
    const cJSON *p;

    fprintf(f, "```json\n{\"kind\": \"%s\", \"operation\": \"%s\", \"params\": {", op->kind,
            op->name);
    cJSON_ArrayForEach(p, params) {
        char *text = cJSON_PrintUnformatted(p);

        fprintf(f, "\n  \"%s\": %s%s", p->string, text ? text : "null", p->next ? "," : "\n");
        free(text);
    }
    fprintf(f, "}}\n```\n\n");
    cJSON_Delete(params);
}

static void render_op(FILE *f, const struct catalog_op *op)
{
    fprintf(f, "### %s\n\n%s\n\n", op->name, op->description);
    fprintf(f, "Effect: %s. Refreshes `spec.%s`.", op->effect, op->refresh ? op->refresh : "-");
    if (op->domain_field)
        fprintf(f, " The field `%s` names the domain; the request is keyed and ordered with "
                "that VirtualMachine.", op->domain_field);
    if (op->produces)
        fprintf(f, " Produces a %s.", op->produces);
    fprintf(f, "\n\n");

    if (op->n_fields == 0) {
        fprintf(f, "Takes no parameters: `{}`. Any field is refused.\n\n");
    } else {
        fprintf(f, "| field | type | required | rule | description | example |\n");
        fprintf(f, "|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < op->n_fields; i++) {
            const struct catalog_field *fd = &op->fields[i];

            const char *also = fd->accepts_integer ? " (or integer)"
                               : fd->accepts_string ? " (or string)"
                                                    : "";

            fprintf(f, "| `%s` | %s%s | %s | %s | ", fd->name, catalog_type_to_string(fd->type),
                    also, fd->required ? "yes" : "no", fd->constraint ? fd->constraint : "-");
            render_cell(f, fd->description);
            fprintf(f, " | ");
            render_example_value(f, fd->example);
            fprintf(f, " |\n");
        }
        fprintf(f, "\n");
    }
    if (op->conflicts && cJSON_GetArraySize(op->conflicts) > 0) {
        const cJSON *pair;

        cJSON_ArrayForEach(pair, op->conflicts)
            fprintf(f, "`%s` and `%s` may not both be true.\n\n",
                    cJSON_GetArrayItem(pair, 0)->valuestring,
                    cJSON_GetArrayItem(pair, 1)->valuestring);
    }

    fprintf(f, "Example (the request fields that vary):\n\n");
    render_example(f, op);
}

static void render_constraints(FILE *f, const struct catalog *cat)
{
    const cJSON *c;

    fprintf(f, "## Rules\n\n| rule | what it accepts |\n|---|---|\n");
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cat->root, "constraints")) {
        fprintf(f, "| `%s` | ", c->string);
        render_cell(f, cJSON_GetObjectItemCaseSensitive(c, "description")->valuestring);
        fprintf(f, " |\n");
    }
    fprintf(f, "\n");
}

/* The tier of a ctest name is its first path part: "e2e/worker" -> e2e. */
static void render_tiers(FILE *f, const cJSON *entries)
{
    const char *seen[8];
    size_t seen_len[8], n = 0;
    const cJSON *entry, *test;

    cJSON_ArrayForEach(entry, entries)
        cJSON_ArrayForEach(test, cJSON_GetObjectItemCaseSensitive(entry, "tests")) {
            const char *name = cJSON_GetStringValue(test);
            const char *slash = name ? strchr(name, '/') : NULL;
            size_t len = slash ? (size_t)(slash - name) : 0;
            bool dup = false;

            for (size_t i = 0; i < n; i++)
                dup |= seen_len[i] == len && strncmp(seen[i], name, len) == 0;
            if (len == 0 || dup || n == ELEMENTSOF(seen))
                continue;
            seen[n] = name;
            seen_len[n++] = len;
            fprintf(f, "%s%.*s", n > 1 ? ", " : "", (int)len, name);
        }
    if (n == 0)
        fputs("none", f);
}

static void render_coverage(FILE *f, const struct catalog *cat, const cJSON *coverage)
{
    fprintf(f, "## Tests\n\nWhich ctest tests carry each operation out on real peers (tier\n"
               "`e2e`: libvirt's test driver; `real`: QEMU with the tiny guest; `fault`: with\n"
               "a worker killed). The list is `tests/operation-coverage.json`; the unit test\n"
               "`unit/operation-coverage` fails when a test it names does not exist or its\n"
               "source does not run the operation.\n\n"
               "| kind | operation | tiers | tests |\n|---|---|---|---|\n");
    for (size_t k = 0; k < cat->n_kinds; k++)
        for (size_t i = 0; i < cat->kinds[k].n_ops; i++) {
            const char *name = cat->kinds[k].ops[i].name;
            const cJSON *entries = cJSON_GetObjectItemCaseSensitive(coverage, name);
            const cJSON *entry, *test;
            bool first = true;

            fprintf(f, "| %s | `%s` | ", cat->kinds[k].kind, name);
            render_tiers(f, entries);
            fputs(" | ", f);
            cJSON_ArrayForEach(entry, entries)
                cJSON_ArrayForEach(test, cJSON_GetObjectItemCaseSensitive(entry, "tests")) {
                    fprintf(f, "%s`%s`", first ? "" : ", ", cJSON_GetStringValue(test));
                    first = false;
                }
            fputs(" |\n", f);
        }
    fputs("\n", f);
}

char *render_operations_md(const struct catalog *cat, const cJSON *coverage)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    fprintf(f, "# Operations\n\n"
               "<!-- Generated from schemas/operations.json by tests/unit/msg/render-operations.c."
               "\n     Do not edit: change the catalogue, then run\n"
               "     VMRELAY_REGENERATE=1 ctest --test-dir BUILD -R msg-catalog -->\n\n"
               "The %zu lifecycle operations of the %zu kinds. A request is one key under\n"
               "`spec.lifecycle` (or the `operation` and `params` of a Kafka request, see\n"
               "[messages.md](messages.md)). Every field is checked before the request is\n"
               "dispatched: an unknown field, a missing required field, a wrong JSON type or a\n"
               "value that breaks its rule is refused with `VirtctlError` and a message naming\n"
               "the field. A field typed string \"(or integer)\" also takes a JSON whole number,\n"
               "because the document's own client writes some numbers that way.\n\n"
               "Resource names (and fields with the rule `name`) follow the document: 8 to 32\n"
               "lowercase letters and digits. Paths must be absolute, normalised and under an\n"
               "allowed root (default `/var/lib/libvirt`; configurable), including every path\n"
               "inside a `disk` string. The validator never reads the filesystem; the worker\n"
               "checks symlinks and existence.\n\n",
            cat->n_ops, cat->n_kinds);
    render_constraints(f, cat);
    render_coverage(f, cat, coverage);
    for (size_t k = 0; k < cat->n_kinds; k++) {
        const struct catalog_kind *kind = &cat->kinds[k];

        fprintf(f, "## %s\n\nPlural `%s`, short name `%s`; the libvirt description is kept in "
                   "`spec.%s`.\n\n",
                kind->kind, kind->plural, kind->short_name, kind->resource_field);
        for (size_t i = 0; i < kind->n_ops; i++)
            render_op(f, &kind->ops[i]);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
