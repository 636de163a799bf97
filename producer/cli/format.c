/* See format.h. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "producer/cli/format.h"

#define ELLIPSIS "..."

char *cli_format_duration(int64_t ms, char *buf, size_t len)
{
    int64_t s = ms / 1000;

    if (ms < 0)
        snprintf(buf, len, "0s");
    else if (ms < 1000)
        snprintf(buf, len, "%lldms", (long long)ms);
    else if (s < 60)
        snprintf(buf, len, "%llds", (long long)s);
    else if (s < 3600)
        snprintf(buf, len, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    else if (s < 86400)
        snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(buf, len, "%lldd%02lldh", (long long)(s / 86400),
                 (long long)(s % 86400 / 3600));
    return buf;
}

char *cli_format_kib(int64_t kib, char *buf, size_t len)
{
    static const char *const units[] = {"Ki", "Mi", "Gi", "Ti", "Pi"};
    double v = (double)kib;
    size_t u = 0;

    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
        v /= 1024;
        u++;
    }
    if (u == 0 || v >= 100)
        snprintf(buf, len, "%.0f%s", v, units[u]);
    else
        snprintf(buf, len, "%.1f%s", v, units[u]);
    return buf;
}

char *cli_format_labels(const cJSON *labels, char *buf, size_t len)
{
    const cJSON *label;
    size_t used = 0;
    bool cut = false;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    cJSON_ArrayForEach(label, labels)
    {
        int n;

        if (!cJSON_IsString(label))
            continue;
        n = snprintf(buf + used, len - used, "%s%s=%s", used ? "," : "", label->string,
                     label->valuestring);
        if (n < 0 || (size_t)n >= len - used) {
            cut = true;
            break;
        }
        used += (size_t)n;
    }
    if (cut && len > sizeof(ELLIPSIS)) {
        size_t at = used < len - sizeof(ELLIPSIS) ? used : len - sizeof(ELLIPSIS);

        memcpy(buf + at, ELLIPSIS, sizeof(ELLIPSIS));
    } else if (cut)
        buf[used] = '\0';
    if (buf[0] == '\0')
        snprintf(buf, len, "-");
    return buf;
}

char *cli_format_excerpt(const char *text, size_t text_len, size_t max, char *buf,
                         size_t len)
{
    size_t n = text_len;
    size_t out = 0;

    if (len < sizeof(ELLIPSIS) + 1) {
        if (len > 0)
            buf[0] = '\0';
        return buf;
    }
    if (max > len - sizeof(ELLIPSIS))
        max = len - sizeof(ELLIPSIS);
    if (n > max) {
        n = max;
        /* Back off continuation bytes so that no character is split. */
        while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];

        buf[out++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    buf[out] = '\0';
    if (n < text_len)
        memcpy(buf + out, ELLIPSIS, sizeof(ELLIPSIS));
    return buf;
}
