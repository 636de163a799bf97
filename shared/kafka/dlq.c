/* The DLQ record codec (see dlq.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "shared/core/json.h"
#include "shared/k8s/base64.h"
#include "shared/kafka/dlq.h"

/* Offsets and times are JSON numbers: doubles hold integers exactly up to
 * 2^53. */
#define DLQ_NUMBER_MAX 9007199254740992.0

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

/* Whole numbers are written with all their digits: cJSON prints a double
 * with 15 significant digits whenever that reads back within DBL_EPSILON,
 * which near 2^53 turns offset 9007199254740991 into ...990. */
static bool add_int(cJSON *root, const char *name, int64_t v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%" PRId64, v);
    return cJSON_AddRawToObject(root, name, buf) != NULL;
}

/* Adds name (text) or name_base64; nothing when buf is NULL. */
static int add_bytes(cJSON *root, const char *name, const void *buf, size_t len)
{
    _cleanup_free_ char *text = NULL;
    char b64name[64];

    if (!buf)
        return 0;
    if (utf8_is_valid(buf, len)) {
        text = strndup(buf, len);
        return text && cJSON_AddStringToObject(root, name, text) ? 0 : -ENOMEM;
    }
    text = base64_encode(buf, len);
    snprintf(b64name, sizeof(b64name), "%s_base64", name);
    return text && cJSON_AddStringToObject(root, b64name, text) ? 0 : -ENOMEM;
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
         cJSON_AddStringToObject(root, "source",
                                 origin->source ? origin->source : DLQ_SOURCE_DEFAULT) &&
         cJSON_AddStringToObject(root, "node", origin->node ? origin->node : "") &&
         cJSON_AddStringToObject(root, "topic", origin->topic ? origin->topic : "") &&
         cJSON_AddNumberToObject(root, "partition", origin->partition) &&
         add_int(root, "offset", origin->offset) &&
         cJSON_AddStringToObject(root, "error", error) &&
         add_int(root, "received_ms", (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    if (!ok || add_bytes(root, "key", origin->key, origin->key_len) < 0)
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

void dlq_record_free(struct dlq_record *rec)
{
    if (!rec)
        return;
    free(rec->source);
    free(rec->node);
    free(rec->topic);
    free(rec->error);
    free(rec->key);
    free(rec->payload);
    free(rec);
}

static int parse_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* An optional string; "" when absent. */
static int get_string(const cJSON *root, const char *name, char **ret, char *err,
                      size_t errlen)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
    char *s;

    if (item && !cJSON_IsString(item))
        return parse_error(err, errlen, "field '%s': expected a string", name);
    s = strdup(item ? item->valuestring : "");
    if (!s)
        return -ENOMEM;
    *ret = s;
    return 0;
}

static int get_number(const cJSON *root, const char *name, bool required, double min,
                      double max, int64_t *ret, char *err, size_t errlen)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);

    if (!item && !required)
        return 0;
    if (!item)
        return parse_error(err, errlen, "field '%s' is missing", name);
    if (!cJSON_IsNumber(item) || item->valuedouble < min || item->valuedouble > max ||
        item->valuedouble != (double)(int64_t)item->valuedouble)
        return parse_error(err, errlen, "field '%s': expected a whole number from %.0f to %.0f",
                           name, min, max);
    *ret = (int64_t)item->valuedouble;
    return 0;
}

/* Reads name (text) or name_base64 into a NUL-terminated buffer. Returns 1
 * when found, 0 when neither is there. */
static int get_bytes(const cJSON *root, const char *name, char **ret_buf, size_t *ret_len,
                     bool *ret_text, char *err, size_t errlen)
{
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(root, name);
    const cJSON *b64;
    unsigned char *buf = NULL;
    char b64name[64];
    size_t len = 0;

    snprintf(b64name, sizeof(b64name), "%s_base64", name);
    b64 = cJSON_GetObjectItemCaseSensitive(root, b64name);
    if (text) {
        if (!cJSON_IsString(text))
            return parse_error(err, errlen, "field '%s': expected a string", name);
        buf = (unsigned char *)strdup(text->valuestring);
        if (!buf)
            return -ENOMEM;
        len = strlen(text->valuestring);
    } else if (b64) {
        if (!cJSON_IsString(b64) ||
            k8s_base64_decode(b64->valuestring, strlen(b64->valuestring), &buf, &len) < 0)
            return parse_error(err, errlen, "field '%s': expected standard base64", b64name);
    } else
        return 0;
    *ret_buf = (char *)buf;
    *ret_len = len;
    if (ret_text)
        *ret_text = text != NULL;
    return 1;
}

int dlq_record_parse(const char *buf, size_t len, struct dlq_record **ret_rec, char *err,
                     size_t errlen)
{
    _cleanup_(dlq_record_freep) struct dlq_record *rec = NULL;
    _cleanup_(cJSON_Deletep) cJSON *root = NULL;
    int64_t partition = 0;
    int r;

    if (len > DLQ_RECORD_MAX_BYTES) {
        parse_error(err, errlen, "record larger than %d bytes", DLQ_RECORD_MAX_BYTES);
        return -EMSGSIZE;
    }
    root = cJSON_ParseWithLength(buf, len);
    if (!cJSON_IsObject(root))
        return parse_error(err, errlen, "not a JSON object");
    rec = calloc(1, sizeof(*rec));
    if (!rec)
        return -ENOMEM;

    if ((r = get_number(root, "version", true, 1, DLQ_VERSION, &rec->version, err,
                        errlen)) < 0 ||
        (r = get_number(root, "partition", true, 0, INT32_MAX, &partition, err, errlen)) < 0 ||
        (r = get_number(root, "offset", true, 0, DLQ_NUMBER_MAX, &rec->offset, err,
                        errlen)) < 0 ||
        (r = get_number(root, "received_ms", false, 0, DLQ_NUMBER_MAX, &rec->received_ms, err,
                        errlen)) < 0 ||
        (r = get_string(root, "source", &rec->source, err, errlen)) < 0 ||
        (r = get_string(root, "node", &rec->node, err, errlen)) < 0 ||
        (r = get_string(root, "topic", &rec->topic, err, errlen)) < 0 ||
        (r = get_string(root, "error", &rec->error, err, errlen)) < 0)
        return r;
    rec->partition = (int32_t)partition;
    if (rec->topic[0] == '\0')
        return parse_error(err, errlen, "field 'topic' is missing or empty");

    r = get_bytes(root, "key", &rec->key, &rec->key_len, NULL, err, errlen);
    if (r < 0)
        return r;
    rec->has_key = r > 0;
    /* dlq.h promises strings that are never NULL, key included. */
    if (!rec->has_key && !(rec->key = strdup("")))
        return -ENOMEM;
    r = get_bytes(root, "payload", &rec->payload, &rec->payload_len, &rec->payload_is_text, err,
                  errlen);
    if (r < 0)
        return r;
    if (r == 0)
        return parse_error(err, errlen, "field 'payload' (or 'payload_base64') is missing");
    *ret_rec = TAKE_PTR(rec);
    return 0;
}
