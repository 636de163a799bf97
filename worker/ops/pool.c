/* VirtualMachinePool: createPool, startPool, stopPool, deletePool,
 * autoStart, registerPool and unregisterPool. The request's name is the
 * pool's name. The pool XML of every pool created, registered or
 * unregistered here is kept under <storage-dir>/pools, so that
 * registerPool can define a pool again after unregisterPool. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "worker/ops/ops-storage.h"
#include "worker/ops/params.h"
#include "worker/ops/registry.h"

#define POOL_FILES "pools"

static int pool_get(virConnectPtr conn, const struct request *req, struct result *res,
                    virStoragePoolPtr *ret_pool)
{
    int r = storage_check_name(req, res);

    if (r < 0)
        return r;
    return storage_pool_lookup(conn, req->name, res, ret_pool);
}

/* The definition libvirt would start the pool from next time; drivers
 * that cannot tell it apart (the test driver refuses the flag) give the
 * live one, which for a pool differs only in sizes. */
static char *pool_inactive_xml(virStoragePoolPtr pool)
{
    char *xml = virStoragePoolGetXMLDesc(pool, VIR_STORAGE_XML_INACTIVE);
    virErrorPtr err;

    if (xml)
        return xml;
    err = virGetLastError();
    if (!err || err->code != VIR_ERR_INVALID_ARG)
        return NULL;
    return virStoragePoolGetXMLDesc(pool, 0);
}

/* Ready with spec.pool, and the XML saved as the pool's last known one. */
static int pool_result(virStoragePoolPtr pool, const char *message, struct result *res)
{
    _cleanup_free_ char *xml = virStoragePoolGetXMLDesc(pool, 0);
    _cleanup_free_ char *inactive = pool_inactive_xml(pool);
    int r;

    if (!xml || !inactive)
        return ops_fail_libvirt(res, "The operation ran but the pool cannot be described");
    r = storage_file_write(POOL_FILES, virStoragePoolGetName(pool), inactive);
    if (r < 0)
        return ops_fail_exception(res, r, "The operation ran but the pool description cannot "
                                  "be saved under %s/%s: %s.", ops_storage_dir(), POOL_FILES,
                                  strerror(-r));
    return storage_result(res, message, "pool", xml);
}

/* The pool XML createPool defines. Only dir and logical pools can be
 * described by the two fields: every other type needs a source (a device,
 * a host, an export) the catalogue has no field for. */
static int pool_xml(const struct request *req, const char *type, const char *target,
                    struct result *res, char *buf, size_t len)
{
    if (strcmp(type, "dir") == 0)
        snprintf(buf, len, "<pool type='dir'><name>%s</name><target><path>%s</path></target>"
                 "</pool>", req->name, target);
    else if (strcmp(type, "logical") == 0)
        /* An existing volume group named like the pool, at target. */
        snprintf(buf, len, "<pool type='logical'><name>%s</name><source><name>%s</name>"
                 "</source><target><path>%s</path></target></pool>", req->name, req->name,
                 target);
    else
        return ops_fail_virtctl(res, "createPool: field 'type': a %s pool needs a source "
                                "(device, host or export) that createPool has no field for; "
                                "only dir and logical pools can be created.", type);
    return 0;
}

