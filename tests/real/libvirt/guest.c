#include "real/libvirt/guest.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/peers.h"
#include "shared/core/macro.h"

/* The domain template is a page; a serial log past this is only a guest
 * stuck printing, and the markers come early. */
#define TEMPLATE_MAX (64 * 1024)
#define SERIAL_LOG_MAX (2 * 1024 * 1024)
#define PATH_MAX_LEN 4096

extern char **environ;

static inline void fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}

/* Reads at most max bytes of a file into a NUL-terminated buffer. */
static int read_file(const char *path, size_t max, char **ret_text)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    _cleanup_free_ char *buf = NULL;
    size_t len = 0;
    ssize_t n;

    if (fd < 0)
        return -errno;
    buf = malloc(max + 1);
    if (!buf)
        return -ENOMEM;
    while (len < max && (n = read(fd, buf + len, max - len)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    *ret_text = TAKE_PTR(buf);
    return 0;
}

/* Values are pasted into attributes and element text unescaped. */
static bool xml_safe(const char *s)
{
    return strpbrk(s, "<>&'\"") == NULL;
}

static char *dup_peer_value(const char *peer, const char *file)
{
    return strdup(peer_value(peer, file));
}

int guest_domain_xml(const char *name, const char *disk, const char *serial_log,
                     char **ret_xml)
{
    const char *src = getenv("VMRELAY_SOURCE_DIR");
    _cleanup_free_ char *kernel = dup_peer_value("guest", "kernel");
    _cleanup_free_ char *initrd = dup_peer_value("guest", "initrd");
    _cleanup_free_ char *accel = dup_peer_value("libvirt", "accel");
    _cleanup_free_ char *tmpl = NULL, *out = NULL;
    _cleanup_(fclosep) FILE *f = NULL;
    char path[PATH_MAX_LEN];
    size_t out_len = 0;
    int r;

    if (!src)
        return -ENOENT;
    if (!kernel || !initrd || !accel)
        return -ENOMEM;
    const char *keys[] = { "@NAME@", "@TYPE@", "@KERNEL@", "@INITRD@", "@DISK@", "@SERIAL_LOG@" };
    const char *values[] = { name, strcmp(accel, "kvm") == 0 ? "kvm" : "qemu",
                             kernel, initrd, disk, serial_log };
    for (size_t i = 0; i < ELEMENTSOF(values); i++)
        if (!xml_safe(values[i]))
            return -EINVAL;

    snprintf(path, sizeof(path), "%s/tests/env/guest/domain.xml.in", src);
    r = read_file(path, TEMPLATE_MAX, &tmpl);
    if (r < 0)
        return r;

    f = open_memstream(&out, &out_len);
    if (!f)
        return -errno;
    for (const char *p = tmpl; *p;) {
        size_t i;
        for (i = 0; i < ELEMENTSOF(keys); i++)
            if (strncmp(p, keys[i], strlen(keys[i])) == 0)
                break;
        if (i < ELEMENTSOF(keys)) {
            fputs(values[i], f);
            p += strlen(keys[i]);
        } else {
            fputc(*p++, f);
        }
    }
    if (fclose(TAKE_PTR(f)) != 0)
        return -ENOMEM;
    *ret_xml = TAKE_PTR(out);
    return 0;
}

int guest_disk_create(const char *path, const char *size)
{
    char *argv[] = { "qemu-img", "create", "-q", "-f", "qcow2", (char *)path, (char *)size, NULL };
    pid_t pid;
    int status, r;

    r = posix_spawnp(&pid, "qemu-img", NULL, NULL, argv, environ);
    if (r != 0)
        return -r;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -errno;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

bool guest_log_has(const char *serial_log, const char *marker)
{
    _cleanup_free_ char *text = NULL;

    if (read_file(serial_log, SERIAL_LOG_MAX, &text) < 0)
        return false;
    return strstr(text, marker) != NULL;
}
