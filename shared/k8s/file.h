/* Bounded reads of the small files the Kubernetes client needs: a
 * kubeconfig, PEM certificates and keys, service account tokens.
 *
 * Thread safety: any thread. */
#pragma once

#include <stddef.h>

/* Reads the whole file into a NUL-terminated buffer (NUL not counted in
 * *ret_len). Returns -EFBIG when it is larger than max, -errno of open or
 * read otherwise. */
int k8s_file_read(const char *path, size_t max, char **ret_buf, size_t *ret_len);
