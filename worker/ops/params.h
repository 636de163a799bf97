/* Reading request parameters and mapping them to libvirt flags.
 *
 * The parameters are the object under spec.lifecycle.<operation>. Every
 * function here writes to err a sentence naming the field and the rule it
 * broke, which the caller reports as VirtctlError. Booleans accept JSON
 * true/false and the strings "true"/"false" (clients of the API document
 * send both); numbers accept JSON numbers and decimal strings.
 *
 * Thread safety: pure; any thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

/* A domain has at most this many vCPUs in libvirt's own limits. */
#define OPS_VCPU_MAX 16384

/* Fails with -EINVAL naming the first field of params not in allowed
 * (NULL-terminated). params may be NULL or an empty object. */
int ops_params_only(const cJSON *params, const char *const *allowed, char *err, size_t errlen);

/* An optional boolean; false when absent. */
int ops_param_bool(const cJSON *params, const char *name, bool *ret_value, char *err,
                   size_t errlen);

/* An unsigned integer in [1, max]; -ENOENT when absent and not required. */
int ops_param_uint(const cJSON *params, const char *name, bool required, unsigned long long max,
                   unsigned long long *ret_value, char *err, size_t errlen);

/* An optional non-empty string; *ret_value = NULL when absent. The value
 * points into params. */
int ops_param_string(const cJSON *params, const char *name, const char **ret_value, char *err,
                     size_t errlen);

/* current/live/config to VIR_DOMAIN_AFFECT_* (resizeRAM). */
int ops_memory_flags(const cJSON *params, unsigned *ret_flags, char *err, size_t errlen);

/* current/live/config/hotpluggable/guest/maximum to VIR_DOMAIN_AFFECT_* and
 * VIR_DOMAIN_VCPU_* (changeNumberOfCPU). */
int ops_vcpu_flags(const cJSON *params, unsigned *ret_flags, char *err, size_t errlen);

/* delete_snapshots/remove_all_storage to VIR_DOMAIN_UNDEFINE_* (deleteVM);
 * *ret_remove_storage says whether the disks' volumes go too. */
int ops_undefine_flags(const cJSON *params, unsigned *ret_flags, bool *ret_remove_storage,
                       char *err, size_t errlen);
