/*
 * schema.c - the store's DDL as a list of migration steps (shared/reference/bench-tui.md 2.6).
 *
 * db_schema_steps[i] takes a store from user_version i to i + 1.  A step runs inside its own
 * BEGIN IMMEDIATE transaction together with `PRAGMA user_version = i + 1` (and the fbw
 * application_id), so a crash or a failing statement leaves the file at version i, never in
 * between.  The version is re-read inside the transaction, so two processes opening an old file
 * at once migrate it once.  Steps are append-only: a released step is never edited; a change is
 * a new step.
 *
 * Conventions: integer milliseconds since the epoch; NaN stored as NULL (SQLite does that to a
 * bound NaN anyway, so the readers turn NULL back into NaN); params immutable, tags mutable
 * (MLflow); summaries recomputable from sample; images as PNG blobs keyed by SHA-256.
 */
#include "db/store_impl.h"

#include <stdlib.h>

#include "util/err.h"

/* v1: the core schema. */
static const char db_schema_v1[] =
    "CREATE TABLE env("
    "  id INTEGER PRIMARY KEY,"
    "  fingerprint TEXT NOT NULL UNIQUE,"        /* sha256 hex of json */
    "  json TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE TABLE sweep("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  spec TEXT NOT NULL,"                      /* canonical spec (JSON), immutable */
    "  spec_hash TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'planned'"
    "    CHECK(status IN ('planned', 'running', 'done', 'stopped', 'failed')),"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL);"
    "CREATE TABLE run("
    "  id INTEGER PRIMARY KEY,"
    "  sweep_id INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK(kind IN ('cell', 'reference')),"
    "  number INTEGER NOT NULL,"                 /* grid order; -1 for references */
    "  ix INTEGER NOT NULL, iy INTEGER NOT NULL, iz INTEGER NOT NULL,"
    "  config_hash TEXT NOT NULL,"
    "  ref_id INTEGER REFERENCES run(id),"       /* a cell's reference; NULL for references */
    "  state TEXT NOT NULL DEFAULT 'waiting'"
    "    CHECK(state IN ('waiting', 'running', 'complete', 'failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  started_ms INTEGER, finished_ms INTEGER, heartbeat_ms INTEGER,"
    "  error TEXT,"
    "  env_id INTEGER REFERENCES env(id),"
    "  UNIQUE(sweep_id, kind, config_hash));"
    "CREATE TABLE param("
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value_text TEXT NOT NULL,"                /* canonical text: the label */
    "  value_num REAL,"                          /* NULL for names and paths */
    "  PRIMARY KEY(run_id, key)) WITHOUT ROWID;"
    "CREATE TABLE sample("
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  phase TEXT NOT NULL CHECK(phase IN ('compile', 'warmup', 'measure')),"
    "  rep INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"                       /* wall_ms, calls_ms */
    "  value REAL,"
    "  PRIMARY KEY(run_id, phase, rep, key)) WITHOUT ROWID;"
    "CREATE TABLE call("
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  phase TEXT NOT NULL CHECK(phase IN ('compile', 'warmup', 'measure')),"
    "  rep INTEGER NOT NULL,"
    "  idx INTEGER NOT NULL,"                    /* position in the repetition's trace */
    "  step INTEGER NOT NULL, call INTEGER NOT NULL, seq INTEGER NOT NULL,"
    "  sigma REAL, timestep REAL,"
    "  rel_l1 REAL,"                             /* NULL when not computed (NaN) */
    "  hit INTEGER NOT NULL CHECK(hit IN (0, 1)),"
    "  reason TEXT NOT NULL,"
    "  ms REAL,"
    "  PRIMARY KEY(run_id, phase, rep, idx)) WITHOUT ROWID;"
    "CREATE TABLE summary("
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  n INTEGER NOT NULL,"
    "  mean REAL, stddev REAL, median REAL, min REAL, max REAL,"
    "  p5 REAL, p25 REAL, p75 REAL, p95 REAL, mad REAL, cv REAL,"
    "  outliers_tukey INTEGER NOT NULL, outliers_z INTEGER NOT NULL,"
    "  first_slow INTEGER NOT NULL,"
    "  PRIMARY KEY(run_id, key)) WITHOUT ROWID;"
    "CREATE TABLE result("
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value REAL,"                              /* NULL: text only (or NaN) */
    "  text TEXT,"
    "  PRIMARY KEY(run_id, key)) WITHOUT ROWID;"
    "CREATE TABLE blob("
    "  hash TEXT PRIMARY KEY,"                   /* sha256 hex of data */
    "  data BLOB NOT NULL,"
    "  size INTEGER NOT NULL);"
    "CREATE TABLE artifact("
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL,"                      /* image, diff, x0 */
    "  blob_hash TEXT NOT NULL REFERENCES blob(hash),"
    "  width INTEGER, height INTEGER,"
    "  PRIMARY KEY(run_id, kind)) WITHOUT ROWID;"
    "CREATE INDEX run_ref ON run(ref_id);"
    "CREATE INDEX artifact_blob ON artifact(blob_hash);";

