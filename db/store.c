/*
 * store.c - opening, checking and migrating the store, and everything the sweep runner writes:
 * environments, sweeps, the run state machine and a finished run's rows.
 *
 * A file is an fbw store when PRAGMA application_id is DB_APPLICATION_ID; an empty file (no
 * tables, version 0) becomes one on its first writer open.  Any other SQLite file, a non-SQLite
 * file, or a schema newer than this build is refused with a message naming the file.
 *
 * Invariants kept here:
 *   - run.state moves waiting -> running -> complete | failed; failed -> running is a retry,
 *     running -> waiting is crash recovery (db_sweep_recover), complete is final;
 *   - a run becomes complete in the same transaction that writes its samples, calls,
 *     summaries, results, blobs and artifacts, so readers never see half a run;
 *   - blobs are keyed by the SHA-256 of their bytes and written once (INSERT OR IGNORE).
 * Workload: one writer (the runner, a transaction per finished run, a heartbeat now and then)
 * and any number of readers on other connections, which WAL lets read during a write.
 */
#include "db/store_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "util/sha256.h"

static const char *const db_state_names[DB_STATE_COUNT] = {
    "waiting", "running", "complete", "failed",
};
static const char *const db_phase_names[DB_PHASE_COUNT] = { "compile", "warmup", "measure" };
static const char *const db_kind_names[] = { "cell", "reference" };
static const char *const db_sweep_statuses[] = { "running", "done", "stopped", "failed" };

const char *
db_state_name(enum db_run_state s)
{
    CHECK((unsigned)s < DB_STATE_COUNT);
    return db_state_names[s];
}

const char *
db_phase_name(enum db_phase p)
{
    CHECK((unsigned)p < DB_PHASE_COUNT);
    return db_phase_names[p];
}

const char *
db_run_kind_name(enum db_run_kind k)
{
    CHECK((unsigned)k <= DB_RUN_REFERENCE);
    return db_kind_names[k];
}

static int
db_name_index(const char *const *names, int count, const char *name)
{
    for (int i = 0; name != NULL && i < count; i++) {
        if (strcmp(names[i], name) == 0)
            return i;
    }
    return -1;
}

int
db_state_parse(const char *name)
{
    return db_name_index(db_state_names, DB_STATE_COUNT, name);
}

int
db_phase_parse(const char *name)
{
    return db_name_index(db_phase_names, DB_PHASE_COUNT, name);
}

int
db_run_kind_parse(const char *name)
{
    return db_name_index(db_kind_names, 2, name);
}

/* ---- SQLite helpers (store_impl.h) ---- */

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

int
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

void
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

/* ---- opening ---- */

/* Reads one integer pragma or count; NOTADB here means the file is not SQLite at all. */
static int
db_open_int(struct db *db, const char *sql, int *value, char **cause)
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
        db_fail(db, rc, "cannot read the store header", cause);
    }
    sqlite3_finalize(st);
    return ret;
}

/* Is this an fbw store this build can use?  *fresh: empty file, to be initialised. */
static int
db_open_check(struct db *db, int *fresh, char **cause)
{
    int app, version, tables;
    if (db_open_int(db, "PRAGMA application_id", &app, cause) != 0 ||
        db_open_int(db, "PRAGMA user_version", &version, cause) != 0 ||
        db_open_int(db, "SELECT count(*) FROM sqlite_master", &tables, cause) != 0)
        return -1;
    *fresh = app == 0 && version == 0 && tables == 0;
    if (*fresh)
        return 0;
    if (app != DB_APPLICATION_ID)
        return err_set(cause, "'%s' is not an fbw store (an SQLite database of another program)",
                       db->path);
    if (version > db_schema_latest())
        return err_set(cause, "'%s' was written by a newer fbw (schema %d > %d); upgrade fbw",
                       db->path, version, db_schema_latest());
    db->version = version;
    return 0;
}

