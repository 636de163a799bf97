/* plugDisk and unplugDisk: a <disk> built from the request's fields (disk
 * QoS as <iotune>) and attached; any disk of the domain, found by its target
 * device or source path in the live or saved description, detached. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker/ops/devices.h"
#include "worker/ops/ops.h"

/* Bytes read from a file's start to tell qcow2 from raw. */
#define DISK_MAGIC_LEN 4

struct disk_field {
    const char *name, *constraint;
};

static const struct disk_field iotune_fields[] = {
    {"read_bytes_sec", "uint"},
    {"write_bytes_sec", "uint"},
    {"read_iops_sec", "uint"},
    {"write_iops_sec", "uint"},
};

/* The bus a guest device name implies, as virsh attach-disk derives it. */
static const char *disk_bus_from_target(const char *target)
{
    if (strncmp(target, "vd", 2) == 0)
        return "virtio";
    if (strncmp(target, "sd", 2) == 0)
        return "scsi";
    if (strncmp(target, "xvd", 3) == 0)
        return "xen";
    return "ide";
}

/* Reads one optional field into *ret (NULL when absent). */
static int disk_opt(const cJSON *params, const char *name, const char *constraint,
                    char buf[static DEVICES_VALUE_MAX], const char **ret, char *err,
                    size_t errlen)
{
    int r = devices_param_text(params, name, constraint, false, buf, ret, err, errlen);

    if (r == -ENOENT) {
        *ret = NULL;
        return 0;
    }
    return r;
}

static xmlNodePtr disk_child(xmlNodePtr parent, const char *name)
{
    return xmlNewChild(parent, NULL, BAD_CAST name, NULL);
}

int devices_disk_xml(const cJSON *params, bool block, const char *format_guess, char **ret_xml,
                     char *err, size_t errlen)
{
    enum { SOURCE, TARGET, BUS, FORMAT, MODE, DRIVER, IOTHREAD, N_VALUES };
    static const struct disk_field fields[] = {
        {"source", "path"},    {"target", "disk_target"}, {"targetbus", "disk_bus"},
        {"subdriver", "disk_format"}, {"mode", "disk_mode"}, {"driver", "word"},
        {"iothread", "uint"},
    };
    char bufs[N_VALUES + ELEMENTSOF(iotune_fields)][DEVICES_VALUE_MAX];
    const char *v[N_VALUES], *qos[ELEMENTSOF(iotune_fields)];
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
    xmlNodePtr disk, node;
    int r;

    for (size_t i = 0; i < N_VALUES; i++) {
        r = i <= TARGET ? devices_param_text(params, fields[i].name, fields[i].constraint, true,
                                             bufs[i], &v[i], err, errlen)
                        : disk_opt(params, fields[i].name, fields[i].constraint, bufs[i], &v[i],
                                   err, errlen);
        if (r < 0)
            return r;
    }
    for (size_t i = 0; i < ELEMENTSOF(iotune_fields); i++) {
        r = disk_opt(params, iotune_fields[i].name, iotune_fields[i].constraint,
                     bufs[N_VALUES + i], &qos[i], err, errlen);
        if (r < 0)
            return r;
    }
    if (!v[FORMAT])
        v[FORMAT] = format_guess;

    doc = xmlNewDoc(BAD_CAST "1.0");
    if (!doc)
        return -ENOMEM;
    disk = xmlNewDocNode(doc, NULL, BAD_CAST "disk", NULL);
    if (!disk)
        return -ENOMEM;
    xmlDocSetRootElement(doc, disk);
    xmlNewProp(disk, BAD_CAST "type", BAD_CAST(block ? "block" : "file"));
    xmlNewProp(disk, BAD_CAST "device", BAD_CAST "disk");

    if (v[DRIVER] || v[FORMAT] || v[IOTHREAD]) {
        node = disk_child(disk, "driver");
        if (!node)
            return -ENOMEM;
        /* libvirt's QEMU driver wants name='qemu' whenever a type is set. */
        xmlNewProp(node, BAD_CAST "name", BAD_CAST(v[DRIVER] ? v[DRIVER] : "qemu"));
        if (v[FORMAT])
            xmlNewProp(node, BAD_CAST "type", BAD_CAST v[FORMAT]);
        if (v[IOTHREAD])
            xmlNewProp(node, BAD_CAST "iothread", BAD_CAST v[IOTHREAD]);
    }
    node = disk_child(disk, "source");
    if (!node)
        return -ENOMEM;
    xmlNewProp(node, BAD_CAST(block ? "dev" : "file"), BAD_CAST v[SOURCE]);
    node = disk_child(disk, "target");
    if (!node)
        return -ENOMEM;
    xmlNewProp(node, BAD_CAST "dev", BAD_CAST v[TARGET]);
    xmlNewProp(node, BAD_CAST "bus", BAD_CAST(v[BUS] ? v[BUS] : disk_bus_from_target(v[TARGET])));
    if (v[MODE] && !disk_child(disk, v[MODE]))
        return -ENOMEM;

    if (qos[0] || qos[1] || qos[2] || qos[3]) {
        xmlNodePtr iotune = disk_child(disk, "iotune");

        if (!iotune)
            return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(iotune_fields); i++)
            if (qos[i] && !xmlNewTextChild(iotune, NULL, BAD_CAST iotune_fields[i].name,
                                           BAD_CAST qos[i]))
                return -ENOMEM;
    }
    return devices_node_dump(disk, ret_xml);
}

