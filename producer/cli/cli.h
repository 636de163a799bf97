/* The vmrelay operator CLI: one file per subcommand, this header between
 * them. Single threaded: every function here runs on the main thread. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct config;

#define CLI_PROGRAM "vmrelay"
#define CLI_ERR_MAX 1024
#define CLI_SETS_MAX 256

/* Exit codes shared by the subcommands; each --help text lists them. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAILED 1  /* the request ran and failed, or the demo failed */
#define CLI_EXIT_USAGE 2   /* bad flags or a request the catalogue refuses */
#define CLI_EXIT_TIMEOUT 3 /* no result within --timeout */
#define CLI_EXIT_ERROR 4   /* Kafka or another peer could not be reached */

/* The configuration flags every subcommand takes. */
struct cli_conf_args {
    const char *config_file;
    const char *brokers;
    const char *log_level;
    const char *sets[CLI_SETS_MAX];
    size_t n_sets;
};

/* Builds the configuration: file, environment, --set, then --brokers and
 * --log-level. Logs the reason and returns -EINVAL on a bad value. */
int cli_config_build(const struct cli_conf_args *a, struct config **ret_cfg);

/* Records one --set. -E2BIG past CLI_SETS_MAX (logged). */
int cli_conf_args_add_set(struct cli_conf_args *a, const char *pair);

/* Parses a whole number of seconds in [min, max]. */
int cli_parse_seconds(const char *s, long min, long max, long *ret_value);

/* Milliseconds of the realtime and the monotonic clock. */
long long cli_now_ms(void);
long long cli_mono_ms(void);

int cli_submit(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_fleet(int argc, char **argv);
int cli_dlq(int argc, char **argv);
