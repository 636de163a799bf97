#include "shared/k8s/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/core/json.h"

#define K8S_STORE_BUCKETS_INITIAL 256

static size_t hash(const char *s)
{
    size_t h = 14695981039346656037ull; /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int k8s_store_key(const cJSON *obj, char *buf, size_t buflen)
{
    const char *ns = json_path_string(obj, "metadata.namespace");
    const char *name = json_path_string(obj, "metadata.name");
    int n;

    if (!name)
        return -EINVAL;
    n = snprintf(buf, buflen, "%s/%s", ns ? ns : "", name);
    return n > 0 && (size_t)n < buflen ? 0 : -ENAMETOOLONG;
}

struct k8s_store_entry *k8s_store_find(struct k8s_store *store, const char *key)
{
    if (!store->buckets)
        return NULL;
    for (struct k8s_store_entry *e = store->buckets[hash(key) % store->n_buckets]; e; e = e->next)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static int grow(struct k8s_store *store)
{
    size_t n = store->n_buckets ? store->n_buckets * 2 : K8S_STORE_BUCKETS_INITIAL;
    struct k8s_store_entry **b = calloc(n, sizeof(*b));

    if (!b)
        return -ENOMEM;
    for (size_t i = 0; i < store->n_buckets; i++)
        while (store->buckets[i]) {
            struct k8s_store_entry *e = store->buckets[i];

            store->buckets[i] = e->next;
            e->next = b[hash(e->key) % n];
            b[hash(e->key) % n] = e;
        }
    free(store->buckets);
    store->buckets = b;
    store->n_buckets = n;
    return 0;
}

int k8s_store_put(struct k8s_store *store, const char *key, cJSON *obj, unsigned long gen)
{
    struct k8s_store_entry *e = k8s_store_find(store, key);
    size_t h;

    if (e) {
        cJSON_Delete(e->obj);
        e->obj = obj;
        e->gen = gen;
        return 0;
    }
    if (store->n >= store->n_buckets && grow(store) < 0)
        return -ENOMEM;
    e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->key = strdup(key);
    if (!e->key) {
        free(e);
        return -ENOMEM;
    }
    e->obj = obj;
    e->gen = gen;
    h = hash(key) % store->n_buckets;
    e->next = store->buckets[h];
    store->buckets[h] = e;
    store->n++;
    return 0;
}

cJSON *k8s_store_remove(struct k8s_store *store, const char *key)
{
    struct k8s_store_entry **p;

    if (!store->buckets)
        return NULL;
    for (p = &store->buckets[hash(key) % store->n_buckets]; *p; p = &(*p)->next)
        if (strcmp((*p)->key, key) == 0) {
            struct k8s_store_entry *e = *p;
            cJSON *obj = e->obj;

            *p = e->next;
            free(e->key);
            free(e);
            store->n--;
            return obj;
        }
    return NULL;
}

void k8s_store_clear(struct k8s_store *store)
{
    for (size_t i = 0; i < store->n_buckets; i++)
        while (store->buckets[i]) {
            struct k8s_store_entry *e = store->buckets[i];

            store->buckets[i] = e->next;
            cJSON_Delete(e->obj);
            free(e->key);
            free(e);
        }
    free(store->buckets);
    *store = (struct k8s_store){0};
}
