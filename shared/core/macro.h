/* Ownership helpers used across vmrelay.
 *
 * Every owned pointer, handle and descriptor is declared with a cleanup
 * attribute so that it is released on every exit path, and handed over with
 * TAKE_PTR() when ownership moves to the caller. Free functions used here
 * accept NULL. */
#pragma once

#include <stdlib.h>
#include <errno.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Returns *p and leaves NULL behind, so the cleanup attribute frees nothing. */
#define TAKE_PTR(p)                                                                                \
    ({                                                                                             \
        __typeof__(p) _taken = (p);                                                                \
        (p) = NULL;                                                                                \
        _taken;                                                                                    \
    })

#define TAKE_FD(fd)                                                                                \
    ({                                                                                             \
        int _taken_fd = (fd);                                                                      \
        (fd) = -1;                                                                                 \
        _taken_fd;                                                                                 \
    })

static inline void freep(void *p)
{
    free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Declares fooP(foo_t **) calling foo_free(*p) when *p is not NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                                    \
    static inline void func##p(type *p)                                                            \
    {                                                                                              \
        if (*p)                                                                                    \
            func(*p);                                                                              \
    }

static inline int negative_errno(int e)
{
    return e > 0 ? -e : (e < 0 ? e : -EIO);
}
