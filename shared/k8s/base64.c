#include "shared/k8s/base64.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "shared/core/macro.h"

static int base64_value(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int k8s_base64_decode(const char *in, size_t len, unsigned char **ret_buf, size_t *ret_len)
{
    _cleanup_free_ unsigned char *out = NULL;
    unsigned acc = 0, bits = 0;
    size_t n = 0;
    bool padding = false;

    out = malloc(len / 4 * 3 + 4);
    if (!out)
        return -ENOMEM;

    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        int v;

        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (c == '=') {
            padding = true;
            continue;
        }
        /* Data after padding means two values were glued together. */
        if (padding)
            return -EINVAL;
        v = base64_value(c);
        if (v < 0)
            return -EINVAL;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    /* A lone sixth of a quantum cannot encode a byte. */
    if (bits >= 6)
        return -EINVAL;

    out[n] = '\0';
    *ret_len = n;
    *ret_buf = TAKE_PTR(out);
    return 0;
}
