/* plugDevice and unplugDevice: attach or detach the device an XML file
 * describes. The file is an operator's input on the node, so it is read as
 * untrusted: confined to the allowed roots after symlinks are resolved,
 * capped in size, parsed without DTD, entities or network, and required to
 * be one device element of a kind libvirt knows. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker/ops/devices.h"
#include "worker/ops/ops.h"

/* The elements that may appear under <devices> (libvirt 9.0's schema). */
static const char *const device_kinds[] = {
    "disk",      "controller", "lease",   "filesystem", "interface",  "input",
    "sound",     "hostdev",    "graphics", "video",     "redirdev",   "redirfilter",
    "hub",       "smartcard",  "serial",  "parallel",   "console",    "channel",
    "tpm",       "memballoon", "rng",     "watchdog",   "panic",      "shmem",
    "memory",    "iommu",      "vsock",   "audio",      "crypto",     NULL,
};

static int device_file_read(const char *real, char **ret_buf, size_t *ret_len, char *err,
                            size_t errlen)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    struct stat st;

    /* O_NOFOLLOW: the path was resolved, so a symlink here is one that
     * appeared since; refuse it rather than follow it out of the roots. */
    fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0) {
        int e = errno;

        snprintf(err, errlen, "field 'file': %s: %s", real, strerror(e));
        return -e;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "field 'file': %s is not a regular file", real);
        return -EINVAL;
    }
    if (st.st_size > DEVICES_FILE_MAX) {
        snprintf(err, errlen, "field 'file': %s is larger than %d bytes", real,
                 DEVICES_FILE_MAX);
        return -EFBIG;
    }
    buf = malloc(DEVICES_FILE_MAX + 1);
    if (!buf)
        return -ENOMEM;
    /* The size is read again from the data itself: the file may grow
     * between fstat() and read(). */
    for (;;) {
        ssize_t n = read(fd, buf + len, DEVICES_FILE_MAX + 1 - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;

            snprintf(err, errlen, "field 'file': cannot read %s: %s", real, strerror(e));
            return -e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > DEVICES_FILE_MAX) {
            snprintf(err, errlen, "field 'file': %s is larger than %d bytes", real,
                     DEVICES_FILE_MAX);
            return -EFBIG;
        }
    }
    buf[len] = '\0';
    *ret_buf = TAKE_PTR(buf);
    *ret_len = len;
    return 0;
}

int devices_file_load(const char *path, char **ret_xml, char *err, size_t errlen)
{
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
    _cleanup_free_ char *text = NULL;
    char real[PATH_MAX], detail[256];
    xmlNodePtr root;
    size_t len = 0;
    bool known = false;
    int r;

    r = devices_path_resolve("file", path, real, err, errlen);
    if (r < 0)
        return r;
    r = device_file_read(real, &text, &len, err, errlen);
    if (r < 0)
        return r;
    r = devices_xml_parse(text, len, &doc, detail, sizeof(detail));
    if (r < 0) {
        snprintf(err, errlen, "field 'file': %s: %s", path, detail);
        return -EINVAL;
    }
    root = xmlDocGetRootElement(doc);
    for (size_t i = 0; device_kinds[i]; i++)
        if (xmlStrcmp(root->name, BAD_CAST device_kinds[i]) == 0 && !root->ns)
            known = true;
    if (!known) {
        snprintf(err, errlen, "field 'file': %s holds <%.64s>, which is not a device element",
                 path, (const char *)root->name);
        return -EINVAL;
    }
    return devices_node_dump(root, ret_xml);
}

typedef int (*device_call)(virDomainPtr dom, const char *xml, unsigned flags);

static int device_run(virConnectPtr conn, const struct request *req, struct result *res,
                      device_call call, const char *what)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_free_ char *xml = NULL;
    char err[OPS_ERR_MAX], buf[DEVICES_VALUE_MAX];
    const char *file;
    unsigned flags;
    int active, r;

    r = devices_param_text(req->params, "file", "path", true, buf, &file, err, sizeof(err));
    if (r >= 0)
        r = devices_file_load(file, &xml, err, sizeof(err));
    if (r == -ENOMEM)
        return ops_fail_exception(res, r, "Out of memory while reading the device file.");
    if (r < 0)
        return ops_fail_virtctl(res, "%s: %s.", req->operation, err);
    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;
    active = virDomainIsActive(dom);
    if (active < 0)
        return ops_fail_libvirt(res, "Cannot read the state of the VM");
    r = devices_affect_flags(req->params, active, &flags, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "%s: %s.", req->operation, err);
    if (call(dom, xml, flags) < 0)
        return ops_fail_libvirt(res, what);
    return 0;
}

int ops_plug_device(virConnectPtr conn, const struct request *req, struct result *res)
{
    return device_run(conn, req, res, virDomainAttachDeviceFlags, "Cannot attach the device");
}

/* Unlike unplugDisk and unplugNIC this does not wait for the guest to
 * release the device: a device file has no key the worker could watch for
 * every kind, so the refreshed spec.domain may still show it. */
int ops_unplug_device(virConnectPtr conn, const struct request *req, struct result *res)
{
    return device_run(conn, req, res, virDomainDetachDeviceFlags, "Cannot detach the device");
}
