/*
 * store.h - the SQLite store: one file holds every sweep, cell, timing, cache decision,
 * image and diff of a study.
 *
 * The file is opened in WAL mode with foreign keys on and a busy timeout, so one writer (the
 * runner) and any number of readers (`fbw runs`, the TUI, a second shell) work at once.  The
 * schema version lives in PRAGMA user_version; db_open migrates an older file step by step
 * (each step in its own transaction) and refuses a newer one with a hint.
 *
 * Rows (see db/schema.c for the DDL):
 *   sweep      a named sweep with its canonical spec text (immutable once created)
 *   run        one cell or one reference generation of a sweep, with a state machine
 *              waiting -> running -> complete | failed, heartbeats and attempts; a cell points
 *              at its reference run (the uncached generation with the same model, dtype,
 *              seed, class, sampler, scheduler, steps and cfg), shared by every cell that
 *              differs only in cache knobs
 *   param      the run's settings, immutable: canonical text + number
 *   sample     raw timings of every repetition (phase compile|warmup|measure): wall_ms,
 *              calls_ms, and peak_device_bytes where the device's memory was measured (GPU)
 *   call       every trace record of every repetition
 *   summary    statistics per timing key, recomputable from sample
 *   result     scalar results: psnr, ssim, mae, max_abs, hit rates, speed-up, ...; value is
 *              NULL for NaN and a REAL +Inf for the psnr of an image identical to its
 *              reference (core/metrics.h; SQLite keeps IEEE infinities as they are)
 *   blob       PNG bytes deduplicated by SHA-256
 *   artifact   a run's image and diff heatmap, pointing at blobs
 *   env        machine fingerprints (JSON), stored once and referenced by runs
 *   tag        mutable notes on a run (schema 2), beside the immutable params
 *   round      one round of a reference group (schema 3): its number k (0 = a process run's
 *              warm-up round), seed, planned order, state running -> complete | abandoned,
 *              load averages and the disturbed verdict
 *   round_member  which generation (run, phase, rep) each position of a round produced
 *
 * A run's results are written in one transaction with its state set to complete, so a crash
 * or Ctrl-C never leaves half a cell: at most the cell in flight stays `running`, and
 * db_sweep_recover puts it back to `waiting` when the sweep is resumed.
 *
 * Ownership: struct db is opaque (db_open / db_close).  Errors: -1 with an allocated *cause
 * naming the file and what failed ("database 'x.db' is locked by another process", "'x.db' is
 * not an fbw store", "disk full writing 'x.db'").
 */
#ifndef FBW_DB_STORE_H
#define FBW_DB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/stats.h"
#include "core/trace.h"
#include "util/usage.h"

#define DB_DEFAULT_PATH "fbw.db"

struct db;

/* Opens (creating when absent) and migrates to the latest version. */
int db_open(const char *path, struct db **out, char **cause);
/* Read-only open for readers (never creates, never migrates; fails on an older schema with a
 * hint to run a writer first). */
int db_open_readonly(const char *path, struct db **out, char **cause);
/*
 * For tests of migrations: opens like db_open but migrates only up to version (1 ..
 * db_latest_version()); a file already past version stays as it is.
 */
int db_open_at_version(const char *path, int version, struct db **out, char **cause);
/* Closes the connection and frees db (NULL-safe). */
void db_close(struct db *db);
/* The schema version of an open store, and the version this build writes. */
int db_schema_version(struct db *db);
int db_latest_version(void);

/* Environment fingerprint: the JSON text is stored once (keyed by its hash); *id names it. */
int db_env_intern(struct db *db, const char *json, int64_t *id, char **cause);

/*
 * A sweep by name: created with spec when absent (*resumed = 0); when present with the same
 * spec, reused (*resumed = 1); present with another spec, an error that says so.
 */
int db_sweep_begin(struct db *db, const char *name, const char *spec, int64_t *sweep_id,
                   int *resumed, char **cause);
