/* createAndStartVMFromISO and createAndStartVMFromImage: virt-install
 * prints the XML, libvirt runs it. From an image the first disk is booted
 * as it is (virt-install --import): it is the disk a createDiskFromDiskImage
 * or cloneDisk made from the template, so no installation phase runs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/ops/ops.h"
#include "worker/ops/virtinstall.h"

static const char *virtinstall_program = VIRTINSTALL_PATH;

void ops_create_set_program(const char *path)
{
    virtinstall_program = path ? path : VIRTINSTALL_PATH;
}

/* Mirrors virt-install's own order: with an install phase the VM first
 * boots the install XML as a transient domain and the final XML becomes its
 * persistent definition; without one the final XML is defined and started. */
static int domain_define_and_start(virConnectPtr conn, const char *install, const char *final,
                                   struct result *res, virDomainPtr *ret_dom)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;

    if (install) {
        dom = virDomainCreateXML(conn, install, 0);
        if (!dom)
            return ops_fail_libvirt(res, "Cannot start the VM installation");
        virDomainFree(dom);
        dom = virDomainDefineXML(conn, final);
        if (!dom)
            return ops_fail_libvirt(res, "The installation started but the VM cannot be defined");
    } else {
        dom = virDomainDefineXML(conn, final);
        if (!dom)
            return ops_fail_libvirt(res, "Cannot define the VM");
        if (virDomainCreate(dom) < 0) {
            int r = ops_fail_libvirt(res, "Cannot start the new VM");

            /* Leave nothing half-made behind, so that the same request can
             * be sent again once its cause is fixed. */
            (void)virDomainUndefine(dom);
            return r;
        }
    }
    *ret_dom = TAKE_PTR(dom);
    return 0;
}

/* The network's inbound/outbound limits, which virt-install cannot take,
 * go into both printed documents. */
static int create_apply_bandwidth(const cJSON *params, char **install, char **final, char *err,
                                  size_t errlen)
{
    char **docs[] = {install, final};

    for (size_t i = 0; i < ELEMENTSOF(docs); i++) {
        char *edited = NULL;
        int r;

        if (!*docs[i])
            continue;
        r = virtinstall_apply_bandwidth(params, *docs[i], &edited, err, errlen);
        if (r < 0)
            return r;
        if (edited) {
            free(*docs[i]);
            *docs[i] = edited;
        }
    }
    return 0;
}

static int create_vm(virConnectPtr conn, const struct request *req, enum virtinstall_mode mode,
                     struct result *res)
{
    _cleanup_(virtinstall_argv_freep) struct virtinstall_argv *args = NULL;
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_free_ char *uri = NULL, *out = NULL, *install = NULL, *final = NULL;
    char err[OPS_ERR_MAX];
    const cJSON *autostart;
    int r;

    dom = virDomainLookupByName(conn, req->name);
    if (dom)
        return ops_fail_virtctl(res, "A VM named %s already exists on this node.", req->name);
    virResetLastError();

    uri = virConnectGetURI(conn);
    if (!uri)
        return ops_fail_libvirt(res, "Cannot read the libvirt URI for virt-install");
    r = virtinstall_argv_build(uri, req->name, req->params, mode, &args, err, sizeof(err));
    if (r == -EINVAL)
        return ops_fail_virtctl(res, "%s: %s.", req->operation, err);
    if (r < 0)
        return ops_fail_exception(res, r, "Cannot build the virt-install command.");

    r = virtinstall_run(virtinstall_program, args, &out, err, sizeof(err));
    if (r == -EPROTO)
        return ops_fail_virtctl(res, "virt-install refused the request: %s", err);
    if (r < 0)
        return ops_fail_exception(res, r, "virt-install did not complete: %s.", err);
    r = virtinstall_split(out, &install, &final);
    if (r < 0)
        return ops_fail_exception(res, r, "virt-install printed no domain XML.");
    r = create_apply_bandwidth(req->params, &install, &final, err, sizeof(err));
    if (r < 0)
        return ops_fail_exception(res, r, "Cannot add the network bandwidth: %s.", err);

    r = domain_define_and_start(conn, install, final, res, &dom);
    if (r < 0)
        return r;

    /* --print-xml does not carry autostart: it is a property of the
     * definition, so it is set through the API. */
    autostart = cJSON_GetObjectItemCaseSensitive(req->params, "autostart");
    if ((cJSON_IsTrue(autostart) ||
         (cJSON_IsString(autostart) && strcmp(autostart->valuestring, "true") == 0)) &&
        virDomainSetAutostart(dom, 1) < 0)
        return ops_fail_libvirt(res, "The VM started but autostart cannot be set");
    return 0;
}

int ops_create_from_iso(virConnectPtr conn, const struct request *req, struct result *res)
{
    return create_vm(conn, req, VIRTINSTALL_INSTALL, res);
}

int ops_create_from_image(virConnectPtr conn, const struct request *req, struct result *res)
{
    return create_vm(conn, req, VIRTINSTALL_IMPORT, res);
}
