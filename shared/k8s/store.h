/* The informer's memory of the objects it reported: key "<ns>/<name>" to
 * the last state seen, so that a relist can tell what changed and what
 * disappeared.
 *
 * Thread safety: a store belongs to one informer thread. */
#pragma once

#include <stddef.h>

#include <cjson/cJSON.h>

struct k8s_store_entry {
    char *key;
    cJSON *obj;
    unsigned long gen; /* the list generation that last saw it */
    struct k8s_store_entry *next;
};

struct k8s_store {
    struct k8s_store_entry **buckets;
    size_t n_buckets, n;
};

/* "<namespace>/<name>" of an object (namespace may be absent), or -EINVAL
 * when it has no metadata.name. */
int k8s_store_key(const cJSON *obj, char *buf, size_t buflen);

struct k8s_store_entry *k8s_store_find(struct k8s_store *store, const char *key);
/* Stores obj (taking it) under key, replacing an older object. */
int k8s_store_put(struct k8s_store *store, const char *key, cJSON *obj, unsigned long gen);
/* Removes the entry and returns its object (the caller's now), or NULL. */
cJSON *k8s_store_remove(struct k8s_store *store, const char *key);
void k8s_store_clear(struct k8s_store *store);
