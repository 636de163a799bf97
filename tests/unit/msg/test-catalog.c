/* The operation catalogue: all 46 operations of the API document over its
 * seven kinds, every rule known to the validator, every example valid, and
 * docs/operations.md in step with the catalogue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/testing.h"
#include "render-operations.h"
#include "shared/core/json.h"
#include "shared/msg/catalog.h"
#include "shared/msg/validate.h"

#define DOC_MAX (4 * 1024 * 1024)

/* Every operation of the API document, by kind, as its lifecycle key. */
static const struct {
    const char *kind, *op;
} doc_ops[] = {
    {"VirtualMachine", "createAndStartVMFromISO"}, {"VirtualMachine", "createAndStartVMFromImage"},
    {"VirtualMachine", "resizeRAM"},               {"VirtualMachine", "suspendVM"},
    {"VirtualMachine", "stopVMForce"},             {"VirtualMachine", "unplugDevice"},
    {"VirtualMachine", "unplugNIC"},               {"VirtualMachine", "migrateVM"},
    {"VirtualMachine", "changeNumberOfCPU"},       {"VirtualMachine", "resumeVM"},
    {"VirtualMachine", "plugDisk"},                {"VirtualMachine", "plugDevice"},
    {"VirtualMachine", "resetVM"},                 {"VirtualMachine", "unplugDisk"},
    {"VirtualMachine", "stopVM"},                  {"VirtualMachine", "startVM"},
    {"VirtualMachine", "deleteVM"},                {"VirtualMachine", "rebootVM"},
    {"VirtualMachine", "plugNIC"},                 {"VirtualMachine", "manageISO"},
    {"VirtualMachine", "updateOS"},                {"VirtualMachine", "convertVMToImage"},
    {"VirtualMachineSnapshot", "deleteSnapshot"},  {"VirtualMachineSnapshot", "createSnapshot"},
    {"VirtualMachineSnapshot", "revertVirtualMachine"},
    {"VirtualMachinePool", "autoStart"},           {"VirtualMachinePool", "createPool"},
    {"VirtualMachinePool", "startPool"},           {"VirtualMachinePool", "registerPool"},
    {"VirtualMachinePool", "stopPool"},            {"VirtualMachinePool", "deletePool"},
    {"VirtualMachinePool", "unregisterPool"},
    {"VirtualMachineNetwork", "createSwitch"},     {"VirtualMachineNetwork", "deleteSwitch"},
    {"VirtualMachineImage", "createImage"},        {"VirtualMachineImage", "deleteImage"},
    {"VirtualMachineImage", "convertImageToVM"},
    {"VirtualMachineDisk", "deleteDisk"},          {"VirtualMachineDisk", "resizeDisk"},
    {"VirtualMachineDisk", "createDisk"},
    {"VirtualMachineDisk", "createDiskFromDiskImage"},
    {"VirtualMachineDisk", "convertDiskToDiskImage"}, {"VirtualMachineDisk", "cloneDisk"},
    {"VirtualMachineDiskImage", "convertDiskImageToDisk"},
    {"VirtualMachineDiskImage", "deleteDiskImage"}, {"VirtualMachineDiskImage", "createDiskImage"},
};

static void test_coverage(const struct catalog *cat)
{
    CHECK_INT(ELEMENTSOF(doc_ops), 46);
    CHECK_INT(cat->n_kinds, 7);
    CHECK_INT(cat->n_ops, 46);
    for (size_t i = 0; i < ELEMENTSOF(doc_ops); i++)
        if (!CHECK(catalog_find(cat, doc_ops[i].kind, doc_ops[i].op) != NULL))
            fprintf(stderr, "  missing %s/%s\n", doc_ops[i].kind, doc_ops[i].op);
    CHECK(catalog_find(cat, "VirtualMachine", "createSnapshot") == NULL);
    CHECK(catalog_find(cat, "Nothing", "startVM") == NULL);
}

static void test_details(const struct catalog *cat)
{
    const struct catalog_op *op = catalog_find(cat, "VirtualMachine", "resizeRAM");
    const struct catalog_field *f;

    CHECK(op != NULL);
    if (!op)
        return;
    CHECK_STR(op->refresh, "domain");
    f = catalog_op_field(op, "size");
    CHECK(f && f->required && f->type == CATALOG_STRING && f->accepts_integer);
    CHECK_STR(f ? f->constraint : NULL, "size_kib");

    op = catalog_find(cat, "VirtualMachineSnapshot", "revertVirtualMachine");
    CHECK(op && op->domain_field && strcmp(op->domain_field, "domain") == 0);
    CHECK_STR(op ? op->refresh : NULL, "domainsnapshot");
    op = catalog_find(cat, "VirtualMachineDisk", "createDisk");
    CHECK_STR(op ? op->refresh : NULL, "volume");
    CHECK_STR(catalog_find_kind(cat, "VirtualMachineNetwork")->resource_field, "data");
    CHECK_STR(catalog_find_kind(cat, "VirtualMachineSnapshot")->short_name, "vmsn");
    op = catalog_find(cat, "VirtualMachine", "convertVMToImage");
    CHECK_STR(op ? op->produces : NULL, "VirtualMachineImage");
}

