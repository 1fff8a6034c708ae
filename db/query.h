/*
 * query.h - reading the store back for the command line and the TUI: sweeps with their run
 * counts (`fbw runs`), a sweep's cells with settings and key results (`fbw runs --sweep N`, the
 * results table), one run in full (`fbw show CELL`) and a run's trace (per-step plots).
 *
 * Every function works on a read-only handle too (db_open_readonly) and sees only committed
 * data: a run being written by the runner appears at once, whole, when its transaction commits.
 *
 * Ownership: results are filled into caller storage or allocated arrays; strings inside them
 * are owned by the result and freed by the matching _release/_free.  Numbers absent from the
 * store read as NAN; timestamps and ids absent read as 0.
 *
 *     struct db_cell *cells; size_t n;
 *     if (db_cells_list(db, sweep_id, &cells, &n, &cause) == 0) {
 *         for (size_t i = 0; i < n; i++)
 *             printf("%lld %s %.1f ms\n", (long long)cells[i].id,
 *                    db_state_name(cells[i].state), cells[i].wall.mean);
 *         db_cells_free(cells, n);
 *     }
 */
#ifndef FBW_DB_QUERY_H
#define FBW_DB_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "util/stats.h"
#include "core/trace.h"
#include "db/store.h"

struct db_sweep_info {
    int64_t id;
    char *name;
    char *spec;                 /* canonical spec text */
    char *status;               /* planned, running, done, stopped, failed */
    int64_t created_ms, updated_ms;
    long cells, references;     /* runs of each kind */
    long states[DB_STATE_COUNT]; /* runs (both kinds) per state */
};

/* Every sweep, oldest first, with its run counts.  Free with db_sweep_list_free. */
int db_sweep_list(struct db *db, struct db_sweep_info **out, size_t *n, char **cause);
void db_sweep_list_free(struct db_sweep_info *v, size_t n);
/*
 * The sweep whose name is `which`, or whose id is `which` when it is all digits and no sweep
 * has that name: 0 and *out filled (release with db_sweep_info_release), 1 when absent, -1 on
 * error.
 */
int db_sweep_find(struct db *db, const char *which, struct db_sweep_info *out, char **cause);
/* The sweep with this id: 0, 1 when absent, -1 on error. */
int db_sweep_get(struct db *db, int64_t id, struct db_sweep_info *out, char **cause);
/* The most recently created sweep: 0, 1 when the store has none, -1 on error. */
int db_sweep_latest(struct db *db, struct db_sweep_info *out, char **cause);
void db_sweep_info_release(struct db_sweep_info *s);

/* The store at a glance (the footer of `fbw runs`). */
struct db_store_counts {
    long sweeps, runs;
    long blobs;                 /* distinct images (blobs are deduplicated by SHA-256) */
    int64_t blob_bytes;
};
int db_store_count(struct db *db, struct db_store_counts *out, char **cause);

/* A param, result or tag read back.  Params always have text; a result has text only when
 * stored with one (else NULL) and num NAN when text only; a tag has num NAN. */
struct db_kv {
    char *key;
    char *text;
    double num;
};

struct db_cell {
    int64_t id;                 /* the run id: what `fbw show CELL` takes */
    int64_t sweep_id, ref_id;   /* ref_id 0 for references */
    enum db_run_kind kind;
    long number;                /* grid order; -1 for references */
    int ix, iy, iz;
    enum db_run_state state;
    int attempts;
    char *config_hash;
    char *error;                /* NULL unless failed */
    struct db_kv *params;       /* sorted by key */
    size_t nparams;
    int has_wall;               /* 1: wall holds the "wall_ms" summary */
    struct stats wall;
    /*
     * Key results, NAN when absent (references have no diff or speed-up).  The speed-up is the
     * median of the paired rounds' ratios reference / cell time, speedup_lo..speedup_hi its
     * distribution-free interval (NAN with too few rounds) reaching speedup_coverage (e.g.
     * 0.979 for 95% asked); runs stored before paired rounds have speedup_err (a propagated
     * sd) instead, and no interval or rounds.  time_speedup and flop_speedup are the modelled
     * speed-ups, efficiency = speedup / flop_speedup, and model_stray 1 when time_speedup
     * lies outside the interval widened by 5% (0 inside).  rounds and rounds_disturbed count
     * the paired rounds, for references too.
     */
    double speedup, speedup_err, speedup_lo, speedup_hi, speedup_coverage;
    double rounds, rounds_disturbed;
    double time_speedup, flop_speedup, efficiency, model_stray;
    double hit_rate, hit_rate_step, psnr, ssim;
};

/* A sweep's runs: cells in grid order, then references by id.  Free with db_cells_free. */
int db_cells_list(struct db *db, int64_t sweep_id, struct db_cell **out, size_t *n,
                  char **cause);
void db_cell_release(struct db_cell *c);
void db_cells_free(struct db_cell *v, size_t n);
/* The value text of a cell's param key, or NULL. */
const char *db_cell_param(const struct db_cell *c, const char *key);

struct db_summary_row {
    char *key;
    struct stats st;
};

struct db_sample_row {
    enum db_phase phase;
    int rep;
    double wall_ms, calls_ms;   /* NAN when absent */
    double peak_device_bytes;   /* device memory high-water mark; NAN when not measured (CPU) */
    /* The process's counters over the generation (util/usage.h); NAN in stores written
     * before they were recorded. */
    double cpu_ms, nvcsw, nivcsw, minflt, majflt;
    double disturbed;           /* 1 flagged by the rule, 0 not (NAN: not recorded) */
};

struct db_artifact_info {
    char *kind;
    char *hash;                 /* sha256 hex of the bytes */
    size_t size;
    int width, height;
};

/* The trace of one repetition in brief: the first measured one (else warm-up, else compile). */
struct db_trace_brief {
    int present;                /* 0: no call rows stored */
    enum db_phase phase;
    int rep;
    size_t calls, hits;
    size_t steps, steps_hit;    /* distinct steps, and steps whose every call hit */
    char *steps_hit_text;       /* e.g. "5-9,12" (trace_steps_hit_text); "" when none */
};

struct db_run_detail {
    struct db_cell run;
    char *sweep_name;
    int64_t started_ms, finished_ms, heartbeat_ms, env_id;
    struct db_summary_row *summaries;   /* by key */
    size_t nsummaries;
    struct db_kv *results;              /* by key */
    size_t nresults;
    struct db_kv *tags;                 /* by key; none before schema 2 */
    size_t ntags;
    struct db_sample_row *samples;      /* compile, warmup, measure; by rep */
    size_t nsamples;
    struct db_artifact_info *artifacts; /* by kind */
    size_t nartifacts;
    struct db_trace_brief trace;
};

/* One run in full: 0 and *out filled (release with db_run_detail_release), 1 when there is
 * no such run, -1 on error. */
int db_run_get(struct db *db, int64_t run_id, struct db_run_detail *out, char **cause);
void db_run_detail_release(struct db_run_detail *d);
/* A result of a detail by key, or NULL. */
const struct db_kv *db_run_result(const struct db_run_detail *d, const char *key);

/*
 * Appends the call rows of one repetition of a run to out (a trace the caller owns, in call
 * order; rel_l1 NULL reads as NAN): 0, 1 when that repetition has no rows, -1 on error.
 */
int db_run_calls(struct db *db, int64_t run_id, enum db_phase phase, int rep, struct trace *out,
                 char **cause);

#endif
