/* The one-worker-per-journal lock and the folder the journal lives in.
 *
 * Thread safety: called once, from the thread that opens the journal. */
#pragma once

#include <stddef.h>

/* Creates every missing folder above path (mode 0750). */
int journal_mkdir_parents(const char *path);

/* Takes an exclusive flock(2) on "<path>.lock" and writes our pid into it.
 * The lock is a separate file because SQLite uses fcntl locks on the
 * database itself. Returns the open descriptor, or -EBUSY with the holder's
 * pid in err. The lock goes away with the process, however it ends. */
int journal_lock_take(const char *path, char *err, size_t errlen);
