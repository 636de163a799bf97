/* VirtualMachineDisk: createDisk, deleteDisk, resizeDisk, cloneDisk,
 * createDiskFromDiskImage and convertDiskToDiskImage. The request's name
 * is the volume's name; the field "pool" names its pool. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "shared/msg/validate.h"
#include "worker/ops/ops-storage.h"
#include "worker/ops/params.h"
#include "worker/ops/registry.h"

/* Capacities above 2^60 bytes (1 EiB) are typing errors. */
#define DISK_CAPACITY_MAX (1ULL << 60)

/* The pool named by the field "pool" and, when want_vol, the request's
 * volume in it. */
static int disk_get(virConnectPtr conn, const struct request *req, struct result *res,
                    virStoragePoolPtr *ret_pool, virStorageVolPtr *ret_vol)
{
    const char *pool_name;
    int r;

    r = storage_check_name(req, res);
    if (r < 0)
        return r;
    r = storage_param_name(req, "pool", res, &pool_name);
    if (r < 0)
        return r;
    r = storage_pool_lookup(conn, pool_name, res, ret_pool);
    if (r < 0 || !ret_vol)
        return r;
    r = storage_vol_lookup(*ret_pool, pool_name, req->name, res, ret_vol);
    if (r < 0) {
        virStoragePoolFree(*ret_pool);
        *ret_pool = NULL;
    }
    return r;
}

static int disk_result(virStorageVolPtr vol, const char *message, struct result *res)
{
    _cleanup_free_ char *xml = virStorageVolGetXMLDesc(vol, 0);

    if (!xml)
        return ops_fail_libvirt(res, "The operation ran but the volume cannot be described");
    return storage_result(res, message, "volume", xml);
}

static int disk_capacity(const struct request *req, struct result *res,
                         unsigned long long *ret_bytes)
{
    char err[OPS_ERR_MAX];
    int r = ops_param_uint(req->params, "capacity", true, DISK_CAPACITY_MAX, ret_bytes, err,
                           sizeof(err));

    if (r < 0)
        return ops_fail_virtctl(res, "%s: %s.", req->operation, err);
    return 0;
}

int ops_disk_create(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr vol = NULL;
    char err[OPS_ERR_MAX], xml[STORAGE_NAME_MAX + 256];
    unsigned long long capacity;
    const char *format;
    int r;

    r = ops_param_string(req->params, "format", &format, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "createDisk: %s.", err);
    if (!format)
        return ops_fail_virtctl(res, "createDisk: field 'format' is required.");
    if (validate_value("disk_format", "format", format, NULL, err, sizeof(err)) < 0)
        return ops_fail_virtctl(res, "createDisk: %s.", err);
    r = disk_capacity(req, res, &capacity);
    if (r < 0)
        return r;
    r = disk_get(conn, req, res, &pool, NULL);
    if (r < 0)
        return r;
    vol = virStorageVolLookupByName(pool, req->name);
    if (vol)
        return ops_fail_virtctl(res, "createDisk: the pool %s already holds a volume %s.",
                                virStoragePoolGetName(pool), req->name);
    virResetLastError();
    snprintf(xml, sizeof(xml), "<volume><name>%s</name><capacity unit='bytes'>%llu</capacity>"
             "<target><format type='%s'/></target></volume>", req->name, capacity, format);
    vol = virStorageVolCreateXML(pool, xml, 0);
    if (!vol)
        return ops_fail_libvirt(res, "Cannot create the volume");
    return disk_result(vol, "The disk is created.", res);
}

int ops_disk_delete(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr vol = NULL;
    int r;

    r = disk_get(conn, req, res, &pool, &vol);
    if (r < 0)
        return r;
    r = storage_vol_refuse_used(conn, vol, "deleteDisk", res);
    if (r < 0)
        return r;
    if (virStorageVolDelete(vol, 0) < 0)
        return ops_fail_libvirt(res, "Cannot delete the volume");
    return storage_result(res, "The disk is deleted.", NULL, NULL);
}

