/* Helpers of the storage operations: fields, results, lookups, in-use
 * checks and volume copies (see ops-storage.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "shared/core/json.h"
#include "shared/msg/validate.h"
#include "worker/ops/ops-storage.h"
#include "worker/ops/params.h"
#include "worker/ops/xmljson.h"

/* The longest path a request may name (the catalogue's path rule). */
#define STORAGE_PARAM_PATH_MAX 1024
/* Parse options: never the network, no noise on stderr. */
#define STORAGE_XML_FLAGS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static const char *template_pool = STORAGE_TEMPLATE_POOL_DEFAULT;
static const char *storage_dir = STORAGE_DIR_DEFAULT;

void ops_storage_configure(const char *pool, const char *dir)
{
    template_pool = pool && *pool ? pool : STORAGE_TEMPLATE_POOL_DEFAULT;
    storage_dir = dir && *dir ? dir : STORAGE_DIR_DEFAULT;
}

const char *ops_storage_template_pool(void)
{
    return template_pool;
}

const char *ops_storage_dir(void)
{
    return storage_dir;
}

int storage_param_name(const struct request *req, const char *field, struct result *res,
                       const char **ret_value)
{
    char err[OPS_ERR_MAX];
    const char *v;
    int r;

    r = ops_param_string(req->params, field, &v, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "%s: %s.", req->operation, err);
    if (!v)
        return ops_fail_virtctl(res, "%s: field '%s' is required.", req->operation, field);
    r = validate_value("word", field, v, NULL, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "%s: %s.", req->operation, err);
    *ret_value = v;
    return 0;
}

int storage_check_name(const struct request *req, struct result *res)
{
    char err[OPS_ERR_MAX];

    if (!req->name || validate_value("word", "name", req->name, NULL, err, sizeof(err)) < 0)
        return ops_fail_virtctl(res, "%s: the resource name must be 1 to 64 letters, digits, "
                                "'.', '_' or '-'.", req->operation);
    return 0;
}

int storage_param_path(const struct request *req, const char *field, struct result *res,
                       const char **ret_value)
{
    char err[OPS_ERR_MAX];
    const char *v;
    int r;

    r = ops_param_string(req->params, field, &v, err, sizeof(err));
    if (r < 0)
        return ops_fail_virtctl(res, "%s: %s.", req->operation, err);
    if (!v)
        return ops_fail_virtctl(res, "%s: field '%s' is required.", req->operation, field);
    if (v[0] != '/' || strlen(v) > STORAGE_PARAM_PATH_MAX || strstr(v, "/../") ||
        strpbrk(v, "<>&'\", \t\r\n"))
        return ops_fail_virtctl(res, "%s: field '%s' must be an absolute path of at most %d "
                                "bytes without '..', quotes, '<', '>', '&', commas or "
                                "whitespace.", req->operation, field, STORAGE_PARAM_PATH_MAX);
    *ret_value = v;
    return 0;
}

int storage_result(struct result *res, const char *message, const char *field, const char *xml)
{
    _cleanup_(cJSON_Deletep) cJSON *spec = NULL;
    cJSON *desc = NULL;
    int r;

    if (field) {
        r = ops_xml_to_json(xml, strlen(xml), &desc);
        if (r < 0)
            return ops_fail_exception(res, r, "The %s description from libvirt cannot be "
                                      "converted.", field);
        spec = cJSON_CreateObject();
        if (!spec || !cJSON_AddItemToObject(spec, field, desc)) {
            cJSON_Delete(desc);
            return ops_fail_exception(res, ENOMEM, "Out of memory while writing the result.");
        }
    }
    r = ops_result_set_ok(res, "Ready", message);
    if (r < 0)
        return r;
    cJSON_Delete(res->spec);
    res->spec = TAKE_PTR(spec);
    return 0;
}

int storage_pool_lookup(virConnectPtr conn, const char *name, struct result *res,
                        virStoragePoolPtr *ret_pool)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, name);
    char what[STORAGE_NAME_MAX + 32];

    if (!pool) {
        snprintf(what, sizeof(what), "Cannot find the pool %s", name);
        return ops_fail_libvirt(res, what);
    }
    *ret_pool = pool;
    return 0;
}

int storage_vol_lookup(virStoragePoolPtr pool, const char *pool_name, const char *name,
                       struct result *res, virStorageVolPtr *ret_vol)
{
    virStorageVolPtr vol = virStorageVolLookupByName(pool, name);
    char what[2 * STORAGE_NAME_MAX + 48];

