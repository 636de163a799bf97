/* From librdkafka error codes to vmrelay's 0/-errno convention.
 *
 * librdkafka reports failures as rd_kafka_resp_err_t (or rd_kafka_error_t)
 * plus a text. vmrelay functions return a negative errno, so the code is
 * mapped to the nearest errno and the text is kept in the caller's err
 * buffer: "<what>: <librdkafka's text>".
 *
 * Every function here is pure and may be called from any thread. */
#pragma once

#include <stddef.h>

#include <librdkafka/rdkafka.h>

/* The negative errno closest in meaning to kerr; 0 for NO_ERROR. Timeouts
 * give -ETIMEDOUT, unreachable brokers -ECONNREFUSED, unknown topics or
 * partitions -ENOENT, bad arguments or configuration -EINVAL, full queues
 * -ENOBUFS, authorisation failures -EACCES, fatal errors
 * -ENOTRECOVERABLE, anything else -EIO. */
int kafka_errno(rd_kafka_resp_err_t kerr);

/* Returns kafka_errno(kerr) and, when err is not NULL and kerr is an
 * error, writes "<what>: <text>" to it (what may be NULL). */
int kafka_error(rd_kafka_resp_err_t kerr, const char *what, char *err, size_t errlen);

/* The same for an rd_kafka_error_t, whose own string is more precise than
 * the code's. Does not destroy error. NULL means success. */
int kafka_error_obj(const rd_kafka_error_t *error, const char *what, char *err, size_t errlen);
