/* updateOS: replaces the OS disk of a stopped VM with a copy of a template
 * disk. The copy is written beside the disk and renamed over it, so that a
 * failure half way leaves the old disk intact; the disk keeps its owner and
 * mode (libvirt's security labels), and the definition's format follows
 * the template's when they differ. */
#define _GNU_SOURCE /* copy_file_range, mkostemp */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker/ops/devices.h"
#include "worker/ops/ops.h"

/* One copy_file_range() call; the kernel may reflink on filesystems that
 * can, which makes even a large template cheap. */
#define OS_COPY_CHUNK (64 * 1024 * 1024)
#define OS_MAGIC_LEN 4

DEFINE_TRIVIAL_CLEANUP_FUNC(virStoragePoolPtr, virStoragePoolFree);

static int os_copy_fd(int in, int out)
{
    char buf[64 * 1024];

    for (;;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, OS_COPY_CHUNK, 0);

        if (n == 0)
            return 0;
        if (n > 0)
            continue;
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EOPNOTSUPP && errno != EINVAL)
            return -errno;
        break;
    }
    /* No in-kernel copy between these files: plain reads and writes. */
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf)), off = 0;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return 0;
        while (off < n) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));

            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0)
                return -errno;
            off += w;
        }
    }
}

/* Copies template over disk through a temporary file in disk's folder. */
static int os_replace_file(const char *template, const char *disk, char *err, size_t errlen)
{
    _cleanup_close_ int in = -1, out = -1;
    char tmp[PATH_MAX];
    struct stat st_disk, st_in;
    const char *slash = strrchr(disk, '/');
    int r;

    in = open(template, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0 || fstat(in, &st_in) < 0 || !S_ISREG(st_in.st_mode)) {
        snprintf(err, errlen, "field 'target': %.200s is not a readable regular file", template);
        return -EINVAL;
    }
    if (stat(disk, &st_disk) < 0 || !S_ISREG(st_disk.st_mode)) {
        snprintf(err, errlen, "field 'source': %.200s is not a regular file", disk);
        return -EINVAL;
    }
    if (st_disk.st_dev == st_in.st_dev && st_disk.st_ino == st_in.st_ino) {
        snprintf(err, errlen, "field 'target': the template is the disk itself");
        return -EINVAL;
    }
    if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s/.vmrelay-os-XXXXXX", (int)(slash - disk),
                         disk) >= sizeof(tmp)) {
        snprintf(err, errlen, "field 'source': the path is too long");
        return -EINVAL;
    }
    out = mkostemp(tmp, O_CLOEXEC);
    if (out < 0) {
        r = -errno;
        snprintf(err, errlen, "cannot create a file beside %.200s: %s", disk, strerror(-r));
        return r;
    }
    r = os_copy_fd(in, out);
    if (r >= 0 && (fchown(out, st_disk.st_uid, st_disk.st_gid) < 0 ||
                   fchmod(out, st_disk.st_mode & 07777) < 0 || fsync(out) < 0))
        r = -errno;
    if (r >= 0 && rename(tmp, disk) < 0)
        r = -errno;
    if (r < 0) {
        (void)unlink(tmp);
        snprintf(err, errlen, "cannot copy %.160s to %.160s: %s", template, disk, strerror(-r));
    }
    return r;
}

static const char *os_format_of(const char *path)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    unsigned char magic[OS_MAGIC_LEN];

    if (fd < 0 || read(fd, magic, sizeof(magic)) != (ssize_t)sizeof(magic))
        return NULL;
    return memcmp(magic, "QFI\xfb", OS_MAGIC_LEN) == 0 ? "qcow2" : "raw";
}

/* When the disk's declared format is not the template's, the definition
 * is changed to match; otherwise QEMU would read qcow2 metadata as data. */
static int os_fix_format(virConnectPtr conn, xmlDocPtr doc, xmlNodePtr disk, const char *format,
                         struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    xmlNodePtr driver = devices_node_child(disk, "driver");
    xmlChar *text = NULL;
    int len;

    if (!format || devices_node_attr_is(driver, "type", format))
        return 0;
    if (!driver) {
        driver = xmlNewChild(disk, NULL, BAD_CAST "driver", NULL);
        if (!driver || !xmlSetProp(driver, BAD_CAST "name", BAD_CAST "qemu"))
            return ops_fail_exception(res, ENOMEM, "Out of memory while editing the VM.");
    }
    if (!xmlSetProp(driver, BAD_CAST "type", BAD_CAST format))
        return ops_fail_exception(res, ENOMEM, "Out of memory while editing the VM.");
    xmlDocDumpMemory(doc, &text, &len);
    if (!text)
        return ops_fail_exception(res, ENOMEM, "Out of memory while editing the VM.");
    dom = virDomainDefineXML(conn, (const char *)text);
    xmlFree(text);
    if (!dom)
        return ops_fail_libvirt(res, "The disk was replaced but its format cannot be updated");
    return 0;
}

/* A disk that is a pool volume: the pool's size figures are refreshed. */
static void os_refresh_pool(virConnectPtr conn, const char *path)
{
    _cleanup_(virStorageVolFreep) virStorageVolPtr vol = virStorageVolLookupByPath(conn, path);
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = NULL;

    if (vol)
        pool = virStoragePoolLookupByVolume(vol);
    if (pool)
        (void)virStoragePoolRefresh(pool, 0);
    virResetLastError();
}

int ops_update_os(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
    char err[OPS_ERR_MAX], b_src[DEVICES_VALUE_MAX], b_tpl[DEVICES_VALUE_MAX];
    char real_src[PATH_MAX], real_tpl[PATH_MAX];
    const char *source, *template;
    xmlNodePtr disk;
    int active, r;

    r = devices_param_text(req->params, "source", "path", true, b_src, &source, err,
                           sizeof(err));
    if (r >= 0)
        r = devices_param_text(req->params, "target", "path", true, b_tpl, &template, err,
                               sizeof(err));
    if (r >= 0)
        r = devices_path_resolve("source", source, real_src, err, sizeof(err));
    if (r >= 0)
        r = devices_path_resolve("target", template, real_tpl, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "updateOS: %s.", err);

    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;
    active = virDomainIsActive(dom);
    if (active < 0)
        return ops_fail_libvirt(res, "Cannot read the state of the VM");
    if (active)
        return ops_fail_virtctl(res, "updateOS: the VM must be shut off to replace its disk.");
    /* SECURE: the definition may be written back, and must keep its
     * passwords (graphics, secrets) when it is. */
    if (devices_domain_doc(dom, VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE, &doc) < 0)
        return ops_fail_libvirt(res, "Cannot read the description of the VM");
    disk = devices_find_disk(doc, source, "disk");
    if (!disk)
        disk = devices_find_disk(doc, real_src, "disk");
    if (!disk)
        return ops_fail_virtctl(res, "updateOS: field 'source': %s is not a disk of the VM.",
                                source);

    r = os_replace_file(real_tpl, real_src, err, sizeof(err));
    if (r == -EINVAL)
        return ops_fail_virtctl(res, "updateOS: %s.", err);
    if (r < 0)
        return ops_fail_exception(res, r, "updateOS: %s.", err);
    os_refresh_pool(conn, real_src);
    return os_fix_format(conn, doc, disk, os_format_of(real_src), res);
}