/* v2: mutable user notes on runs (MLflow tags) and the indexes the readers filter by. */
static const char db_schema_v2[] =
    "CREATE TABLE tag("
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT,"
    "  updated_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(run_id, key)) WITHOUT ROWID;"
    "CREATE INDEX param_key_num ON param(key, value_num);"
    "CREATE INDEX run_sweep_state ON run(sweep_id, state);";

/*
 * v3: rounds (shared/reference/timing.md 2).  A group is a reference run and the cells that
 * share it; its members are measured together, round after round, each member once per round
 * in an order shuffled from the round's recorded seed.  Round 0 of each process run (session)
 * holds the members' compile/first and warm-up generations; rounds 1, 2, ... are measured.
 * round_member says which sample/call rows (run, phase, rep) a round's positions produced, so
 * a cell's per-round ratio pairs its time with the reference's time of the same round.  A round
 * left `running` by a crash or Ctrl-C becomes `abandoned` on resume: its rows stay, excluded.
 */
static const char db_schema_v3[] =
    "CREATE TABLE round("
    "  id INTEGER PRIMARY KEY,"
    "  sweep_id INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,"
    "  ref_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"   /* the group */
    "  k INTEGER NOT NULL,"                       /* 0: warm-up round; 1..: measured */
    "  session INTEGER NOT NULL,"                 /* the process run (its start, ms) */
    "  seed INTEGER NOT NULL,"                    /* the shuffle's seed */
    "  plan TEXT NOT NULL,"                       /* JSON array: run ids in their order */
    "  state TEXT NOT NULL DEFAULT 'running'"
    "    CHECK(state IN ('running', 'complete', 'abandoned')),"
    "  load_start REAL, load_end REAL,"           /* 1-minute load averages */
    "  disturbed INTEGER,"                        /* NULL until the group is judged */
    "  started_ms INTEGER NOT NULL, finished_ms INTEGER);"
    "CREATE TABLE round_member("
    "  round_id INTEGER NOT NULL REFERENCES round(id) ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"                /* generation's place in the round */
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  phase TEXT NOT NULL CHECK(phase IN ('compile', 'warmup', 'measure')),"
    "  rep INTEGER NOT NULL,"
    "  PRIMARY KEY(round_id, position)) WITHOUT ROWID;"
    "CREATE INDEX round_ref ON round(ref_id, state, k);"
    "CREATE INDEX round_member_run ON round_member(run_id);";

static const char *const db_schema_steps[] = { db_schema_v1, db_schema_v2, db_schema_v3 };

#define DB_SCHEMA_COUNT ((int)(sizeof db_schema_steps / sizeof db_schema_steps[0]))

int
db_schema_latest(void)
{
    return DB_SCHEMA_COUNT;
}

/* PRAGMA user_version as read now (inside the caller's transaction, if any). */
static int
db_schema_read_version(struct db *db, int *version, char **cause)
{
    return db_read_int(db, "PRAGMA user_version", "cannot read the schema version", version,
                       cause);
}

/* The DDL of step `from` and the version it leaves, inside the caller's transaction. */
static int
db_schema_apply(struct db *db, int from, char **cause)
{
    char *what = xasprintf("cannot migrate the schema from version %d to %d", from, from + 1);
    char *tail = xasprintf("PRAGMA application_id = %d; PRAGMA user_version = %d;",
                           DB_APPLICATION_ID, from + 1);
    int ret = -1;
    if (db_exec(db, db_schema_steps[from], what, cause) == 0 &&
        db_exec(db, tail, what, cause) == 0)
        ret = 0;
    free(what);
    free(tail);
    return ret;
}

/* One step, from version `from` to from + 1, in its own transaction. */
static int
db_schema_step(struct db *db, int from, char **cause)
{
    int now;
    if (db_begin(db, cause) != 0)
        return -1;
    /* Re-read inside the transaction: when another process migrated meanwhile, there is
     * nothing left to apply. */
    int ok = db_schema_read_version(db, &now, cause) == 0 &&
             (now > from || db_schema_apply(db, from, cause) == 0);
    return db_end(db, ok, cause);
}

int
db_schema_migrate(struct db *db, int target, char **cause)
{
    CHECK(target >= 0 && target <= DB_SCHEMA_COUNT);
    int version;
    if (db_schema_read_version(db, &version, cause) != 0)
        return -1;
    for (int v = version; v < target; v++) {
        if (db_schema_step(db, v, cause) != 0)
            return -1;
    }
    return db_schema_read_version(db, &db->version, cause);
}
