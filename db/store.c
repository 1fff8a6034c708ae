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

static const char *const db_state_names[] = {
    "waiting", "running", "complete", "failed",
};
NAME_TABLE_CHECK(db_state_names, DB_STATE_COUNT);
static const char *const db_phase_names[] = { "compile", "warmup", "measure" };
NAME_TABLE_CHECK(db_phase_names, DB_PHASE_COUNT);
static const char *const db_kind_names[] = { "cell", "reference" };
NAME_TABLE_CHECK(db_kind_names, DB_RUN_KIND_COUNT);
/* sweep.status: the only values db_sweep_set_status accepts. */
enum db_sweep_status { DB_SWEEP_RUNNING, DB_SWEEP_DONE, DB_SWEEP_STOPPED, DB_SWEEP_FAILED,
                       DB_SWEEP_STATUS_COUNT };
static const char *const db_sweep_statuses[] = { "running", "done", "stopped", "failed" };
NAME_TABLE_CHECK(db_sweep_statuses, DB_SWEEP_STATUS_COUNT);

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
    CHECK((unsigned)k < DB_RUN_KIND_COUNT);
    return db_kind_names[k];
}

enum db_run_kind
db_column_kind(sqlite3_stmt *st, int i)
{
    return (enum db_run_kind)db_column_enum(st, i, db_kind_names, DB_RUN_KIND_COUNT);
}

enum db_run_state
db_column_state(sqlite3_stmt *st, int i)
{
    return (enum db_run_state)db_column_enum(st, i, db_state_names, DB_STATE_COUNT);
}

enum db_phase
db_column_phase(sqlite3_stmt *st, int i)
{
    return (enum db_phase)db_column_enum(st, i, db_phase_names, DB_PHASE_COUNT);
}

void
db_column_stats(sqlite3_stmt *st, int first, struct stats *s)
{
    memset(s, 0, sizeof *s);
    s->n = (size_t)sqlite3_column_int64(st, first);
    double *v[] = { &s->mean, &s->stddev, &s->median, &s->min, &s->max,
                    &s->p5, &s->p25, &s->p75, &s->p95, &s->mad, &s->cv };
    for (int k = 0; k < (int)(sizeof v / sizeof v[0]); k++)
        *v[k] = db_column_double(st, first + 1 + k);
    s->outliers_tukey = (size_t)sqlite3_column_int64(st, first + 12);
    s->outliers_z = (size_t)sqlite3_column_int64(st, first + 13);
    s->first_slow = sqlite3_column_int(st, first + 14);
}

/* ---- opening ---- */

/* Is this an fbw store this build can use?  *fresh: empty file, to be initialised. */
static int
db_open_check(struct db *db, int *fresh, char **cause)
{
    const char *what = "cannot read the store header";
    int app, version, tables;
    if (db_read_int(db, "PRAGMA application_id", what, &app, cause) != 0 ||
        db_read_int(db, "PRAGMA user_version", what, &version, cause) != 0 ||
        db_read_int(db, "SELECT count(*) FROM sqlite_master", what, &tables, cause) != 0)
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
    sqlite3_stmt *st = NULL;
    sha256_hex(json, strlen(json), hash);
    const struct db_arg args[] = { DB_TEXT(hash), DB_TEXT(json), DB_INT(db_now_ms()) };
    if (db_write(db, "INSERT INTO env(fingerprint, json, created_ms) VALUES(?, ?, ?) "
                 "ON CONFLICT(fingerprint) DO NOTHING", args, DB_NARGS(args),
                 "cannot store the environment", NULL, cause) != 0)
        return -1;
    int ret = db_query_one(db, "SELECT id FROM env WHERE fingerprint = ?", &DB_TEXT(hash), 1,
                           "cannot read the environment back", &st, cause);
    if (ret == 0)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ret;
}

/* The sweep row named name, inside the caller's transaction: 0 found, 1 absent, -1 error. */
static int
db_sweep_lookup(struct db *db, const char *name, int64_t *id, char **spec, char **cause)
{
    sqlite3_stmt *st = NULL;
    int found = db_query_row(db, "SELECT id, spec FROM sweep WHERE name = ?", &DB_TEXT(name), 1,
                             "cannot look up the sweep", &st, cause);
    if (found == 0) {
        *id = sqlite3_column_int64(st, 0);
        *spec = db_column_strdup(st, 1);
    }
    sqlite3_finalize(st);
    return found;
}

