/* Base64 decoding for the "*-data" fields of a kubeconfig.
 *
 * Thread safety: pure function, any thread. */
#pragma once

#include <stddef.h>

/* Decodes standard base64 (RFC 4648 section 4). Whitespace is skipped, as
 * kubeconfig writers sometimes wrap long values; padding is optional.
 * Returns -EINVAL on any other character or a truncated quantum. The result
 * is NUL-terminated (not counted in *ret_len) so PEM text can be used as a
 * string. */
int k8s_base64_decode(const char *in, size_t len, unsigned char **ret_buf, size_t *ret_len);
