/* Logging for all vmrelay programs.
 *
 * One line per event, written once by the function that decides the outcome.
 * Lines about a request carry its id, resource, node and operation: as
 * journal fields (VMRELAY_REQUEST_ID, ...) when stderr is connected to the
 * journal, else as key=value pairs after the message.
 *
 * Thread safety: every function may be called from any thread; a line is
 * written with a single write(2) so lines from threads never interleave. */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "shared/core/macro.h"

/* What a log line is about. Any field may be NULL. */
struct log_ctx {
    const char *request_id;
    const char *resource; /* <Kind>/<namespace>/<name> */
    const char *node;
    const char *operation;
};

/* Sets the program name shown on each line and the most verbose level
 * written (LOG_DEBUG ... LOG_ERR). Call once from main before threads. */
void log_setup(const char *program, int max_level);

/* Parses "debug", "info", "notice", "warning" or "error". Returns -EINVAL
 * for anything else. */
int log_level_from_string(const char *s);

int log_get_max_level(void);

/* Writes one line. Returns -abs(err) when err != 0 so that callers can
 * "return log_...(r, ...)", else 0. */
int log_emit(int level, int err, const struct log_ctx *ctx, const char *fmt, ...) _printf_(4, 5);

#define log_debug(...) log_emit(LOG_DEBUG, 0, NULL, __VA_ARGS__)
#define log_info(...) log_emit(LOG_INFO, 0, NULL, __VA_ARGS__)
#define log_notice(...) log_emit(LOG_NOTICE, 0, NULL, __VA_ARGS__)
#define log_warning(...) log_emit(LOG_WARNING, 0, NULL, __VA_ARGS__)
#define log_error(...) log_emit(LOG_ERR, 0, NULL, __VA_ARGS__)
#define log_error_errno(err, ...) log_emit(LOG_ERR, (err), NULL, __VA_ARGS__)
#define log_warning_errno(err, ...) log_emit(LOG_WARNING, (err), NULL, __VA_ARGS__)

#define log_req_debug(ctx, ...) log_emit(LOG_DEBUG, 0, (ctx), __VA_ARGS__)
#define log_req_info(ctx, ...) log_emit(LOG_INFO, 0, (ctx), __VA_ARGS__)
#define log_req_notice(ctx, ...) log_emit(LOG_NOTICE, 0, (ctx), __VA_ARGS__)
#define log_req_warning(ctx, ...) log_emit(LOG_WARNING, 0, (ctx), __VA_ARGS__)
#define log_req_error(ctx, ...) log_emit(LOG_ERR, 0, (ctx), __VA_ARGS__)