    if (!vol) {
        snprintf(what, sizeof(what), "Cannot find the volume %s in the pool %s", name,
                 pool_name);
        return ops_fail_libvirt(res, what);
    }
    *ret_vol = vol;
    return 0;
}

int storage_vol_by_path(virConnectPtr conn, const char *field, const char *path,
                        struct result *res, virStorageVolPtr *ret_vol)
{
    virStorageVolPtr vol = virStorageVolLookupByPath(conn, path);
    virStoragePoolPtr *pools = NULL;
    int n;

    if (!vol) {
        /* A file copied into a pool's directory behind libvirt's back is
         * known only after a refresh. */
        n = virConnectListAllStoragePools(conn, &pools, VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
        for (int i = 0; i < n; i++) {
            (void)virStoragePoolRefresh(pools[i], 0);
            virStoragePoolFree(pools[i]);
        }
        free(pools);
        vol = virStorageVolLookupByPath(conn, path);
    }
    if (!vol) {
        virResetLastError();
        return ops_fail_virtctl(res, "field '%s': %s is not a volume of any active libvirt "
                                "pool; put it in a pool first.", field, path);
    }
    *ret_vol = vol;
    return 0;
}

int storage_xml_value(const char *xml, const char *expr, char *buf, size_t len)
{
    xmlDoc *doc;
    xmlXPathContext *ctx = NULL;
    xmlXPathObject *obj = NULL;
    int r = -ENOENT;

    doc = xmlReadMemory(xml, (int)strlen(xml), "storage.xml", NULL, STORAGE_XML_FLAGS);
    if (!doc)
        return -EINVAL;
    ctx = xmlXPathNewContext(doc);
    if (ctx)
        obj = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    if (!obj) {
        r = -ENOMEM;
        goto out;
    }
    if (obj->nodesetval && obj->nodesetval->nodeNr > 0) {
        xmlChar *v = xmlNodeGetContent(obj->nodesetval->nodeTab[0]);

        if (v) {
            snprintf(buf, len, "%s", (const char *)v);
            r = 0;
        }
        xmlFree(v);
    }
out:
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return r;
}

/* True when one of the domain's disks in xml is path, or names pool and
 * volume (<source pool= volume=>). */
static bool domain_xml_uses(const char *xml, const char *path, const char *pool,
                            const char *volume)
{
    xmlDoc *doc;
    xmlXPathContext *ctx = NULL;
    xmlXPathObject *obj = NULL;
    bool used = false;

    doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL, STORAGE_XML_FLAGS);
    if (!doc)
        return false;
    ctx = xmlXPathNewContext(doc);
    if (ctx)
        obj = xmlXPathEvalExpression((const xmlChar *)"/domain/devices/disk/source", ctx);
    for (int i = 0; obj && obj->nodesetval && i < obj->nodesetval->nodeNr && !used; i++) {
        xmlNode *src = obj->nodesetval->nodeTab[i];
        xmlChar *file = xmlGetProp(src, (const xmlChar *)"file");
        xmlChar *dev = xmlGetProp(src, (const xmlChar *)"dev");
        xmlChar *p = xmlGetProp(src, (const xmlChar *)"pool");
        xmlChar *v = xmlGetProp(src, (const xmlChar *)"volume");

        used = (file && strcmp((const char *)file, path) == 0) ||
               (dev && strcmp((const char *)dev, path) == 0) ||
               (p && v && strcmp((const char *)p, pool) == 0 &&
                strcmp((const char *)v, volume) == 0);
        xmlFree(file);
        xmlFree(dev);
        xmlFree(p);
        xmlFree(v);
    }
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    return used;
}

