/* Editing the domain XML a VM image keeps with its template volume.
 *
 * The XML is a domain definition whose boot disk (the first disk with
 * device='disk') points at the template volume, and whose <metadata>
 * holds <vmrelay:template> with the pool and volume name the disk goes
 * back to when the image becomes a VM again.
 *
 * Thread safety: pure; any thread. */
#pragma once

#include <stddef.h>

#include "worker/ops/ops-storage.h"

#define IMAGE_XML_NS "https://vmrelay.io/xmlns/template/1"

struct image_origin {
    char pool[STORAGE_NAME_MAX];
    char volume[STORAGE_NAME_MAX];
};

/* The source path (file or dev) of the boot disk; -ENOENT when the domain
 * has no disk with a path. */
int image_xml_disk_path(const char *xml, char *buf, size_t len);

/* Where the boot disk goes back to; -ENOENT when the XML has no
 * vmrelay:template metadata. */
int image_xml_origin(const char *xml, struct image_origin *ret_origin);

/* A copy of xml with the boot disk pointing at disk_path (a file), the
 * name set to name (NULL: unchanged), and the vmrelay:template metadata
 * set to origin (NULL: removed). */
int image_xml_rewrite(const char *xml, const char *name, const char *disk_path,
                      const struct image_origin *origin, char **ret_xml);
