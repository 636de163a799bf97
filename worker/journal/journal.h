/* The node journal: a SQLite database that records each request id when
 * it starts and its encoded result when it ends, so that a node runs an id
 * at most once however often Kafka delivers it.
 *
 * The database is in WAL mode with synchronous=FULL: a start record is on
 * disk before libvirt is touched, and a finish record before the result is
 * produced. Losing either to a power cut would let a redelivery run the
 * request again or report a second, different outcome.
 *
 * One worker opens a journal: journal_open() takes an exclusive lock on
 * "<path>.lock" and refuses when another process holds it.
 *
 * Thread safety: every function may be called from any thread; calls on
 * one journal are serialised by its own mutex. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "shared/core/macro.h"

/* Upper bound on a stored result: the size of the Kafka message it was. */
#define JOURNAL_RESULT_MAX (1024 * 1024)
/* Defaults of the configuration keys worker.journal-retention (seconds)
 * and worker.journal-max-entries. */
#define JOURNAL_RETENTION_DEFAULT_S (7 * 24 * 3600)
#define JOURNAL_MAX_ENTRIES_DEFAULT 50000
#define JOURNAL_DIR_DEFAULT "/var/lib/vmrelay"

struct journal;

enum journal_state {
    JOURNAL_UNKNOWN = 0, /* never seen, or pruned */
    JOURNAL_IN_FLIGHT,   /* started, no result: the worker died running it */
    JOURNAL_FINISHED,    /* result recorded */
};

struct journal_entry {
    enum journal_state state;
    int attempt;
    int64_t started_ms, finished_ms;
    char *result; /* the encoded result when finished, else NULL */
};

void journal_entry_done(struct journal_entry *e);

/* What is recorded when a request starts. */
struct journal_start {
    const char *id, *kind, *namespace, *name, *operation, *key;
    int64_t started_ms;
    int attempt;
};

/* Builds the default path "<dir>/journal-<node>.db", or, when the topic
 * prefix is not the default one, "<dir>/journal-<prefix>.<node>.db": ids
 * are unique within one prefix, and two test pipelines on one machine use
 * the same node name under different prefixes. */
int journal_default_path(const char *prefix, const char *node, char **ret_path);

/* Creates the parent folder and the database if needed, locks it and
 * checks its schema. -EBUSY when another process holds the lock, with its
 * pid in err. */
int journal_open(const char *path, struct journal **ret_j, char *err, size_t errlen);
void journal_close(struct journal *j);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct journal *, journal_close);

/* Fills *ret_entry (state JOURNAL_UNKNOWN when the id is not recorded). */
int journal_lookup(struct journal *j, const char *id, struct journal_entry *ret_entry);

/* Records a start (replacing an unfinished record of the same id, as a
 * re-run after a crash does). Durable on return. */
int journal_start(struct journal *j, const struct journal_start *rec);

/* Records the encoded result of a started id. Durable on return. -ENOENT
 * when the id was never started, -EMSGSIZE above JOURNAL_RESULT_MAX. */
int journal_finish(struct journal *j, const char *id, int64_t finished_ms, const char *result);

/* Removes records finished (or, never finished, started) before
 * before_ms, then the oldest finished ones past max_entries, and gives the
 * freed pages back to the file system. Returns how many were removed. */
int journal_prune(struct journal *j, int64_t before_ms, int64_t max_entries);

/* How many ids are finished and in flight; for logs and tests. */
int journal_count(struct journal *j, int64_t *ret_finished, int64_t *ret_in_flight);
