/*
 * export.h - a sweep as CSV, JSON or Markdown, and one run as a hyperfine-style text block
 * (`fbw export`, `fbw show`).  Formats follow hyperfine's exports (shared/reference/
 * bench-tui.md 1.1) with cells in place of commands:
 *
 *   CSV       one row per run (cells in grid order, then the uncached references), hyperfine's
 *             columns first:
 *                 cell,kind,state,mean,stddev,median,min,max,n,speedup,speedup_err,hit_rate,
 *                 psnr,ssim,parameter_<key>...
 *             cell is the run id (what `fbw show` takes), kind is cell or reference.  As in
 *             hyperfine, mean..max are the wall time of one generation IN SECONDS (summary
 *             "wall_ms" / 1000); hit_rate is per call in [0, 1]; speedup is the reference's
 *             median over the cell's; a parameter_<key> column for every setting of the sweep.
 *             Absent or NaN values are empty fields, psnr of an image identical to its
 *             reference (+Inf in the store) is "+inf"; fields are quoted as RFC 4180 says.
 *   JSON      everything: {"schema": N, "sweep": {..., "spec": <the spec as JSON>},
 *             "results": [...]} where each result carries hyperfine's keys (command, mean,
 *             stddev, median, min, max and times[] in seconds, parameters{} as text) so its
 *             scripts (plot_whisker.py, advanced_statistics.py ...) read it, followed by fbw's:
 *             id, kind, state, ..., summaries{key: stats in the key's unit}, metrics{},
 *             samples[] (every repetition, ms; peak_device_bytes where the device's memory
 *             was measured), trace{}, tags{}, artifacts[].  NaN is null, and so is an
 *             identical image's psnr (JSON has no infinity): metrics{} then says
 *             "identical": true (false for any other run with a psnr).
 *   Markdown  | Cell | <settings that vary> | Mean [ms] | Min [ms] | Max [ms] | Relative |
 *             hit rate | PSNR |, for the runs that have timings (PSNR "identical" for an
 *             image equal to its reference); mean as "x ± σ"; Relative is
 *             mean / fastest mean as "r ± σ_r" with hyperfine's error propagation (the fastest
 *             reads 1.00); `|` in values escaped as `\|`.
 *
 * Errors: -1 with an allocated *cause (a store error, or a write error on out).  Nothing is
 * printed anywhere but out.
 */
#ifndef FBW_DB_EXPORT_H
#define FBW_DB_EXPORT_H

#include <stdint.h>
#include <stdio.h>

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
 */
int db_show(struct db *db, int64_t run_id, FILE *out, char **cause);

/*
 * The text tables of `fbw runs`: every sweep with its run counts per state, then the store's
 * size; or one sweep's runs (cells in grid order, then references) with the settings that vary,
 * state, median wall time ± stddev, speed-up, hit rate, PSNR ("identical" for +Inf) and SSIM.
 */
int db_print_sweeps(struct db *db, const char *path, FILE *out, char **cause);
int db_print_cells(struct db *db, int64_t sweep_id, FILE *out, char **cause);

#endif