/* Opens path; a writer migrates up to target, a reader requires the latest schema. */
static int
db_open_impl(const char *path, int readonly, int target, struct db **out, char **cause)
{
    struct db *db = xcalloc(1, sizeof *db);
    int fresh = 0;
    db->path = xstrdup(path);
    db->readonly = readonly;
    int flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path, &db->sql, flags, NULL);
    if (rc != SQLITE_OK) {
        err_set(cause, "cannot open database '%s': %s", path,
                db->sql != NULL ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_extended_result_codes(db->sql, 1);
    if (db_exec(db, "PRAGMA busy_timeout = 5000", "cannot set the busy timeout", cause) != 0 ||
        db_open_check(db, &fresh, cause) != 0)
        goto fail;
    if (readonly && (fresh || db->version < db_schema_latest())) {
        if (fresh)
            err_set(cause, "'%s' is empty, not an fbw store", path);
        else
            err_set(cause, "'%s' has schema %d but this fbw reads %d; open it once with a "
                    "writer (e.g. fbw sweep) to migrate it", path, db->version,
                    db_schema_latest());
        goto fail;
    }
    if (!readonly && db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
                             "cannot switch to WAL mode", cause) != 0)
        goto fail;
    if (db_exec(db, "PRAGMA foreign_keys = ON", "cannot enable foreign keys", cause) != 0)
        goto fail;
    if (!readonly && db_schema_migrate(db, target, cause) != 0)
        goto fail;
    *out = db;
    return 0;
fail:
    db_close(db);
    *out = NULL;
    return -1;
}

int
db_open(const char *path, struct db **out, char **cause)
{
    return db_open_impl(path, 0, db_schema_latest(), out, cause);
}

int
db_open_at_version(const char *path, int version, struct db **out, char **cause)
{
    CHECK(version >= 1 && version <= db_schema_latest());
    return db_open_impl(path, 0, version, out, cause);
}

int
db_open_readonly(const char *path, struct db **out, char **cause)
{
    return db_open_impl(path, 1, db_schema_latest(), out, cause);
}

void
db_close(struct db *db)
{
    if (db == NULL)
        return;
    sqlite3_close_v2(db->sql);
    free(db->path);
    free(db);
}

int
db_schema_version(struct db *db)
{
    return db->version;
}

int
db_latest_version(void)
{
    return db_schema_latest();
}

/* ---- environments and sweeps ---- */

int
db_env_intern(struct db *db, const char *json, int64_t *id, char **cause)
{
    char hash[SHA256_HEX_SIZE];
    sqlite3_stmt *ins = NULL, *sel = NULL;
    int ret = -1, rc;
    sha256_hex(json, strlen(json), hash);
    if (db_prepare(db, "INSERT INTO env(fingerprint, json, created_ms) VALUES(?, ?, ?) "
                   "ON CONFLICT(fingerprint) DO NOTHING", &ins, cause) != 0 ||
        db_prepare(db, "SELECT id FROM env WHERE fingerprint = ?", &sel, cause) != 0)
        goto out;
    sqlite3_bind_text(ins, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 2, json, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 3, db_now_ms());
    if (db_step_done(db, ins, "cannot store the environment", cause) != 0)
        goto out;
    sqlite3_bind_text(sel, 1, hash, -1, SQLITE_STATIC);
    if ((rc = sqlite3_step(sel)) != SQLITE_ROW) {
        db_fail(db, rc, "cannot read the environment back", cause);
        goto out;
    }
    *id = sqlite3_column_int64(sel, 0);
    ret = 0;
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    return ret;
}

/* The sweep row named name, inside the caller's transaction: 0 found, 1 absent, -1 error. */
static int
db_sweep_lookup(struct db *db, const char *name, int64_t *id, char **spec, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "SELECT id, spec FROM sweep WHERE name = ?", &st, cause) != 0)
        goto out;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *spec = db_column_strdup(st, 1);
        ret = 0;
    } else if (rc == SQLITE_DONE) {
        ret = 1;
    } else {
        db_fail(db, rc, "cannot look up the sweep", cause);
    }
