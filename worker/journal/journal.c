#define _GNU_SOURCE /* asprintf */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "shared/core/log.h"
#include "worker/journal/journal.h"
#include "worker/journal/lock.h"

#define JOURNAL_SCHEMA_VERSION 1
/* A worker holds the only connection, so a busy database means a stuck
 * checkpoint at most; waiting this long beats failing a request. */
#define JOURNAL_BUSY_TIMEOUT_MS 5000

/* The statements of every request, prepared once: preparing them anew
 * cost about as much as running them (callgrind, docs/benchmarks.md). */
enum journal_stmt_id {
    JOURNAL_STMT_LOOKUP,
    JOURNAL_STMT_START,
    JOURNAL_STMT_FINISH,
    JOURNAL_STMT_N,
};

static const char *const journal_stmt_sql[JOURNAL_STMT_N] = {
    [JOURNAL_STMT_LOOKUP] = "SELECT attempt, started_ms, finished_ms, result FROM requests "
                            "WHERE id = ?1",
    /* A finished record is never replaced: the caller replays it instead. */
    [JOURNAL_STMT_START] = "INSERT INTO requests (id, kind, namespace, name, operation, "
                           "ordering_key, started_ms, attempt) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                           "ON CONFLICT(id) DO UPDATE SET started_ms = excluded.started_ms, "
                           "attempt = excluded.attempt WHERE result IS NULL",
    [JOURNAL_STMT_FINISH] = "UPDATE requests SET finished_ms = ?2, result = ?3 WHERE id = ?1",
};

struct journal {
    pthread_mutex_t lock;
    sqlite3 *db;
    sqlite3_stmt *stmts[JOURNAL_STMT_N];
    int lock_fd;
    char *path;
};

DEFINE_TRIVIAL_CLEANUP_FUNC(sqlite3_stmt *, sqlite3_finalize);

static int journal_errno(int rc);

/* Readies a cached statement for its next use; for _cleanup_. */
static void journal_stmt_resetp(sqlite3_stmt **st)
{
    if (*st) {
        sqlite3_reset(*st);
        sqlite3_clear_bindings(*st);
    }
}

/* The cached statement, prepared on first use. Called with j->lock held. */
static int journal_stmt(struct journal *j, enum journal_stmt_id id, sqlite3_stmt **ret_st)
{
    if (!j->stmts[id]) {
        int rc = sqlite3_prepare_v3(j->db, journal_stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                    &j->stmts[id], NULL);

        if (rc != SQLITE_OK)
            return journal_errno(rc);
    }
    *ret_st = j->stmts[id];
    return 0;
}

/* SQLite's result codes to the errno vmrelay returns. */
static int journal_errno(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_READONLY:
    case SQLITE_PERM:
        return -EACCES;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return -EBADMSG;
    default:
        return -EIO;
    }
}

void journal_entry_done(struct journal_entry *e)
{
    free(e->result);
    *e = (struct journal_entry){0};
}

int journal_default_path(const char *prefix, const char *node, char **ret_path)
{
    char *p;
    int r;

    if (!prefix || strcmp(prefix, "vmrelay") == 0)
        r = asprintf(&p, "%s/journal-%s.db", JOURNAL_DIR_DEFAULT, node);
    else
        r = asprintf(&p, "%s/journal-%s.%s.db", JOURNAL_DIR_DEFAULT, prefix, node);
    if (r < 0)
        return -ENOMEM;
    *ret_path = p;
    return 0;
}

static int journal_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        if (err)
            snprintf(err, errlen, "%s", msg ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return journal_errno(rc);
    }
    return 0;
}

/* auto_vacuum only takes effect before the first table exists, so it
 * comes first; WAL lets a reader never block the writer. */
static const char journal_schema[] =
    "PRAGMA auto_vacuum=INCREMENTAL;"
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS requests ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " kind TEXT NOT NULL,"
    " namespace TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " operation TEXT NOT NULL,"
    " ordering_key TEXT NOT NULL,"
    " started_ms INTEGER NOT NULL,"
    " attempt INTEGER NOT NULL,"
    " finished_ms INTEGER,"
    " result TEXT);"
    "CREATE INDEX IF NOT EXISTS requests_age ON requests(coalesce(finished_ms, started_ms));";

