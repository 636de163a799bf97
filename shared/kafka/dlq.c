#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "shared/core/macro.h"
#include "shared/kafka/dlq.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(cJSON *, cJSON_Delete);

static bool utf8_is_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2
                                 : (c >> 3) == 0x1e ? 3 : 4;

        if (c == 0 || n == 4 || i + n >= len)
            return false;
        for (size_t k = 1; k <= n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += n + 1;
    }
    return true;
}

static char *base64_encode(const unsigned char *in, size_t len)
{
    static const char tbl[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1), *p = out;

    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16;

        if (i + 1 < len)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        *p++ = tbl[(v >> 18) & 63];
        *p++ = tbl[(v >> 12) & 63];
        *p++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
        *p++ = i + 2 < len ? tbl[v & 63] : '=';
    }
    *p = '\0';
    return out;
}

char *dlq_record_encode(const struct dlq_origin *origin, const char *error, const void *payload,
                        size_t len)
{
    _cleanup_(cJSON_Deletep) cJSON *root = cJSON_CreateObject();
    struct timespec ts;
    bool ok;

    if (!root)
        return NULL;
    clock_gettime(CLOCK_REALTIME, &ts);
    ok = cJSON_AddNumberToObject(root, "version", DLQ_VERSION) &&
         cJSON_AddStringToObject(root, "source", "vmrelay-worker") &&
         cJSON_AddStringToObject(root, "node", origin->node ? origin->node : "") &&
         cJSON_AddStringToObject(root, "topic", origin->topic ? origin->topic : "") &&
         cJSON_AddNumberToObject(root, "partition", origin->partition) &&
         cJSON_AddNumberToObject(root, "offset", (double)origin->offset) &&
         cJSON_AddStringToObject(root, "error", error) &&
         cJSON_AddNumberToObject(root, "received_ms",
                                 (double)ts.tv_sec * 1000 + (double)(ts.tv_nsec / 1000000));
    if (!ok)
        return NULL;

    if (payload && utf8_is_valid(payload, len)) {
        _cleanup_free_ char *text = strndup(payload, len);

        if (!text || !cJSON_AddStringToObject(root, "payload", text))
            return NULL;
    } else {
        _cleanup_free_ char *b64 = base64_encode(payload ? payload : "", payload ? len : 0);

        if (!b64 || !cJSON_AddStringToObject(root, "payload_base64", b64))
            return NULL;
    }
    return cJSON_PrintUnformatted(root);
}