static int
db_sweep_insert(struct db *db, const char *name, const char *spec, int64_t *id, char **cause)
{
    char hash[SHA256_HEX_SIZE];
    sha256_hex(spec, strlen(spec), hash);
    const struct db_arg args[] = { DB_TEXT(name), DB_TEXT(spec), DB_TEXT(hash),
                                   DB_INT(db_now_ms()) };
    if (db_write(db, "INSERT INTO sweep(name, spec, spec_hash, created_ms, updated_ms) "
                 "VALUES(?1, ?2, ?3, ?4, ?4)", args, DB_NARGS(args), "cannot create the sweep",
                 NULL, cause) != 0)
        return -1;
    *id = sqlite3_last_insert_rowid(db->sql);
    return 0;
}

/* db_sweep_begin inside its transaction: the sweep found with the same spec, or created. */
static int
db_sweep_find_or_insert(struct db *db, const char *name, const char *spec, int64_t *sweep_id,
                        int *resumed, char **cause)
{
    char *old = NULL;
    int ret = -1;
    int found = db_sweep_lookup(db, name, sweep_id, &old, cause);
    if (found < 0)
        goto out;
    if (found == 0 && strcmp(old, spec) != 0) {
        err_set(cause, "sweep '%s' already exists in '%s' with another spec; resume it with the "
                "same spec or choose another --name", name, db->path);
        goto out;
    }
    if (found == 1 && db_sweep_insert(db, name, spec, sweep_id, cause) != 0)
        goto out;
    *resumed = found == 0;
    ret = 0;
out:
    free(old);
    return ret;
}

int
db_sweep_begin(struct db *db, const char *name, const char *spec, int64_t *sweep_id,
               int *resumed, char **cause)
{
    if (db_begin(db, cause) != 0)
        return -1;
    int ok = db_sweep_find_or_insert(db, name, spec, sweep_id, resumed, cause) == 0;
    return db_end(db, ok, cause);
}

int
db_sweep_set_status(struct db *db, int64_t sweep_id, const char *status, char **cause)
{
    const struct db_arg args[] = { DB_TEXT(status), DB_INT(db_now_ms()), DB_INT(sweep_id) };
    int changes;
    if (db_name_index(db_sweep_statuses, DB_SWEEP_STATUS_COUNT, status) < 0)
        return err_set(cause, "unknown sweep status '%s' (expected running, done, stopped or "
                       "failed)", status);
    if (db_write(db, "UPDATE sweep SET status = ?, updated_ms = ? WHERE id = ?", args,
                 DB_NARGS(args), "cannot set the sweep status", &changes, cause) != 0)
        return -1;
    if (changes == 0)
        return err_set(cause, "no sweep %lld in '%s'", (long long)sweep_id, db->path);
    return 0;
}

int
db_sweep_recover(struct db *db, int64_t sweep_id, int *count, char **cause)
{
    const struct db_arg args[] = { DB_INT(sweep_id) };
    return db_write(db, "UPDATE run SET state = 'waiting', heartbeat_ms = NULL "
                    "WHERE sweep_id = ? AND state = 'running'", args, DB_NARGS(args),
                    "cannot recover the sweep's runs", count, cause);
}

/* ---- runs ---- */

/* Inserts the run unless its (sweep, kind, config_hash) exists; *inserted says which. */
static int
db_run_insert(struct db *db, int64_t sweep_id, const struct db_run_key *key, int *inserted,
              char **cause)
{
    const struct db_arg args[] = {
        DB_INT(sweep_id), DB_TEXT(db_run_kind_name(key->kind)), DB_INT(key->number),
        DB_INT(key->ix), DB_INT(key->iy), DB_INT(key->iz), DB_TEXT(key->config_hash),
        DB_ID(key->ref_id),
    };
    int changes;
    if (db_write(db, "INSERT INTO run(sweep_id, kind, number, ix, iy, iz, config_hash, ref_id)"
                 " VALUES(?, ?, ?, ?, ?, ?, ?, ?)"
                 " ON CONFLICT(sweep_id, kind, config_hash) DO NOTHING", args, DB_NARGS(args),
                 "cannot store the run", &changes, cause) != 0)
        return -1;
    *inserted = changes == 1;
    return 0;
}

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
        db_bind_text(st, 2, params[i].key);
        db_bind_text(st, 3, params[i].text);
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
    int found = db_query_row(db, "SELECT state FROM run WHERE id = ?", &DB_INT(run_id), 1,
                             "cannot read the run's state", &st, cause);
    if (found == 0)
        *state = db_column_state(st, 0);
    else if (found == 1)
        err_set(cause, "no run %lld in '%s'", (long long)run_id, db->path);
    sqlite3_finalize(st);
    return found == 0 ? 0 : -1;
}

