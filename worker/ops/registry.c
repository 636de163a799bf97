#include <errno.h>
#include <string.h>

#include "worker/ops/ops-network.h"
#include "worker/ops/params.h"
#include "worker/ops/registry.h"
#include "worker/ops/virtinstall.h"

static const char *const no_fields[] = {NULL};
static const char *const memory_fields[] = {"size", "current", "live", "config", NULL};
static const char *const vcpu_fields[] = {"count", "current", "live", "config",
                                          "hotpluggable", "guest", "maximum", NULL};
static const char *const delete_fields[] = {"delete_snapshots", "remove_all_storage", NULL};
static const char *const plug_disk_fields[] = {
    "persistent", "config",   "live",           "iothread",        "source",
    "targetbus",  "subdriver", "target",        "mode",            "driver",
    "read_bytes_sec", "write_bytes_sec", "read_iops_sec", "write_iops_sec", NULL};
static const char *const unplug_disk_fields[] = {"current", "persistent", "config", "live",
                                                 "target", NULL};
static const char *const plug_nic_fields[] = {"current", "persistent", "config", "live",
                                              "inbound", "source",     "type",   "mac",
                                              "outbound", NULL};
static const char *const unplug_nic_fields[] = {"current", "persistent", "config", "live",
                                                "type", "mac", NULL};
static const char *const device_fields[] = {"current", "persistent", "config", "live", "file",
                                            NULL};
static const char *const iso_fields[] = {"current", "config", "live",  "path",  "eject",
                                         "insert",  "update", "force", "block", NULL};
static const char *const os_fields[] = {"source", "target", NULL};
static const char *const migrate_fields[] = {
    "desturi",  "live",           "offline",          "p2p",              "direct",
    "tunnelled", "persistent",    "undefinesource",   "suspend",          "copy_storage_all",
    "copy_storage_inc", "change_protection", "unsafe", "compressed",      "auto_converge",
    "postcopy", "rdma_pin_all",   "abort_on_error",   NULL};

static const struct ops_entry vm_entries[] = {
    {"VirtualMachine", "createAndStartVMFromISO", ops_create_from_iso, virtinstall_fields, true},
    {"VirtualMachine", "createAndStartVMFromImage", ops_create_from_image, virtinstall_fields,
     true},
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
    {"VirtualMachine", "plugDisk", ops_plug_disk, plug_disk_fields, true},
    {"VirtualMachine", "unplugDisk", ops_unplug_disk, unplug_disk_fields, true},
    {"VirtualMachine", "plugNIC", ops_plug_nic, plug_nic_fields, true},
    {"VirtualMachine", "unplugNIC", ops_unplug_nic, unplug_nic_fields, true},
    {"VirtualMachine", "plugDevice", ops_plug_device, device_fields, true},
    {"VirtualMachine", "unplugDevice", ops_unplug_device, device_fields, true},
    {"VirtualMachine", "manageISO", ops_manage_iso, iso_fields, true},
    {"VirtualMachine", "updateOS", ops_update_os, os_fields, true},
    /* The VM has left this node: migrate.c describes it from the
     * destination, or says where it went. */
    {"VirtualMachine", "migrateVM", ops_migrate_vm, migrate_fields, false},
};

const struct ops_table ops_vm_table = {vm_entries, ELEMENTSOF(vm_entries)};

/* Every group of operations; a new group adds its table here. */
static const struct ops_table *const tables[] = {
    &ops_vm_table,
    &ops_snapshot_table,
    &ops_pool_table,
    &ops_disk_table,
    &ops_diskimage_table,
    &ops_image_table,
    &ops_network_table,
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
