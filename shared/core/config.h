/* One configuration format for every vmrelay program.
 *
 * Settings are flat dotted keys ("libvirt.uri", "kafka.bootstrap.servers").
 * They come from, in rising precedence:
 *   1. built-in defaults of each program,
 *   2. a file of "key = value" lines ('#' starts a comment), named by
 *      --config, else $VMRELAY_CONFIG, else /etc/vmrelay/vmrelay.conf if
 *      that file exists,
 *   3. the environment: VMRELAY_LIBVIRT_URI sets "libvirt.uri" (upper case,
 *      '.' written as '_'), which is why keys never contain '_' themselves,
 *   4. command-line --set key=value and each program's own flags.
 * Every key under "kafka." is handed to librdkafka without the prefix, so
 * SASL, TLS and tuning properties work without vmrelay knowing them.
 *
 * Not thread safe while being loaded; read-only use from many threads is. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "shared/core/macro.h"

/* Caps: a configuration is small; anything bigger is a mistake or hostile. */
#define CONFIG_FILE_MAX (1024 * 1024)
#define CONFIG_LINE_MAX 4096
#define CONFIG_ENTRIES_MAX 1024

struct config;

int config_new(struct config **ret_cfg);
void config_free(struct config *cfg);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct config *, config_free);

/* Sets key to value, replacing an earlier value. Keys must match
 * [a-z0-9.-]+; -EINVAL otherwise. */
int config_set(struct config *cfg, const char *key, const char *value);

/* Parses "key=value" (a --set argument). On error writes a sentence to err. */
int config_set_pair(struct config *cfg, const char *pair, char *err, size_t errlen);

/* Parses a buffer in the file format. name is used in error messages
 * ("FILE:LINE: ..."). */
int config_load_buffer(struct config *cfg, const char *name, const char *buf, size_t len,
                       char *err, size_t errlen);

/* Loads a file. With required=false a missing file is not an error. */
int config_load_file(struct config *cfg, const char *path, bool required, char *err,
                     size_t errlen);

/* Applies every VMRELAY_* variable of envp (NULL-terminated, e.g. environ),
 * except VMRELAY_CONFIG which names the file. */
int config_load_env(struct config *cfg, char **envp, char *err, size_t errlen);

/* Loads file then environment, in the documented order. file may be NULL. */
int config_load_standard(struct config *cfg, const char *file, char *err, size_t errlen);

/* Returns the value, or fallback when the key is unset. */
const char *config_get(const struct config *cfg, const char *key, const char *fallback);

/* Typed getters: fallback when unset, -EINVAL with a message in err when the
 * value is not of the type (or, for integers, outside [min, max]). */
int config_get_int(const struct config *cfg, const char *key, long long fallback, long long min,
                   long long max, long long *ret_value, char *err, size_t errlen);
int config_get_bool(const struct config *cfg, const char *key, bool fallback, bool *ret_value,
                    char *err, size_t errlen);

/* Calls fn for each key starting with prefix, in the order first set, with
 * the prefix removed. Stops and returns fn's value when it is negative. */
typedef int (*config_visit_fn)(const char *key, const char *value, void *userdata);
int config_foreach_prefix(const struct config *cfg, const char *prefix, config_visit_fn fn,
                          void *userdata);
