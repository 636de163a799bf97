#include "shared/core/digest.h"

#include <errno.h>

#include <openssl/evp.h>

int digest_sha256_hex(const void *data, size_t len, char ret_hex[DIGEST_HEX_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32)
        return -EIO;
    for (unsigned i = 0; i < md_len; i++) {
        ret_hex[2 * i] = hex[md[i] >> 4];
        ret_hex[2 * i + 1] = hex[md[i] & 0xf];
    }
    ret_hex[DIGEST_HEX_LEN] = '\0';
    return 0;
}