/* Sets the sweep's status: "running", "done", "stopped" or "failed". */
int db_sweep_set_status(struct db *db, int64_t sweep_id, const char *status, char **cause);
/* Crash recovery: runs of the sweep left `running` go back to `waiting`; *count says how many. */
int db_sweep_recover(struct db *db, int64_t sweep_id, int *count, char **cause);

enum db_run_kind { DB_RUN_CELL, DB_RUN_REFERENCE, DB_RUN_KIND_COUNT };
/* "cell" or "reference", as stored in run.kind. */
const char *db_run_kind_name(enum db_run_kind k);
enum db_run_state { DB_WAITING, DB_RUNNING, DB_COMPLETE, DB_FAILED, DB_STATE_COUNT };
const char *db_state_name(enum db_run_state s);

struct db_param {
    const char *key;
    const char *text;       /* canonical text */
    double num;             /* NAN when not a number */
};

struct db_run_key {
    enum db_run_kind kind;
    long number;            /* cell number in grid order; -1 for a reference */
    int ix, iy, iz;         /* axis positions (0 when unused; references: -1) */
    const char *config_hash;
    int64_t ref_id;         /* the reference run of a cell; 0 for references */
};

/*
 * Inserts the run when absent (INSERT ... ON CONFLICT(sweep, kind, config_hash) DO NOTHING)
 * with its params, state waiting, and returns its id and current state either way.
 */
int db_run_ensure(struct db *db, int64_t sweep_id, const struct db_run_key *key,
                  const struct db_param *params, size_t nparams, int64_t *run_id,
                  enum db_run_state *state, char **cause);
/* waiting -> running: stamps started_ms and heartbeat_ms, counts an attempt, records env. */
int db_run_start(struct db *db, int64_t run_id, int64_t env_id, char **cause);
int db_run_heartbeat(struct db *db, int64_t run_id, char **cause);

enum db_phase { DB_PHASE_COMPILE, DB_PHASE_WARMUP, DB_PHASE_MEASURE, DB_PHASE_COUNT };
const char *db_phase_name(enum db_phase p);

struct db_rep {
    enum db_phase phase;
    int rep;                    /* 0-based within the phase */
    double wall_ms;             /* the whole generation */
    double calls_ms;            /* sum of the model calls */
    const struct trace *trace;  /* every model call (stored row by row) */
    int64_t peak_device_bytes;  /* device memory high-water mark; <= 0: not measured, and no
                                 * row is stored (engine_result's -1; 0 from callers that
                                 * leave it unset, as no measured generation allocates 0) */
    const struct usage *usage;  /* the process's counters over the generation (cpu_ms,
                                 * nvcsw, nivcsw, minflt, majflt rows), or NULL: none stored */
    int disturbed;              /* 1: util/usage.h's rule flagged it (a 'disturbed' row,
                                 * written with usage); -1: not judged yet, no row (a
                                 * round's generation: db_round_judge writes it later) */
};

struct db_summary { const char *key; struct stats st; };        /* e.g. "wall_ms" */
struct db_metric { const char *key; double value; const char *text; }; /* value NAN: text only */
struct db_artifact {
    const char *kind;           /* "image", "diff" (PNG) or "x0" (raw little-endian float32
                                 * output, C*H*W values, width/height as for the image) */
    const unsigned char *png;
    size_t size;
    int width, height;
};

struct db_run_result {
    const struct db_rep *reps;
    size_t nreps;
    const struct db_summary *summaries;
    size_t nsummaries;
    const struct db_metric *metrics;
    size_t nmetrics;
    const struct db_artifact *artifacts;
    size_t nartifacts;
};

/* Everything of a finished run in one transaction, and state -> complete. */
int db_run_complete(struct db *db, int64_t run_id, const struct db_run_result *r, char **cause);
/* state -> failed with the error text. */
int db_run_fail(struct db *db, int64_t run_id, const char *error, char **cause);