static int
db_run_lookup(struct db *db, int64_t sweep_id, const struct db_run_key *key, int64_t *run_id,
              enum db_run_state *state, char **cause)
{
    const struct db_arg args[] = { DB_INT(sweep_id), DB_TEXT(db_run_kind_name(key->kind)),
                                   DB_TEXT(key->config_hash) };
    sqlite3_stmt *st = NULL;
    int ret = db_query_one(db, "SELECT id, state FROM run"
                           " WHERE sweep_id = ? AND kind = ? AND config_hash = ?",
                           args, DB_NARGS(args), "cannot read the run back", &st, cause);
    if (ret == 0) {
        *run_id = sqlite3_column_int64(st, 0);
        *state = db_column_state(st, 1);
    }
    sqlite3_finalize(st);
    return ret;
}

int
db_run_ensure(struct db *db, int64_t sweep_id, const struct db_run_key *key,
              const struct db_param *params, size_t nparams, int64_t *run_id,
              enum db_run_state *state, char **cause)
{
    CHECK(key->config_hash != NULL);
    int inserted = 0;
    if (db_begin(db, cause) != 0)
        return -1;
    int ok = db_run_insert(db, sweep_id, key, &inserted, cause) == 0 &&
             db_run_lookup(db, sweep_id, key, run_id, state, cause) == 0 &&
             (!inserted || db_run_insert_params(db, *run_id, params, nparams, cause) == 0);
    return db_end(db, ok, cause);
}

/*
 * 0 when the run's state is one of allowed (a mask of 1 << state); else -1 with why a change to
 * it is refused, "cannot <verb> run 5: it is complete" (or "no run 5" when there is none).
 */
static int
db_run_allows(struct db *db, int64_t run_id, unsigned allowed, const char *verb, char **cause)
{
    enum db_run_state now;
    if (db_run_state_get(db, run_id, &now, cause) != 0)
        return -1;
    if (allowed & (1u << now))
        return 0;
    return err_set(cause, "cannot %s run %lld: it is %s", verb, (long long)run_id,
                   db_state_name(now));
}

/*
 * Moves a run to another state with sql, an UPDATE guarded by the states it may leave, whose
 * parameters are ?1 the run id, ?2 the time now and, where sql has them, ?3 an env id and ?4 an
 * error text.  When no row changed, the run's actual state says why.
 */
static int
db_run_transition(struct db *db, int64_t run_id, const char *verb, const char *sql,
                  int64_t env_id, const char *error, char **cause)
{
    const struct db_arg args[] = { DB_INT(run_id), DB_INT(db_now_ms()), DB_ID(env_id),
                                   DB_TEXT(error) };
    int changes;
    if (db_write(db, sql, args, DB_NARGS(args), verb, &changes, cause) != 0)
        return -1;
    /* No row changed: the run was in no state sql may move it from. */
    return changes > 0 ? 0 : db_run_allows(db, run_id, 0, verb, cause);
}

int
db_run_start(struct db *db, int64_t run_id, int64_t env_id, char **cause)
{
    return db_run_transition(db, run_id, "start",
                             "UPDATE run SET state = 'running', started_ms = ?2,"
                             " heartbeat_ms = ?2, finished_ms = NULL, error = NULL,"
                             " attempts = attempts + 1, env_id = ?3"
                             " WHERE id = ?1 AND state IN ('waiting', 'failed')",
                             env_id, NULL, cause);
}

int
db_run_heartbeat(struct db *db, int64_t run_id, char **cause)
{
    return db_run_transition(db, run_id, "heartbeat",
                             "UPDATE run SET heartbeat_ms = ?2"
                             " WHERE id = ?1 AND state = 'running'", 0, NULL, cause);
}