int storage_vol_user(virConnectPtr conn, virStorageVolPtr vol, struct result *res,
                     char *ret_domain, size_t len)
{
    _cleanup_free_ char *path = virStorageVolGetPath(vol);
    _cleanup_(virStoragePoolFreep) virStoragePoolPtr pool = virStoragePoolLookupByVolume(vol);
    const char *pool_name = pool ? virStoragePoolGetName(pool) : "";
    virDomainPtr *doms = NULL;
    int n, found = 0;

    if (!path)
        return ops_fail_libvirt(res, "Cannot read the path of the volume");
    n = virConnectListAllDomains(conn, &doms, 0);
    if (n < 0)
        return ops_fail_libvirt(res, "Cannot list the VMs to see whether one uses the volume");
    for (int i = 0; i < n; i++) {
        /* Both definitions: a disk may be plugged live only, or in the
         * next boot's definition only. */
        for (int live = 0; live < 2 && !found; live++) {
            _cleanup_free_ char *xml = NULL;

            if (live && virDomainIsActive(doms[i]) != 1)
                continue;
            xml = virDomainGetXMLDesc(doms[i], live ? 0 : VIR_DOMAIN_XML_INACTIVE);
            if (xml && domain_xml_uses(xml, path, pool_name, virStorageVolGetName(vol))) {
                snprintf(ret_domain, len, "%s", virDomainGetName(doms[i]));
                found = 1;
            }
        }
        virDomainFree(doms[i]);
    }
    free(doms);
    virResetLastError();
    return found;
}

int storage_vol_refuse_used(virConnectPtr conn, virStorageVolPtr vol, const char *what,
                            struct result *res)
{
    char domain[STORAGE_NAME_MAX];
    int r = storage_vol_user(conn, vol, res, domain, sizeof(domain));

    if (r < 0)
        return r;
    if (r > 0)
        return ops_fail_virtctl(res, "%s: the volume %s is used by VM %s; unplug it or delete "
                                "the VM first.", what, virStorageVolGetName(vol), domain);
    return 0;
}

int storage_vol_copy(virStoragePoolPtr dst, virStorageVolPtr src, const char *new_name,
                     struct result *res, virStorageVolPtr *ret_vol)
{
    _cleanup_(virStorageVolFreep) virStorageVolPtr taken = NULL;
    _cleanup_free_ char *src_xml = NULL;
    virStorageVolInfo info;
    char format[64] = "raw", xml[STORAGE_NAME_MAX + 512], what[2 * STORAGE_NAME_MAX + 64];
    virStorageVolPtr vol;

    taken = virStorageVolLookupByName(dst, new_name);
    if (taken)
        return ops_fail_virtctl(res, "The pool %s already holds a volume %s.",
                                virStoragePoolGetName(dst), new_name);
    virResetLastError();
    src_xml = virStorageVolGetXMLDesc(src, 0);
    if (!src_xml || virStorageVolGetInfo(src, &info) < 0)
        return ops_fail_libvirt(res, "Cannot read the source volume");
    (void)storage_xml_value(src_xml, "/volume/target/format/@type", format, sizeof(format));
    if (strpbrk(format, "<>&'\""))
        return ops_fail_virtctl(res, "The source volume's format %s is not one vmrelay copies.",
                                format);
    snprintf(xml, sizeof(xml),
             "<volume><name>%s</name><capacity unit='bytes'>%llu</capacity>"
             "<target><format type='%s'/></target></volume>",
             new_name, info.capacity, format);
    vol = virStorageVolCreateXMLFrom(dst, xml, src, 0);
    if (!vol) {
        virErrorPtr err = virSaveLastError();
        virStorageVolPtr half;

        /* Some backends leave a partial volume after a failed copy; the
         * name was free before, so what is there now is ours to remove. */
        half = virStorageVolLookupByName(dst, new_name);
        if (half) {
            (void)virStorageVolDelete(half, 0);
            virStorageVolFree(half);
        }
        snprintf(what, sizeof(what), "Cannot copy the volume %s to %s in the pool %s",
                 virStorageVolGetName(src), new_name, virStoragePoolGetName(dst));
        ops_fail_virerror(res, err, what);
        virFreeError(err);
        return -EIO;
    }
    *ret_vol = vol;
    return 0;
}

int storage_vol_move(virStoragePoolPtr dst, virStorageVolPtr src, const char *new_name,
                     struct result *res, virStorageVolPtr *ret_vol)
{
    virStorageVolPtr vol = NULL;
    int r;

    r = storage_vol_copy(dst, src, new_name, res, &vol);
    if (r < 0)
        return r;
    if (virStorageVolDelete(src, 0) < 0) {
        virErrorPtr err = virSaveLastError();

        (void)virStorageVolDelete(vol, 0);
        virStorageVolFree(vol);
        ops_fail_virerror(res, err, "Cannot remove the source volume after copying it; the "
                          "copy was removed and the source is unchanged");
        virFreeError(err);
        return -EIO;
    }
    *ret_vol = vol;
    return 0;
}
