/* libvirt XML to the JSON shape of the API document's return values.
 *
 * The rules, read from the document's spec.domain / spec.volume examples:
 * - an element becomes an object; its attributes are keys with string
 *   values, unprefixed ("type": "kvm");
 * - its text, when not only whitespace, is the key "text"
 *   (<name>vm1</name> is {"text": "vm1"});
 * - a child element is a key holding an object, or an array of objects
 *   when the element repeats or when the document shows it as an array
 *   (devices/disk, devices/interface, os/boot, ...), even if it occurs
 *   once, so that a client sees one shape;
 * - an empty element is {};
 * - where a child element and an attribute share a name the child wins
 *   (libvirt repeats such attributes in the child, e.g. graphics/listen).
 *
 * Parsing never loads a DTD, external entity or network resource, and
 * input is capped in size and depth.
 *
 * Thread safety: any thread (libxml2 is initialised once, thread-safe). */
#pragma once

#include <stddef.h>

#include <cjson/cJSON.h>

#define XML2JSON_MAX_BYTES (4 * 1024 * 1024)
#define XML2JSON_MAX_DEPTH 64

/* Converts one XML document; *ret_json is the root element's object (the
 * value of spec.domain, not wrapped in {"domain": ...}). If ret_root_name
 * is not NULL it receives the root element's malloc'd name. Returns 0,
 * -EMSGSIZE, -EINVAL (not well-formed, a DTD, too deep) with err filled,
 * or -ENOMEM. */
int xml2json(const char *xml, size_t len, cJSON **ret_json, char **ret_root_name, char *err,
             size_t errlen);
