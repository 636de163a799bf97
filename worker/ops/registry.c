#include <errno.h>
#include <string.h>

#include "worker/ops/params.h"
#include "worker/ops/registry.h"
#include "worker/ops/virtinstall.h"

static const char *const no_fields[] = {NULL};
static const char *const memory_fields[] = {"size", "current", "live", "config", NULL};
static const char *const vcpu_fields[] = {"count", "current", "live", "config",
                                          "hotpluggable", "guest", "maximum", NULL};
static const char *const delete_fields[] = {"delete_snapshots", "remove_all_storage", NULL};

static const struct ops_entry vm_entries[] = {
    {"VirtualMachine", "createAndStartVMFromISO", ops_create_from_iso, virtinstall_fields, true},
    {"VirtualMachine", "startVM", ops_start_vm, no_fields, true},
    {"VirtualMachine", "stopVM", ops_stop_vm, no_fields, true},
    {"VirtualMachine", "stopVMForce", ops_stop_vm_force, no_fields, true},
    {"VirtualMachine", "rebootVM", ops_reboot_vm, no_fields, true},
    {"VirtualMachine", "resetVM", ops_reset_vm, no_fields, true},
    {"VirtualMachine", "suspendVM", ops_suspend_vm, no_fields, true},
    {"VirtualMachine", "resumeVM", ops_resume_vm, no_fields, true},
    {"VirtualMachine", "resizeRAM", ops_resize_ram, memory_fields, true},
    {"VirtualMachine", "changeNumberOfCPU", ops_change_cpu, vcpu_fields, true},
    {"VirtualMachine", "deleteVM", ops_delete_vm, delete_fields, false},
};

const struct ops_table ops_vm_table = {vm_entries, ELEMENTSOF(vm_entries)};

/* Every group of operations; a new group adds its table here. */
static const struct ops_table *const tables[] = {
    &ops_vm_table,
};

const struct ops_entry *ops_registry_lookup(const char *kind, const char *operation)
{
    if (!kind || !operation)
        return NULL;
    for (size_t t = 0; t < ELEMENTSOF(tables); t++)
        for (size_t i = 0; i < tables[t]->n_entries; i++) {
            const struct ops_entry *e = &tables[t]->entries[i];

            if (strcmp(e->kind, kind) == 0 && strcmp(e->operation, operation) == 0)
                return e;
        }
    return NULL;
}

int ops_execute(virConnectPtr conn, const struct request *req, struct result *res)
{
    const struct ops_entry *e = ops_registry_lookup(req->kind, req->operation);
    char err[OPS_ERR_MAX];
    int r;

    if (!e)
        return ops_fail_virtctl(res, "operation %s is not supported for kind %s",
                                req->operation ? req->operation : "(none)",
                                req->kind ? req->kind : "(none)");
    r = ops_params_only(req->params, e->fields, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "%s: %s.", e->operation, err);

    /* A stale error from an earlier request must not be reported for this
     * one. */
    virResetLastError();
    r = e->fn(conn, req, res);
    if (r < 0) {
        if (!res->reason)
            return ops_fail_exception(res, r, "%s failed without saying why.", e->operation);
        return r;
    }
    if (e->describe)
        return ops_result_set_domain(conn, req->name, res);
    if (!res->reason)
        return ops_result_set_ok(res, "Ready", "The operation is done.");
    return 0;
}
