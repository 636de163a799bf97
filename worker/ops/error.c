#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/ops/ops.h"

static int result_set_error(struct result *res, enum error_type type, const char *message)
{
    char *reason = strdup(error_type_to_string(type));
    char *msg = strdup(message);

    if (!reason || !msg) {
        free(reason);
        free(msg);
        return -ENOMEM;
    }
    free(res->reason);
    free(res->message);
    res->reason = reason;
    res->message = msg;
    res->success = false;
    res->error_type = type;
    return 0;
}

int ops_fail_virerror(struct result *res, const virError *err, const char *what)
{
    char msg[MESSAGE_TEXT_MAX];
    const char *why = err && err->message ? err->message : "libvirt gave no reason";

    snprintf(msg, sizeof(msg), "%s: %s", what, why);
    (void)result_set_error(res, ERROR_LIBVIRT, msg);
    res->error_code = err ? err->code : VIR_ERR_INTERNAL_ERROR;
    res->error_domain = err ? err->domain : VIR_FROM_NONE;
    return -EIO;
}

int ops_fail_libvirt(struct result *res, const char *what)
{
    return ops_fail_virerror(res, virGetLastError(), what);
}

int ops_fail_virtctl(struct result *res, const char *fmt, ...)
{
    char msg[MESSAGE_TEXT_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (void)result_set_error(res, ERROR_VIRTCTL, msg);
    return -EINVAL;
}

int ops_fail_exception(struct result *res, int err, const char *fmt, ...)
{
    char msg[MESSAGE_TEXT_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    (void)result_set_error(res, ERROR_EXCEPTION, msg);
    return negative_errno(err);
}
