/*
 * store_impl.h - what the files of db/ share and nobody else sees: the body of struct db, the
 * schema steps, and small helpers around SQLite (db/sqlite.c: error messages that name the
 * file, NULL as NaN, statements run in one call with their parameters given as values,
 * transactions).
 *
 * Only db/ includes this header (it pulls in <sqlite3.h>).  Every helper that can fail follows
 * the project rule: -1 with an allocated *cause.
 */
#ifndef FBW_DB_STORE_IMPL_H
#define FBW_DB_STORE_IMPL_H

#include <sqlite3.h>
#include <stdint.h>

#include "db/store.h"

/* PRAGMA application_id of every fbw store: "fbw1" in ASCII. */
#define DB_APPLICATION_ID 0x66627731

struct db {
    sqlite3 *sql;
    char *path;         /* as given to db_open, for messages */
    int version;        /* PRAGMA user_version after opening (and migrating) */
    int readonly;
    int depth;          /* open transactions: 1 = BEGIN IMMEDIATE, more = savepoints inside */
};

/* Integer milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t db_now_ms(void);

/*
 * Fills *cause from an SQLite result code rc (the failing call's) and returns -1.  Disk full,
 * locks and corruption get their own messages naming the file; anything else reads
 * "<what> in '<path>': <sqlite message>".
 */
int db_fail(struct db *db, int rc, const char *what, char **cause);

/* sqlite3_prepare_v2 with db_fail on error (*st is NULL then). */
int db_prepare(struct db *db, const char *sql, sqlite3_stmt **st, char **cause);
/* Runs SQL without results (several statements allowed). */
int db_exec(struct db *db, const char *sql, const char *what, char **cause);

/* Steps a statement that returns no row and resets it for the next use. */
int db_step_done(struct db *db, sqlite3_stmt *st, const char *what, char **cause);
/*
 * The integer in the first column of sql's one row (a pragma or a count).  This is often the
 * first read of a file, so SQLITE_NOTADB reads "'<path>' is not a database".
 */
int db_read_int(struct db *db, const char *sql, const char *what, int *value, char **cause);

/*
 * Statement parameters as values, for the helpers below that prepare, bind, step and finalize
 * in one call: DB_INT(v), DB_ID(v) (0 binds NULL) and DB_TEXT(s) (NULL binds NULL).  They bind
 * to ?1, ?2, ... in order; those past the statement's last parameter are left out, so one list
 * can serve statements that use only its first few.
 */
struct db_arg {
    enum db_arg_type { DB_ARG_INT, DB_ARG_ID, DB_ARG_TEXT } type;
    int64_t i;
    const char *s;
};
#define DB_INT(v)  ((struct db_arg){ .type = DB_ARG_INT, .i = (v) })
#define DB_ID(v)   ((struct db_arg){ .type = DB_ARG_ID, .i = (v) })
#define DB_TEXT(v) ((struct db_arg){ .type = DB_ARG_TEXT, .s = (v) })
#define DB_NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Runs one statement that returns no row: 0 and, when changes is not NULL, the number of rows
 * it changed, or -1 with db_fail(what). */
int db_write(struct db *db, const char *sql, const struct db_arg *args, int nargs,
             const char *what, int *changes, char **cause);
/* Runs a query and hands each row to row(st, ctx) in turn: 0, or -1 with db_fail(what). */
int db_query_each(struct db *db, const char *sql, const struct db_arg *args, int nargs,
                  const char *what, void (*row)(sqlite3_stmt *st, void *ctx), void *ctx,
                  char **cause);
/*
 * Runs a query up to its first row: 0 with *st on it, 1 when there is none, -1 with
 * db_fail(what).  The caller reads the columns and finalizes *st in every case (NULL-safe):
 *     int found = db_query_row(db, sql, args, n, what, &st, cause);
 *     if (found == 0) ...read st...;
 *     sqlite3_finalize(st);
 */
int db_query_row(struct db *db, const char *sql, const struct db_arg *args, int nargs,
                 const char *what, sqlite3_stmt **st, char **cause);
/* db_query_row for a query that always has a row (an aggregate, a row just written): no row
 * is an error too, so it returns 0 or -1. */
int db_query_one(struct db *db, const char *sql, const struct db_arg *args, int nargs,
                 const char *what, sqlite3_stmt **st, char **cause);

/*
 * BEGIN IMMEDIATE, and its end: COMMIT when ok, else a ROLLBACK that never fails loudly; db_end
 * returns 0 only when it committed.  Inside an open transaction (a batch) they nest as
 * savepoints, so a failing write rolls back only itself.  A write reads
 *     if (db_begin(db, cause) != 0) return -1;  ok = a(...) == 0 && b(...) == 0;
 *     return db_end(db, ok, cause);
 */
int db_begin(struct db *db, char **cause);
int db_end(struct db *db, int ok, char **cause);

/* Binding helpers: NaN binds as NULL (SQLite would do so too; said here on purpose), a NULL
 * text as NULL, an id of 0 as NULL. */
int db_bind_double(sqlite3_stmt *st, int i, double v);
int db_bind_text(sqlite3_stmt *st, int i, const char *s);
int db_bind_id(sqlite3_stmt *st, int i, int64_t id);
/* The index of name in names[0 .. count), or -1 (also for a NULL name). */
int db_name_index(const char *const *names, int count, const char *name);
/* The index in names[0 .. count) of the name stored in column i; an unknown name means a
 * broken store: CHECK aborts. */
int db_column_enum(sqlite3_stmt *st, int i, const char *const *names, int count);
/* Column helpers: NULL reads as NaN, as NULL (text) or as 0 (integers); text is copied. */
double db_column_double(sqlite3_stmt *st, int i);
char *db_column_strdup(sqlite3_stmt *st, int i);
/* The enums stored by name (run.kind, run.state, the phase of sample and call rows).  A name
 * this build does not know means a broken store: CHECK aborts. */
enum db_run_kind db_column_kind(sqlite3_stmt *st, int i);
enum db_run_state db_column_state(sqlite3_stmt *st, int i);
enum db_phase db_column_phase(sqlite3_stmt *st, int i);

/* The columns of a summary row after its key, in the order db_column_stats reads them. */
#define DB_STATS_COLUMNS "n, mean, stddev, median, min, max, p5, p25, p75, p95, mad, cv," \
                         " outliers_tukey, outliers_z, first_slow"
/* Fills s from the DB_STATS_COLUMNS starting at column first. */
void db_column_stats(sqlite3_stmt *st, int first, struct stats *s);

/* Schema (db/schema.c): the number of steps, and migration from the current user_version up to
 * target, each step in its own BEGIN IMMEDIATE transaction that also sets user_version. */
/* One generation's sample and call rows (db/store.c), inside the caller's transaction. */
int db_write_rep(struct db *db, int64_t run_id, const struct db_rep *rep, char **cause);

int db_schema_latest(void);
int db_schema_migrate(struct db *db, int target, char **cause);

#endif