out:
    sqlite3_finalize(st);
    return ret;
}

static int
db_sweep_insert(struct db *db, const char *name, const char *spec, int64_t *id, char **cause)
{
    char hash[SHA256_HEX_SIZE];
    sqlite3_stmt *st = NULL;
    int ret = -1;
    int64_t now = db_now_ms();
    sha256_hex(spec, strlen(spec), hash);
    if (db_prepare(db, "INSERT INTO sweep(name, spec, spec_hash, created_ms, updated_ms) "
                   "VALUES(?, ?, ?, ?, ?)", &st, cause) != 0)
        goto out;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, spec, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, now);
    if (db_step_done(db, st, "cannot create the sweep", cause) != 0)
        goto out;
    *id = sqlite3_last_insert_rowid(db->sql);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int
db_sweep_begin(struct db *db, const char *name, const char *spec, int64_t *sweep_id,
               int *resumed, char **cause)
{
    char *old = NULL;
    int ret = -1, found;
    if (db_begin(db, cause) != 0)
        return -1;
    if ((found = db_sweep_lookup(db, name, sweep_id, &old, cause)) < 0)
        goto fail;
    if (found == 0 && strcmp(old, spec) != 0) {
        err_set(cause, "sweep '%s' already exists in '%s' with another spec; resume it with the "
                "same spec or choose another --name", name, db->path);
        goto fail;
    }
    if (found == 1 && db_sweep_insert(db, name, spec, sweep_id, cause) != 0)
        goto fail;
    if (db_commit(db, cause) != 0)
        goto fail;
    *resumed = found == 0;
    ret = 0;
    goto out;
fail:
    db_rollback(db);
out:
    free(old);
    return ret;
}

