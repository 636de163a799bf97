#include "shared/core/json.h"

#include <stdlib.h>
#include <string.h>

#define JSON_PATH_STEP_MAX 256

const cJSON *json_path(const cJSON *root, const char *dotted)
{
    const cJSON *cur = root;
    const char *p = dotted;

    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char step[JSON_PATH_STEP_MAX];

        if (!cJSON_IsObject(cur) || n == 0 || n >= sizeof(step))
            return NULL;
        memcpy(step, p, n);
        step[n] = '\0';
        cur = cJSON_GetObjectItemCaseSensitive(cur, step);
        p = dot ? dot + 1 : p + n;
    }
    return cur;
}

const char *json_path_string(const cJSON *root, const char *dotted)
{
    const cJSON *item = json_path(root, dotted);

    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static int compare_keys(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a;
    const cJSON *y = *(const cJSON *const *)b;

    return strcmp(x->string, y->string);
}

/* Returns a deep copy whose objects have their members in key order. */
static cJSON *sorted_copy(const cJSON *item)
{
    cJSON *copy;
    const cJSON *child;
    size_t n = 0, i = 0;
    const cJSON **members;

    if (!cJSON_IsObject(item) && !cJSON_IsArray(item))
        return cJSON_Duplicate(item, false);

    copy = cJSON_IsObject(item) ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!copy)
        return NULL;
    cJSON_ArrayForEach(child, item) n++;
    if (n == 0)
        return copy;

    members = calloc(n, sizeof(*members));
    if (!members) {
        cJSON_Delete(copy);
        return NULL;
    }
    cJSON_ArrayForEach(child, item) members[i++] = child;
    if (cJSON_IsObject(item))
        qsort(members, n, sizeof(*members), compare_keys);

    for (i = 0; i < n; i++) {
        cJSON *sub = sorted_copy(members[i]);
        bool ok = sub && (cJSON_IsObject(item) ? cJSON_AddItemToObject(copy, members[i]->string,
                                                                        sub)
                                               : cJSON_AddItemToArray(copy, sub));
        if (!ok) {
            cJSON_Delete(sub);
            cJSON_Delete(copy);
            free(members);
            return NULL;
        }
    }
    free(members);
    return copy;
}

char *json_print_canonical(const cJSON *item)
{
    _cleanup_(cJSON_Deletep) cJSON *sorted = sorted_copy(item);

    return sorted ? cJSON_PrintUnformatted(sorted) : NULL;
}