int
db_run_fail(struct db *db, int64_t run_id, const char *error, char **cause)
{
    return db_run_transition(db, run_id, "fail",
                             "UPDATE run SET state = 'failed', error = ?4, finished_ms = ?2,"
                             " heartbeat_ms = ?2"
                             " WHERE id = ?1 AND state IN ('waiting', 'running')",
                             0, error, cause);
}

/* ---- a finished run, in one transaction ---- */

/* The statements that write a finished run's rows, prepared once per db_run_complete. */
enum db_complete_stmt {
    DB_COMPLETE_SAMPLE, DB_COMPLETE_CALL, DB_COMPLETE_SUMMARY, DB_COMPLETE_RESULT,
    DB_COMPLETE_BLOB, DB_COMPLETE_ARTIFACT, DB_COMPLETE_COUNT
};

static const char *const db_complete_sql[] = {
    [DB_COMPLETE_SAMPLE] =
        "INSERT INTO sample(run_id, phase, rep, key, value) VALUES(?, ?, ?, ?, ?)",
    [DB_COMPLETE_CALL] =
        "INSERT INTO call(run_id, phase, rep, idx, step, call, seq, sigma, timestep, rel_l1,"
        " hit, reason, ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [DB_COMPLETE_SUMMARY] =
        "INSERT INTO summary(run_id, key, " DB_STATS_COLUMNS ")"
        " VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [DB_COMPLETE_RESULT] = "INSERT INTO result(run_id, key, value, text) VALUES(?, ?, ?, ?)",
    [DB_COMPLETE_BLOB] = "INSERT OR IGNORE INTO blob(hash, data, size) VALUES(?, ?, ?)",
    [DB_COMPLETE_ARTIFACT] =
        "INSERT INTO artifact(run_id, kind, blob_hash, width, height) VALUES(?, ?, ?, ?, ?)",
};
NAME_TABLE_CHECK(db_complete_sql, DB_COMPLETE_COUNT);

/* The run id, phase and repetition that start every sample and call row. */
static void
db_complete_bind_rep(sqlite3_stmt *st, int64_t run_id, const struct db_rep *rep)
{
    sqlite3_bind_int64(st, 1, run_id);
    db_bind_text(st, 2, db_phase_name(rep->phase));
    sqlite3_bind_int(st, 3, rep->rep);
}

/* One repetition: its timings, peak memory and process counters (sample rows), then every
 * record of its trace (call rows). */
static int
db_complete_rep(struct db *db, sqlite3_stmt *sample, sqlite3_stmt *call, int64_t run_id,
                const struct db_rep *rep, char **cause)
{
    const char *keys[9] = { "wall_ms", "calls_ms" };
    double values[9] = { rep->wall_ms, rep->calls_ms };
    int nkeys = 2;
    if (rep->peak_device_bytes > 0) {
        keys[nkeys] = "peak_device_bytes";
        values[nkeys++] = (double)rep->peak_device_bytes;
    }
    if (rep->usage != NULL) {
        const struct usage *u = rep->usage;
        const char *const ukeys[6] = { "cpu_ms", "nvcsw", "nivcsw", "minflt", "majflt",
                                       "disturbed" };
        const double uvals[6] = { 1e3 * u->cpu_s, (double)u->nvcsw, (double)u->nivcsw,
                                  (double)u->minflt, (double)u->majflt, rep->disturbed };
        /* disturbed < 0: not judged yet (a round's generation, judged when its group ends) */
        for (int k = 0; k < (rep->disturbed < 0 ? 5 : 6); k++) {
            keys[nkeys] = ukeys[k];
            values[nkeys++] = uvals[k];
        }
    }
    for (int k = 0; k < nkeys; k++) {
        db_complete_bind_rep(sample, run_id, rep);
        db_bind_text(sample, 4, keys[k]);
        db_bind_double(sample, 5, values[k]);
        if (db_step_done(db, sample, "cannot store the timings", cause) != 0)
            return -1;
    }
    for (size_t j = 0; rep->trace != NULL && j < rep->trace->count; j++) {
        const struct trace_record *c = &rep->trace->records[j];
        db_complete_bind_rep(call, run_id, rep);
        sqlite3_bind_int64(call, 4, (int64_t)j);
        sqlite3_bind_int(call, 5, c->step);
        sqlite3_bind_int(call, 6, c->call);
        sqlite3_bind_int(call, 7, c->seq);
        db_bind_double(call, 8, c->sigma);
        db_bind_double(call, 9, c->timestep);
        db_bind_double(call, 10, c->rel_l1);
        sqlite3_bind_int(call, 11, c->hit != 0);
        db_bind_text(call, 12, trace_reason_name(c->reason));
        db_bind_double(call, 13, c->ms);
        if (db_step_done(db, call, "cannot store the trace", cause) != 0)
            return -1;
    }
    return 0;
}

