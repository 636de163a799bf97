/* The table from (kind, operation) to the function that carries it out.
 *
 * Thread safety: ops_registry_lookup() any thread; ops_execute() on the
 * thread that owns conn. */
#pragma once

#include "worker/ops/ops.h"

struct ops_entry {
    const char *kind;
    const char *operation;
    ops_fn fn;
    /* The parameters the operation accepts (NULL-terminated); any other
     * field is refused by name. */
    const char *const *fields;
    /* True when success leaves the domain in place to describe; false for
     * deleteVM, which sets its own reason. */
    bool describe;
};

/* One group of operations, defined in the file of that group. */
struct ops_table {
    const struct ops_entry *entries;
    size_t n_entries;
};

/* The groups the registry searches, in registry.c's list. */
extern const struct ops_table ops_vm_table;
extern const struct ops_table ops_snapshot_table, ops_pool_table, ops_disk_table,
    ops_diskimage_table, ops_image_table; /* ops-storage.h */

const struct ops_entry *ops_registry_lookup(const char *kind, const char *operation);

/* Runs req and fills res with its outcome: the power state and spec.domain
 * on success, the error otherwise. Returns 0 on success or the operation's
 * negative errno; res is complete either way. */
int ops_execute(virConnectPtr conn, const struct request *req, struct result *res);