int ops_disk_resize(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr vol = NULL;
    unsigned long long capacity;
    virStorageVolInfo info;
    int r;

    r = disk_capacity(req, res, &capacity);
    if (r < 0)
        return r;
    r = disk_get(conn, req, res, &pool, &vol);
    if (r < 0)
        return r;
    if (virStorageVolGetInfo(vol, &info) < 0)
        return ops_fail_libvirt(res, "Cannot read the volume's capacity");
    /* Shrinking cuts off whatever the guest stored at the end. */
    if (capacity < info.capacity)
        return ops_fail_virtctl(res, "resizeDisk: field 'capacity': %llu is below the current "
                                "capacity %llu; shrinking a disk loses data and is not offered.",
                                capacity, info.capacity);
    if (virStorageVolResize(vol, capacity, 0) < 0)
        return ops_fail_libvirt(res, "Cannot resize the volume");
    return disk_result(vol, "The disk is resized.", res);
}

int ops_disk_clone(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr vol = NULL, copy = NULL;
    char message[STORAGE_NAME_MAX + 64];
    const char *newname;
    int r;

    r = storage_param_name(req, "newname", res, &newname);
    if (r < 0)
        return r;
    r = disk_get(conn, req, res, &pool, &vol);
    if (r < 0)
        return r;
    r = storage_vol_copy(pool, vol, newname, res, &copy);
    if (r < 0)
        return r;
    /* The resource describes the source disk; the clone has none yet. */
    snprintf(message, sizeof(message), "The disk is cloned to %s.", newname);
    return disk_result(vol, message, res);
}

int ops_disk_from_image(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL, templates = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr image = NULL, vol = NULL;
    char volname[STORAGE_NAME_MAX], message[STORAGE_NAME_MAX + 64];
    const char *image_name;
    int r;

    r = storage_param_name(req, "image", res, &image_name);
    if (r < 0)
        return r;
    r = disk_get(conn, req, res, &pool, NULL);
    if (r < 0)
        return r;
    r = storage_template_pool(conn, res, &templates);
    if (r < 0)
        return r;
    snprintf(volname, sizeof(volname), "%s" STORAGE_DISKIMAGE_SUFFIX, image_name);
    r = storage_vol_lookup(templates, ops_storage_template_pool(), volname, res, &image);
    if (r < 0)
        return r;
    r = storage_vol_copy(pool, image, req->name, res, &vol);
    if (r < 0)
        return r;
    snprintf(message, sizeof(message), "The disk is created from the disk image %s.",
             image_name);
    return disk_result(vol, message, res);
}

int ops_disk_to_image(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL, templates = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr vol = NULL, image = NULL;
    char volname[STORAGE_NAME_MAX];
    int r;

    r = disk_get(conn, req, res, &pool, &vol);
    if (r < 0)
        return r;
    r = storage_vol_refuse_used(conn, vol, "convertDiskToDiskImage", res);
    if (r < 0)
        return r;
    r = storage_template_pool(conn, res, &templates);
    if (r < 0)
        return r;
    snprintf(volname, sizeof(volname), "%s" STORAGE_DISKIMAGE_SUFFIX, req->name);
    r = storage_vol_move(templates, vol, volname, res, &image);
    if (r < 0)
        return r;
    return disk_result(image, "The disk is now the disk image of the same name.", res);
}

static const char *const pool_fields[] = {"pool", NULL};
static const char *const resize_fields[] = {"pool", "capacity", NULL};
static const char *const create_fields[] = {"format", "pool", "capacity", NULL};
static const char *const from_image_fields[] = {"pool", "image", NULL};
static const char *const clone_fields[] = {"pool", "newname", NULL};

static const struct ops_entry disk_entries[] = {
    {"VirtualMachineDisk", "createDisk", ops_disk_create, create_fields, false},
    {"VirtualMachineDisk", "deleteDisk", ops_disk_delete, pool_fields, false},
    {"VirtualMachineDisk", "resizeDisk", ops_disk_resize, resize_fields, false},
    {"VirtualMachineDisk", "cloneDisk", ops_disk_clone, clone_fields, false},
    {"VirtualMachineDisk", "createDiskFromDiskImage", ops_disk_from_image, from_image_fields,
     false},
    {"VirtualMachineDisk", "convertDiskToDiskImage", ops_disk_to_image, pool_fields, false},
};

const struct ops_table ops_disk_table = {disk_entries, ELEMENTSOF(disk_entries)};
