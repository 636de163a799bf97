/* VirtualMachineImage: createImage, deleteImage, convertImageToVM, and its
 * other direction, convertVMToImage of kind VirtualMachine.
 *
 * A VM image is two things kept together: the boot disk as the volume
 * <name>.vmimage of the template pool, and the domain XML as the file
 * <storage-dir>/images/<name>.xml (image-xml.h). Every operation orders
 * its steps so that a failure undoes the earlier ones: the volume is
 * copied before the XML is written, and the source goes last. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "worker/ops/image-xml.h"
#include "worker/ops/ops-storage.h"
#include "worker/ops/registry.h"

#define IMAGE_FILES "images"

/* The domain type the connection's driver accepts for a new definition. */
static const char *image_domain_type(virConnectPtr conn)
{
    const char *t = virConnectGetType(conn);

    if (t && strcmp(t, "Test") == 0)
        return "test";
    if (t && strcmp(t, "Xen") == 0)
        return "xen";
    return "kvm";
}

static int image_volname(const char *name, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s" STORAGE_VMIMAGE_SUFFIX, name);

    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Reads the image's XML; VirtctlError when the node has no such image. */
static int image_read(const struct request *req, struct result *res, char **ret_xml)
{
    int r = storage_file_read(IMAGE_FILES, req->name, ret_xml);

    if (r == -ENOENT)
        return ops_fail_virtctl(res, "%s: this node has no VM image %s.", req->operation,
                                req->name);
    if (r < 0)
        return ops_fail_exception(res, r, "The VM image's definition cannot be read: %s.",
                                  strerror(-r));
    return 0;
}

static bool image_exists(const char *name)
{
    char path[STORAGE_PATH_MAX];

    return storage_file_path(IMAGE_FILES, name, path, sizeof(path)) == 0 &&
           access(path, F_OK) == 0;
}

static int image_remove_file(const char *name)
{
    char path[STORAGE_PATH_MAX];
    int r = storage_file_path(IMAGE_FILES, name, path, sizeof(path));

    if (r < 0)
        return r;
    return unlink(path) < 0 ? -errno : 0;
}

/* Writes the image's XML; on failure removes the volume copied for it. */
static int image_save(const char *name, const char *xml, virStorageVolPtr copy,
                      struct result *res)
{
    int r = storage_file_write(IMAGE_FILES, name, xml);

    if (r < 0) {
        (void)virStorageVolDelete(copy, 0);
        return ops_fail_exception(res, r, "The VM image's definition cannot be saved under "
                                  "%s/%s (the copied disk was removed): %s.", ops_storage_dir(),
                                  IMAGE_FILES, strerror(-r));
    }
    return 0;
}

int ops_image_create(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr templates = NULL, origin_pool = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr src = NULL, copy = NULL;
    _cleanup_free_ char *path = NULL, *xml = NULL;
    char volname[STORAGE_NAME_MAX], format[64] = "raw", base[2 * STORAGE_PATH_MAX];
    struct image_origin origin = {0};
    _cleanup_free_ char *vol_xml = NULL;
    const char *disk;
    int r;

    r = storage_check_name(req, res);
    if (r < 0)
        return r;
    r = storage_param_path(req, "disk", res, &disk);
    if (r < 0)
        return r;
    if (image_exists(req->name))
        return ops_fail_virtctl(res, "createImage: a VM image %s already exists.", req->name);
    r = storage_vol_by_path(conn, "disk", disk, res, &src);
    if (r < 0)
        return r;
    r = storage_template_pool(conn, res, &templates);
    if (r < 0)
        return r;
    (void)image_volname(req->name, volname, sizeof(volname));
    r = storage_vol_copy(templates, src, volname, res, &copy);
    if (r < 0)
        return r;

    path = virStorageVolGetPath(copy);
    vol_xml = virStorageVolGetXMLDesc(copy, 0);
    origin_pool = virStoragePoolLookupByVolume(src);
    if (!path || !vol_xml || !origin_pool) {
        virErrorPtr err = virSaveLastError();

        (void)virStorageVolDelete(copy, 0);
        ops_fail_virerror(res, err, "Cannot describe the copied disk (it was removed)");
        virFreeError(err);
        return -EIO;
    }
    (void)storage_xml_value(vol_xml, "/volume/target/format/@type", format, sizeof(format));
    snprintf(origin.pool, sizeof(origin.pool), "%s", virStoragePoolGetName(origin_pool));
    snprintf(origin.volume, sizeof(origin.volume), "%s", req->name);
    /* A definition to start from: the API gives only the disk. The XML is
     * rewritten through libxml2, which escapes the path. */
    snprintf(base, sizeof(base),
             "<domain type='%s'><name>%s</name><memory unit='MiB'>1024</memory>"
             "<vcpu>1</vcpu><os><type>hvm</type><boot dev='hd'/></os><devices>"
             "<disk type='file' device='disk'><driver name='qemu' type='%s'/><source/>"
             "<target dev='vda' bus='virtio'/></disk></devices></domain>",
             image_domain_type(conn), req->name, strpbrk(format, "<>&'\"") ? "raw" : format);
    r = image_xml_rewrite(base, NULL, path, &origin, &xml);
    if (r < 0) {
        (void)virStorageVolDelete(copy, 0);
        return ops_fail_exception(res, r, "The VM image's definition cannot be built.");
    }
    r = image_save(req->name, xml, copy, res);
    if (r < 0)
        return r;
    return storage_result(res, "The VM image is created.", "domain", xml);
}

int ops_image_delete(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr templates = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr vol = NULL;
    _cleanup_free_ char *xml = NULL;
    char volname[STORAGE_NAME_MAX];
    int r;

    r = storage_check_name(req, res);
    if (r < 0)
        return r;
    r = image_read(req, res, &xml);
    if (r < 0)
        return r;
    r = storage_template_pool(conn, res, &templates);
    if (r < 0)
        return r;
    (void)image_volname(req->name, volname, sizeof(volname));
    vol = virStorageVolLookupByName(templates, volname);
    virResetLastError();
    /* The volume goes first: when that fails the image is still whole.
     * A volume already gone (a crash between the two steps) is no error. */
    if (vol) {
        r = storage_vol_refuse_used(conn, vol, "deleteImage", res);
        if (r < 0)
            return r;
        if (virStorageVolDelete(vol, 0) < 0)
            return ops_fail_libvirt(res, "Cannot delete the VM image's disk");
    }
    r = image_remove_file(req->name);
    if (r < 0 && r != -ENOENT)
        return ops_fail_exception(res, r, "The VM image's disk is deleted but its definition "
                                  "cannot be removed: %s.", strerror(-r));
    return storage_result(res, "The VM image is deleted.", NULL, NULL);
}

int ops_image_to_vm(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr templates = NULL, pool = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr image = NULL, vol = NULL;
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_free_ char *xml = NULL, *vm_xml = NULL, *path = NULL, *desc = NULL;
    char volname[STORAGE_NAME_MAX], message[STORAGE_NAME_MAX + 64];
    struct image_origin origin;
    int r;

    r = storage_check_name(req, res);
    if (r < 0)
        return r;
    r = image_read(req, res, &xml);
    if (r < 0)
        return r;
    if (image_xml_origin(xml, &origin) < 0)
        return ops_fail_virtctl(res, "convertImageToVM: the VM image %s does not say which "
                                "pool its disk came from.", req->name);
    dom = virDomainLookupByName(conn, req->name);
    if (dom)
        return ops_fail_virtctl(res, "convertImageToVM: a VM named %s already exists.",
                                req->name);
    virResetLastError();
    r = storage_template_pool(conn, res, &templates);
    if (r < 0)
        return r;
    (void)image_volname(req->name, volname, sizeof(volname));
    r = storage_vol_lookup(templates, ops_storage_template_pool(), volname, res, &image);
    if (r < 0)
        return r;
    r = storage_pool_lookup(conn, origin.pool, res, &pool);
    if (r < 0)
        return r;
    r = storage_vol_copy(pool, image, origin.volume, res, &vol);
    if (r < 0)
        return r;

    path = virStorageVolGetPath(vol);
    r = path ? image_xml_rewrite(xml, req->name, path, NULL, &vm_xml) : -EIO;
    if (r < 0) {
        (void)virStorageVolDelete(vol, 0);
        return ops_fail_exception(res, r, "The VM's definition cannot be built from the image.");
    }
    dom = virDomainDefineXML(conn, vm_xml);
    if (!dom) {
        virErrorPtr err = virSaveLastError();

        (void)virStorageVolDelete(vol, 0);
        ops_fail_virerror(res, err, "Cannot define the VM from the image (the copied disk was "
                          "removed)");
        virFreeError(err);
        return -EIO;
    }
    if (virStorageVolDelete(image, 0) < 0) {
        virErrorPtr err = virSaveLastError();

        (void)virDomainUndefine(dom);
        (void)virStorageVolDelete(vol, 0);
        ops_fail_virerror(res, err, "Cannot remove the image's disk; the VM was not kept and "
                          "the image is unchanged");
        virFreeError(err);
        return -EIO;
    }
    /* From here the VM exists and the image's disk is gone: a left-over
     * definition file is only noise, which deleteImage clears. */
    (void)image_remove_file(req->name);
    desc = virDomainGetXMLDesc(dom, 0);
    if (!desc)
        return ops_fail_libvirt(res, "The VM is defined but cannot be described");
    snprintf(message, sizeof(message), "The VM image is now the VM %s (shut off).", req->name);
    return storage_result(res, message, "domain", desc);
}

/* Undefines a stopped VM, keeping its UEFI variables file, which the
 * image's XML still names. Drivers without NVRAM (the test driver) refuse
 * the flag: they are asked again without it. */
static int image_undefine(virDomainPtr dom)
{
    virErrorPtr err;

    if (virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
                                        VIR_DOMAIN_UNDEFINE_KEEP_NVRAM) == 0)
        return 0;
    err = virGetLastError();
    if (!err || err->code != VIR_ERR_INVALID_ARG)
        return -EIO;
    return virDomainUndefineFlags(dom, VIR_DOMAIN_UNDEFINE_MANAGED_SAVE) < 0 ? -EIO : 0;
}

