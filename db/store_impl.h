/*
 * store_impl.h - what the files of db/ share and nobody else sees: the body of struct db, the
 * schema steps, and small helpers around SQLite (error messages that name the file, NULL as NaN,
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
 * BEGIN IMMEDIATE / COMMIT, and a ROLLBACK that never fails loudly (used on error paths).
 * Inside an open transaction (a batch) they nest as savepoints, so a failing write rolls back
 * only itself.
 */
int db_begin(struct db *db, char **cause);
int db_commit(struct db *db, char **cause);
void db_rollback(struct db *db);

/* Binding helpers: NaN binds as NULL (SQLite would do so too; said here on purpose), a NULL
 * text as NULL, an id of 0 as NULL. */
int db_bind_double(sqlite3_stmt *st, int i, double v);
int db_bind_text(sqlite3_stmt *st, int i, const char *s);
int db_bind_id(sqlite3_stmt *st, int i, int64_t id);
/* Column helpers: NULL reads as NaN, as NULL (text) or as 0 (integers); text is copied. */
double db_column_double(sqlite3_stmt *st, int i);
char *db_column_strdup(sqlite3_stmt *st, int i);

/* Parsing the names stored in the run.kind, run.state and sample.phase columns. */
int db_run_kind_parse(const char *name);  /* enum db_run_kind or -1 */
int db_state_parse(const char *name);     /* enum db_run_state or -1 */
int db_phase_parse(const char *name);     /* enum db_phase or -1 */

/* Schema (db/schema.c): the number of steps, and migration from the current user_version up to
 * target, each step in its own BEGIN IMMEDIATE transaction that also sets user_version. */
int db_schema_latest(void);
int db_schema_migrate(struct db *db, int target, char **cause);

#endif
