/* A small, bounded tokenizer for virt-install style option strings:
 * "HEAD,key=value,key=value", e.g. "vnc,listen=0.0.0.0,password=x",
 * "/var/lib/libvirt/images/a.qcow2,device=disk,bus=virtio" or
 * "type=bridge,source=br-int". Several disks are joined by " --disk ".
 *
 * The head is a first token without '='; later tokens must be key=value,
 * except that a bare token right after a list key (e.g. cpuset=1-3,6)
 * continues that key's value. Keys appear at most once. No token may be
 * empty or hold whitespace, quotes or control characters.
 *
 * Thread safety: pure functions; any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "shared/core/macro.h"

#define OPTSTRING_MAX_LEN 4096
#define OPTSTRING_MAX_ITEMS 32
#define OPTSTRING_MAX_GROUPS 16
#define OPTSTRING_KEY_MAX 32

struct optstring_item {
    char *key;
    char *value;
};

struct optstring {
    char *head; /* NULL when the first token is key=value */
    size_t n_items;
    struct optstring_item items[OPTSTRING_MAX_ITEMS];
};

/* Parses s. list_keys (NULL-terminated, may be NULL) name the keys whose
 * value may hold commas. On failure returns -EINVAL (or -ENOMEM) and writes
 * to err a phrase such as `option "foo" has no value` (no field name: the
 * caller adds it). */
int optstring_parse(const char *s, const char *const *list_keys, struct optstring **ret_opts,
                    char *err, size_t errlen);

/* The value of key, or NULL. */
const char *optstring_get(const struct optstring *opts, const char *key);

void optstring_free(struct optstring *opts);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct optstring *, optstring_free);

/* Splits "A --disk B --disk C" into its groups {A, B, C}: whitespace
 * separated words, where every second word must be exactly sep. Returns
 * the number of groups (1..OPTSTRING_MAX_GROUPS) written to ret_groups as
 * malloc'd strings, or -EINVAL/-ENOMEM. Free with optstring_groups_free. */
int optstring_split_groups(const char *s, const char *sep,
                           char *ret_groups[static OPTSTRING_MAX_GROUPS], char *err,
                           size_t errlen);
void optstring_groups_free(char **groups, size_t n);