int ops_pool_create(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;
    char xml[2 * STORAGE_PATH_MAX], err[OPS_ERR_MAX];
    const char *type, *target;
    int r;

    r = storage_check_name(req, res);
    if (r < 0)
        return r;
    r = ops_param_string(req->params, "type", &type, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "createPool: %s.", err);
    if (!type)
        return ops_fail_virtctl(res, "createPool: field 'type' is required.");
    r = storage_param_path(req, "target", res, &target);
    if (r < 0)
        return r;
    r = pool_xml(req, type, target, res, xml, sizeof(xml));
    if (r < 0)
        return r;

    pool = virStoragePoolLookupByName(conn, req->name);
    if (pool)
        return ops_fail_virtctl(res, "createPool: a pool named %s already exists.", req->name);
    virResetLastError();
    pool = virStoragePoolDefineXML(conn, xml, 0);
    if (!pool)
        return ops_fail_libvirt(res, "Cannot define the pool");
    /* A logical pool is an existing volume group: nothing to build. */
    if ((strcmp(type, "dir") == 0 && virStoragePoolBuild(pool, 0) < 0) ||
        virStoragePoolCreate(pool, 0) < 0 || virStoragePoolSetAutostart(pool, 1) < 0) {
        virErrorPtr e = virSaveLastError();

        /* No half pool: what was defined here goes again. */
        if (virStoragePoolIsActive(pool) == 1)
            (void)virStoragePoolDestroy(pool);
        (void)virStoragePoolUndefine(pool);
        ops_fail_virerror(res, e, "Cannot build and start the pool; its definition was removed");
        virFreeError(e);
        return -EIO;
    }
    return pool_result(pool, "The pool is created, running and starts with the node.", res);
}

int ops_pool_start(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;
    int r = pool_get(conn, req, res, &pool);

    if (r < 0)
        return r;
    if (virStoragePoolCreate(pool, 0) < 0)
        return ops_fail_libvirt(res, "Cannot start the pool");
    return pool_result(pool, "The pool is running.", res);
}

int ops_pool_stop(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;
    int r = pool_get(conn, req, res, &pool);

    if (r < 0)
        return r;
    if (virStoragePoolDestroy(pool) < 0)
        return ops_fail_libvirt(res, "Cannot stop the pool");
    /* A transient pool is gone once stopped: nothing left to describe. */
    if (virStoragePoolIsPersistent(pool) != 1) {
        virResetLastError();
        return storage_result(res, "The pool is stopped; it was not defined, so libvirt "
                              "no longer knows it.", NULL, NULL);
    }
    return pool_result(pool, "The pool is stopped.", res);
}

int ops_pool_delete(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;
    int r = pool_get(conn, req, res, &pool);

    if (r < 0)
        return r;
    if (strcmp(req->name, ops_storage_template_pool()) == 0)
        return ops_fail_virtctl(res, "deletePool: %s is the template pool of this node; "
                                "configure another one first.", req->name);
    /* Volumes are resources of their own: deleting them with the pool
     * would pull storage from under their owners. */
    if (virStoragePoolIsActive(pool) == 1) {
        int n;

        (void)virStoragePoolRefresh(pool, 0);
        n = virStoragePoolNumOfVolumes(pool);
        if (n < 0)
            return ops_fail_libvirt(res, "Cannot count the pool's volumes");
        if (n > 0)
            return ops_fail_virtctl(res, "deletePool: the pool %s still holds %d volume(s); "
                                    "delete them first.", req->name, n);
        if (virStoragePoolDestroy(pool) < 0)
            return ops_fail_libvirt(res, "Cannot stop the pool");
    }
    if (virStoragePoolDelete(pool, 0) < 0)
        return ops_fail_libvirt(res, "The pool is stopped but its storage cannot be deleted");
    if (virStoragePoolUndefine(pool) < 0)
        return ops_fail_libvirt(res, "The pool's storage is deleted but the pool cannot be "
                                "undefined");
    return storage_result(res, "The pool is deleted.", NULL, NULL);
}

int ops_pool_autostart(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;
    char err[OPS_ERR_MAX];
    bool disable;
    int r;

    if (!cJSON_GetObjectItemCaseSensitive(req->params, "disable"))
        return ops_fail_virtctl(res, "autoStart: field 'disable' is required.");
    r = ops_param_bool(req->params, "disable", &disable, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "autoStart: %s.", err);
    r = pool_get(conn, req, res, &pool);
    if (r < 0)
        return r;
    if (virStoragePoolSetAutostart(pool, disable ? 0 : 1) < 0)
        return ops_fail_libvirt(res, "Cannot change the pool's autostart");
    return pool_result(pool, disable ? "The pool no longer starts with the node."
                                     : "The pool starts with the node.", res);
}