/* Reading back what the runner needs on resume. */
/* The summary of key for a run: 0 and *out filled, 1 when absent, -1 on error. */
int db_summary_get(struct db *db, int64_t run_id, const char *key, struct stats *out,
                   char **cause);
/* A run's artifact bytes (allocated, caller frees): 0, 1 when absent, -1 on error. */
int db_artifact_get(struct db *db, int64_t run_id, const char *kind, unsigned char **data,
                    size_t *size, char **cause);

/*
 * Batches: every write between db_batch_begin and db_batch_end is one transaction (BEGIN
 * IMMEDIATE ... COMMIT), e.g. a sweep and all its runs ensured at once.  Inside a batch each
 * write function still fails alone (a savepoint), leaving the batch open for the caller to end.
 * db_batch_end commits when commit is nonzero, else rolls everything back.  Batches do not nest.
 */
int db_batch_begin(struct db *db, char **cause);
int db_batch_end(struct db *db, int commit, char **cause);

/*
 * Rounds (schema 3; shared/reference/timing.md 2).  The runner measures a group (a reference
 * and its cells) in rounds; each generation is committed as it finishes, with its round
 * position, so a crash loses at most the generation in flight and resume continues from the
 * group's complete rounds.
 */
struct db_round_plan {
    int64_t sweep_id, ref_id;   /* the group: its reference run */
    int k;                      /* 0: warm-up round of this session; 1..: measured */
    int64_t session;            /* the process run (its start in ms) */
    uint64_t seed;              /* what the order was shuffled from */
    const int64_t *order;       /* run ids in the order they run */
    size_t n;
    double load_start;
};
/* Opens a round (state running): *round_id. */
int db_round_begin(struct db *db, const struct db_round_plan *plan, int64_t *round_id,
                   char **cause);
/* One finished generation at position of the round: its rows (db_rep, disturbed -1) and its
 * round_member row, in one transaction. */
int db_round_add(struct db *db, int64_t round_id, int position, int64_t run_id,
                 const struct db_rep *rep, char **cause);
/* running -> complete, with the load average at its end. */
int db_round_finish(struct db *db, int64_t round_id, double load_end, char **cause);
/* Every round of the group still `running` (left by a crash or a stop) -> abandoned. */
int db_round_abandon(struct db *db, int64_t ref_id, int *count, char **cause);
/* The highest complete measured round k of the group (0 when none). */
int db_round_last(struct db *db, int64_t ref_id, int *k, char **cause);
/* The next free rep of a run in a phase (1 + the highest stored, 0 when none). */
int db_rep_next(struct db *db, int64_t run_id, enum db_phase phase, int *rep, char **cause);

/* A measured generation of a complete round, as the group's figures need it. */
struct db_round_gen {
    int64_t round_id;
    int k, position;
    int64_t run_id;
    int rep;
    double wall_ms, calls_ms;
    struct usage usage;         /* cpu_s, nvcsw, nivcsw, minflt, majflt (0 when not stored) */
};
/* Every measured generation of the group's complete rounds, by k then position (allocated). */
int db_round_gens(struct db *db, int64_t ref_id, struct db_round_gen **gens, size_t *n,
                  char **cause);
/* The per-call ms of a run's measured generations in complete rounds, hits or full calls
 * (allocated; *n may be 0). */
int db_round_call_ms(struct db *db, int64_t ref_id, int64_t run_id, int hit, double **ms,
                     size_t *n, char **cause);
/* The verdicts: each generation's 'disturbed' sample row (flags[i] for gens[i]) and each
 * round's disturbed column (1 when any of its generations is flagged). */
int db_round_judge(struct db *db, const struct db_round_gen *gens, const int *flags, size_t n,
                   char **cause);

/*
 * Tags (schema 2): mutable notes on a run, MLflow-style (params never change, tags may).
 * Sets key to value, or removes it when value is NULL.  The run must exist.
 */
int db_tag_set(struct db *db, int64_t run_id, const char *key, const char *value,
               char **cause);

#endif
