/* SHA-256 digests as lowercase hex, through OpenSSL's libcrypto.
 * Any thread. */
#pragma once

#include <stddef.h>

#define DIGEST_HEX_LEN 64

/* Writes the hex digest of data and a NUL into ret_hex
 * (DIGEST_HEX_LEN + 1 bytes). Returns 0 or -EIO. */
int digest_sha256_hex(const void *data, size_t len, char ret_hex[DIGEST_HEX_LEN + 1]);
