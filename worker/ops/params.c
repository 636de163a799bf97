#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include "worker/ops/params.h"

int ops_params_only(const cJSON *params, const char *const *allowed, char *err, size_t errlen)
{
    const cJSON *item;

    if (!params || cJSON_IsNull(params))
        return 0;
    if (!cJSON_IsObject(params)) {
        snprintf(err, errlen, "the parameters must be a JSON object");
        return -EINVAL;
    }
    cJSON_ArrayForEach(item, params) {
        bool known = false;

        for (size_t i = 0; allowed && allowed[i]; i++)
            if (strcmp(item->string, allowed[i]) == 0)
                known = true;
        if (!known) {
            snprintf(err, errlen, "field '%s' is not supported by this operation",
                     item->string);
            return -EINVAL;
        }
    }
    return 0;
}

static const cJSON *param_get(const cJSON *params, const char *name)
{
    if (!params || !cJSON_IsObject(params))
        return NULL;
    return cJSON_GetObjectItemCaseSensitive(params, name);
}

int ops_param_bool(const cJSON *params, const char *name, bool *ret_value, char *err,
                   size_t errlen)
{
    const cJSON *v = param_get(params, name);

    if (!v || cJSON_IsNull(v)) {
        *ret_value = false;
        return 0;
    }
    if (cJSON_IsBool(v)) {
        *ret_value = cJSON_IsTrue(v);
        return 0;
    }
    if (cJSON_IsString(v) && (strcmp(v->valuestring, "true") == 0 ||
                              strcmp(v->valuestring, "false") == 0)) {
        *ret_value = strcmp(v->valuestring, "true") == 0;
        return 0;
    }
    snprintf(err, errlen, "field '%s' must be a boolean", name);
    return -EINVAL;
}

int ops_param_uint(const cJSON *params, const char *name, bool required, unsigned long long max,
                   unsigned long long *ret_value, char *err, size_t errlen)
{
    const cJSON *v = param_get(params, name);
    unsigned long long n;

    if (!v || cJSON_IsNull(v)) {
        if (!required)
            return -ENOENT;
        snprintf(err, errlen, "field '%s' is required", name);
        return -EINVAL;
    }
    if (cJSON_IsNumber(v)) {
        if (v->valuedouble < 1 || v->valuedouble > (double)max ||
            v->valuedouble != (double)(unsigned long long)v->valuedouble)
            goto bad;
        n = (unsigned long long)v->valuedouble;
    } else if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        char *end = NULL;

        if (*s < '0' || *s > '9')
            goto bad;
        errno = 0;
        n = strtoull(s, &end, 10);
        if (errno != 0 || *end != '\0' || n < 1 || n > max)
            goto bad;
    } else {
        goto bad;
    }
    *ret_value = n;
    return 0;

bad:
    snprintf(err, errlen, "field '%s' must be a whole number from 1 to %llu", name, max);
    return -EINVAL;
}

int ops_param_string(const cJSON *params, const char *name, const char **ret_value, char *err,
                     size_t errlen)
{
    const cJSON *v = param_get(params, name);

    if (!v || cJSON_IsNull(v)) {
        *ret_value = NULL;
        return 0;
    }
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
        snprintf(err, errlen, "field '%s' must be a non-empty string", name);
        return -EINVAL;
    }
    *ret_value = v->valuestring;
    return 0;
}

/* Reads several booleans at once; stops at the first bad one. */
static int params_bools(const cJSON *params, const char *const *names, bool *values, size_t n,
                        char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        int r = ops_param_bool(params, names[i], &values[i], err, errlen);

        if (r < 0)
            return r;
    }
    return 0;
}

int ops_memory_flags(const cJSON *params, unsigned *ret_flags, char *err, size_t errlen)
{
    static const char *const names[] = {"current", "live", "config"};
    bool v[3];
    unsigned flags = VIR_DOMAIN_AFFECT_CURRENT;
    int r;

    r = params_bools(params, names, v, 3, err, errlen);
    if (r < 0)
        return r;
    /* libvirt defines "current" as the absence of live and config, so a
     * request asking for both is contradictory rather than additive. */
    if (v[0] && (v[1] || v[2])) {
        snprintf(err, errlen, "field 'current' cannot be combined with 'live' or 'config'");
        return -EINVAL;
    }
    if (v[1])
        flags |= VIR_DOMAIN_AFFECT_LIVE;
    if (v[2])
        flags |= VIR_DOMAIN_AFFECT_CONFIG;
    *ret_flags = flags;
    return 0;
}

int ops_vcpu_flags(const cJSON *params, unsigned *ret_flags, char *err, size_t errlen)
{
    static const char *const names[] = {"current", "live",  "config",
                                        "hotpluggable", "guest", "maximum"};
    enum { CURRENT, LIVE, CONFIG, HOTPLUG, GUEST, MAXIMUM };
    bool v[6];
    unsigned flags = VIR_DOMAIN_AFFECT_CURRENT;
    int r;

    r = params_bools(params, names, v, 6, err, errlen);
    if (r < 0)
        return r;
    /* The API document defines hotpluggable as "the same as live" for a
     * running VM; libvirt wants both bits for a hot-plug. */
    if (v[HOTPLUG])
        v[LIVE] = true;
    if (v[CURRENT] && (v[LIVE] || v[CONFIG])) {
        snprintf(err, errlen, "field 'current' cannot be combined with 'live', 'hotpluggable' "
                              "or 'config'");
        return -EINVAL;
    }
    if (v[GUEST] && (v[CONFIG] || v[MAXIMUM])) {
        snprintf(err, errlen, "field 'guest' cannot be combined with 'config' or 'maximum'");
        return -EINVAL;
    }
    if (v[MAXIMUM] && v[LIVE]) {
        snprintf(err, errlen, "field 'maximum' cannot be combined with 'live' or "
                              "'hotpluggable': the maximum only changes in the configuration");
        return -EINVAL;
    }
    if (v[LIVE])
        flags |= VIR_DOMAIN_AFFECT_LIVE;
    if (v[CONFIG])
        flags |= VIR_DOMAIN_AFFECT_CONFIG;
    if (v[HOTPLUG])
        flags |= VIR_DOMAIN_VCPU_HOTPLUGGABLE;
    if (v[GUEST])
        flags |= VIR_DOMAIN_VCPU_GUEST;
    if (v[MAXIMUM])
        flags |= VIR_DOMAIN_VCPU_MAXIMUM;
    *ret_flags = flags;
    return 0;
}

int ops_undefine_flags(const cJSON *params, unsigned *ret_flags, bool *ret_remove_storage,
                       char *err, size_t errlen)
{
    bool snapshots, storage;
    /* A managed save image would make undefine fail, and it is useless once
     * the VM is gone. */
    unsigned flags = VIR_DOMAIN_UNDEFINE_MANAGED_SAVE;
    int r;

    r = ops_param_bool(params, "delete_snapshots", &snapshots, err, errlen);
    if (r < 0)
        return r;
    r = ops_param_bool(params, "remove_all_storage", &storage, err, errlen);
    if (r < 0)
        return r;
    if (snapshots)
        flags |= VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA;
    *ret_flags = flags;
    *ret_remove_storage = storage;
    return 0;
}
