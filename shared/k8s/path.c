#include "shared/k8s/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "shared/k8s/client-internal.h"

/* A path segment must stay one segment: it is pasted into a URL unescaped,
 * so anything that could end it, start a query or escape is refused. */
static bool segment_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 253)
        return false;
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (const char *p = s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("/?#%\\", *p))
            return false;
    return true;
}

int k8s_resource_path(const char *group, const char *version, const char *plural,
                      const char *namespace, const char *name, const char *subresource,
                      char **ret_path)
{
    char path[K8S_PATH_MAX];
    size_t n = 0;
    int k;

    if (!segment_ok(version) || !segment_ok(plural))
        return -EINVAL;
    if (group && *group && !segment_ok(group))
        return -EINVAL;
    if ((namespace && !segment_ok(namespace)) || (name && !segment_ok(name)))
        return -EINVAL;
    if (subresource && (!name || !segment_ok(subresource)))
        return -EINVAL;

    if (group && *group)
        k = snprintf(path, sizeof(path), "/apis/%s/%s", group, version);
    else
        k = snprintf(path, sizeof(path), "/api/%s", version);
    n = (size_t)k;
    if (namespace)
        n += (size_t)snprintf(path + n, sizeof(path) - n, "/namespaces/%s", namespace);
    n += (size_t)snprintf(path + n, sizeof(path) - n, "/%s", plural);
    if (name)
        n += (size_t)snprintf(path + n, sizeof(path) - n, "/%s", name);
    if (subresource)
        n += (size_t)snprintf(path + n, sizeof(path) - n, "/%s", subresource);
    /* Each segment is at most 253 bytes, so six of them always fit. */
    if (n >= sizeof(path))
        return -ENAMETOOLONG;

    *ret_path = strdup(path);
    return *ret_path ? 0 : -ENOMEM;
}

int k8s_query_append(char **path, const char *key, const char *value)
{
    char *escaped, *p;
    size_t n;

    escaped = curl_easy_escape(NULL, value, 0);
    if (!escaped)
        return -ENOMEM;
    n = strlen(*path) + strlen(key) + strlen(escaped) + 3;
    if (n > K8S_PATH_MAX + K8S_QUERY_MAX) {
        curl_free(escaped);
        return -ENAMETOOLONG;
    }
    p = malloc(n);
    if (!p) {
        curl_free(escaped);
        return -ENOMEM;
    }
    snprintf(p, n, "%s%c%s=%s", *path, strchr(*path, '?') ? '&' : '?', key, escaped);
    curl_free(escaped);
    free(*path);
    *path = p;
    return 0;
}
