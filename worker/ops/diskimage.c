/* VirtualMachineDiskImage: createDiskImage, deleteDiskImage and
 * convertDiskImageToDisk. A disk image is the volume
 * <name>.diskimage of the template pool. */
#include <errno.h>
#include <stdio.h>

#include "worker/ops/ops-storage.h"
#include "worker/ops/registry.h"

/* The template pool and, when ret_vol is not NULL, the request's disk
 * image in it. */
static int diskimage_get(virConnectPtr conn, const struct request *req, struct result *res,
                         virStoragePoolPtr *ret_pool, virStorageVolPtr *ret_vol, char *volname,
                         size_t len)
{
    int r = storage_check_name(req, res);

    if (r < 0)
        return r;
    snprintf(volname, len, "%s" STORAGE_DISKIMAGE_SUFFIX, req->name);
    r = storage_template_pool(conn, res, ret_pool);
    if (r < 0 || !ret_vol)
        return r;
    r = storage_vol_lookup(*ret_pool, ops_storage_template_pool(), volname, res, ret_vol);
    if (r < 0) {
        virStoragePoolFree(*ret_pool);
        *ret_pool = NULL;
    }
    return r;
}

static int diskimage_result(virStorageVolPtr vol, const char *message, struct result *res)
{
    _cleanup_free_ char *xml = virStorageVolGetXMLDesc(vol, 0);

    if (!xml)
        return ops_fail_libvirt(res, "The operation ran but the volume cannot be described");
    return storage_result(res, message, "volume", xml);
}

int ops_diskimage_create(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr templates = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr src = NULL, image = NULL;
    char volname[STORAGE_NAME_MAX];
    const char *source;
    int r;

    r = storage_param_path(req, "source", res, &source);
    if (r < 0)
        return r;
    r = diskimage_get(conn, req, res, &templates, NULL, volname, sizeof(volname));
    if (r < 0)
        return r;
    r = storage_vol_by_path(conn, "source", source, res, &src);
    if (r < 0)
        return r;
    r = storage_vol_copy(templates, src, volname, res, &image);
    if (r < 0)
        return r;
    return diskimage_result(image, "The disk image is created.", res);
}

int ops_diskimage_delete(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr templates = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr image = NULL;
    char volname[STORAGE_NAME_MAX];
    int r;

    r = diskimage_get(conn, req, res, &templates, &image, volname, sizeof(volname));
    if (r < 0)
        return r;
    r = storage_vol_refuse_used(conn, image, "deleteDiskImage", res);
    if (r < 0)
        return r;
    if (virStorageVolDelete(image, 0) < 0)
        return ops_fail_libvirt(res, "Cannot delete the disk image's volume");
    return storage_result(res, "The disk image is deleted.", NULL, NULL);
}

int ops_diskimage_to_disk(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr templates = NULL, pool = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr image = NULL, vol = NULL;
    char volname[STORAGE_NAME_MAX], message[STORAGE_NAME_MAX + 96];
    const char *pool_name;
    int r;

    r = storage_param_name(req, "pool", res, &pool_name);
    if (r < 0)
        return r;
    r = diskimage_get(conn, req, res, &templates, &image, volname, sizeof(volname));
    if (r < 0)
        return r;
    r = storage_vol_refuse_used(conn, image, "convertDiskImageToDisk", res);
    if (r < 0)
        return r;
    r = storage_pool_lookup(conn, pool_name, res, &pool);
    if (r < 0)
        return r;
    r = storage_vol_move(pool, image, req->name, res, &vol);
    if (r < 0)
        return r;
    snprintf(message, sizeof(message), "The disk image is now the disk %s of the pool %s.",
             req->name, pool_name);
    return diskimage_result(vol, message, res);
}

static const char *const no_fields[] = {NULL};
static const char *const create_fields[] = {"source", NULL};
static const char *const pool_fields[] = {"pool", NULL};

static const struct ops_entry diskimage_entries[] = {
    {"VirtualMachineDiskImage", "createDiskImage", ops_diskimage_create, create_fields, false},
    {"VirtualMachineDiskImage", "deleteDiskImage", ops_diskimage_delete, no_fields, false},
    {"VirtualMachineDiskImage", "convertDiskImageToDisk", ops_diskimage_to_disk, pool_fields,
     false},
};

const struct ops_table ops_diskimage_table = {diskimage_entries,
                                              ELEMENTSOF(diskimage_entries)};
