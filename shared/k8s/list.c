#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/core/json.h"
#include "shared/core/log.h"
#include "shared/k8s/client-internal.h"
#include "shared/k8s/client.h"

static int list_path(const char *path, const struct k8s_list_opts *opts, const char *cont,
                     char **ret_path)
{
    _cleanup_free_ char *p = strdup(path);
    char limit[32];
    int r = 0;

    if (!p)
        return -ENOMEM;
    snprintf(limit, sizeof(limit), "%ld",
             opts && opts->limit > 0 ? opts->limit : (long)K8S_LIST_PAGE_DEFAULT);
    r = k8s_query_append(&p, "limit", limit);
    if (r >= 0 && opts && opts->label_selector)
        r = k8s_query_append(&p, "labelSelector", opts->label_selector);
    if (r >= 0 && opts && opts->field_selector)
        r = k8s_query_append(&p, "fieldSelector", opts->field_selector);
    if (r >= 0 && cont)
        r = k8s_query_append(&p, "continue", cont);
    if (r < 0)
        return r;
    *ret_path = TAKE_PTR(p);
    return 0;
}

static int list_page(struct k8s_client *client, const char *path,
                     const struct k8s_list_opts *opts, const char *cont, size_t body_max,
                     cJSON **ret_list, size_t *ret_len, struct k8s_error *err)
{
    _cleanup_free_ char *p = NULL;
    _cleanup_(cJSON_Deletep) cJSON *list = NULL;
    int r;

    r = list_path(path, opts, cont, &p);
    if (r < 0) {
        k8s_error_set(err, 0, "BadRequest", "Cannot build the LIST query for %s.", path);
        return r;
    }
    r = k8s_request_sized(client, "GET", p, NULL, NULL, body_max, &list, ret_len, err);
    if (r < 0)
        return r;
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(list, "items"))) {
        k8s_error_set(err, 200, "BadResponse", "The LIST of %s has no items array.", path);
        return -EBADMSG;
    }
    *ret_list = TAKE_PTR(list);
    return 0;
}

int k8s_list_page(struct k8s_client *client, const char *path, const struct k8s_list_opts *opts,
                  const char *cont, cJSON **ret_list, struct k8s_error *err)
{
    return list_page(client, path, opts, cont, k8s_client_list_max(client), ret_list, NULL,
                     err);
}

/* List items come without kind and apiVersion; watch events carry them.
 * Filling them in lets a consumer treat both alike. */
static int fill_kind(cJSON *item, const char *kind, const char *api_version)
{
    if (kind && !cJSON_GetObjectItemCaseSensitive(item, "kind") &&
        !cJSON_AddStringToObject(item, "kind", kind))
        return -ENOMEM;
    if (api_version && !cJSON_GetObjectItemCaseSensitive(item, "apiVersion") &&
        !cJSON_AddStringToObject(item, "apiVersion", api_version))
        return -ENOMEM;
    return 0;
}

int k8s_list(struct k8s_client *client, const char *path, const struct k8s_list_opts *opts,
             cJSON **ret_items, char **ret_rv, struct k8s_error *err)
{
    _cleanup_(cJSON_Deletep) cJSON *items = cJSON_CreateArray();
    _cleanup_free_ char *rv = NULL, *cont = NULL;
    size_t budget = k8s_client_list_max(client), used = 0;
    char kind[128] = "";
    int r;

    if (!items)
        return -ENOMEM;

    do {
        _cleanup_(cJSON_Deletep) cJSON *list = NULL;
        size_t len = 0;
        const char *list_kind, *api_version, *page_rv, *next;
        cJSON *page_items, *item;

        /* Each page may use what the earlier ones left of the one cap. */
        if (used >= budget) {
            k8s_error_set(err, 200, "TooLarge", "The LIST of %s is larger than %zu bytes.",
                          path, budget);
            return -EFBIG;
        }
        r = list_page(client, path, opts, cont, budget - used, &list, &len, err);
        if (r < 0)
            return r;
        used += len;

        list_kind = json_path_string(list, "kind");
        api_version = json_path_string(list, "apiVersion");
        if (list_kind && strlen(list_kind) > 4 && strlen(list_kind) < sizeof(kind) &&
            strcmp(list_kind + strlen(list_kind) - 4, "List") == 0)
            snprintf(kind, sizeof(kind), "%.*s", (int)strlen(list_kind) - 4, list_kind);

        page_rv = json_path_string(list, "metadata.resourceVersion");
        if (!rv && page_rv) {
            rv = strdup(page_rv);
            if (!rv)
                return -ENOMEM;
        }

        page_items = cJSON_GetObjectItemCaseSensitive(list, "items");
        while ((item = cJSON_DetachItemFromArray(page_items, 0))) {
            cJSON_AddItemToArray(items, item);
            r = fill_kind(item, kind[0] ? kind : NULL, api_version);
            if (r < 0)
                return r;
        }

        next = json_path_string(list, "metadata.continue");
        free(cont);
        cont = next && *next ? strdup(next) : NULL;
        if (next && *next && !cont)
            return -ENOMEM;
    } while (cont);

    if (!rv) {
        k8s_error_set(err, 200, "BadResponse", "The LIST of %s has no resourceVersion.", path);
        return -EBADMSG;
    }
    *ret_items = TAKE_PTR(items);
    *ret_rv = TAKE_PTR(rv);
    return 0;
}
