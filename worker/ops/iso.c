/* manageISO: insert, replace or eject the medium of a CD-ROM drive with
 * virDomainUpdateDeviceFlags. The drive is the domain's own <disk
 * device='cdrom'>, copied with only its medium changed, so that its target,
 * bus and address stay what libvirt matches on. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "worker/ops/devices.h"
#include "worker/ops/ops.h"
#include "worker/ops/params.h"

int devices_cdrom_xml(xmlNodePtr cdrom, const char *path, bool eject, bool block,
                      char **ret_xml)
{
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr copy, old, src;

    if (!doc)
        return -ENOMEM;
    copy = xmlDocCopyNode(cdrom, doc, 1);
    if (!copy)
        return -ENOMEM;
    xmlDocSetRootElement(doc, copy);
    while ((old = devices_node_child(copy, "source"))) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    if (!eject) {
        if (!xmlSetProp(copy, BAD_CAST "type", BAD_CAST(block ? "block" : "file")))
            return -ENOMEM;
        /* <source> goes first, where libvirt writes it; order is not
         * significant to its parser but keeps the XML readable. */
        src = xmlNewDocNode(doc, NULL, BAD_CAST "source", NULL);
        if (!src || !xmlNewProp(src, BAD_CAST(block ? "dev" : "file"), BAD_CAST path))
            return -ENOMEM;
        if (copy->children)
            xmlAddPrevSibling(copy->children, src);
        else
            xmlAddChild(copy, src);
    }
    return devices_node_dump(copy, ret_xml);
}

/* The drive to act on: for eject the one holding path, for insert an empty
 * one, for update the first (its medium is replaced). */
static xmlNodePtr iso_find_drive(xmlDocPtr doc, const char *path, bool eject, bool update)
{
    xmlNodePtr devs = devices_node_devices(doc), first = NULL;

    if (eject)
        return devices_find_disk(doc, path, "cdrom");
    for (xmlNodePtr d = devs ? devs->children : NULL; d; d = d->next) {
        _cleanup_xml_ xmlChar *src = NULL;

        if (d->type != XML_ELEMENT_NODE || xmlStrcmp(d->name, BAD_CAST "disk") != 0 ||
            !devices_node_attr_is(d, "device", "cdrom"))
            continue;
        if (!first)
            first = d;
        src = devices_disk_source(d);
        if (!src)
            return d;
    }
    return update ? first : NULL;
}

static int iso_check_medium(const char *path, bool block, char *err, size_t errlen)
{
    char real[PATH_MAX];
    struct stat st;
    int r;

    r = devices_path_resolve("path", path, real, err, errlen);
    if (r < 0)
        return r;
    if (stat(real, &st) < 0) {
        snprintf(err, errlen, "field 'path': %s: %s", path, strerror(errno));
        return -EINVAL;
    }
    if (block ? !S_ISBLK(st.st_mode) : !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "field 'path': %s is not a %s", path,
                 block ? "block device ('block' is true)" : "regular file");
        return -EINVAL;
    }
    return 0;
}

int ops_manage_iso(virConnectPtr conn, const struct request *req, struct result *res)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = NULL;
    _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
    _cleanup_free_ char *xml = NULL;
    char err[OPS_ERR_MAX], buf[DEVICES_VALUE_MAX];
    bool eject = false, insert = false, update = false, force = false, block = false;
    const char *path;
    xmlNodePtr drive;
    unsigned flags;
    int active, r;

    r = devices_param_text(req->params, "path", "path", true, buf, &path, err, sizeof(err));
    if (r >= 0)
        r = ops_param_bool(req->params, "eject", &eject, err, sizeof(err));
    if (r >= 0)
        r = ops_param_bool(req->params, "insert", &insert, err, sizeof(err));
    if (r >= 0)
        r = ops_param_bool(req->params, "update", &update, err, sizeof(err));
    if (r >= 0)
        r = ops_param_bool(req->params, "force", &force, err, sizeof(err));
    if (r >= 0)
        r = ops_param_bool(req->params, "block", &block, err, sizeof(err));
    if (r >= 0 && eject && (insert || update)) {
        snprintf(err, sizeof(err), "field 'eject' cannot be combined with 'insert' or 'update'");
        r = -EINVAL;
    }
    if (r >= 0 && !eject && !insert && !update) {
        snprintf(err, sizeof(err), "one of the fields 'insert', 'eject' or 'update' must be "
                 "true");
        r = -EINVAL;
    }
    if (r >= 0 && !eject)
        r = iso_check_medium(path, block, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "manageISO: %s.", err);

    r = ops_domain_lookup(conn, req, res, &dom);
    if (r < 0)
        return r;
    active = virDomainIsActive(dom);
    if (active < 0)
        return ops_fail_libvirt(res, "Cannot read the state of the VM");
    r = devices_affect_flags(req->params, active, &flags, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "manageISO: %s.", err);
    if (devices_domain_doc(dom, devices_doc_flags(flags, active), &doc) < 0)
        return ops_fail_libvirt(res, "Cannot read the description of the VM");
    drive = iso_find_drive(doc, path, eject, update);
    if (!drive && eject)
        return ops_fail_virtctl(res, "manageISO: field 'path': no CD-ROM drive of the VM holds "
                                "%s.", path);
    if (!drive)
        return ops_fail_virtctl(res, "manageISO: field 'insert': the VM has no empty CD-ROM "
                                "drive (set 'update' to replace a medium).");
    r = devices_cdrom_xml(drive, path, eject, block, &xml);
    if (r < 0)
        return ops_fail_exception(res, r, "Out of memory while building the CD-ROM XML.");
    if (force)
        flags |= VIR_DOMAIN_DEVICE_MODIFY_FORCE;
    if (virDomainUpdateDeviceFlags(dom, xml, flags) < 0)
        return ops_fail_libvirt(res, eject ? "Cannot eject the CD-ROM medium"
                                           : "Cannot change the CD-ROM medium");
    return 0;
}
