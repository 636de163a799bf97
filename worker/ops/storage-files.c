/* The template pool and the worker's own files under worker.storage-dir
 * (see ops-storage.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "worker/ops/ops-storage.h"

/* Creates path and its missing parents. */
static int mkdir_parents(const char *path)
{
    char buf[STORAGE_PATH_MAX];
    int n = snprintf(buf, sizeof(buf), "%s", path);

    if (n < 0 || (size_t)n >= sizeof(buf))
        return -ENAMETOOLONG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

int storage_template_pool(virConnectPtr conn, struct result *res, virStoragePoolPtr *ret_pool)
{
    char target[STORAGE_PATH_MAX], xml[2 * STORAGE_PATH_MAX];
    const char *name = ops_storage_template_pool();
    virStoragePoolPtr pool;
    int n;

    pool = virStoragePoolLookupByName(conn, name);
    if (pool) {
        if (virStoragePoolIsActive(pool) != 1 && virStoragePoolCreate(pool, 0) < 0) {
            virStoragePoolFree(pool);
            return ops_fail_libvirt(res, "Cannot start the template pool");
        }
        *ret_pool = pool;
        return 0;
    }
    virResetLastError();

    n = snprintf(target, sizeof(target), "%s/templates", ops_storage_dir());
    if (n < 0 || (size_t)n >= sizeof(target) || strpbrk(target, "<>&'\""))
        return ops_fail_virtctl(res, "The template directory %s/templates is not usable as a "
                                "pool target.", ops_storage_dir());
    snprintf(xml, sizeof(xml), "<pool type='dir'><name>%s</name><target><path>%s</path>"
             "</target></pool>", name, target);
    pool = virStoragePoolDefineXML(conn, xml, 0);
    if (!pool)
        return ops_fail_libvirt(res, "Cannot define the template pool");
    if (virStoragePoolBuild(pool, 0) < 0 || virStoragePoolCreate(pool, 0) < 0 ||
        virStoragePoolSetAutostart(pool, 1) < 0) {
        virErrorPtr err = virSaveLastError();

        /* A pool we could not start is not left defined: the next request
         * tries again from scratch. */
        if (virStoragePoolIsActive(pool) == 1)
            (void)virStoragePoolDestroy(pool);
        (void)virStoragePoolUndefine(pool);
        virStoragePoolFree(pool);
        ops_fail_virerror(res, err, "Cannot build and start the template pool");
        virFreeError(err);
        return -EIO;
    }
    *ret_pool = pool;
    return 0;
}

int storage_file_path(const char *sub, const char *name, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s/%s.xml", ops_storage_dir(), sub, name);

    if (n < 0 || (size_t)n >= len)
        return -ENAMETOOLONG;
    return 0;
}

int storage_file_write(const char *sub, const char *name, const char *text)
{
    char dir[STORAGE_PATH_MAX], path[STORAGE_PATH_MAX], tmp[STORAGE_PATH_MAX + 8];
    size_t len = strlen(text), done = 0;
    int fd, r;

    snprintf(dir, sizeof(dir), "%s/%s", ops_storage_dir(), sub);
    r = storage_file_path(sub, name, path, sizeof(path));
    if (r < 0)
        return r;
    r = mkdir_parents(dir);
    if (r < 0)
        return r;
    snprintf(tmp, sizeof(tmp), "%s.new", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            goto fail;
        done += (size_t)w;
    }
    /* The rename makes the file appear whole or not at all, also across a
     * crash. */
    if (fsync(fd) < 0)
        goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) < 0)
        goto fail;
    return 0;

fail:
    r = -errno;
    if (fd >= 0)
        close(fd);
    (void)unlink(tmp);
    return r;
}

int storage_file_read(const char *sub, const char *name, char **ret_text)
{
    char path[STORAGE_PATH_MAX];
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    int fd, r;

    r = storage_file_path(sub, name, path, sizeof(path));
    if (r < 0)
        return r;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    buf = malloc(STORAGE_FILE_MAX + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        ssize_t n = read(fd, buf + len, STORAGE_FILE_MAX + 1 - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            close(fd);
            return r;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > STORAGE_FILE_MAX) {
            close(fd);
            return -EFBIG;
        }
    }
    close(fd);
    buf[len] = '\0';
    *ret_text = TAKE_PTR(buf);
    return 0;
}
