/*
 * runner.h - runs a sweep: every cell measured properly, compared with its uncached reference,
 * and stored as it completes.
 *
 * Cells that differ only in cache knobs (and compile mode) share a reference: the uncached
 * generation with the same model, dtype, seed, class, sampler, scheduler, steps and cfg.  A
 * reference and its cells form a group, measured together in rounds (shared/reference/
 * timing.md 2; bench/runner.c says how):
 *
 *   round 0   each member's compile (its first generation, timed on its own) and W warm-ups
 *   1 .. R    every member once per round, in an order shuffled from a stored seed; more
 *             rounds while budget_s lasts, and replacements for disturbed rounds when asked
 *
 * A cell's speed-up is the median of its per-round ratios to the reference, with a
 * distribution-free 95% interval.  Every measured generation must reproduce the member's
 * first bit for bit; a run that does not is recorded with result "nondeterministic" = 1.
 *
 * Every generation is committed as it finishes, so Ctrl-C (should_stop) or a crash loses at
 * most the generation in flight; a later runner_run of the same spec continues each group from
 * its complete rounds, and complete runs are never recomputed.
 *
 * Ownership: the runner borrows the store and the spec; runner_report is caller storage.
 */
#ifndef FBW_BENCH_RUNNER_H
#define FBW_BENCH_RUNNER_H

#include <stddef.h>

#include "bench/spec.h"
#include "core/trace.h"
#include "core/shim/tensor.h"
#include "db/store.h"

struct runner_progress {
    size_t done, total;             /* runs (cells + references) finished / in the sweep */
    const struct sweep_cell *cell;  /* the cell being worked on (a reference: its first cell) */
    int reference;                  /* 1 while measuring the cell's reference */
    enum db_phase phase;            /* compile (the first generation), warm-up or measure */
    int rep, reps;                  /* generation within the phase; measure: round, rounds */
    int step, steps;                /* sampler step within the generation */
    double elapsed_s, eta_s;        /* eta_s < 0 while unknown */
    long run_number;                /* the cell's number, -1 for references */
    long long run_id;               /* the run in the store */
    double threshold;               /* the cell's residual_diff_threshold (0 for references) */
    double load;                    /* the machine's 1-minute load average (read at each
                                     * run's start and heartbeat) */
    const struct trace *trace;      /* the current generation's calls so far (NULL between) */
    const char *event;              /* non-NULL once per finished run: "complete", "failed",
                                     * "skipped" (already complete in the store) */
    const char *detail;             /* with event: a one-line summary or the error */
};

struct runner_params {
    const struct sweep_spec *spec;
    const char *name;               /* the sweep's name in the store (NULL: from the spec) */
    const char *default_model;      /* used where the model knob is "" */
    enum tensor_device device;
    int threads;                    /* ATen intra-op threads in force (recorded in env) */
    void (*on_progress)(void *ctx, const struct runner_progress *p);
    int (*should_stop)(void *ctx);  /* polled between steps; nonzero stops cleanly */
    void *ctx;
};

struct runner_report {
    long long sweep_id;
    char *name;                     /* allocated */
    int resumed;                    /* 1: the sweep existed in the store */
    int recovered;                  /* runs left `running` by a crash, retried */
    size_t runs, skipped, completed, failed;
    int stopped;                    /* should_stop ended the run */
    double wall_s;                  /* the whole runner_run */
    double generate_s;              /* inside engine_generate */
    double overhead_s;              /* per-run work outside generation: metrics, PNGs, store */
};

/* The sweep's default name: "sweep-" and the first 8 hex digits of the canonical spec's hash. */
char *runner_default_name(const struct sweep_spec *spec);

/*
 * Runs or resumes the sweep.  Returns 0 when every run completed, 1 when stopped or when some
 * runs failed (the report says which), -1 with *cause when the sweep could not run at all
 * (store errors, a model that does not load for every cell, ...).
 */
int runner_run(struct db *db, const struct runner_params *p, struct runner_report *report,
               char **cause);
void runner_report_release(struct runner_report *r);

/*
 * A rough time per model call for the dry run's estimate: times a short uncached generation of
 * the spec's first cell (seconds per call; -1 with *cause on failure).
 */
double runner_calibrate(const struct runner_params *p, char **cause);

#endif
