/*
 * sqlite.c - the small helpers around SQLite that every file of db/ uses (declared in
 * store_impl.h): error messages that name the file, statements prepared, bound, stepped and
 * finalized in one call with their parameters given as values, nested transactions, NULL read
 * as NaN, enums stored by name.  Nothing here knows fbw's schema.
 */
#include "db/store_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

/* The index of name in names, or -1 (also for NULL). */
int
db_name_index(const char *const *names, int count, const char *name)
{
    for (int i = 0; name != NULL && i < count; i++) {
        if (strcmp(names[i], name) == 0)
            return i;
    }
    return -1;
}


int64_t
db_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
db_fail(struct db *db, int rc, const char *what, char **cause)
{
    switch (rc & 0xff) {
    case SQLITE_FULL:
        return err_set(cause, "disk full writing '%s'", db->path);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return err_set(cause, "database '%s' is locked by another process", db->path);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return err_set(cause, "'%s' is corrupt or not a database", db->path);
    default:
        return err_set(cause, "%s in '%s': %s", what, db->path, sqlite3_errmsg(db->sql));
    }
}

int
db_prepare(struct db *db, const char *sql, sqlite3_stmt **st, char **cause)
{
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, st, NULL);
    if (rc != SQLITE_OK) {
        *st = NULL;
        return db_fail(db, rc, "cannot prepare a statement", cause);
    }
    return 0;
}

int
db_exec(struct db *db, const char *sql, const char *what, char **cause)
{
    int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : db_fail(db, rc, what, cause);
}

int
db_step_done(struct db *db, sqlite3_stmt *st, const char *what, char **cause)
{
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return db_fail(db, rc, what, cause);
    sqlite3_reset(st);
    return 0;
}

int
db_read_int(struct db *db, const char *sql, const char *what, int *value, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *value = sqlite3_column_int(st, 0);
        ret = 0;
    } else if ((rc & 0xff) == SQLITE_NOTADB) {
        err_set(cause, "'%s' is not a database", db->path);
    } else {
        db_fail(db, rc, what, cause);
    }
    sqlite3_finalize(st);
    return ret;
}

int
db_begin(struct db *db, char **cause)
{
    if (db->depth > 0 && sqlite3_get_autocommit(db->sql))
        return err_set(cause, "the open batch on '%s' was rolled back by an earlier error",
                       db->path);
    const char *sql = db->depth > 0 ? "SAVEPOINT db_nested" : "BEGIN IMMEDIATE";
    if (db_exec(db, sql, "cannot begin a transaction", cause) != 0)
        return -1;
    db->depth++;
    return 0;
}

static int
db_commit(struct db *db, char **cause)
{
    CHECK(db->depth > 0);
    if (sqlite3_get_autocommit(db->sql))
        return err_set(cause, "the transaction on '%s' was rolled back by an earlier error",
                       db->path);
    const char *sql = db->depth > 1 ? "RELEASE db_nested" : "COMMIT";
    if (db_exec(db, sql, "cannot commit", cause) != 0)
        return -1;
    db->depth--;
    return 0;
}

static void
db_rollback(struct db *db)
{
    if (db->depth == 0)
        return;
    if (sqlite3_get_autocommit(db->sql))
        db->depth = 0;          /* SQLite already rolled the whole transaction back */
    else if (db->depth > 1)
        sqlite3_exec(db->sql, "ROLLBACK TO db_nested; RELEASE db_nested", NULL, NULL, NULL);
    else
        sqlite3_exec(db->sql, "ROLLBACK", NULL, NULL, NULL);
    if (db->depth > 0)
        db->depth--;
}

int
db_end(struct db *db, int ok, char **cause)
{
    if (ok && db_commit(db, cause) == 0)
        return 0;
    db_rollback(db);
    return -1;
}

int
db_bind_double(sqlite3_stmt *st, int i, double v)
{
    return isnan(v) ? sqlite3_bind_null(st, i) : sqlite3_bind_double(st, i, v);
}

int
db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s == NULL ? sqlite3_bind_null(st, i) : sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

int
db_bind_id(sqlite3_stmt *st, int i, int64_t id)
{
    return id == 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, id);
}

double
db_column_double(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

char *
db_column_strdup(sqlite3_stmt *st, int i)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    return s == NULL ? NULL : xstrdup((const char *)s);
}

/* An enum stored by its name in column i. */
int
db_column_enum(sqlite3_stmt *st, int i, const char *const *names, int count)
{
    int v = db_name_index(names, count, (const char *)sqlite3_column_text(st, i));
    CHECK(v >= 0);
    return v;
}

static void
db_bind_args(sqlite3_stmt *st, const struct db_arg *args, int nargs)
{
    int n = sqlite3_bind_parameter_count(st);
    for (int i = 0; i < nargs && i < n; i++) {
        switch (args[i].type) {
        case DB_ARG_INT:
            sqlite3_bind_int64(st, i + 1, args[i].i);
            break;
        case DB_ARG_ID:
            db_bind_id(st, i + 1, args[i].i);
            break;
        case DB_ARG_TEXT:
            db_bind_text(st, i + 1, args[i].s);
            break;
        }
    }
}

int
db_write(struct db *db, const char *sql, const struct db_arg *args, int nargs, const char *what,
         int *changes, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, sql, &st, cause) != 0)
        goto out;
    db_bind_args(st, args, nargs);
    if (db_step_done(db, st, what, cause) != 0)
        goto out;
    if (changes != NULL)
        *changes = sqlite3_changes(db->sql);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* Steps a statement that returns rows: 0 with a row, 1 when there is none (left), -1 on error. */
static int
db_step_row(struct db *db, sqlite3_stmt *st, const char *what, char **cause)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? 1 : db_fail(db, rc, what, cause);
}

int
db_query_each(struct db *db, const char *sql, const struct db_arg *args, int nargs,
              const char *what, void (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
              char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1, rc;
    if (db_prepare(db, sql, &st, cause) != 0)
        goto out;
    db_bind_args(st, args, nargs);
    while ((rc = db_step_row(db, st, what, cause)) == 0)
        row(st, ctx);
    ret = rc < 0 ? -1 : 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int
db_query_row(struct db *db, const char *sql, const struct db_arg *args, int nargs,
             const char *what, sqlite3_stmt **st, char **cause)
{
    if (db_prepare(db, sql, st, cause) != 0)
        return -1;
    db_bind_args(*st, args, nargs);
    return db_step_row(db, *st, what, cause);
}

int
db_query_one(struct db *db, const char *sql, const struct db_arg *args, int nargs,
             const char *what, sqlite3_stmt **st, char **cause)
{
    int found = db_query_row(db, sql, args, nargs, what, st, cause);
    /* SQLITE_DONE gives the message the failing step would give */
    return found == 1 ? db_fail(db, SQLITE_DONE, what, cause) : found;
}
