/* createAndStartVMFromISO through virt-install: the request's fields are
 * virt-install options (field x_y is --x-y), virt-install only prints the
 * domain XML (--print-xml --dry-run) and the worker defines and starts it
 * with the libvirt API, so that errors come back as libvirt errors and the
 * connection stays the worker's own.
 *
 * Thread safety: any thread; virtinstall_run() forks a child. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"

#define VIRTINSTALL_PATH "/usr/bin/virt-install"
/* Arguments of one run: a handful of fixed ones plus one per option or
 * per extra --disk / --network. */
#define VIRTINSTALL_ARGS_MAX 128
/* One option value; the API's longest are disk strings. */
#define VIRTINSTALL_VALUE_MAX 4096
/* Two domain documents of a few KiB each; far more is a runaway child. */
#define VIRTINSTALL_OUTPUT_MAX (1024 * 1024)
/* The end of stderr kept for the error message. */
#define VIRTINSTALL_STDERR_MAX 2048
/* virt-install asks libosinfo and the connection; it takes about a second. */
#define VIRTINSTALL_TIMEOUT_MS 120000

struct virtinstall_argv {
    char *argv[VIRTINSTALL_ARGS_MAX + 1]; /* NULL-terminated */
    size_t n;
};

/* The fields createAndStartVMFromISO accepts (NULL-terminated): those of the
 * API document's table and of its CreateAndStartVMFromISO model. */
extern const char *const virtinstall_fields[];

enum virtinstall_mode {
    VIRTINSTALL_INSTALL, /* createAndStartVMFromISO: install from the media */
    VIRTINSTALL_IMPORT,  /* createAndStartVMFromImage: boot the first disk as it is */
};

/* Builds the argument vector for the VM name on uri from params. err names
 * the field that cannot be turned into an option. In VIRTINSTALL_IMPORT
 * mode the first --disk is the boot disk (virt-install --import), and a
 * cdrom field becomes one more disk with device=cdrom, since an import has
 * no installation medium. */
int virtinstall_argv_build(const char *uri, const char *name, const cJSON *params,
                           enum virtinstall_mode mode, struct virtinstall_argv **ret_argv,
                           char *err, size_t errlen);
void virtinstall_argv_free(struct virtinstall_argv *args);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct virtinstall_argv *, virtinstall_argv_free);

/* Runs program (normally VIRTINSTALL_PATH) with args and returns its stdout.
 * A non-zero exit is -EPROTO with the end of stderr in err; a child that
 * could not start, overflowed or timed out is another negative errno. */
int virtinstall_run(const char *program, const struct virtinstall_argv *args,
                    char **ret_stdout, char *err, size_t errlen);

/* A bandwidth average fits in libvirt's unsigned long long KiB/s. */
#define VIRTINSTALL_BANDWIDTH_DIGITS 19

/* Adds <bandwidth> to the interfaces of xml (a domain virt-install printed)
 * from the inbound/outbound keys of params' network field: the n-th
 * --network group to the n-th <interface>. *ret_xml is the new document,
 * or NULL when no group has those keys. */
int virtinstall_apply_bandwidth(const cJSON *params, const char *xml, char **ret_xml,
                                char *err, size_t errlen);

/* Splits the printed XML into the install-phase and the final document.
 * A one-phase install sets *ret_install = NULL. */
int virtinstall_split(const char *out, char **ret_install, char **ret_final);