static int journal_schema_check(sqlite3 *db, char *err, size_t errlen)
{
    _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
    char buf[64];
    int version, rc;

    rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        snprintf(err, errlen, "cannot read the schema version: %s", sqlite3_errmsg(db));
        return journal_errno(rc);
    }
    version = sqlite3_column_int(st, 0);
    if (version > JOURNAL_SCHEMA_VERSION) {
        snprintf(err, errlen, "the journal has schema version %d, newer than this worker's %d",
                 version, JOURNAL_SCHEMA_VERSION);
        return -EPROTO;
    }
    if (version == JOURNAL_SCHEMA_VERSION)
        return 0;
    snprintf(buf, sizeof(buf), "PRAGMA user_version=%d", JOURNAL_SCHEMA_VERSION);
    return journal_exec(db, buf, err, errlen);
}

int journal_open(const char *path, struct journal **ret_j, char *err, size_t errlen)
{
    _cleanup_(journal_closep) struct journal *j = NULL;
    char why[512] = "";
    int rc, r;

    j = calloc(1, sizeof(*j));
    if (!j)
        return -ENOMEM;
    j->lock_fd = -EBADF;
    pthread_mutex_init(&j->lock, NULL);
    j->path = strdup(path);
    if (!j->path)
        return -ENOMEM;

    r = journal_mkdir_parents(path);
    if (r < 0) {
        snprintf(err, errlen, "cannot create the folder of the journal %s: %s", path,
                 strerror(-r));
        return r;
    }
    r = journal_lock_take(path, err, errlen);
    if (r < 0)
        return r;
    j->lock_fd = r;

    rc = sqlite3_open_v2(path, &j->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open the journal %s: %s", path,
                 j->db ? sqlite3_errmsg(j->db) : sqlite3_errstr(rc));
        return journal_errno(rc);
    }
    sqlite3_busy_timeout(j->db, JOURNAL_BUSY_TIMEOUT_MS);
    r = journal_exec(j->db, journal_schema, why, sizeof(why));
    if (r >= 0)
        r = journal_schema_check(j->db, why, sizeof(why));
    if (r < 0) {
        snprintf(err, errlen, "the journal %s cannot be used: %s", path, why);
        return r;
    }
    *ret_j = TAKE_PTR(j);
    return 0;
}

void journal_close(struct journal *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < JOURNAL_STMT_N; i++)
        sqlite3_finalize(j->stmts[i]);
    if (j->db)
        sqlite3_close(j->db);
    if (j->lock_fd >= 0)
        close(j->lock_fd);
    pthread_mutex_destroy(&j->lock);
    free(j->path);
    free(j);
}

static char *column_strdup(sqlite3_stmt *st, int col)
{
    const unsigned char *text = sqlite3_column_text(st, col);

    return text ? strdup((const char *)text) : NULL;
}

static int journal_lookup_locked(struct journal *j, const char *id,
                                 struct journal_entry *ret_entry)
{
    _cleanup_(journal_stmt_resetp) sqlite3_stmt *st = NULL;
    struct journal_entry e = {0};
    int rc, r;

    r = journal_stmt(j, JOURNAL_STMT_LOOKUP, &st);
    if (r < 0)
        return r;
    rc = sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        *ret_entry = e;
        return 0;
    }
    if (rc != SQLITE_ROW)
        return journal_errno(rc);

    e.attempt = sqlite3_column_int(st, 0);
    e.started_ms = sqlite3_column_int64(st, 1);
    e.state = JOURNAL_IN_FLIGHT;
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
        e.state = JOURNAL_FINISHED;
        e.finished_ms = sqlite3_column_int64(st, 2);
        e.result = column_strdup(st, 3);
        if (!e.result)
            return -ENOMEM;
    }
    *ret_entry = e;
    return 0;
}

int journal_lookup(struct journal *j, const char *id, struct journal_entry *ret_entry)
{
    int r;

    pthread_mutex_lock(&j->lock);
    r = journal_lookup_locked(j, id, ret_entry);
    pthread_mutex_unlock(&j->lock);
    return r;
}

