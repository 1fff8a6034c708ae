/*
 * plot.h - pictures of a sweep, drawn by gnuplot from what the store holds.
 *
 * Five kinds (enum plot_kind, names from plot_kind_name):
 *   grid      the XY image grid (A1111/ComfyUI XY plot): each cell the generated image (or, with
 *             diff, its difference heatmap against the reference), X values over the columns, Y
 *             values beside the rows, every cell annotated with median time, speed-up, hit rate
 *             and PSNR; the uncached reference images alongside; one grid per Z value, stacked
 *   lines     a metric against X, one series per Y (and Z) value, with bars where the metric
 *             has them (times: the median's interquartile range; speed-up: its 95% interval,
 *             asymmetric), time and speed-up axes from 0
 *   heatmap   a metric over X x Y with the values printed in the cells; one panel per Z value
 *   pareto    speed-up (with its 95% interval, axis from 0) against a quality metric for every
 *             cell, the Pareto frontier drawn and its points labelled with their settings
 *   trace     per-call rel-L1 against step (or sigma) for chosen cells, the threshold as a
 *             dashed line, hits as filled points: why one scheduler caches more than another
 *
 * Output: PNG (pngcairo), SVG, or text (gnuplot's dumb terminal, ANSI colours unless mono).
 * Every rendering writes the gnuplot script and its data beside the output, named after it:
 * for out = "dir/foo.png" the files are dir/foo.png, dir/foo.gp, and dir/foo.dat (the grid:
 * dir/foo.rgb, raw 8-bit RGB), and `cd dir && gnuplot foo.gp` renders it again.  Text output
 * without an out path goes into a temporary directory that is removed afterwards (kept when
 * gnuplot fails, so the script named in the error can be read).  Titles carry the sweep's name
 * and a caption with its spec (axes, fixed settings, repetitions).  No label is ever
 * "enhanced": knob names keep their underscores.
 *
 * gnuplot runs as a child process (the program named by params.gnuplot, else the FBW_GNUPLOT
 * environment variable, else "gnuplot" on PATH).  Nothing is printed: errors come back as -1
 * with an allocated *cause the caller reports and frees, e.g.
 *     gnuplot failed on '/tmp/x/foo.gp': "foo.gp" line 12: undefined variable: t
 *     gnuplot not found: install it with `apt-get install gnuplot-nox` (or set FBW_GNUPLOT)
 *     no metric 'psnrr' in sweep 'demo' (known: wall_ms, speedup, hit_rate, ...)
 *
 * Ownership: params and everything they point at are borrowed for the call.  The store may be
 * read-only (db_open_readonly).
 *
 *     struct plot_params p = { .kind = PLOT_HEATMAP, .metric = "hit_rate",
 *                              .term = PLOT_TERM_PNG, .out = "hits.png" };
 *     if (plot_render(db, &p, NULL, &cause) < 0) { report(cause); free(cause); }
 *
 *     struct plot_params t = { .kind = PLOT_LINES, .term = PLOT_TERM_DUMB,
 *                              .width = 100, .height = 30 };
 *     char *text;
 *     if (plot_render_text(db, &t, &text, &cause) == 0) { draw(text); free(text); }
 */
#ifndef FBW_PLOTS_PLOT_H
#define FBW_PLOTS_PLOT_H

#include <stdint.h>
#include <stdio.h>

#include "db/store.h"

enum plot_kind { PLOT_GRID, PLOT_LINES, PLOT_HEATMAP, PLOT_PARETO, PLOT_TRACE, PLOT_KIND_COUNT };
enum plot_term { PLOT_TERM_PNG, PLOT_TERM_SVG, PLOT_TERM_DUMB, PLOT_TERM_COUNT };
enum plot_vs { PLOT_VS_STEP, PLOT_VS_SIGMA, PLOT_VS_COUNT };

/* "grid", "lines", "heatmap", "pareto", "trace"; and a one-line description of each. */
const char *plot_kind_name(enum plot_kind k);
const char *plot_kind_summary(enum plot_kind k);
/* "png", "svg", "dumb". */
const char *plot_term_name(enum plot_term t);
/* "step", "sigma". */
const char *plot_vs_name(enum plot_vs v);
/* The enum value named name, or -1. */
int plot_kind_find(const char *name);
int plot_term_find(const char *name);
int plot_vs_find(const char *name);
/* The terminal an output path implies by its extension (.png, .svg, .txt), or -1. */
int plot_term_of_path(const char *path);

/*
 * The metrics lines, heatmap and pareto can show (NULL-terminated, for help texts):
 * wall_ms, calls_ms, speedup, hit_rate, hit_rate_step, psnr, ssim, mae, max_abs, first_ms.
 * Any other result key stored with the runs is accepted as well.
 */
extern const char *const plot_metric_names[];

struct plot_params {
    enum plot_kind kind;
    const char *sweep;          /* name or id; NULL: the latest (trace with runs: theirs) */
    const char *metric;         /* NULL: wall_ms (lines), hit_rate (heatmap), psnr (pareto's
                                 * quality axis); unused by grid and trace */
    const int64_t *runs;        /* trace: the runs to show; NULL: one per Y value (or per X
                                 * value without Y) at the middle X value */
    size_t nruns;
    int diff;                   /* grid: difference heatmaps instead of the images */
    enum plot_vs vs;            /* trace: x axis */
    enum plot_term term;
    const char *out;            /* the output file; NULL only with PLOT_TERM_DUMB */
    int width, height;          /* pixels, or columns and rows for dumb; 0: the kind's default
                                 * (the grid sizes itself from its cells) */
    int mono;                   /* dumb: no ANSI colour */
    const char *gnuplot;        /* NULL: $FBW_GNUPLOT, else "gnuplot" */
};

/*
 * Renders p.  For PLOT_TERM_DUMB without p->out the text (its leading form feed stripped) is
 * written to dumb_out; otherwise the picture goes to p->out and dumb_out is unused.  0, or -1
 * with *cause set (store error, unknown sweep/metric/run, a file that cannot be written,
 * gnuplot missing or failing).
 */
int plot_render(struct db *db, const struct plot_params *p, FILE *dumb_out, char **cause);

/*
 * The dumb rendering of p as an allocated NUL-terminated text (*text, caller frees), for the
 * TUI: p->term is taken as PLOT_TERM_DUMB whatever it says; p->out, when set, keeps the script
 * and data beside it.  0, or -1 with *cause set.
 */
int plot_render_text(struct db *db, const struct plot_params *p, char **text, char **cause);

#endif
