/* Command-line options shared by vmrelay-bridge and vmrelay-status.
 *
 *   --config FILE        configuration file (see shared/core/config.h)
 *   --set KEY=VALUE      any setting; repeatable
 *   --brokers LIST       kafka.bootstrap.servers
 *   --kubeconfig PATH    kube.config
 *   --namespace NS       kube.namespaces (repeatable; default: all)
 *   --log-level LEVEL    log.level
 *   --help
 *
 * Called once from main, before threads. */
#pragma once

#include "shared/core/config.h"

/* Fills a new configuration from defaults, file, environment and argv, and
 * sets up logging. Returns 0, 1 when --help was printed, or a negative
 * errno after printing why to stderr. */
int options_parse(const char *program, const char *summary, int argc, char **argv,
                  struct config **ret_cfg);

/* Splits a comma-separated setting into a NULL-terminated array of at most
 * max entries (malloc'd, strings inside one allocation). */
int options_split_list(const char *value, size_t max, char ***ret_list, size_t *ret_n);