int
db_write_rep(struct db *db, int64_t run_id, const struct db_rep *rep, char **cause)
{
    sqlite3_stmt *sample = NULL, *call = NULL;
    int ret = -1;
    if (db_prepare(db, db_complete_sql[DB_COMPLETE_SAMPLE], &sample, cause) == 0 &&
        db_prepare(db, db_complete_sql[DB_COMPLETE_CALL], &call, cause) == 0)
        ret = db_complete_rep(db, sample, call, run_id, rep, cause);
    sqlite3_finalize(sample);
    sqlite3_finalize(call);
    return ret;
}

/* Binds s to the DB_STATS_COLUMNS starting at parameter first (db_column_stats reverses it). */
static void
db_bind_stats(sqlite3_stmt *st, int first, const struct stats *s)
{
    const double v[] = { s->mean, s->stddev, s->median, s->min, s->max,
                         s->p5, s->p25, s->p75, s->p95, s->mad, s->cv };
    sqlite3_bind_int64(st, first, (int64_t)s->n);
    for (int k = 0; k < (int)(sizeof v / sizeof v[0]); k++)
        db_bind_double(st, first + 1 + k, v[k]);
    sqlite3_bind_int64(st, first + 12, (int64_t)s->outliers_tukey);
    sqlite3_bind_int64(st, first + 13, (int64_t)s->outliers_z);
    sqlite3_bind_int(st, first + 14, s->first_slow != 0);
}

static int
db_complete_summaries(struct db *db, sqlite3_stmt *st, int64_t run_id,
                      const struct db_run_result *r, char **cause)
{
    for (size_t i = 0; i < r->nsummaries; i++) {
        sqlite3_bind_int64(st, 1, run_id);
        db_bind_text(st, 2, r->summaries[i].key);
        db_bind_stats(st, 3, &r->summaries[i].st);
        if (db_step_done(db, st, "cannot store the summaries", cause) != 0)
            return -1;
    }
    return 0;
}

static int
db_complete_metrics(struct db *db, sqlite3_stmt *st, int64_t run_id,
                    const struct db_run_result *r, char **cause)
{
    for (size_t i = 0; i < r->nmetrics; i++) {
        sqlite3_bind_int64(st, 1, run_id);
        db_bind_text(st, 2, r->metrics[i].key);
        db_bind_double(st, 3, r->metrics[i].value);
        db_bind_text(st, 4, r->metrics[i].text);
        if (db_step_done(db, st, "cannot store the results", cause) != 0)
            return -1;
    }
    return 0;
}

/* Each artifact's bytes as a blob keyed by their hash (written once), then the artifact row. */
static int
db_complete_artifacts(struct db *db, sqlite3_stmt *blob, sqlite3_stmt *art, int64_t run_id,
                      const struct db_run_result *r, char **cause)
{
    for (size_t i = 0; i < r->nartifacts; i++) {
        const struct db_artifact *a = &r->artifacts[i];
        /* An empty artifact may have png NULL, which SQLite would bind as NULL (data is NOT
         * NULL): its bytes are "" instead. */
        const void *bytes = a->size ? (const void *)a->png : "";
        char hash[SHA256_HEX_SIZE];
        sha256_hex(bytes, a->size, hash);
        db_bind_text(blob, 1, hash);
        sqlite3_bind_blob64(blob, 2, bytes, a->size, SQLITE_STATIC);
        sqlite3_bind_int64(blob, 3, (int64_t)a->size);
        if (db_step_done(db, blob, "cannot store an image", cause) != 0)
            return -1;
        sqlite3_bind_int64(art, 1, run_id);
        db_bind_text(art, 2, a->kind);
        db_bind_text(art, 3, hash);
        sqlite3_bind_int(art, 4, a->width);
        sqlite3_bind_int(art, 5, a->height);
        if (db_step_done(db, art, "cannot store an artifact", cause) != 0)
            return -1;
    }
    return 0;
}

