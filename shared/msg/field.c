/* Typed JSON field access with errors naming the field. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "shared/msg/field.h"

int field_error(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
    char detail[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    if (err && errlen > 0)
        snprintf(err, errlen, "field \"%s\": %s", name, detail);
    return -EINVAL;
}

/* Returns the item, or NULL when absent or null. */
static const cJSON *field_lookup(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);

    if (!item || cJSON_IsNull(item))
        return NULL;
    return item;
}

static int field_absent(const char *name, bool required, char *err, size_t errlen)
{
    if (required)
        return field_error(err, errlen, name, "is required");
    return 1;
}

int field_get_string(const cJSON *obj, const char *name, bool required, size_t maxlen,
                     const char *charset, const char *rule_text, char **ret_str, char *err,
                     size_t errlen)
{
    const cJSON *item = field_lookup(obj, name);
    const char *s;
    size_t len;
    char *copy;

    if (!item)
        return field_absent(name, required, err, errlen);
    if (!cJSON_IsString(item) || !item->valuestring)
        return field_error(err, errlen, name, "expected a string");

    s = item->valuestring;
    len = strlen(s);
    if (len == 0)
        return field_error(err, errlen, name, "must not be empty");
    if (len > maxlen)
        return field_error(err, errlen, name, "is %zu bytes long, more than the %zu allowed", len,
                           maxlen);
    if (charset && strspn(s, charset) != len)
        return field_error(err, errlen, name, "must be %s", rule_text ? rule_text : "valid");

    copy = strdup(s);
    if (!copy)
        return -ENOMEM;
    *ret_str = copy;
    return 0;
}

int field_get_bool(const cJSON *obj, const char *name, bool required, bool *ret_b, char *err,
                   size_t errlen)
{
    const cJSON *item = field_lookup(obj, name);

    if (!item)
        return field_absent(name, required, err, errlen);
    if (!cJSON_IsBool(item))
        return field_error(err, errlen, name, "expected true or false");
    *ret_b = cJSON_IsTrue(item);
    return 0;
}

int field_get_int(const cJSON *obj, const char *name, bool required, int64_t min, int64_t max,
                  int64_t *ret_n, char *err, size_t errlen)
{
    const cJSON *item = field_lookup(obj, name);
    double d;

    if (!item)
        return field_absent(name, required, err, errlen);
    if (!cJSON_IsNumber(item))
        return field_error(err, errlen, name, "expected an integer");

    d = item->valuedouble;
    /* The range is checked first: converting a double outside int64_t
     * (2^63 and above; (double)INT64_MAX rounds up to it) is undefined. */
    if (!(d >= (double)min && d <= (double)max) || d >= 0x1p63)
        return field_error(err, errlen, name, "must be between %lld and %lld", (long long)min,
                           (long long)max);
    if (d != (double)(int64_t)d)
        return field_error(err, errlen, name, "expected an integer, got a fraction");
    *ret_n = (int64_t)d;
    return 0;
}

int field_get_time(const cJSON *obj, const char *name, bool required, int64_t *ret_ms,
                   char *err, size_t errlen)
{
    const cJSON *item = field_lookup(obj, name);
    int64_t ms;

    if (!item)
        return field_absent(name, required, err, errlen);
    if (!cJSON_IsString(item) || !item->valuestring)
        return field_error(err, errlen, name, "expected an RFC 3339 time string");
    /* A time at or before the epoch is refused: the encoder takes 0 and
     * less for "no time" (field_add_time), so it would not survive a
     * re-encode and a republished message would lose a required field. */
    if (field_time_parse(item->valuestring, &ms) < 0 || ms <= 0)
        return field_error(err, errlen, name,
                           "expected an RFC 3339 time after 1970 like 2026-01-02T03:04:05.678Z, "
                           "got \"%.64s\"",
                           item->valuestring);
    *ret_ms = ms;
    return 0;
}

char *field_time_format(int64_t ms, char buf[static FIELD_TIME_LEN])
{
    time_t secs = (time_t)(ms / 1000);
    int frac = (int)(ms % 1000);
    char wide[96];
    struct tm tm;
    size_t len;

    if (frac < 0) {
        frac += 1000;
        secs -= 1;
    }
    if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
        snprintf(buf, FIELD_TIME_LEN, "1970-01-01T00:00:00.000Z");
        return buf;
    }
    /* Formatted into a roomier buffer first: the compiler cannot see that
     * the gmtime_r fields are in range, and the checked year keeps it 24. */
    snprintf(wide, sizeof(wide), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    len = strnlen(wide, FIELD_TIME_LEN - 1);
    memcpy(buf, wide, len);
    buf[len] = '\0';
    return buf;
}

/* Reads exactly n digits at *p into *ret; advances *p. */
static bool time_digits(const char **p, int n, int *ret)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        char c = (*p)[i];

        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *ret = v;
    return true;
}

static bool time_expect(const char **p, const char *set)
{
    if (**p == '\0' || !strchr(set, **p))
        return false;
    (*p)++;
    return true;
}

int field_time_parse(const char *s, int64_t *ret_ms)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = s;
    int year, mon, day, hour, min, sec, ms = 0, off = 0;
    struct tm tm = {0};
    time_t t;

    if (!time_digits(&p, 4, &year) || !time_expect(&p, "-") || !time_digits(&p, 2, &mon) ||
        !time_expect(&p, "-") || !time_digits(&p, 2, &day) || !time_expect(&p, "Tt") ||
        !time_digits(&p, 2, &hour) || !time_expect(&p, ":") || !time_digits(&p, 2, &min) ||
        !time_expect(&p, ":") || !time_digits(&p, 2, &sec))
        return -EINVAL;
    if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] || hour > 23 || min > 59 ||
        sec > 60)
        return -EINVAL;

    if (*p == '.') {
        int scale = 100, n = 0;

        p++;
        while (*p >= '0' && *p <= '9' && n < 9) {
            ms += (*p - '0') * scale;
            scale /= 10;
            p++;
            n++;
        }
        if (n == 0)
            return -EINVAL;
    }

    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1, oh, om;

        p++;
        if (!time_digits(&p, 2, &oh) || !time_expect(&p, ":") || !time_digits(&p, 2, &om) ||
            oh > 23 || om > 59)
            return -EINVAL;
        off = sign * (oh * 3600 + om * 60);
    } else {
        return -EINVAL;
    }
    if (*p != '\0')
        return -EINVAL;

    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec == 60 ? 59 : sec; /* a leap second is read as the second before it */
    t = timegm(&tm);
    *ret_ms = ((int64_t)t - off) * 1000 + ms;
    return 0;
}

int field_add_string(cJSON *obj, const char *name, const char *value)
{
    if (!value)
        return 0;
    return cJSON_AddStringToObject(obj, name, value) ? 0 : -ENOMEM;
}

int field_add_time(cJSON *obj, const char *name, int64_t ms)
{
    char buf[FIELD_TIME_LEN];

    if (ms <= 0)
        return 0;
    return field_add_string(obj, name, field_time_format(ms, buf));
}

char *field_key_join(const char *a, const char *b, const char *c)
{
    size_t len;
    char *key;

    a = a ? a : "";
    b = b ? b : "";
    c = c ? c : "";
    len = strlen(a) + strlen(b) + strlen(c) + 3;
    key = malloc(len);
    if (!key)
        return NULL;
    snprintf(key, len, "%s/%s/%s", a, b, c);
    return key;
}