int ops_pool_register(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;
    _cleanup_free_ char *xml = NULL;
    int r;

    r = storage_check_name(req, res);
    if (r < 0)
        return r;
    pool = virStoragePoolLookupByName(conn, req->name);
    if (pool && virStoragePoolIsPersistent(pool) == 1)
        return ops_fail_virtctl(res, "registerPool: the pool %s is already defined.",
                                req->name);
    /* A pool unregistered while running is still there, transient: its
     * own description is the freshest. */
    if (pool)
        xml = pool_inactive_xml(pool);
    virResetLastError();
    if (!xml) {
        r = storage_file_read(POOL_FILES, req->name, &xml);
        if (r == -ENOENT)
            return ops_fail_virtctl(res, "registerPool: this node has no description of a "
                                    "pool %s; use createPool.", req->name);
        if (r < 0)
            return ops_fail_exception(res, r, "The saved description of the pool cannot be "
                                      "read: %s.", strerror(-r));
    }
    virStoragePoolFree(TAKE_PTR(pool));
    pool = virStoragePoolDefineXML(conn, xml, 0);
    if (!pool)
        return ops_fail_libvirt(res, "Cannot define the pool from its last known description");
    return pool_result(pool, "The pool is registered.", res);
}

int ops_pool_unregister(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;
    _cleanup_free_ char *xml = NULL;
    bool was_active;
    int r = pool_get(conn, req, res, &pool);

    if (r < 0)
        return r;
    xml = pool_inactive_xml(pool);
    if (!xml)
        return ops_fail_libvirt(res, "Cannot read the pool's description");
    /* Saved first: without it registerPool could not bring the pool back. */
    r = storage_file_write(POOL_FILES, req->name, xml);
    if (r < 0)
        return ops_fail_exception(res, r, "The pool's description cannot be saved under "
                                  "%s/%s: %s.", ops_storage_dir(), POOL_FILES, strerror(-r));
    /* libvirt undefines only a stopped pool; stopping keeps the storage. */
    was_active = virStoragePoolIsActive(pool) == 1;
    if (was_active && virStoragePoolDestroy(pool) < 0)
        return ops_fail_libvirt(res, "Cannot stop the pool before unregistering it");
    if (virStoragePoolUndefine(pool) < 0) {
        virErrorPtr err = virSaveLastError();

        if (was_active)
            (void)virStoragePoolCreate(pool, 0);
        ops_fail_virerror(res, err, "Cannot undefine the pool");
        virFreeError(err);
        return -EIO;
    }
    return storage_result(res, was_active ? "The pool is stopped and unregistered; its storage "
                                            "is kept."
                                          : "The pool is unregistered; its storage is kept.",
                          NULL, NULL);
}

static const char *const no_fields[] = {NULL};
static const char *const create_fields[] = {"type", "target", NULL};
static const char *const autostart_fields[] = {"disable", NULL};

static const struct ops_entry pool_entries[] = {
    {"VirtualMachinePool", "createPool", ops_pool_create, create_fields, false},
    {"VirtualMachinePool", "startPool", ops_pool_start, no_fields, false},
    {"VirtualMachinePool", "stopPool", ops_pool_stop, no_fields, false},
    {"VirtualMachinePool", "deletePool", ops_pool_delete, no_fields, false},
    {"VirtualMachinePool", "autoStart", ops_pool_autostart, autostart_fields, false},
    {"VirtualMachinePool", "registerPool", ops_pool_register, no_fields, false},
    {"VirtualMachinePool", "unregisterPool", ops_pool_unregister, no_fields, false},
};

const struct ops_table ops_pool_table = {pool_entries, ELEMENTSOF(pool_entries)};
