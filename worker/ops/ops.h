/* The worker's libvirt operations and the helpers they share.
 *
 * An operation runs one request on an open libvirt connection and reports
 * its outcome in a struct result. On failure it fills the error fields with
 * one of the ops_fail_*() helpers below and returns a negative errno; on
 * success it returns 0 and the registry (registry.h) adds the power state
 * and the refreshed spec.domain, unless the operation already set them.
 *
 * Thread safety: an operation runs on the thread that owns the connection;
 * the helpers are pure and may run on any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "shared/core/macro.h"
#include "shared/msg/message.h"

/* Parameter error text: names the field and the rule it broke. */
#define OPS_ERR_MAX 512

DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(virStorageVolPtr, virStorageVolFree);
DEFINE_TRIVIAL_CLEANUP_FUNC(virConnectPtr, virConnectClose);

typedef int (*ops_fn)(virConnectPtr conn, const struct request *req, struct result *res);

/* The one adapter from libvirt's error to the wire: LibvirtError with the
 * code, the domain and libvirt's own message, prefixed by what failed. err
 * may be NULL (libvirt did not say why). Returns -EIO. */
int ops_fail_virerror(struct result *res, const virError *err, const char *what);

/* ops_fail_virerror() with virGetLastError() of this thread. */
int ops_fail_libvirt(struct result *res, const char *what);

/* VirtctlError: the node cannot carry the request out as asked. Returns
 * -EINVAL. */
int ops_fail_virtctl(struct result *res, const char *fmt, ...) _printf_(2, 3);

/* Exception: anything else (allocation, a child program). Returns err as a
 * negative errno. */
int ops_fail_exception(struct result *res, int err, const char *fmt, ...) _printf_(3, 4);

/* Looks up the domain the request names; LibvirtError when it is missing. */
int ops_domain_lookup(virConnectPtr conn, const struct request *req, struct result *res,
                      virDomainPtr *ret_dom);

/* The reason of a power state as the API document writes it: "Running",
 * "Paused", "Shutdown" or "Crashed". */
const char *ops_state_reason(int state);

/* Fills a successful result: reason = power state of the domain, message
 * "The VM is <state>.", spec = {"domain": <domain XML as JSON>}. */
int ops_result_set_domain(virConnectPtr conn, const char *name, struct result *res);

/* Sets success with the given reason and message and no spec. */
int ops_result_set_ok(struct result *res, const char *reason, const char *message);

/* The operations, one group per file. */
int ops_start_vm(virConnectPtr conn, const struct request *req, struct result *res);
int ops_stop_vm(virConnectPtr conn, const struct request *req, struct result *res);
int ops_stop_vm_force(virConnectPtr conn, const struct request *req, struct result *res);
int ops_reboot_vm(virConnectPtr conn, const struct request *req, struct result *res);
int ops_reset_vm(virConnectPtr conn, const struct request *req, struct result *res);
int ops_suspend_vm(virConnectPtr conn, const struct request *req, struct result *res);
int ops_resume_vm(virConnectPtr conn, const struct request *req, struct result *res);
int ops_resize_ram(virConnectPtr conn, const struct request *req, struct result *res);
int ops_change_cpu(virConnectPtr conn, const struct request *req, struct result *res);
int ops_delete_vm(virConnectPtr conn, const struct request *req, struct result *res);
int ops_create_from_iso(virConnectPtr conn, const struct request *req, struct result *res);
int ops_create_from_image(virConnectPtr conn, const struct request *req, struct result *res);

/* Which virt-install createAndStartVMFromISO runs (NULL: VIRTINSTALL_PATH).
 * Call from main before the first request. */
void ops_create_set_program(const char *path);

/* Device operations (devices.h has their helpers): disk-plug.c, nic.c,
 * device.c, iso.c, os.c, migrate.c. */
int ops_plug_disk(virConnectPtr conn, const struct request *req, struct result *res);
int ops_unplug_disk(virConnectPtr conn, const struct request *req, struct result *res);
int ops_plug_nic(virConnectPtr conn, const struct request *req, struct result *res);
int ops_unplug_nic(virConnectPtr conn, const struct request *req, struct result *res);
int ops_plug_device(virConnectPtr conn, const struct request *req, struct result *res);
int ops_unplug_device(virConnectPtr conn, const struct request *req, struct result *res);
int ops_manage_iso(virConnectPtr conn, const struct request *req, struct result *res);
int ops_update_os(virConnectPtr conn, const struct request *req, struct result *res);
int ops_migrate_vm(virConnectPtr conn, const struct request *req, struct result *res);

/* The roots every path of a request must lie under (key paths.roots, a
 * comma list; NULL: /var/lib/libvirt). Call from main before the first
 * request. Returns 0 or -E2BIG. */
int ops_paths_set_roots(const char *list);
