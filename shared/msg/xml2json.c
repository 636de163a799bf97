/* libvirt XML to JSON in the API document's shape (see xml2json.h). */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "shared/core/macro.h"
#include "shared/msg/xml2json-arrays.h"
#include "shared/msg/xml2json.h"

#define XML2JSON_PATH_MAX 512

static void xml_doc_freep(xmlDocPtr *doc)
{
    if (*doc)
        xmlFreeDoc(*doc);
}

static bool xml2json_always_array(const char *path)
{
    for (size_t i = 0; i < xml2json_n_array_paths; i++)
        if (strcmp(xml2json_array_paths[i], path) == 0)
            return true;
    return false;
}

/* The element's name as a key: "prefix:name" for a namespaced element so
 * that two namespaces never merge. */
static void xml2json_node_name(const xmlNode *node, char *buf, size_t buflen)
{
    if (node->ns && node->ns->prefix)
        snprintf(buf, buflen, "%s:%s", (const char *)node->ns->prefix,
                 (const char *)node->name);
    else
        snprintf(buf, buflen, "%s", (const char *)node->name);
}

static int xml2json_attrs(const xmlNode *node, cJSON *obj)
{
    for (const xmlAttr *a = node->properties; a; a = a->next) {
        xmlChar *value = xmlNodeGetContent((const xmlNode *)a);
        char key[256];
        cJSON *item;

        if (a->ns && a->ns->prefix)
            snprintf(key, sizeof(key), "%s:%s", (const char *)a->ns->prefix,
                     (const char *)a->name);
        else
            snprintf(key, sizeof(key), "%s", (const char *)a->name);
        item = cJSON_AddStringToObject(obj, key, value ? (const char *)value : "");
        xmlFree(value);
        if (!item)
            return -ENOMEM;
    }
    return 0;
}

static bool xml2json_blank(const char *s)
{
    return strspn(s, " \t\r\n") == strlen(s);
}

/* Joins the element's direct text and CDATA children. */
static int xml2json_text(const xmlNode *node, cJSON *obj)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;

    for (const xmlNode *c = node->children; c; c = c->next) {
        size_t add;
        char *grown;

        if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
            continue;
        add = strlen((const char *)c->content);
        grown = realloc(text, len + add + 1);
        if (!grown)
            return -ENOMEM;
        text = grown;
        memcpy(text + len, c->content, add);
        len += add;
        text[len] = '\0';
    }
    if (!text || xml2json_blank(text))
        return 0;
    /* The child "text" would be unusual; the element's own text wins. */
    cJSON_DeleteItemFromObjectCaseSensitive(obj, "text");
    return cJSON_AddStringToObject(obj, "text", text) ? 0 : -ENOMEM;
}

/* Puts a converted child under key: as an array element when the path is
 * an array in the document or the key repeats, replacing an attribute of
 * the same name. */
static int xml2json_attach(cJSON *obj, const char *key, const char *path, cJSON *child)
{
    cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, key);
    cJSON *arr;

    if (old && cJSON_IsString(old)) {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
        old = NULL;
    }
    if (!old) {
        if (!xml2json_always_array(path)) {
            cJSON_AddItemToObject(obj, key, child);
            return 0;
        }
        arr = cJSON_AddArrayToObject(obj, key);
        if (!arr) {
            cJSON_Delete(child);
            return -ENOMEM;
        }
        cJSON_AddItemToArray(arr, child);
        return 0;
    }
    if (cJSON_IsArray(old)) {
        cJSON_AddItemToArray(old, child);
        return 0;
    }
    arr = cJSON_CreateArray();
    if (!arr) {
        cJSON_Delete(child);
        return -ENOMEM;
    }
    cJSON_DetachItemViaPointer(obj, old);
    cJSON_AddItemToArray(arr, old);
    cJSON_AddItemToArray(arr, child);
    cJSON_AddItemToObject(obj, key, arr);
    return 0;
}

static int xml2json_element(const xmlNode *node, const char *path, unsigned depth,
                            cJSON **ret_obj, char *err, size_t errlen)
{
    cJSON *obj;
    int r;

    if (depth > XML2JSON_MAX_DEPTH) {
        snprintf(err, errlen, "XML is nested deeper than %d elements", XML2JSON_MAX_DEPTH);
        return -EINVAL;
    }
    obj = cJSON_CreateObject();
    if (!obj)
        return -ENOMEM;
    r = xml2json_attrs(node, obj);
    if (r < 0)
        goto fail;

    for (const xmlNode *c = node->children; c; c = c->next) {
        char key[256], child_path[XML2JSON_PATH_MAX];
        cJSON *child = NULL;

        if (c->type != XML_ELEMENT_NODE)
            continue;
        xml2json_node_name(c, key, sizeof(key));
        snprintf(child_path, sizeof(child_path), "%s/%s", path, key);
        r = xml2json_element(c, child_path, depth + 1, &child, err, errlen);
        if (r < 0)
            goto fail;
        r = xml2json_attach(obj, key, child_path, child);
        if (r < 0)
            goto fail;
    }
    r = xml2json_text(node, obj);
    if (r < 0)
        goto fail;
    *ret_obj = obj;
    return 0;

fail:
    cJSON_Delete(obj);
    return r;
}

int xml2json(const char *xml, size_t len, cJSON **ret_json, char **ret_root_name, char *err,
             size_t errlen)
{
    _cleanup_(xml_doc_freep) xmlDocPtr doc = NULL;
    _cleanup_free_ char *root_name = NULL;
    char name[256];
    xmlNode *root;
    cJSON *json = NULL;
    int r;

    if (len > XML2JSON_MAX_BYTES) {
        snprintf(err, errlen, "XML of %zu bytes is larger than the %d-byte cap", len,
                 XML2JSON_MAX_BYTES);
        return -EMSGSIZE;
    }
    /* No XML_PARSE_NOENT and no XML_PARSE_DTDLOAD: entities are never
     * expanded and nothing outside the buffer is read. */
    doc = xmlReadMemory(xml, (int)len, "noname.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        snprintf(err, errlen, "XML is not well-formed");
        return -EINVAL;
    }
    if (doc->intSubset || doc->extSubset) {
        snprintf(err, errlen, "XML with a document type declaration is not accepted");
        return -EINVAL;
    }
    root = xmlDocGetRootElement(doc);
    if (!root) {
        snprintf(err, errlen, "XML has no root element");
        return -EINVAL;
    }
    xml2json_node_name(root, name, sizeof(name));
    r = xml2json_element(root, name, 1, &json, err, errlen);
    if (r < 0)
        return r;
    if (ret_root_name) {
        root_name = strdup(name);
        if (!root_name) {
            cJSON_Delete(json);
            return -ENOMEM;
        }
        *ret_root_name = TAKE_PTR(root_name);
    }
    *ret_json = json;
    return 0;
}
