/* Reading the results topic from "now on", for submit --wait.
 *
 * The reader is assigned every partition of <prefix>.results at its end
 * offset, queried from the broker before the request is published, so a
 * result written after that can never be missed (no group join, no lazy
 * "latest" resolution). Main thread only. */
#pragma once

#include <librdkafka/rdkafka.h>

struct config;
struct result;

#define CLI_RESULTS_METADATA_MS 10000
#define CLI_RESULTS_POLL_MS 200

/* Creates the reader and assigns it. Logs the reason on failure. */
int cli_results_open(const struct config *cfg, rd_kafka_t **ret_rk);

/* Waits until the result of request id arrives or the monotonic clock
 * passes deadline_ms: 0 with *ret_res, -ETIMEDOUT, or -EINTR when *stop
 * became true. */
int cli_results_wait(rd_kafka_t *rk, const char *id, long long deadline_ms,
                     volatile int *stop, struct result **ret_res);
