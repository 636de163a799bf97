/* VirtualMachineSnapshot: createSnapshot, deleteSnapshot and
 * revertVirtualMachine. The request's name is the snapshot's name; the
 * field "domain" names the VM (the catalogue's domain_field). */
#include <errno.h>
#include <stdio.h>

#include "worker/ops/ops-storage.h"
#include "worker/ops/params.h"
#include "worker/ops/registry.h"

static int snapshot_domain(virConnectPtr conn, const struct request *req, struct result *res,
                           const char **ret_name, virDomainPtr *ret_dom)
{
    char what[STORAGE_NAME_MAX + 32];
    virDomainPtr dom;
    int r;

    r = storage_check_name(req, res);
    if (r < 0)
        return r;
    r = storage_param_name(req, "domain", res, ret_name);
    if (r < 0)
        return r;
    dom = virDomainLookupByName(conn, *ret_name);
    if (!dom) {
        snprintf(what, sizeof(what), "Cannot find the VM %s", *ret_name);
        return ops_fail_libvirt(res, what);
    }
    *ret_dom = dom;
    return 0;
}

static int snapshot_lookup(virDomainPtr dom, const struct request *req, const char *domain,
                           struct result *res, virDomainSnapshotPtr *ret_snap)
{
    char what[2 * STORAGE_NAME_MAX + 48];
    virDomainSnapshotPtr snap = virDomainSnapshotLookupByName(dom, req->name, 0);

    if (!snap) {
        snprintf(what, sizeof(what), "Cannot find the snapshot %s of VM %s", req->name, domain);
        return ops_fail_libvirt(res, what);
    }
    *ret_snap = snap;
    return 0;
}

static int snapshot_result(virDomainSnapshotPtr snap, const char *message, struct result *res)
{
    _cleanup_free_ char *xml = virDomainSnapshotGetXMLDesc(snap, 0);

    if (!xml)
        return ops_fail_libvirt(res, "The operation ran but the snapshot cannot be described");
    return storage_result(res, message, "domainsnapshot", xml);
}

int ops_snapshot_create(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_(virDomainSnapshotFreep) virDomainSnapshotPtr snap = NULL;
    char xml[STORAGE_NAME_MAX + 64], message[2 * STORAGE_NAME_MAX + 64];
    const char *domain;
    int r;

    r = snapshot_domain(conn, req, res, &domain, &dom);
    if (r < 0)
        return r;
    /* The name passed the word rule: nothing in it needs escaping. */
    snprintf(xml, sizeof(xml), "<domainsnapshot><name>%s</name></domainsnapshot>", req->name);
    snap = virDomainSnapshotCreateXML(dom, xml, 0);
    if (!snap)
        return ops_fail_libvirt(res, "Cannot create the snapshot");
    snprintf(message, sizeof(message), "The snapshot %s of VM %s is created.", req->name,
             domain);
    return snapshot_result(snap, message, res);
}

int ops_snapshot_delete(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_(virDomainSnapshotFreep) virDomainSnapshotPtr snap = NULL;
    char message[2 * STORAGE_NAME_MAX + 64];
    const char *domain;
    int r;

    r = snapshot_domain(conn, req, res, &domain, &dom);
    if (r < 0)
        return r;
    r = snapshot_lookup(dom, req, domain, res, &snap);
    if (r < 0)
        return r;
    if (virDomainSnapshotDelete(snap, 0) < 0)
        return ops_fail_libvirt(res, "Cannot delete the snapshot");
    snprintf(message, sizeof(message), "The snapshot %s of VM %s is deleted.", req->name,
             domain);
    return storage_result(res, message, NULL, NULL);
}

int ops_snapshot_revert(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_(virDomainSnapshotFreep) virDomainSnapshotPtr snap = NULL;
    char err[OPS_ERR_MAX], message[2 * STORAGE_NAME_MAX + 96];
    const char *domain;
    bool running;
    int r;

    r = ops_param_bool(req->params, "running", &running, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "revertVirtualMachine: %s.", err);
    r = snapshot_domain(conn, req, res, &domain, &dom);
    if (r < 0)
        return r;
    r = snapshot_lookup(dom, req, domain, res, &snap);
    if (r < 0)
        return r;
    if (virDomainRevertToSnapshot(snap, running ? VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING : 0) < 0)
        return ops_fail_libvirt(res, "Cannot revert the VM to the snapshot");
    snprintf(message, sizeof(message), "VM %s is reverted to the snapshot %s%s.", domain,
             req->name, running ? " and running" : "");
    return snapshot_result(snap, message, res);
}

static const char *const snapshot_fields[] = {"domain", NULL};
static const char *const revert_fields[] = {"domain", "running", NULL};

static const struct ops_entry snapshot_entries[] = {
    {"VirtualMachineSnapshot", "createSnapshot", ops_snapshot_create, snapshot_fields, false},
    {"VirtualMachineSnapshot", "deleteSnapshot", ops_snapshot_delete, snapshot_fields, false},
    {"VirtualMachineSnapshot", "revertVirtualMachine", ops_snapshot_revert, revert_fields,
     false},
};

const struct ops_table ops_snapshot_table = {snapshot_entries,
                                             ELEMENTSOF(snapshot_entries)};