int
db_sweep_set_status(struct db *db, int64_t sweep_id, const char *status, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_name_index(db_sweep_statuses, 4, status) < 0)
        return err_set(cause, "unknown sweep status '%s' (expected running, done, stopped or "
                       "failed)", status);
    if (db_prepare(db, "UPDATE sweep SET status = ?, updated_ms = ? WHERE id = ?", &st,
                   cause) != 0)
        goto out;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, db_now_ms());
    sqlite3_bind_int64(st, 3, sweep_id);
    if (db_step_done(db, st, "cannot set the sweep status", cause) != 0)
        goto out;
    if (sqlite3_changes(db->sql) == 0) {
        err_set(cause, "no sweep %lld in '%s'", (long long)sweep_id, db->path);
        goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int
db_sweep_recover(struct db *db, int64_t sweep_id, int *count, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "UPDATE run SET state = 'waiting', heartbeat_ms = NULL "
                   "WHERE sweep_id = ? AND state = 'running'", &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, sweep_id);
    if (db_step_done(db, st, "cannot recover the sweep's runs", cause) != 0)
        goto out;
    *count = sqlite3_changes(db->sql);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* ---- runs ---- */

static int
db_run_insert_params(struct db *db, int64_t run_id, const struct db_param *params,
                     size_t nparams, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "INSERT INTO param(run_id, key, value_text, value_num) "
                   "VALUES(?, ?, ?, ?)", &st, cause) != 0)
        goto out;
    for (size_t i = 0; i < nparams; i++) {
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, params[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, params[i].text, -1, SQLITE_STATIC);
        db_bind_double(st, 4, params[i].num);
        if (db_step_done(db, st, "cannot store the run's settings", cause) != 0)
            goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* The run's current state: 0, or -1 with "no run N" when absent. */
static int
db_run_state_get(struct db *db, int64_t run_id, enum db_run_state *state, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "SELECT state FROM run WHERE id = ?", &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        err_set(cause, "no run %lld in '%s'", (long long)run_id, db->path);
        goto out;
    }
    if (rc != SQLITE_ROW) {
        db_fail(db, rc, "cannot read the run's state", cause);
        goto out;
    }
    int s = db_state_parse((const char *)sqlite3_column_text(st, 0));
    CHECK(s >= 0);
    *state = (enum db_run_state)s;
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

static int
db_run_lookup(struct db *db, int64_t sweep_id, const struct db_run_key *key, int64_t *run_id,
              enum db_run_state *state, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "SELECT id, state FROM run "
                   "WHERE sweep_id = ? AND kind = ? AND config_hash = ?", &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, sweep_id);
    sqlite3_bind_text(st, 2, db_run_kind_name(key->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key->config_hash, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        db_fail(db, rc, "cannot read the run back", cause);
        goto out;
    }
    *run_id = sqlite3_column_int64(st, 0);
    int s = db_state_parse((const char *)sqlite3_column_text(st, 1));
    CHECK(s >= 0);
    *state = (enum db_run_state)s;
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int
db_run_ensure(struct db *db, int64_t sweep_id, const struct db_run_key *key,
              const struct db_param *params, size_t nparams, int64_t *run_id,
              enum db_run_state *state, char **cause)
{
    CHECK(key->config_hash != NULL);
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_begin(db, cause) != 0)
        return -1;
    if (db_prepare(db, "INSERT INTO run(sweep_id, kind, number, ix, iy, iz, config_hash, ref_id)"
                   " VALUES(?, ?, ?, ?, ?, ?, ?, ?)"
                   " ON CONFLICT(sweep_id, kind, config_hash) DO NOTHING", &st, cause) != 0)
        goto fail;
    sqlite3_bind_int64(st, 1, sweep_id);
    sqlite3_bind_text(st, 2, db_run_kind_name(key->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, key->number);
    sqlite3_bind_int(st, 4, key->ix);
    sqlite3_bind_int(st, 5, key->iy);
    sqlite3_bind_int(st, 6, key->iz);
    sqlite3_bind_text(st, 7, key->config_hash, -1, SQLITE_STATIC);
    db_bind_id(st, 8, key->ref_id);
    if (db_step_done(db, st, "cannot store the run", cause) != 0)
        goto fail;
    int inserted = sqlite3_changes(db->sql) == 1;
    if (db_run_lookup(db, sweep_id, key, run_id, state, cause) != 0)
        goto fail;
    if (inserted && db_run_insert_params(db, *run_id, params, nparams, cause) != 0)
        goto fail;
    if (db_commit(db, cause) != 0)
        goto fail;
    ret = 0;
    goto out;
fail:
    db_rollback(db);
out:
    sqlite3_finalize(st);
    return ret;
}

/*
 * Runs one UPDATE on run `id` guarded by a state condition; when no row changed, says why with
 * the run's actual state ("cannot <verb> run 5: it is complete").
 */
static int
db_run_update(struct db *db, sqlite3_stmt *st, int64_t run_id, const char *verb, char **cause)
{
    enum db_run_state now;
    if (db_step_done(db, st, verb, cause) != 0)
        return -1;
    if (sqlite3_changes(db->sql) > 0)
        return 0;
    if (db_run_state_get(db, run_id, &now, cause) != 0)
        return -1;
    return err_set(cause, "cannot %s run %lld: it is %s", verb, (long long)run_id,
                   db_state_name(now));
}

int
db_run_start(struct db *db, int64_t run_id, int64_t env_id, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    int64_t now = db_now_ms();
    if (db_prepare(db, "UPDATE run SET state = 'running', started_ms = ?, heartbeat_ms = ?,"
                   " finished_ms = NULL, error = NULL, attempts = attempts + 1, env_id = ?"
                   " WHERE id = ? AND state IN ('waiting', 'failed')", &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, now);
    db_bind_id(st, 3, env_id);
    sqlite3_bind_int64(st, 4, run_id);
    ret = db_run_update(db, st, run_id, "start", cause);
out:
    sqlite3_finalize(st);
    return ret;
}

int
db_run_heartbeat(struct db *db, int64_t run_id, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "UPDATE run SET heartbeat_ms = ? WHERE id = ? AND state = 'running'",
                   &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, db_now_ms());
    sqlite3_bind_int64(st, 2, run_id);
    ret = db_run_update(db, st, run_id, "heartbeat", cause);
out:
    sqlite3_finalize(st);
    return ret;
}

int
db_run_fail(struct db *db, int64_t run_id, const char *error, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    int64_t now = db_now_ms();
    if (db_prepare(db, "UPDATE run SET state = 'failed', error = ?, finished_ms = ?,"
                   " heartbeat_ms = ? WHERE id = ? AND state IN ('waiting', 'running')",
                   &st, cause) != 0)
        goto out;
    db_bind_text(st, 1, error);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, run_id);
    ret = db_run_update(db, st, run_id, "fail", cause);
out:
    sqlite3_finalize(st);
    return ret;
}

/* ---- a finished run, in one transaction ---- */

static int
db_complete_samples(struct db *db, int64_t run_id, const struct db_run_result *r, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "INSERT INTO sample(run_id, phase, rep, key, value) VALUES(?, ?, ?, ?, ?)",
                   &st, cause) != 0)
        goto out;
    for (size_t i = 0; i < r->nreps; i++) {
        const struct db_rep *rep = &r->reps[i];
        const char *keys[2] = { "wall_ms", "calls_ms" };
        double values[2] = { rep->wall_ms, rep->calls_ms };
        for (int k = 0; k < 2; k++) {
            sqlite3_bind_int64(st, 1, run_id);
            sqlite3_bind_text(st, 2, db_phase_name(rep->phase), -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 3, rep->rep);
            sqlite3_bind_text(st, 4, keys[k], -1, SQLITE_STATIC);
            db_bind_double(st, 5, values[k]);
            if (db_step_done(db, st, "cannot store the timings", cause) != 0)
                goto out;
        }
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

static int
db_complete_calls(struct db *db, int64_t run_id, const struct db_run_result *r, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "INSERT INTO call(run_id, phase, rep, idx, step, call, seq, sigma,"
                   " timestep, rel_l1, hit, reason, ms)"
                   " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st, cause) != 0)
        goto out;
    for (size_t i = 0; i < r->nreps; i++) {
        const struct db_rep *rep = &r->reps[i];
        for (size_t j = 0; rep->trace != NULL && j < rep->trace->count; j++) {
            const struct trace_record *c = &rep->trace->records[j];
            sqlite3_bind_int64(st, 1, run_id);
            sqlite3_bind_text(st, 2, db_phase_name(rep->phase), -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 3, rep->rep);
            sqlite3_bind_int64(st, 4, (int64_t)j);
            sqlite3_bind_int(st, 5, c->step);
            sqlite3_bind_int(st, 6, c->call);
            sqlite3_bind_int(st, 7, c->seq);
            db_bind_double(st, 8, c->sigma);
            db_bind_double(st, 9, c->timestep);
            db_bind_double(st, 10, c->rel_l1);
            sqlite3_bind_int(st, 11, c->hit != 0);
            sqlite3_bind_text(st, 12, trace_reason_name(c->reason), -1, SQLITE_STATIC);
            db_bind_double(st, 13, c->ms);
            if (db_step_done(db, st, "cannot store the trace", cause) != 0)
                goto out;
        }
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

static int
db_complete_summaries(struct db *db, int64_t run_id, const struct db_run_result *r,
                      char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "INSERT INTO summary(run_id, key, n, mean, stddev, median, min, max,"
                   " p5, p25, p75, p95, mad, cv, outliers_tukey, outliers_z, first_slow)"
                   " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &st,
                   cause) != 0)
        goto out;
    for (size_t i = 0; i < r->nsummaries; i++) {
        const struct stats *s = &r->summaries[i].st;
        const double v[] = { s->mean, s->stddev, s->median, s->min, s->max,
                             s->p5, s->p25, s->p75, s->p95, s->mad, s->cv };
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, r->summaries[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, (int64_t)s->n);
        for (int k = 0; k < (int)(sizeof v / sizeof v[0]); k++)
            db_bind_double(st, 4 + k, v[k]);
        sqlite3_bind_int64(st, 15, (int64_t)s->outliers_tukey);
        sqlite3_bind_int64(st, 16, (int64_t)s->outliers_z);
        sqlite3_bind_int(st, 17, s->first_slow != 0);
        if (db_step_done(db, st, "cannot store the summaries", cause) != 0)
            goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

static int
db_complete_metrics(struct db *db, int64_t run_id, const struct db_run_result *r, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "INSERT INTO result(run_id, key, value, text) VALUES(?, ?, ?, ?)", &st,
                   cause) != 0)
        goto out;
    for (size_t i = 0; i < r->nmetrics; i++) {
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_text(st, 2, r->metrics[i].key, -1, SQLITE_STATIC);
        db_bind_double(st, 3, r->metrics[i].value);
        db_bind_text(st, 4, r->metrics[i].text);
        if (db_step_done(db, st, "cannot store the results", cause) != 0)
            goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

static int
db_complete_artifacts(struct db *db, int64_t run_id, const struct db_run_result *r,
                      char **cause)
{
    sqlite3_stmt *blob = NULL, *art = NULL;
    int ret = -1;
    if (db_prepare(db, "INSERT OR IGNORE INTO blob(hash, data, size) VALUES(?, ?, ?)", &blob,
                   cause) != 0 ||
        db_prepare(db, "INSERT INTO artifact(run_id, kind, blob_hash, width, height)"
                   " VALUES(?, ?, ?, ?, ?)", &art, cause) != 0)
        goto out;
    for (size_t i = 0; i < r->nartifacts; i++) {
        const struct db_artifact *a = &r->artifacts[i];
        char hash[SHA256_HEX_SIZE];
        sha256_hex(a->size ? a->png : (const unsigned char *)"", a->size, hash);
        sqlite3_bind_text(blob, 1, hash, -1, SQLITE_STATIC);
        sqlite3_bind_blob64(blob, 2, a->size ? (const void *)a->png : "", a->size,
                            SQLITE_STATIC);
        sqlite3_bind_int64(blob, 3, (int64_t)a->size);
        if (db_step_done(db, blob, "cannot store an image", cause) != 0)
            goto out;
        sqlite3_bind_int64(art, 1, run_id);
        sqlite3_bind_text(art, 2, a->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(art, 3, hash, -1, SQLITE_STATIC);
        sqlite3_bind_int(art, 4, a->width);
        sqlite3_bind_int(art, 5, a->height);
        if (db_step_done(db, art, "cannot store an artifact", cause) != 0)
            goto out;
    }
    ret = 0;
out:
    sqlite3_finalize(blob);
    sqlite3_finalize(art);
    return ret;
}

static int
db_complete_mark(struct db *db, int64_t run_id, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    int64_t now = db_now_ms();
    if (db_prepare(db, "UPDATE run SET state = 'complete', finished_ms = ?, heartbeat_ms = ?,"
                   " error = NULL WHERE id = ? AND state = 'running'", &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, run_id);
    ret = db_run_update(db, st, run_id, "complete", cause);
out:
    sqlite3_finalize(st);
    return ret;
}

int
db_run_complete(struct db *db, int64_t run_id, const struct db_run_result *r, char **cause)
{
    enum db_run_state state;
    if (db_begin(db, cause) != 0)
        return -1;
    if (db_run_state_get(db, run_id, &state, cause) != 0)
        goto fail;
    if (state != DB_RUNNING) {
        err_set(cause, "cannot complete run %lld: it is %s", (long long)run_id,
                db_state_name(state));
        goto fail;
    }
    if (db_complete_samples(db, run_id, r, cause) != 0 ||
        db_complete_calls(db, run_id, r, cause) != 0 ||
        db_complete_summaries(db, run_id, r, cause) != 0 ||
        db_complete_metrics(db, run_id, r, cause) != 0 ||
        db_complete_artifacts(db, run_id, r, cause) != 0 ||
        db_complete_mark(db, run_id, cause) != 0 ||
        db_commit(db, cause) != 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

/* ---- reading back what the runner needs ---- */

int
db_summary_get(struct db *db, int64_t run_id, const char *key, struct stats *out, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "SELECT n, mean, stddev, median, min, max, p5, p25, p75, p95, mad, cv,"
                   " outliers_tukey, outliers_z, first_slow FROM summary"
                   " WHERE run_id = ? AND key = ?", &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        ret = 1;
        goto out;
    }
    if (rc != SQLITE_ROW) {
        db_fail(db, rc, "cannot read a summary", cause);
        goto out;
    }
    memset(out, 0, sizeof *out);
    out->n = (size_t)sqlite3_column_int64(st, 0);
    double *v[] = { &out->mean, &out->stddev, &out->median, &out->min, &out->max,
                    &out->p5, &out->p25, &out->p75, &out->p95, &out->mad, &out->cv };
    for (int k = 0; k < (int)(sizeof v / sizeof v[0]); k++)
        *v[k] = db_column_double(st, 1 + k);
    out->outliers_tukey = (size_t)sqlite3_column_int64(st, 12);
    out->outliers_z = (size_t)sqlite3_column_int64(st, 13);
    out->first_slow = sqlite3_column_int(st, 14);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

int
db_artifact_get(struct db *db, int64_t run_id, const char *kind, unsigned char **data,
                size_t *size, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    if (db_prepare(db, "SELECT b.data FROM artifact a JOIN blob b ON b.hash = a.blob_hash"
                   " WHERE a.run_id = ? AND a.kind = ?", &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        ret = 1;
        goto out;
    }
    if (rc != SQLITE_ROW) {
        db_fail(db, rc, "cannot read an artifact", cause);
        goto out;
    }
    const void *p = sqlite3_column_blob(st, 0);
    *size = (size_t)sqlite3_column_bytes(st, 0);
    *data = xmalloc(*size);
    if (*size > 0)
        memcpy(*data, p, *size);
    ret = 0;
out:
    sqlite3_finalize(st);
    return ret;
}

/* ---- batches ---- */

int
db_batch_begin(struct db *db, char **cause)
{
    CHECK(db->depth == 0);
    return db_begin(db, cause);
}

int
db_batch_end(struct db *db, int commit, char **cause)
{
    CHECK(db->depth == 1);
    if (commit && db_commit(db, cause) == 0)
        return 0;
    db_rollback(db);
    return commit ? -1 : 0;
}

/* ---- tags (schema 2) ---- */

int
db_tag_set(struct db *db, int64_t run_id, const char *key, const char *value, char **cause)
{
    sqlite3_stmt *st = NULL;
    int ret = -1;
    const char *sql = value != NULL
        ? "INSERT INTO tag(run_id, key, value, updated_ms) VALUES(?1, ?2, ?3, ?4)"
          " ON CONFLICT(run_id, key) DO UPDATE SET value = ?3, updated_ms = ?4"
        : "DELETE FROM tag WHERE run_id = ?1 AND key = ?2";
    if (db_prepare(db, sql, &st, cause) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (value != NULL) {
        sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, db_now_ms());
    }
    ret = db_step_done(db, st, "cannot set the tag", cause);
out:
    sqlite3_finalize(st);
    return ret;
}
