/* Helpers of the device operations: flags, checked fields, confined paths
 * and device XML (see devices.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/parser.h>

#include "shared/msg/validate.h"
#include "worker/ops/devices.h"
#include "worker/ops/ops.h"
#include "worker/ops/params.h"

static char roots_buf[DEVICES_ROOTS_LIST_MAX];
static const char *roots[DEVICES_ROOTS_MAX + 1] = {VALIDATE_DEFAULT_ROOT, NULL};

int devices_set_roots(const char *list)
{
    char copy[DEVICES_ROOTS_LIST_MAX];
    const char *parsed[DEVICES_ROOTS_MAX + 1] = {0};
    char *save = NULL, *tok;
    size_t n = 0;

    if (!list || !list[0]) {
        roots[0] = VALIDATE_DEFAULT_ROOT;
        roots[1] = NULL;
        return 0;
    }
    if (strlen(list) >= sizeof(copy))
        return -E2BIG;
    snprintf(copy, sizeof(copy), "%s", list);
    for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        if (n >= DEVICES_ROOTS_MAX)
            return -E2BIG;
        parsed[n++] = tok;
    }
    if (n == 0)
        return devices_set_roots(NULL);
    memcpy(roots_buf, copy, sizeof(copy));
    for (size_t i = 0; i < n; i++)
        roots[i] = roots_buf + (parsed[i] - copy);
    roots[n] = NULL;
    return 0;
}

const char *const *devices_roots(void)
{
    return roots;
}

int devices_affect_flags(const cJSON *params, bool active, unsigned *ret_flags, char *err,
                         size_t errlen)
{
    static const char *const names[] = {"current", "live", "config", "persistent"};
    enum { CURRENT, LIVE, CONFIG, PERSISTENT };
    unsigned flags = VIR_DOMAIN_AFFECT_CURRENT;
    bool v[4];

    for (size_t i = 0; i < ELEMENTSOF(names); i++) {
        int r = ops_param_bool(params, names[i], &v[i], err, errlen);

        if (r < 0)
            return r;
    }
    /* libvirt's "current" is the absence of live and config: asking for it
     * together with either is a contradiction, not a union. */
    if (v[CURRENT] && (v[LIVE] || v[CONFIG] || v[PERSISTENT])) {
        snprintf(err, errlen, "field 'current' cannot be combined with 'live', 'config' or "
                              "'persistent'");
        return -EINVAL;
    }
    if (v[LIVE])
        flags |= VIR_DOMAIN_AFFECT_LIVE;
    if (v[CONFIG])
        flags |= VIR_DOMAIN_AFFECT_CONFIG;
    if (v[PERSISTENT]) {
        flags |= VIR_DOMAIN_AFFECT_CONFIG;
        if (active)
            flags |= VIR_DOMAIN_AFFECT_LIVE;
    }
    *ret_flags = flags;
    return 0;
}

int devices_param_text(const cJSON *params, const char *name, const char *constraint,
                       bool required, char buf[static DEVICES_VALUE_MAX], const char **ret_value,
                       char *err, size_t errlen)
{
    const cJSON *v = params ? cJSON_GetObjectItemCaseSensitive(params, name) : NULL;
    struct validate_opts vopts = {.allowed_roots = devices_roots()};
    const char *text;
    int r;

    if (!v || cJSON_IsNull(v)) {
        if (!required)
            return -ENOENT;
        snprintf(err, errlen, "field '%s' is required", name);
        return -EINVAL;
    }
    if (cJSON_IsString(v) && v->valuestring[0]) {
        text = v->valuestring;
    } else if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= 1e18 &&
               v->valuedouble == (double)(long long)v->valuedouble) {
        snprintf(buf, DEVICES_VALUE_MAX, "%lld", (long long)v->valuedouble);
        text = buf;
    } else {
        snprintf(err, errlen, "field '%s' must be a non-empty string", name);
        return -EINVAL;
    }
    if (strlen(text) >= DEVICES_VALUE_MAX) {
        snprintf(err, errlen, "field '%s' is longer than %d bytes", name, DEVICES_VALUE_MAX - 1);
        return -EINVAL;
    }
    if (constraint) {
        r = validate_value(constraint, name, text, &vopts, err, errlen);
        if (r < 0)
            return -EINVAL;
    }
    *ret_value = text;
    return 0;
}

int devices_path_resolve(const char *field, const char *path, char ret_real[static PATH_MAX],
                         char *err, size_t errlen)
{
    struct validate_opts vopts = {.allowed_roots = devices_roots()};
    char real[PATH_MAX];
    char detail[256];

    if (!realpath(path, real)) {
        int e = errno;

        snprintf(err, errlen, "field '%s': %s: %s", field, path, strerror(e));
        return -e;
    }
    /* The lexical check passed on the request's text; a symlink on the way
     * may still lead anywhere, so the resolved path is checked again. */
    if (validate_value("path", field, real, &vopts, detail, sizeof(detail)) < 0) {
        snprintf(err, errlen, "field '%s': %s resolves to %s, outside the allowed roots", field,
                 path, real);
        return -EPERM;
    }
    memcpy(ret_real, real, PATH_MAX);
    return 0;
}

