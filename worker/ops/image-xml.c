#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "worker/ops/image-xml.h"

#define IMAGE_XML_FLAGS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | \
                         XML_PARSE_NOBLANKS)
#define IMAGE_BOOT_DISK "/domain/devices/disk[@device='disk' or not(@device)][1]"
#define IMAGE_TEMPLATE "/domain/metadata/*[local-name()='template']"

/* The first node expr selects in doc, or NULL. */
static xmlNode *xml_first(xmlDoc *doc, const char *expr)
{
    xmlXPathContext *ctx = xmlXPathNewContext(doc);
    xmlXPathObject *obj = ctx ? xmlXPathEvalExpression((const xmlChar *)expr, ctx) : NULL;
    xmlNode *node = NULL;

    if (obj && obj->nodesetval && obj->nodesetval->nodeNr > 0)
        node = obj->nodesetval->nodeTab[0];
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    return node;
}

int image_xml_disk_path(const char *xml, char *buf, size_t len)
{
    int r = storage_xml_value(xml, IMAGE_BOOT_DISK "/source/@file", buf, len);

    if (r == -ENOENT)
        r = storage_xml_value(xml, IMAGE_BOOT_DISK "/source/@dev", buf, len);
    return r;
}

int image_xml_origin(const char *xml, struct image_origin *ret_origin)
{
    struct image_origin o;
    int r;

    r = storage_xml_value(xml, IMAGE_TEMPLATE "/*[local-name()='pool']", o.pool,
                          sizeof(o.pool));
    if (r < 0)
        return r;
    r = storage_xml_value(xml, IMAGE_TEMPLATE "/*[local-name()='volume']", o.volume,
                          sizeof(o.volume));
    if (r < 0)
        return r;
    *ret_origin = o;
    return 0;
}

static int set_disk(xmlDoc *doc, const char *disk_path)
{
    xmlNode *disk = xml_first(doc, IMAGE_BOOT_DISK);
    xmlNode *src = xml_first(doc, IMAGE_BOOT_DISK "/source");
    static const char *const drop[] = {"dev", "pool", "volume", "protocol", "name", NULL};

    if (!disk)
        return -ENOENT;
    if (!src) {
        src = xmlNewChild(disk, NULL, (const xmlChar *)"source", NULL);
        if (!src)
            return -ENOMEM;
    }
    for (size_t i = 0; drop[i]; i++) {
        xmlAttr *a = xmlHasProp(src, (const xmlChar *)drop[i]);

        if (a)
            xmlRemoveProp(a);
    }
    if (!xmlSetProp(disk, (const xmlChar *)"type", (const xmlChar *)"file") ||
        !xmlSetProp(src, (const xmlChar *)"file", (const xmlChar *)disk_path))
        return -ENOMEM;
    return 0;
}

static int set_origin(xmlDoc *doc, const struct image_origin *origin)
{
    xmlNode *root = xmlDocGetRootElement(doc), *meta, *tpl, *old;
    xmlNs *ns;

    old = xml_first(doc, IMAGE_TEMPLATE);
    if (old) {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    meta = xml_first(doc, "/domain/metadata");
    if (!origin) {
        /* An empty <metadata> is noise in the VM's definition. */
        if (meta && !xmlFirstElementChild(meta)) {
            xmlUnlinkNode(meta);
            xmlFreeNode(meta);
        }
        return 0;
    }
    if (!meta)
        meta = xmlNewChild(root, NULL, (const xmlChar *)"metadata", NULL);
    if (!meta)
        return -ENOMEM;
    tpl = xmlNewChild(meta, NULL, (const xmlChar *)"template", NULL);
    if (!tpl)
        return -ENOMEM;
    ns = xmlNewNs(tpl, (const xmlChar *)IMAGE_XML_NS, (const xmlChar *)"vmrelay");
    if (!ns)
        return -ENOMEM;
    xmlSetNs(tpl, ns);
    if (!xmlNewTextChild(tpl, ns, (const xmlChar *)"pool", (const xmlChar *)origin->pool) ||
        !xmlNewTextChild(tpl, ns, (const xmlChar *)"volume", (const xmlChar *)origin->volume))
        return -ENOMEM;
    return 0;
}

int image_xml_rewrite(const char *xml, const char *name, const char *disk_path,
                      const struct image_origin *origin, char **ret_xml)
{
    xmlDoc *doc;
    xmlChar *out = NULL;
    int size = 0, r;

    doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, IMAGE_XML_FLAGS);
    if (!doc)
        return -EINVAL;
    r = set_disk(doc, disk_path);
    if (r == 0 && name) {
        xmlNode *n = xml_first(doc, "/domain/name");

        if (!n)
            r = -EINVAL;
        else
            xmlNodeSetContent(n, (const xmlChar *)name);
    }
    if (r == 0)
        r = set_origin(doc, origin);
    if (r == 0) {
        xmlDocDumpFormatMemory(doc, &out, &size, 1);
        if (!out)
            r = -ENOMEM;
    }
    if (r == 0) {
        *ret_xml = strdup((const char *)out);
        if (!*ret_xml)
            r = -ENOMEM;
    }
    xmlFree(out);
    xmlFreeDoc(doc);
    return r;
}
