/*
 * export.h - a sweep as CSV, JSON or Markdown, and one run as a hyperfine-style text block
 * (`fbw export`, `fbw show`).  Formats follow hyperfine's exports (shared/reference/
 * bench-tui.md 1.1) with cells in place of commands:
 *
 *   CSV       one row per run (cells in grid order, then the uncached references), hyperfine's
 *             columns first:
 *                 cell,kind,state,mean,stddev,median,min,max,n,speedup,speedup_err,hit_rate,
 *                 psnr,ssim,speedup_lo,speedup_hi,ci_level,rounds,rounds_disturbed,
 *                 flop_speedup,time_speedup,efficiency,parameter_<key>...
 *             cell is the run id (what `fbw show` takes), kind is cell or reference.  As in
 *             hyperfine, mean..max are the wall time of one generation IN SECONDS (summary
 *             "wall_ms" / 1000); hit_rate is per call in [0, 1]; speedup is the median of the
 *             paired rounds' ratios reference time / cell time, speedup_lo..speedup_hi its
 *             distribution-free 95% interval (empty with too few rounds: fewer than 6) and
 *             ci_level the coverage that interval achieves (e.g. 0.979); rounds and
 *             rounds_disturbed count the paired rounds (references too); flop_speedup and
 *             time_speedup are the FLOP- and time-modelled speed-ups, efficiency = speedup /
 *             flop_speedup.  speedup_err (a propagated sd) is set only for runs stored before
 *             paired rounds, which have no interval or rounds.  A parameter_<key> column for
 *             every setting of the sweep.  Absent or NaN values are empty fields, psnr of an
 *             image identical to its reference (+Inf in the store) is "+inf"; fields are
 *             quoted as RFC 4180 says.
 *   JSON      everything: {"schema": N, "sweep": {..., "spec": <the spec as JSON>},
 *             "results": [...]} where each result carries hyperfine's keys (command, mean,
 *             stddev, median, min, max and times[] in seconds, parameters{} as text) so its
 *             scripts (plot_whisker.py, advanced_statistics.py ...) read it, followed by fbw's:
 *             id, kind, state, ..., summaries{key: stats in the key's unit}, metrics{},
 *             samples[] (every repetition, ms; peak_device_bytes where the device's memory
 *             was measured), trace{}, tags{}, artifacts[].  NaN is null, and so is an
 *             identical image's psnr (JSON has no infinity): metrics{} then says
 *             "identical": true (false for any other run with a psnr).  metrics{} of a cell
 *             always has the speed-up keys (speedup, speedup_lo, speedup_hi, speedup_level,
 *             speedup_coverage, speedup_method, speedup_err, speedup_clean, rounds,
 *             rounds_disturbed, flop_speedup, time_speedup, efficiency, efficiency_lo,
 *             efficiency_hi, model_stray), null where the run has none; a reference's has
 *             rounds and rounds_disturbed.
 *   Markdown  | Cell | <settings that vary> | Mean [ms] | Min [ms] | Max [ms] |
 *             speed-up [95% CI] | S_flop | S_time | efficiency | rounds (disturbed) |
 *             hit rate | PSNR |, for the runs that have timings (PSNR "identical" for an image
 *             equal to its reference); mean as "x ± σ"; speed-up as db_speedup_brief's wide
 *             form ("1.93× [1.85, 2.01]"); a footnote under the table names the interval's
 *             method and the modelled columns; `|` in values escaped as `\|`.
 *
 * Errors: -1 with an allocated *cause (a store error, or a write error on out).  Nothing is
 * printed anywhere but out.
 */
#ifndef FBW_DB_EXPORT_H
#define FBW_DB_EXPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "db/query.h"
#include "db/store.h"

/* How an identical image's PSNR (+Inf, core/metrics.h) reads: as a number, and in words. */
#define DB_EXPORT_INF "+inf"
#define DB_EXPORT_IDENTICAL "identical"

enum db_format { DB_FORMAT_CSV, DB_FORMAT_JSON, DB_FORMAT_MD, DB_FORMAT_COUNT };

/* "csv", "json", "md". */
const char *db_format_name(enum db_format f);
/* The format named name ("markdown" also reads as md), or -1. */
int db_format_parse(const char *name);

/* Writes sweep sweep_id in format to out. */
int db_export(struct db *db, int64_t sweep_id, enum db_format format, FILE *out, char **cause);

/*
 * Writes one run (CELL = run id) as hyperfine prints a benchmark: its settings (dtype among
 * them; runs stored before the dtype knob have none and ran in f32), mean ± σ, range and count,
 * median/P5/P95/MAD/CV, the device memory peak where it was measured (GPU), outlier and
 * first-run-slow warnings, the speed-up over its uncached reference, the cache's hits per call
 * and per step with the steps that hit, and the image difference.  A run without timings yet
 * shows its state.  An identical image's PSNR reads "+inf dB (identical)".  1 when there is
 * no such run (nothing written), 0 on success, -1 on error.
 *
 * The speed-up reads, under "Speed-up over the uncached reference (run N):",
 *     1.93x [1.85, 2.01] (95% CI, achieved 97.9%, median of 10 paired rounds, 1 disturbed)
 * a slower cell adds the inverse with its bounds inverted and swapped,
 *     0.80x [0.75, 0.85] (...) = 1.25x slower [1.18, 1.33]
 * too few rounds for an interval say so ("no 95% interval: too few rounds (n=3; 6 needed)"),
 * and a run stored before paired rounds keeps its "1.83x ± 0.05".  Then the estimate over the
 * undisturbed rounds, the method, the FLOP-modelled (what cache-dit calls speed-up) and
 * time-modelled speed-ups, "efficiency = measured / FLOP-modelled 0.87 [0.83, 0.90]", and a
 * warning when the measured speed-up strays from the time model beyond its interval.  A
 * reference shows its paired rounds and how many were disturbed.
 */
int db_show(struct db *db, int64_t run_id, FILE *out, char **cause);

/*
 * Brief texts of a cell for tables (`fbw runs`, the TUI's results, Markdown), written into buf
 * (size bytes), which is returned; "" when the cell has no such value.
 *   db_speedup_brief  "1.93 [1.85,2.01]": the speed-up and its 95% interval; "1.93 (n<6)" when
 *                     too few rounds gave no interval; "1.83 ± 0.05" for a run stored before
 *                     paired rounds.  wide: "1.93× [1.85, 2.01]", "1.93× (n<6)", "1.83× ± 0.05".
 *   db_rounds_brief   "10 (1)": the paired rounds, and in brackets how many were disturbed.
 */
const char *db_speedup_brief(const struct db_cell *c, int wide, char *buf, size_t size);
const char *db_rounds_brief(const struct db_cell *c, char *buf, size_t size);

/*
 * The text tables of `fbw runs`: every sweep with its run counts per state, then the store's
 * size; or one sweep's runs (cells in grid order, then references) with the settings that vary,
 * state, median wall time ± stddev, speed-up (db_speedup_brief), rounds (db_rounds_brief), hit
 * rate, PSNR ("identical" for +Inf) and SSIM.
 */
int db_print_sweeps(struct db *db, const char *path, FILE *out, char **cause);
int db_print_cells(struct db *db, int64_t sweep_id, FILE *out, char **cause);

#endif
