#include "shared/core/log.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <systemd/sd-journal.h>

/* A log line longer than this is cut; request ids and names are bounded far
 * below it, so only a runaway message is affected. */
#define LOG_LINE_MAX 4096

static const char *log_program = "vmrelay";
static int log_max_level = LOG_INFO;
static bool log_to_journal;

static const char *const level_names[] = {
    [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",   [LOG_CRIT] = "crit",
    [LOG_ERR] = "error",   [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
    [LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

/* systemd sets JOURNAL_STREAM to "dev:ino" of the stream it connected to
 * stderr; only when that matches is stderr really the journal. */
static bool stderr_is_journal(void)
{
    const char *e = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
        return false;
    if (fstat(STDERR_FILENO, &st) < 0)
        return false;
    return st.st_dev == dev && st.st_ino == ino;
}

void log_setup(const char *program, int max_level)
{
    if (program)
        log_program = program;
    log_max_level = max_level;
    log_to_journal = stderr_is_journal();
}

int log_get_max_level(void)
{
    return log_max_level;
}

int log_level_from_string(const char *s)
{
    for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
        if (level_names[i] && s && strcmp(s, level_names[i]) == 0)
            return (int)i;
    return -EINVAL;
}

static void emit_journal(int level, const struct log_ctx *ctx, const char *msg)
{
    const struct log_ctx none = {0};

    if (!ctx)
        ctx = &none;
    sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", level,
                    "SYSLOG_IDENTIFIER=%s", log_program,
                    "VMRELAY_REQUEST_ID=%s", ctx->request_id ? ctx->request_id : "",
                    "VMRELAY_RESOURCE=%s", ctx->resource ? ctx->resource : "",
                    "VMRELAY_NODE=%s", ctx->node ? ctx->node : "",
                    "VMRELAY_OPERATION=%s", ctx->operation ? ctx->operation : "", NULL);
}

static void append(char *buf, size_t *len, const char *fmt, ...) _printf_(3, 4);
static void append(char *buf, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*len >= LOG_LINE_MAX - 1)
        return;
    va_start(ap, fmt);
    n = vsnprintf(buf + *len, LOG_LINE_MAX - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < LOG_LINE_MAX - 1 ? *len + (size_t)n : LOG_LINE_MAX - 1;
}

static void emit_stderr(int level, const struct log_ctx *ctx, const char *msg)
{
    char line[LOG_LINE_MAX];
    size_t len = 0;
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    append(line, &len, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d] %s: %s",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           ts.tv_nsec / 1000000, log_program, (int)getpid(), level_names[level], msg);
    if (ctx) {
        if (ctx->request_id)
            append(line, &len, " request_id=%s", ctx->request_id);
        if (ctx->resource)
            append(line, &len, " resource=%s", ctx->resource);
        if (ctx->node)
            append(line, &len, " node=%s", ctx->node);
        if (ctx->operation)
            append(line, &len, " operation=%s", ctx->operation);
    }
    line[len++] = '\n';

    /* One write per line keeps lines whole when threads log at once. */
    if (write(STDERR_FILENO, line, len) < 0)
        return;
}

int log_emit(int level, int err, const struct log_ctx *ctx, const char *fmt, ...)
{
    char msg[LOG_LINE_MAX];
    int saved_errno = errno;
    va_list ap;

    if (level < LOG_EMERG || level > LOG_DEBUG)
        level = LOG_ERR;
    if (level <= log_max_level) {
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (log_to_journal)
            emit_journal(level, ctx, msg);
        else
            emit_stderr(level, ctx, msg);
    }
    errno = saved_errno;
    return err == 0 ? 0 : -abs(err);
}