int devices_xml_parse(const char *xml, size_t len, xmlDocPtr *ret_doc, char *err,
                      size_t errlen)
{
    xmlDocPtr doc;

    if (len > DEVICES_DOMAIN_XML_MAX || len > INT32_MAX) {
        snprintf(err, errlen, "the XML is larger than %d bytes", DEVICES_DOMAIN_XML_MAX);
        return -EMSGSIZE;
    }
    /* No XML_PARSE_NOENT, DTDLOAD or DTDATTR: entities stay unexpanded and
     * nothing outside the text is read. */
    doc = xmlReadMemory(xml, (int)len, "device.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                            XML_PARSE_NOCDATA);
    if (!doc || !xmlDocGetRootElement(doc)) {
        xmlFreeDoc(doc);
        snprintf(err, errlen, "the XML is not well-formed");
        return -EINVAL;
    }
    if (doc->intSubset || doc->extSubset) {
        xmlFreeDoc(doc);
        snprintf(err, errlen, "the XML has a document type declaration, which is not allowed");
        return -EINVAL;
    }
    *ret_doc = doc;
    return 0;
}

int devices_domain_doc(virDomainPtr dom, unsigned flags, xmlDocPtr *ret_doc)
{
    _cleanup_free_ char *xml = virDomainGetXMLDesc(dom, flags);
    char err[128];

    if (!xml)
        return -EIO;
    return devices_xml_parse(xml, strlen(xml), ret_doc, err, sizeof(err));
}

unsigned devices_doc_flags(unsigned affect, bool active)
{
    if (affect & VIR_DOMAIN_AFFECT_LIVE)
        return 0;
    if (affect & VIR_DOMAIN_AFFECT_CONFIG)
        return VIR_DOMAIN_XML_INACTIVE;
    return active ? 0 : VIR_DOMAIN_XML_INACTIVE;
}

xmlNodePtr devices_node_child(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && xmlStrcmp(c->name, BAD_CAST name) == 0)
            return c;
    return NULL;
}

xmlNodePtr devices_node_devices(xmlDocPtr doc)
{
    return devices_node_child(xmlDocGetRootElement(doc), "devices");
}

bool devices_node_attr_is(xmlNodePtr node, const char *attr, const char *value)
{
    _cleanup_xml_ xmlChar *v = node ? xmlGetProp(node, BAD_CAST attr) : NULL;

    return v && strcmp((const char *)v, value) == 0;
}

xmlChar *devices_disk_source(xmlNodePtr disk)
{
    static const char *const attrs[] = {"file", "dev", "dir", "volume", NULL};
    xmlNodePtr src = devices_node_child(disk, "source");

    for (size_t i = 0; src && attrs[i]; i++) {
        xmlChar *v = xmlGetProp(src, BAD_CAST attrs[i]);

        if (v)
            return v;
    }
    return NULL;
}

xmlNodePtr devices_find_disk(xmlDocPtr doc, const char *key, const char *device_kind)
{
    xmlNodePtr devs = devices_node_devices(doc);
    bool by_path = key[0] == '/';

    for (xmlNodePtr d = devs ? devs->children : NULL; d; d = d->next) {
        if (d->type != XML_ELEMENT_NODE || xmlStrcmp(d->name, BAD_CAST "disk") != 0)
            continue;
        if (device_kind) {
            _cleanup_xml_ xmlChar *kind = xmlGetProp(d, BAD_CAST "device");

            /* libvirt's default device kind is "disk". */
            if (strcmp(kind ? (const char *)kind : "disk", device_kind) != 0)
                continue;
        }
        if (by_path) {
            _cleanup_xml_ xmlChar *src = devices_disk_source(d);

            if (src && strcmp((const char *)src, key) == 0)
                return d;
        } else if (devices_node_attr_is(devices_node_child(d, "target"), "dev", key)) {
            return d;
        }
    }
    return NULL;
}

xmlNodePtr devices_find_interface(xmlDocPtr doc, const char *mac)
{
    xmlNodePtr devs = devices_node_devices(doc);

    for (xmlNodePtr i = devs ? devs->children : NULL; i; i = i->next) {
        _cleanup_xml_ xmlChar *addr = NULL;

        if (i->type != XML_ELEMENT_NODE || xmlStrcmp(i->name, BAD_CAST "interface") != 0)
            continue;
        addr = xmlGetProp(devices_node_child(i, "mac"), BAD_CAST "address");
        if (addr && strcasecmp((const char *)addr, mac) == 0)
            return i;
    }
    return NULL;
}

int devices_node_dump(xmlNodePtr node, char **ret_xml)
{
    xmlBufferPtr buf = xmlBufferCreate();
    char *xml;

    if (!buf)
        return -ENOMEM;
    if (xmlNodeDump(buf, node->doc, node, 0, 0) < 0) {
        xmlBufferFree(buf);
        return -ENOMEM;
    }
    xml = strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    if (!xml)
        return -ENOMEM;
    *ret_xml = xml;
    return 0;
}

int devices_wait_removed(virDomainPtr dom, devices_find_fn find, const char *key)
{
    const struct timespec tick = {0, DEVICES_UNPLUG_TICK_MS * 1000000L};

    for (int waited = 0;; waited += DEVICES_UNPLUG_TICK_MS) {
        _cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;

        if (devices_domain_doc(dom, 0, &doc) < 0)
            return -EIO;
        if (!find(doc, key))
            return 0;
        if (waited >= DEVICES_UNPLUG_WAIT_MS)
            return -ETIMEDOUT;
        nanosleep(&tick, NULL);
    }
}

int ops_paths_set_roots(const char *list)
{
    return devices_set_roots(list);
}
