/* deleteVM: destroy a running VM, undefine it and, when asked, remove the
 * storage volumes of its disks (virsh undefine --remove-all-storage). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "worker/ops/ops.h"
#include "worker/ops/params.h"

/* A VM with more disks than this is not a VM this API creates. */
#define DELETE_DISKS_MAX 64
#define DELETE_PATH_MAX 4096

struct disk_paths {
    char path[DELETE_DISKS_MAX][DELETE_PATH_MAX];
    size_t n;
};

/* Collects the sources of the VM's disks. CD-ROMs and floppies are left
 * out on purpose: an installation ISO is usually shared by many VMs. */
static int disk_paths_collect(const char *xml, struct disk_paths *paths)
{
    static const char expr[] = "/domain/devices/disk[@device='disk' or not(@device)]"
                               "/source/@*[name()='file' or name()='dev']";
    xmlDoc *doc;
    xmlXPathContext *ctx = NULL;
    xmlXPathObject *obj = NULL;
    int r = 0;

    doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc)
        return -EINVAL;
    ctx = xmlXPathNewContext(doc);
    if (ctx)
        obj = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    if (!obj) {
        r = -ENOMEM;
        goto out;
    }
    for (int i = 0; obj->nodesetval && i < obj->nodesetval->nodeNr; i++) {
        xmlChar *v = xmlNodeGetContent(obj->nodesetval->nodeTab[i]);

        if (v && paths->n < DELETE_DISKS_MAX)
            snprintf(paths->path[paths->n++], DELETE_PATH_MAX, "%s", (const char *)v);
        xmlFree(v);
    }
out:
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return r;
}

/* Removes each path that libvirt manages as a volume; counts the others,
 * which libvirt cannot remove and the operator must. */
static int volumes_remove(virConnectPtr conn, const struct disk_paths *paths, struct result *res,
                          size_t *ret_removed, size_t *ret_unmanaged)
{
    size_t removed = 0, unmanaged = 0;

    for (size_t i = 0; i < paths->n; i++) {
        _cleanup_(virStorageVolFreep) virStorageVolPtr vol = NULL;
        char what[DELETE_PATH_MAX + 96];

        vol = virStorageVolLookupByPath(conn, paths->path[i]);
        if (!vol) {
            unmanaged++;
            continue;
        }
        if (virStorageVolDelete(vol, 0) < 0) {
            snprintf(what, sizeof(what), "The VM was deleted but its volume %s cannot be removed",
                     paths->path[i]);
            return ops_fail_libvirt(res, what);
        }
        removed++;
    }
    *ret_removed = removed;
    *ret_unmanaged = unmanaged;
    return 0;
}

int ops_delete_vm(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_free_ struct disk_paths *paths = NULL;
    char err[OPS_ERR_MAX], message[256];
    size_t removed = 0, unmanaged = 0;
    bool remove_storage;
    unsigned flags;
    int r;

    r = ops_undefine_flags(req->params, &flags, &remove_storage, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "deleteVM: %s.", err);
    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;

    if (remove_storage) {
        _cleanup_free_ char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);

        if (!xml)
            return ops_fail_libvirt(res, "Cannot read the VM description to find its disks");
        paths = calloc(1, sizeof(*paths));
        if (!paths)
            return ops_fail_exception(res, ENOMEM, "Out of memory while listing the disks.");
        r = disk_paths_collect(xml, paths);
        if (r < 0)
            return ops_fail_exception(res, r, "The VM description cannot be parsed.");
    }

    /* As the original backend did: a running VM is powered off first, so
     * that undefine does not leave a transient domain behind. */
    if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0)
        return ops_fail_libvirt(res, "Cannot power off the VM before deleting it");
    if (virDomainUndefineFlags(dom, flags) < 0)
        return ops_fail_libvirt(res, "Cannot undefine the VM");

    if (paths) {
        r = volumes_remove(conn, paths, res, &removed, &unmanaged);
        if (r < 0)
            return r;
    }
    if (unmanaged > 0)
        snprintf(message, sizeof(message), "The VM is deleted; %zu volume(s) removed, %zu disk(s) "
                 "not managed by libvirt left in place.", removed, unmanaged);
    else if (removed > 0)
        snprintf(message, sizeof(message), "The VM is deleted; %zu volume(s) removed.", removed);
    else
        snprintf(message, sizeof(message), "The VM is deleted.");
    return ops_result_set_ok(res, "Ready", message);
}