/* Every rule the catalogue names is one the validator knows, and every
 * operation's own example passes validation. */
static void test_rules_and_examples(const struct catalog *cat)
{
    for (size_t i = 0; i < cat->n_ops; i++) {
        const struct catalog_op *op = &cat->ops[i];
        _cleanup_(cJSON_Deletep) cJSON *params = render_example_params(op);
        const char *name = strcmp(op->kind, "VirtualMachineNetwork") == 0 ? "switch0001"
                                                                         : "resource0001";
        char err[512] = "";

        for (size_t j = 0; j < op->n_fields; j++) {
            const char *c = op->fields[j].constraint;

            if (c && !CHECK(catalog_constraint_text(cat, c) != NULL))
                fprintf(stderr, "  %s.%s: rule %s undocumented\n", op->name,
                        op->fields[j].name, c);
            if (c && !CHECK(validate_value(c, "x", "", NULL, err, sizeof(err)) != -ENOENT))
                fprintf(stderr, "  %s.%s: rule %s unknown to the validator\n", op->name,
                        op->fields[j].name, c);
            CHECK(op->fields[j].example != NULL);
        }
        if (!CHECK_INT(validate_request(cat, op->kind, name, op->name, params, NULL, err,
                                        sizeof(err)), 0))
            fprintf(stderr, "  example of %s: %s\n", op->name, err);
    }
}

static void test_load_errors(void)
{
    _cleanup_(catalog_freep) struct catalog *cat = NULL;
    const char bad[] = "{\"kinds\":[{\"kind\":\"K\",\"plural\":\"ks\",\"short\":\"k\","
                       "\"resource_field\":\"x\",\"operations\":[{\"name\":\"a\","
                       "\"effect\":\"update\",\"description\":\"d\",\"fields\":[{\"name\":\"f\","
                       "\"type\":\"date\",\"description\":\"d\"}]}]}]}";
    char err[256] = "";

    CHECK_INT(catalog_load("{", 1, &cat, err, sizeof(err)), -EINVAL);
    CHECK_INT(catalog_load("{\"kinds\":[]}", 12, &cat, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "kinds") != NULL);
    CHECK_INT(catalog_load(bad, strlen(bad), &cat, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "unknown type") != NULL);
    CHECK(cat == NULL);
}

static char *read_all(const char *path)
{
    char *buf = calloc(1, DOC_MAX + 1);
    FILE *f = fopen(path, "re");
    size_t n;

    if (!buf || !f) {
        free(buf);
        if (f)
            fclose(f);
        return NULL;
    }
    n = fread(buf, 1, DOC_MAX, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The committed document equals the rendering; VMRELAY_REGENERATE=1
 * rewrites it instead. */
static void test_doc_in_step(const struct catalog *cat)
{
    const char *src = getenv("VMRELAY_SOURCE_DIR");
    _cleanup_free_ char *want = NULL, *have = NULL, *cov_text = NULL;
    _cleanup_(cJSON_Deletep) cJSON *coverage = NULL;
    char path[1024];

    snprintf(path, sizeof(path), "%s/tests/operation-coverage.json", src ? src : ".");
    cov_text = read_all(path);
    coverage = cov_text ? cJSON_Parse(cov_text) : NULL;
    if (!CHECK(cJSON_IsObject(coverage)))
        fprintf(stderr, "  %s is missing or not a JSON object\n", path);
    want = render_operations_md(cat, coverage);
    CHECK(want != NULL);
    if (!want)
        return;
    snprintf(path, sizeof(path), "%s/docs/operations.md", src ? src : ".");
    if (getenv("VMRELAY_REGENERATE")) {
        FILE *f = fopen(path, "we");

        CHECK(f != NULL);
        if (f) {
            CHECK(fputs(want, f) >= 0);
            CHECK_INT(fclose(f), 0);
            fprintf(stderr, "rewrote %s\n", path);
        }
        return;
    }
    have = read_all(path);
    if (!CHECK(have && strcmp(have, want) == 0))
        fprintf(stderr, "  %s is out of step with schemas/operations.json; run with "
                "VMRELAY_REGENERATE=1 to rewrite it\n", path);
}

int main(void)
{
    const struct catalog *cat = catalog_get();

    if (!cat)
        test_abort("the built-in catalogue did not load");
    CHECK(catalog_get() == cat); /* parsed once */
    test_coverage(cat);
    test_details(cat);
    test_rules_and_examples(cat);
    test_load_errors();
    test_doc_in_step(cat);
    return test_finish();
}