/* qcow2 images start with "QFI\xfb"; QEMU refuses to probe formats, so an
 * unnamed format would attach a qcow2 image as raw bytes. */
static const char *disk_format_guess(const char *real)
{
    _cleanup_close_ int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    unsigned char magic[DISK_MAGIC_LEN];

    if (fd < 0 || read(fd, magic, sizeof(magic)) != (ssize_t)sizeof(magic))
        return NULL;
    return memcmp(magic, "QFI\xfb", DISK_MAGIC_LEN) == 0 ? "qcow2" : "raw";
}

int ops_plug_disk(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_free_ char *xml = NULL;
    char err[OPS_ERR_MAX], buf[DEVICES_VALUE_MAX], real[PATH_MAX];
    const char *source;
    unsigned flags;
    struct stat st;
    int active, r;

    r = devices_param_text(req->params, "source", "path", true, buf, &source, err, sizeof(err));
    if (r >= 0)
        r = devices_path_resolve("source", source, real, err, sizeof(err));
    if (r >= 0 && stat(real, &st) < 0) {
        r = -errno;
        snprintf(err, sizeof(err), "field 'source': %s: %s", source, strerror(-r));
    }
    if (r < 0)
        return ops_fail_virtctl(res, "plugDisk: %s.", err);
    r = devices_disk_xml(req->params, S_ISBLK(st.st_mode),
                         S_ISREG(st.st_mode) ? disk_format_guess(real) : NULL, &xml, err,
                         sizeof(err));
    if (r == -ENOMEM)
        return ops_fail_exception(res, r, "Out of memory while building the disk XML.");
    if (r < 0)
        return ops_fail_virtctl(res, "plugDisk: %s.", err);

    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;
    active = virDomainIsActive(dom);
    if (active < 0)
        return ops_fail_libvirt(res, "Cannot read the state of the VM");
    r = devices_affect_flags(req->params, active, &flags, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "plugDisk: %s.", err);
    if (virDomainAttachDeviceFlags(dom, xml, flags) < 0)
        return ops_fail_libvirt(res, "Cannot attach the disk");
    return 0;
}

static xmlNodePtr disk_find_any(xmlDocPtr doc, const char *key)
{
    return devices_find_disk(doc, key, NULL);
}

int ops_unplug_disk(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
    _cleanup_free_ char *xml = NULL;
    char err[OPS_ERR_MAX], buf[DEVICES_VALUE_MAX];
    const char *target;
    const cJSON *t;
    xmlNodePtr disk;
    unsigned flags;
    int active, r;

    /* The catalogue names the disk by its device in the guest; a source
     * path (absolute, under the roots) is accepted too, for a disk whose
     * target a caller does not know. */
    t = cJSON_GetObjectItemCaseSensitive(req->params, "target");
    r = devices_param_text(req->params, "target",
                           cJSON_IsString(t) && t->valuestring[0] == '/' ? "path" : "disk_target",
                           true, buf, &target, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "unplugDisk: %s.", err);

    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;
    active = virDomainIsActive(dom);
    if (active < 0)
        return ops_fail_libvirt(res, "Cannot read the state of the VM");
    r = devices_affect_flags(req->params, active, &flags, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "unplugDisk: %s.", err);
    if (devices_domain_doc(dom, devices_doc_flags(flags, active), &doc) < 0)
        return ops_fail_libvirt(res, "Cannot read the description of the VM");
    disk = devices_find_disk(doc, target, NULL);
    if (!disk)
        return ops_fail_virtctl(res, "unplugDisk: field 'target': the VM has no disk %s in its "
                                "%s definition.", target,
                                devices_doc_flags(flags, active) ? "saved" : "running");
    r = devices_node_dump(disk, &xml);
    if (r < 0)
        return ops_fail_exception(res, r, "Out of memory while building the disk XML.");
    if (virDomainDetachDeviceFlags(dom, xml, flags) < 0)
        return ops_fail_libvirt(res, "Cannot detach the disk");
    if (active && (flags & VIR_DOMAIN_AFFECT_LIVE || flags == VIR_DOMAIN_AFFECT_CURRENT))
        (void)devices_wait_removed(dom, disk_find_any, target);
    return 0;
}
