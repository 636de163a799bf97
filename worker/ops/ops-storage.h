/* The storage operations (snapshots, pools, disks, disk images, VM images)
 * and the helpers they share.
 *
 * Templates (VirtualMachineDiskImage, VirtualMachineImage) live as volumes
 * of one libvirt pool, the template pool (key worker.template-pool). Their
 * volume names carry a suffix that a resource name cannot hold (".diskimage",
 * ".vmimage"), so the template pool may even be a pool that also holds
 * disks. A VM image's domain XML is a file under <worker.storage-dir>/images;
 * the last known XML of each pool created or unregistered here is under
 * <worker.storage-dir>/pools (registerPool reads it back).
 *
 * Thread safety: ops_storage_configure() from main before the first
 * request; the rest on the thread that owns the connection. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "worker/ops/ops.h"

#define STORAGE_TEMPLATE_POOL_DEFAULT "vmrelay-templates"
#define STORAGE_DIR_DEFAULT "/var/lib/vmrelay"
#define STORAGE_PATH_MAX 4096
#define STORAGE_NAME_MAX 256
/* A stored domain or pool XML above this is not one we wrote. */
#define STORAGE_FILE_MAX (1024 * 1024)
#define STORAGE_DISKIMAGE_SUFFIX ".diskimage"
#define STORAGE_VMIMAGE_SUFFIX ".vmimage"

DEFINE_TRIVIAL_CLEANUP_FUNC(virStoragePoolPtr, virStoragePoolFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainSnapshotPtr, virDomainSnapshotFree);

/* Which pool holds the templates and where the worker keeps its files.
 * NULL keeps the default. Call from main before the first request. */
void ops_storage_configure(const char *template_pool, const char *storage_dir);
const char *ops_storage_template_pool(void);
const char *ops_storage_dir(void);

/* A required string field that becomes a libvirt object name: 1 to 64 of
 * letters, digits, '.', '_' and '-' (safe inside XML). VirtctlError naming
 * the field otherwise. */
int storage_param_name(const struct request *req, const char *field, struct result *res,
                       const char **ret_value);

/* The request's own name under the same rule. */
int storage_check_name(const struct request *req, struct result *res);

/* A required absolute path field without characters that XML or an option
 * string would read specially. */
int storage_param_path(const struct request *req, const char *field, struct result *res,
                       const char **ret_value);

/* Success with reason Ready, message, and spec.<field> = xml as JSON;
 * field NULL for no description. */
int storage_result(struct result *res, const char *message, const char *field, const char *xml);

int storage_pool_lookup(virConnectPtr conn, const char *name, struct result *res,
                        virStoragePoolPtr *ret_pool);
int storage_vol_lookup(virStoragePoolPtr pool, const char *pool_name, const char *name,
                       struct result *res, virStorageVolPtr *ret_vol);

/* The volume at path; when libvirt does not know it yet, refreshes the
 * active pools once and asks again. VirtctlError when still unknown. */
int storage_vol_by_path(virConnectPtr conn, const char *field, const char *path,
                        struct result *res, virStorageVolPtr *ret_vol);

/* The template pool, defined, built, started and marked autostart under
 * <storage-dir>/templates when it does not exist yet. */
int storage_template_pool(virConnectPtr conn, struct result *res, virStoragePoolPtr *ret_pool);

/* Finds a domain whose definition (inactive or live) uses vol; writes its
 * name to ret_domain and returns 1, or returns 0, or a negative errno with
 * res filled. */
int storage_vol_user(virConnectPtr conn, virStorageVolPtr vol, struct result *res,
                     char *ret_domain, size_t len);

/* VirtctlError "<what>: the volume is used by VM <name>" when a domain
 * uses vol. */
int storage_vol_refuse_used(virConnectPtr conn, virStorageVolPtr vol, const char *what,
                            struct result *res);

/* Copies src into dst under new_name (same format) with
 * virStorageVolCreateXMLFrom. new_name taken: VirtctlError. On failure no
 * new volume is left behind. */
int storage_vol_copy(virStoragePoolPtr dst, virStorageVolPtr src, const char *new_name,
                     struct result *res, virStorageVolPtr *ret_vol);

/* storage_vol_copy() then deletes src; when the delete fails the copy is
 * removed again, so src is as it was. */
int storage_vol_move(virStoragePoolPtr dst, virStorageVolPtr src, const char *new_name,
                     struct result *res, virStorageVolPtr *ret_vol);

/* The first value an XPath expression selects in xml, copied to buf;
 * -ENOENT when none. */
int storage_xml_value(const char *xml, const char *expr, char *buf, size_t len);

/* Files under <storage-dir>/<sub>/<name>.xml: written atomically (temporary
 * file, fsync, rename), read whole, removed. */
int storage_file_path(const char *sub, const char *name, char *buf, size_t len);
int storage_file_write(const char *sub, const char *name, const char *text);
int storage_file_read(const char *sub, const char *name, char **ret_text);

/* Snapshot, pool, disk, disk image and VM image operations. */
int ops_snapshot_create(virConnectPtr conn, const struct request *req, struct result *res);
int ops_snapshot_delete(virConnectPtr conn, const struct request *req, struct result *res);
int ops_snapshot_revert(virConnectPtr conn, const struct request *req, struct result *res);

int ops_pool_create(virConnectPtr conn, const struct request *req, struct result *res);
int ops_pool_start(virConnectPtr conn, const struct request *req, struct result *res);
int ops_pool_stop(virConnectPtr conn, const struct request *req, struct result *res);
int ops_pool_delete(virConnectPtr conn, const struct request *req, struct result *res);
int ops_pool_autostart(virConnectPtr conn, const struct request *req, struct result *res);
int ops_pool_register(virConnectPtr conn, const struct request *req, struct result *res);
int ops_pool_unregister(virConnectPtr conn, const struct request *req, struct result *res);

int ops_disk_create(virConnectPtr conn, const struct request *req, struct result *res);
int ops_disk_delete(virConnectPtr conn, const struct request *req, struct result *res);
int ops_disk_resize(virConnectPtr conn, const struct request *req, struct result *res);
int ops_disk_clone(virConnectPtr conn, const struct request *req, struct result *res);
int ops_disk_from_image(virConnectPtr conn, const struct request *req, struct result *res);
int ops_disk_to_image(virConnectPtr conn, const struct request *req, struct result *res);

int ops_diskimage_create(virConnectPtr conn, const struct request *req, struct result *res);
int ops_diskimage_delete(virConnectPtr conn, const struct request *req, struct result *res);
int ops_diskimage_to_disk(virConnectPtr conn, const struct request *req, struct result *res);

int ops_image_create(virConnectPtr conn, const struct request *req, struct result *res);
int ops_image_delete(virConnectPtr conn, const struct request *req, struct result *res);
int ops_image_to_vm(virConnectPtr conn, const struct request *req, struct result *res);
int ops_vm_to_image(virConnectPtr conn, const struct request *req, struct result *res);
