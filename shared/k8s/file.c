#include "shared/k8s/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/core/macro.h"

int k8s_file_read(const char *path, size_t max, char **ret_buf, size_t *ret_len)
{
    _cleanup_close_ int fd = -1;
    _cleanup_free_ char *buf = NULL;
    size_t n = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return -errno;

    /* Read up to max + 1 bytes whatever fstat says: files under /proc or
     * projected volumes may report a size of 0. */
    buf = malloc(max + 2);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        ssize_t k = read(fd, buf + n, max + 1 - n);

        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (k == 0)
            break;
        n += (size_t)k;
        if (n > max)
            return -EFBIG;
    }

    buf[n] = '\0';
    *ret_len = n;
    *ret_buf = TAKE_PTR(buf);
    return 0;
}