int ops_vm_to_image(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr templates = NULL, origin_pool = NULL;
    _cleanup_(virStorageVolFreep) virStorageVolPtr src = NULL, copy = NULL;
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_free_ char *xml = NULL, *image_xml = NULL, *path = NULL;
    char volname[STORAGE_NAME_MAX], disk[STORAGE_PATH_MAX];
    struct image_origin origin = {0};
    int r;

    r = storage_check_name(req, res);
    if (r < 0)
        return r;
    if (image_exists(req->name))
        return ops_fail_virtctl(res, "convertVMToImage: a VM image %s already exists.",
                                req->name);
    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;
    if (virDomainIsActive(dom) != 0)
        return ops_fail_virtctl(res, "convertVMToImage: the VM %s is running; stop it first.",
                                req->name);
    xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE);
    if (!xml)
        return ops_fail_libvirt(res, "Cannot read the VM's definition");
    if (image_xml_disk_path(xml, disk, sizeof(disk)) < 0)
        return ops_fail_virtctl(res, "convertVMToImage: the VM %s has no boot disk with a "
                                "path.", req->name);
    r = storage_vol_by_path(conn, "disk", disk, res, &src);
    if (r < 0)
        return r;
    origin_pool = virStoragePoolLookupByVolume(src);
    if (!origin_pool)
        return ops_fail_libvirt(res, "Cannot find the pool of the VM's boot disk");
    snprintf(origin.pool, sizeof(origin.pool), "%s", virStoragePoolGetName(origin_pool));
    snprintf(origin.volume, sizeof(origin.volume), "%s", virStorageVolGetName(src));
    r = storage_template_pool(conn, res, &templates);
    if (r < 0)
        return r;
    (void)image_volname(req->name, volname, sizeof(volname));
    r = storage_vol_copy(templates, src, volname, res, &copy);
    if (r < 0)
        return r;
    path = virStorageVolGetPath(copy);
    r = path ? image_xml_rewrite(xml, NULL, path, &origin, &image_xml) : -EIO;
    if (r < 0) {
        (void)virStorageVolDelete(copy, 0);
        return ops_fail_exception(res, r, "The VM image's definition cannot be built.");
    }
    r = image_save(req->name, image_xml, copy, res);
    if (r < 0)
        return r;
    /* Snapshots refer to the VM's old disk: libvirt refuses to undefine a
     * VM that has them, which keeps them from dangling. */
    if (image_undefine(dom) < 0) {
        virErrorPtr err = virSaveLastError();

        (void)image_remove_file(req->name);
        (void)virStorageVolDelete(copy, 0);
        ops_fail_virerror(res, err, "Cannot undefine the VM; the image was not kept");
        virFreeError(err);
        return -EIO;
    }
    if (virStorageVolDelete(src, 0) < 0) {
        virErrorPtr err = virSaveLastError();
        virDomainPtr back = virDomainDefineXML(conn, xml);

        if (back)
            virDomainFree(back);
        (void)image_remove_file(req->name);
        (void)virStorageVolDelete(copy, 0);
        ops_fail_virerror(res, err, back ? "Cannot remove the VM's boot disk; the VM was "
                                           "defined again and the image was not kept"
                                         : "Cannot remove the VM's boot disk, and the VM "
                                           "cannot be defined again");
        virFreeError(err);
        return -EIO;
    }
    return storage_result(res, "The VM is now the VM image of the same name.", "domain",
                          image_xml);
}

static const char *const no_fields[] = {NULL};
static const char *const create_fields[] = {"disk", NULL};

static const struct ops_entry image_entries[] = {
    {"VirtualMachineImage", "createImage", ops_image_create, create_fields, false},
    {"VirtualMachineImage", "deleteImage", ops_image_delete, no_fields, false},
    {"VirtualMachineImage", "convertImageToVM", ops_image_to_vm, no_fields, false},
    {"VirtualMachine", "convertVMToImage", ops_vm_to_image, no_fields, false},
};

const struct ops_table ops_image_table = {image_entries, ELEMENTSOF(image_entries)};