static int journal_start_locked(struct journal *j, const struct journal_start *rec)
{
    _cleanup_(journal_stmt_resetp) sqlite3_stmt *st = NULL;
    int rc, r;

    r = journal_stmt(j, JOURNAL_STMT_START, &st);
    if (r < 0)
        return r;
    sqlite3_bind_text(st, 1, rec->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, rec->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, rec->namespace ? rec->namespace : "default", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, rec->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, rec->operation, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, rec->key ? rec->key : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, rec->started_ms);
    sqlite3_bind_int(st, 8, rec->attempt);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return journal_errno(rc);
    return sqlite3_changes(j->db) == 1 ? 0 : -EEXIST;
}

int journal_start(struct journal *j, const struct journal_start *rec)
{
    int r;

    if (!rec->id || !rec->kind || !rec->name || !rec->operation)
        return -EINVAL;
    pthread_mutex_lock(&j->lock);
    r = journal_start_locked(j, rec);
    pthread_mutex_unlock(&j->lock);
    if (r < 0 && r != -EEXIST)
        log_debug("Cannot record the start of %s in the journal %s: %s", rec->id, j->path,
                  sqlite3_errmsg(j->db));
    return r;
}

static int journal_finish_locked(struct journal *j, const char *id, int64_t finished_ms,
                                 const char *result)
{
    _cleanup_(journal_stmt_resetp) sqlite3_stmt *st = NULL;
    int rc, r;

    r = journal_stmt(j, JOURNAL_STMT_FINISH, &st);
    if (r < 0)
        return r;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, finished_ms);
    sqlite3_bind_text(st, 3, result, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return journal_errno(rc);
    return sqlite3_changes(j->db) == 1 ? 0 : -ENOENT;
}

int journal_finish(struct journal *j, const char *id, int64_t finished_ms, const char *result)
{
    int r;

    if (!id || !result)
        return -EINVAL;
    if (strlen(result) > JOURNAL_RESULT_MAX)
        return -EMSGSIZE;
    pthread_mutex_lock(&j->lock);
    r = journal_finish_locked(j, id, finished_ms, result);
    pthread_mutex_unlock(&j->lock);
    return r;
}

static int journal_delete(sqlite3 *db, const char *sql, int64_t value, int *removed)
{
    _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
    int rc;

    rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return journal_errno(rc);
    sqlite3_bind_int64(st, 1, value);
    rc = sqlite3_step(st);
    if (rc != SQLITE_DONE)
        return journal_errno(rc);
    *removed += sqlite3_changes(db);
    return 0;
}

static int journal_prune_locked(struct journal *j, int64_t before_ms, int64_t max_entries)
{
    int removed = 0, r;

    /* An entry never finished and this old belongs to a message Kafka no
     * longer holds: it cannot be delivered again. */
    r = journal_delete(j->db, "DELETE FROM requests WHERE coalesce(finished_ms, started_ms) < ?1",
                       before_ms, &removed);
    if (r < 0)
        return r;
    r = journal_delete(j->db,
                       "DELETE FROM requests WHERE id IN (SELECT id FROM requests "
                       "WHERE result IS NOT NULL ORDER BY finished_ms DESC "
                       "LIMIT -1 OFFSET ?1)", max_entries, &removed);
    if (r < 0)
        return r;
    if (removed > 0) {
        r = journal_exec(j->db, "PRAGMA incremental_vacuum", NULL, 0);
        if (r < 0)
            return r;
    }
    return removed;
}

int journal_prune(struct journal *j, int64_t before_ms, int64_t max_entries)
{
    int r;

    if (max_entries < 0)
        return -EINVAL;
    pthread_mutex_lock(&j->lock);
    r = journal_prune_locked(j, before_ms, max_entries);
    pthread_mutex_unlock(&j->lock);
    return r;
}

int journal_count(struct journal *j, int64_t *ret_finished, int64_t *ret_in_flight)
{
    _cleanup_(sqlite3_finalizep) sqlite3_stmt *st = NULL;
    int64_t finished, in_flight;
    int rc;

    pthread_mutex_lock(&j->lock);
    rc = sqlite3_prepare_v2(j->db,
                            "SELECT count(result), count(*) - count(result) FROM requests", -1,
                            &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    finished = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    in_flight = rc == SQLITE_ROW ? sqlite3_column_int64(st, 1) : 0;
    pthread_mutex_unlock(&j->lock);
    if (rc != SQLITE_ROW)
        return journal_errno(rc);
    *ret_finished = finished;
    *ret_in_flight = in_flight;
    return 0;
}
