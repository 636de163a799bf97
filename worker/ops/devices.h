/* Helpers shared by the device operations (plugDisk, unplugDisk, plugNIC,
 * unplugNIC, plugDevice, unplugDevice, manageISO, updateOS): the
 * live/config/current/persistent flags, field values checked with the
 * catalogue's constraint rules, paths confined to the configured roots, and
 * device XML built and searched with libxml2 (never a DTD, an entity or the
 * network).
 *
 * Thread safety: devices_set_roots() from main before the first request;
 * everything else any thread. */
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <libvirt/libvirt.h>
#include <libxml/tree.h>

#include "shared/core/macro.h"

/* A device XML file is a few hundred bytes; a GPU with ROM settings a few
 * KiB. Anything larger is not a device description. */
#define DEVICES_FILE_MAX (64 * 1024)
/* A domain description, as the shared XML to JSON converter caps it. */
#define DEVICES_DOMAIN_XML_MAX (4 * 1024 * 1024)
/* The text of one field value (a path, a number, an option string). */
#define DEVICES_VALUE_MAX 1100
/* Comma list of paths.roots. */
#define DEVICES_ROOTS_MAX 16
#define DEVICES_ROOTS_LIST_MAX 4096

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc);

static inline void devices_xml_freep(xmlChar **p)
{
    if (*p)
        xmlFree(*p);
}
#define _cleanup_xml_ _cleanup_(devices_xml_freep)

/* Sets the roots every path must lie under, from a comma list (the key
 * paths.roots); NULL or empty means /var/lib/libvirt. Returns 0 or -E2BIG
 * (too many roots, the previous setting stays). */
int devices_set_roots(const char *list);

/* The roots as validate_opts wants them (NULL-terminated). */
const char *const *devices_roots(void);

/* live/config/current/persistent to VIR_DOMAIN_AFFECT_*. Fields absent from
 * the operation are never set (the registry refuses them). persistent makes
 * the change in the definition and, when the domain runs, live too, as virsh
 * does. None of them: VIR_DOMAIN_AFFECT_CURRENT. current with any other is
 * contradictory and refused. */
int devices_affect_flags(const cJSON *params, bool active, unsigned *ret_flags, char *err,
                         size_t errlen);

/* A field as text, checked with the catalogue's constraint (NULL: none),
 * accepting a JSON string or a non-negative JSON integer. Absent: -ENOENT
 * when not required (ret untouched), else -EINVAL. buf holds integer text. */
int devices_param_text(const cJSON *params, const char *name, const char *constraint,
                       bool required, char buf[static DEVICES_VALUE_MAX], const char **ret_value,
                       char *err, size_t errlen);

/* Resolves path (which obeys the path rule already) with realpath() and
 * checks that the result still lies under a root, so that a symlink cannot
 * lead out. -ENOENT when it does not exist, -EPERM when it leads out. */
int devices_path_resolve(const char *field, const char *path, char ret_real[static PATH_MAX],
                         char *err, size_t errlen);

/* Parses XML text without DTD, entities or network. -EINVAL with err
 * filled when it is not well-formed or has a document type declaration. */
int devices_xml_parse(const char *xml, size_t len, xmlDocPtr *ret_doc, char *err,
                      size_t errlen);

/* Reads dom's description (flags: 0 live, VIR_DOMAIN_XML_INACTIVE config)
 * as a tree. -EIO when libvirt fails (its error is left set). */
int devices_domain_doc(virDomainPtr dom, unsigned flags, xmlDocPtr *ret_doc);

/* Which description a change with these affect flags acts on: the
 * inactive one when only the definition changes. */
unsigned devices_doc_flags(unsigned affect, bool active);

/* The devices element of a domain tree, or NULL. */
xmlNodePtr devices_node_devices(xmlDocPtr doc);

/* The first child element of parent called name, or NULL. */
xmlNodePtr devices_node_child(xmlNodePtr parent, const char *name);

/* Whether element node's attribute attr equals value. */
bool devices_node_attr_is(xmlNodePtr node, const char *attr, const char *value);

/* The source path of a disk element (its file, dev, dir or volume
 * attribute), or NULL. The caller frees it with xmlFree(). */
xmlChar *devices_disk_source(xmlNodePtr disk);

/* The disk whose target dev equals key, or when key is an absolute path,
 * whose source is key. device_kind NULL matches any device='...'. */
xmlNodePtr devices_find_disk(xmlDocPtr doc, const char *key, const char *device_kind);

/* The interface whose MAC address equals mac (case-insensitive). */
xmlNodePtr devices_find_interface(xmlDocPtr doc, const char *mac);

/* Serialises one element (the text libvirt's device calls take). */
int devices_node_dump(xmlNodePtr node, char **ret_xml);

/* A guest acknowledges a PCI hot-unplug in its own time; libvirt waits
 * about 5 s and then returns with the removal still pending. */
#define DEVICES_UNPLUG_WAIT_MS (20 * 1000)
#define DEVICES_UNPLUG_TICK_MS 200

typedef xmlNodePtr (*devices_find_fn)(xmlDocPtr doc, const char *key);

/* After a live detach: waits until find(live description, key) no longer
 * finds the device, at most DEVICES_UNPLUG_WAIT_MS. Returns 0 when it is
 * gone, -ETIMEDOUT when the guest has not released it yet, -EIO when the
 * description cannot be read. */
int devices_wait_removed(virDomainPtr dom, devices_find_fn find, const char *key);

/* The builders behind the operations, pure so that unit tests can read
 * what would be sent (libvirt's test driver has no device hot-plug). */

/* plugDisk: the <disk> element from the request's fields. block says the
 * source is a block device; format_guess is the format read from the
 * file's header when subdriver is absent (NULL: none). */
int devices_disk_xml(const cJSON *params, bool block, const char *format_guess, char **ret_xml,
                     char *err, size_t errlen);

/* plugNIC: the <interface> element from type, source, mac, inbound and
 * outbound (model: virtio unless model names another). */
int devices_nic_xml(const cJSON *params, char **ret_xml, char *err, size_t errlen);

/* Adds <bandwidth> with inbound/outbound averages (KiB/s, NULL: none) to an
 * interface element. */
int devices_nic_bandwidth(xmlNodePtr iface, const char *inbound, const char *outbound);

/* plugDevice/unplugDevice: reads a device XML file (path already checked
 * by the path rule), resolves it within the roots, caps its size, parses it
 * and checks it is one device element of a known kind. *ret_xml is the
 * element as re-serialised from the checked tree. */
int devices_file_load(const char *path, char **ret_xml, char *err, size_t errlen);

/* manageISO: the <disk device='cdrom'> to send to virDomainUpdateDeviceFlags,
 * made from the drive cdrom found in the domain: its medium replaced by
 * path (or removed for eject). */
int devices_cdrom_xml(xmlNodePtr cdrom, const char *path, bool eject, bool block,
                      char **ret_xml);

/* migrateVM: the boolean fields to VIR_MIGRATE_* flags; refuses the
 * combinations libvirt would refuse less clearly. */
int devices_migrate_flags(const cJSON *params, unsigned long *ret_flags, char *err,
                          size_t errlen);
