/* The tiny test guest (tests/env/guest/) for tests that boot a domain on
 * the libvirtd peer. Needs the "guest" and "libvirtd" fixtures.
 *
 * All functions are for the test's main thread. */
#pragma once

#include <stdbool.h>

/* Console markers printed by the guest's /init (tests/env/guest/init). */
#define GUEST_READY "VMRELAY-GUEST-READY"
#define GUEST_POWEROFF "VMRELAY-GUEST-POWEROFF"
#define GUEST_HOTPLUG "VMRELAY-GUEST-HOTPLUG"

/* Renders tests/env/guest/domain.xml.in for a domain called name whose vda
 * is the qcow2 image disk and whose serial console is written to
 * serial_log. Kernel, initrd and the domain type come from the peers.
 * Returns 0 or -errno (-EINVAL for a value XML would need to escape). */
int guest_domain_xml(const char *name, const char *disk, const char *serial_log,
                     char **ret_xml);

/* Creates a qcow2 image of the given size ("64M") with qemu-img.
 * Returns 0 or -errno. */
int guest_disk_create(const char *path, const char *size);

/* Tells whether the serial log holds the marker (a missing log holds
 * nothing). */
bool guest_log_has(const char *serial_log, const char *marker);