/* Every row of a finished run; the statements are gone before the caller commits. */
static int
db_complete_rows(struct db *db, int64_t run_id, const struct db_run_result *r, char **cause)
{
    sqlite3_stmt *st[DB_COMPLETE_COUNT] = { NULL };
    int ret = -1;
    for (int i = 0; i < DB_COMPLETE_COUNT; i++) {
        if (db_prepare(db, db_complete_sql[i], &st[i], cause) != 0)
            goto out;
    }
    for (size_t i = 0; i < r->nreps; i++) {
        if (db_complete_rep(db, st[DB_COMPLETE_SAMPLE], st[DB_COMPLETE_CALL], run_id,
                            &r->reps[i], cause) != 0)
            goto out;
    }
    if (db_complete_summaries(db, st[DB_COMPLETE_SUMMARY], run_id, r, cause) != 0 ||
        db_complete_metrics(db, st[DB_COMPLETE_RESULT], run_id, r, cause) != 0 ||
        db_complete_artifacts(db, st[DB_COMPLETE_BLOB], st[DB_COMPLETE_ARTIFACT], run_id, r,
                              cause) != 0)
        goto out;
    ret = 0;
out:
    for (int i = 0; i < DB_COMPLETE_COUNT; i++)
        sqlite3_finalize(st[i]);
    return ret;
}

int
db_run_complete(struct db *db, int64_t run_id, const struct db_run_result *r, char **cause)
{
    if (db_begin(db, cause) != 0)
        return -1;
    /* The state is checked before writing: the rows of a run that is not running could fail
     * first, with a less clear message. */
    int ok = db_run_allows(db, run_id, 1u << DB_RUNNING, "complete", cause) == 0 &&
             db_complete_rows(db, run_id, r, cause) == 0 &&
             db_run_transition(db, run_id, "complete",
                               "UPDATE run SET state = 'complete', finished_ms = ?2,"
                               " heartbeat_ms = ?2, error = NULL"
                               " WHERE id = ?1 AND state = 'running'", 0, NULL, cause) == 0;
    return db_end(db, ok, cause);
}

/* ---- reading back what the runner needs ---- */

int
db_summary_get(struct db *db, int64_t run_id, const char *key, struct stats *out, char **cause)
{
    const struct db_arg args[] = { DB_INT(run_id), DB_TEXT(key) };
    sqlite3_stmt *st = NULL;
    int found = db_query_row(db, "SELECT " DB_STATS_COLUMNS " FROM summary"
                             " WHERE run_id = ? AND key = ?", args, DB_NARGS(args),
                             "cannot read a summary", &st, cause);
    if (found == 0)
        db_column_stats(st, 0, out);
    sqlite3_finalize(st);
    return found;
}

int
db_artifact_get(struct db *db, int64_t run_id, const char *kind, unsigned char **data,
                size_t *size, char **cause)
{
    const struct db_arg args[] = { DB_INT(run_id), DB_TEXT(kind) };
    sqlite3_stmt *st = NULL;
    int found = db_query_row(db, "SELECT b.data FROM artifact a JOIN blob b"
                             " ON b.hash = a.blob_hash WHERE a.run_id = ? AND a.kind = ?",
                             args, DB_NARGS(args), "cannot read an artifact", &st, cause);
    if (found == 0) {
        const void *p = sqlite3_column_blob(st, 0);
        *size = (size_t)sqlite3_column_bytes(st, 0);
        *data = xmalloc(*size);
        if (*size > 0)
            memcpy(*data, p, *size);
    }
    sqlite3_finalize(st);
    return found;
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
    int ret = db_end(db, commit, cause);
    return commit ? ret : 0;        /* ending without commit is a choice, not a failure */
}

/* ---- tags (schema 2) ---- */

int
db_tag_set(struct db *db, int64_t run_id, const char *key, const char *value, char **cause)
{
    const struct db_arg args[] = { DB_INT(run_id), DB_TEXT(key), DB_TEXT(value),
                                   DB_INT(db_now_ms()) };
    const char *sql = value != NULL
        ? "INSERT INTO tag(run_id, key, value, updated_ms) VALUES(?1, ?2, ?3, ?4)"
          " ON CONFLICT(run_id, key) DO UPDATE SET value = ?3, updated_ms = ?4"
        : "DELETE FROM tag WHERE run_id = ?1 AND key = ?2";
    return db_write(db, sql, args, DB_NARGS(args), "cannot set the tag", NULL, cause);
}
