#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/core/macro.h"
#include "worker/journal/lock.h"

#define LOCK_PATH_MAX 4096
#define LOCK_PID_MAX 32

int journal_mkdir_parents(const char *path)
{
    char buf[LOCK_PATH_MAX];
    size_t len = strlen(path);

    if (len >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0750) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    return 0;
}

int journal_lock_take(const char *path, char *err, size_t errlen)
{
    char lock_path[LOCK_PATH_MAX], pid[LOCK_PID_MAX] = "";
    _cleanup_close_ int fd = -EBADF;
    ssize_t n;
    int len;

    len = snprintf(lock_path, sizeof(lock_path), "%s.lock", path);
    if (len < 0 || (size_t)len >= sizeof(lock_path))
        return -ENAMETOOLONG;
    fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        int e = errno;

        snprintf(err, errlen, "cannot open the lock file %s: %s", lock_path, strerror(e));
        return -e;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;

        n = pread(fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (e == EWOULDBLOCK) {
            snprintf(err, errlen, "the journal %s is in use by another worker (pid %s); "
                     "only one worker may run per journal: stop it, or give this one its own "
                     "worker.journal", path, pid[0] ? pid : "unknown");
            return -EBUSY;
        }
        snprintf(err, errlen, "cannot lock %s: %s", lock_path, strerror(e));
        return -e;
    }
    len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        int e = errno ? errno : EIO;

        snprintf(err, errlen, "cannot write to the lock file %s: %s", lock_path, strerror(e));
        return -e;
    }
    return TAKE_FD(fd);
}
