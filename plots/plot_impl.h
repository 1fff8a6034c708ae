/*
 * plot_impl.h - what the plot kinds share: the rendering context (the sweep, its cells and
 * axes, the files being written), metrics, and the helpers that write gnuplot text safely.
 *
 * A kind is one function, `int plot_<kind>_write(struct plot_ctx *c, char **cause)`, that writes
 * its data files (plot_data_open) and its script body into c->gp after calling plot_terminal.
 * plot.c opens the files before and runs gnuplot after.
 *
 * Strings: every text that reaches gnuplot goes through plot_gp_str (single quotes, '' for a
 * quote, "\n" joined between lines), and every label, title and key entry is written with
 * `noenhanced` besides `set termoption noenhanced`, so "max_consecutive_cache_hits" never turns
 * into subscripts.
 */
#ifndef FBW_PLOTS_PLOT_IMPL_H
#define FBW_PLOTS_PLOT_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "db/query.h"
#include "plots/plot.h"

/* One axis of the sweep: its knob and values in index order. */
struct plot_axis {
    char *knob;                 /* the param key, e.g. "scheduler"; NULL when unused */
    size_t count;               /* values (1 when unused) */
    char **values;              /* value text by index (owned; "?" where no cell has it) */
    double *nums;               /* numeric values by index (NAN for names) */
    int numeric;                /* 1: a number knob with every value a number */
};

struct plot_ctx {
    struct db *db;
    const struct plot_params *p;
    enum plot_term term;
    struct db_sweep_info sweep;
    int have_sweep;
    struct db_cell *cells;      /* the sweep's runs: cells in grid order, then references */
    size_t ncells;
    struct plot_axis axes[3];   /* X, Y, Z */
    char *spec_axes;            /* caption line 1: "x: knob=values   y: ..." */
    char *spec_fixed;           /* caption line 2: "fixed: k=v ...; repeat R, warmup W" */
    struct db_run_detail *details;  /* by index into cells, read on demand (metric values) */
    signed char *detail_state;      /* 0 not read yet, 1 read, -1 unreadable */
    /* Files: everything lives in dir, named after stem. */
    char *dir;
    char *stem;
    char *out_name;             /* the output's basename in dir */
    char *gp_name;              /* stem.gp */
    int tmpdir;                 /* 1: dir is ours, removed at the end unless keep */
    int keep;
    char **files;               /* basenames written in dir (for the temporary case) */
    size_t nfiles;
    FILE *gp;                   /* the script being written */
};

/* ---- source.c: the sweep, its cells, axes and metrics ---- */

/* Loads the sweep p names (or the latest), its cells, axes and caption into c. */
int plot_source_load(struct plot_ctx *c, char **cause);
void plot_source_release(struct plot_ctx *c);

/* The complete cell (kind cell) at (ix, iy, iz), or NULL. */
const struct db_cell *plot_cell_at(const struct plot_ctx *c, size_t ix, size_t iy, size_t iz);
/* Any cell (complete or not) at (ix, iy, iz), or NULL. */
const struct db_cell *plot_cell_any_at(const struct plot_ctx *c, size_t ix, size_t iy,
                                       size_t iz);
/* The run with this id among the sweep's, or NULL. */
const struct db_cell *plot_cell_by_id(const struct plot_ctx *c, int64_t id);
/* "0.1, simple": the cell's values on the axes in use (allocated). */
char *plot_cell_label(const struct plot_ctx *c, const struct db_cell *cell);
/* The number of axes in use (those with a knob). */
int plot_axes_used(const struct plot_ctx *c);
/* The title of the series of cells at (iy, iz): "karras" or "karras, euler"; NULL when the
 * sweep has neither Y nor Z (allocated). */
char *plot_series_title(const struct plot_ctx *c, size_t iy, size_t iz);
/* The key's title naming the series' knobs: "scheduler" or "scheduler, sampler" (allocated). */
char *plot_series_key_title(const struct plot_ctx *c);
/* Where value i of axis a sits on a numeric or categorical plot axis. */
double plot_axis_pos(const struct plot_axis *a, size_t i);
/* "knob = value" of axis a's value i (allocated), "" for an unused axis. */
char *plot_axis_value_label(const struct plot_axis *a, size_t i);

struct plot_metric {
    const char *name;           /* e.g. "hit_rate" */
    const char *label;          /* axis label, e.g. "cache hit rate per call (%)" */
    const char *format;         /* printf format of a value in a cell, e.g. "%.0f%%" */
    double scale;               /* shown value = stored value * scale */
    int higher_better;          /* 1 higher is better, 0 lower, -1 unknown */
    int has_bars;               /* 1: bars low..high (plot_metric_value) */
    int zero;                   /* 1: a time or speed-up, its axis starts at 0 */
};

/* The metric name (NULL: fallback) for c's sweep: 0, or -1 with *cause listing the known. */
int plot_metric_find(struct plot_ctx *c, const char *name, const char *fallback,
                     struct plot_metric *m, char **cause);
/*
 * A cell's value of m (scaled) and the ends of its bar, *low <= value <= *high (both the value
 * when m has no bars): 0, or 1 when the cell has none.  Times (a summary: wall_ms, calls_ms)
 * are the median with the interquartile range p25..p75, never mean ± sd, so no bar goes below
 * 0 ms.  The speed-up has its interval speedup_lo..speedup_hi (asymmetric: the median of the
 * paired rounds' ratios), or for a run stored before paired rounds its ± speedup_err clamped at
 * 0; none for a run with too few rounds.  The value is +INFINITY for an image identical to its
 * reference (PSNR, core/metrics.h), without a bar: callers draw it at
 * plot_metric_identical_pos, labelled PLOT_IDENTICAL, never as a number.
 */
int plot_metric_value(struct plot_ctx *c, const struct plot_metric *m,
                      const struct db_cell *cell, double *value, double *low, double *high);
/* For a metric whose axis starts at 0 (m->zero): `set {axis}range [0:*]`, else nothing. */
void plot_metric_zero(FILE *f, const struct plot_metric *m, char axis);

#define PLOT_IDENTICAL "identical"

/* Where +INFINITY values of m sit on an axis: one step (15% of the finite values' span, at
 * least 1) past the largest finite value of m over the sweep's complete cells; 1 when none is
 * finite.  *any (may be NULL): 1 when some cell's value is +INFINITY. */
double plot_metric_identical_pos(struct plot_ctx *c, const struct plot_metric *m, int *any);
/* Where m has identical cells: regular tics on the axis ('x' or 'y') over the finite values
 * only, then the PLOT_IDENTICAL tic at plot_metric_identical_pos, one step past them. */
void plot_identical_tics(FILE *f, struct plot_ctx *c, const struct plot_metric *m, char axis);

/* ---- script.c: gnuplot text ---- */

/* Writes s as a gnuplot string constant: 'it''s' ; lines joined with ."\n". */
void plot_gp_str(FILE *f, const char *s);
/* Writes s as one double-quoted field of a data file (quotes and newlines become '). */
void plot_dat_str(FILE *f, const char *s);
/* The number of characters in the longest line of s (UTF-8 aware). */
size_t plot_text_width(const char *s);
/*
 * set terminal (size w x h; font pt for png/svg) and output, noenhanced everywhere, a
 * white background.
 */
void plot_terminal(struct plot_ctx *c, int w, int h, int font_pt);
/*
 * set title "sweep 'NAME': what", and the caption (wrapped to wrap columns) as labels at the
 * bottom left, with the bottom margin to hold them.
 */
void plot_title(struct plot_ctx *c, const char *what, size_t wrap);
/* Only the caption labels (tags from PLOT_CAPTION_TAG); returns their number of lines. */
int plot_caption_labels(struct plot_ctx *c, size_t wrap);
#define PLOT_CAPTION_TAG 9000
/* Caption width in columns for a chart w units wide on c's terminal. */
size_t plot_caption_wrap(const struct plot_ctx *c, int w);
/* The caption text (spec axes and fixed settings), wrapped to wrap columns (allocated). */
char *plot_caption(const struct plot_ctx *c, size_t wrap);
/* The y axis label (above the axis on the dumb terminal, which cannot rotate text). */
void plot_ylabel(struct plot_ctx *c, const char *text);
/* set xtics/ytics (which: "x" or "y") with axis a's values as categorical labels. */
void plot_axis_tics(struct plot_ctx *c, const char *which, const struct plot_axis *a);
/* The default size of a chart (not the grid) on c's terminal. */
void plot_default_size(const struct plot_ctx *c, int *w, int *h);
/* Line colours of series i (a colour-blind safe cycle) as "#rrggbb". */
const char *plot_series_color(size_t i);

/* Opens stem.ext in c's directory for writing ("wb"): the stream, and *name its basename
 * (owned by c); NULL with *cause on failure. */
FILE *plot_data_open(struct plot_ctx *c, const char *ext, const char **name, char **cause);
/* Closes a data file, turning a write error into -1 with *cause. */
int plot_data_close(FILE *f, const char *name, char **cause);

/* ---- gnuplot.c: the child process ---- */

/*
 * Runs `program script` in dir with stdin from /dev/null and stderr captured: 0 on exit 0, else
 * -1 with *cause "gnuplot failed on 'SCRIPT_PATH': <its message>", or the install hint when
 * program cannot be found.
 */
int plot_gnuplot_run(const char *program, const char *dir, const char *script,
                     char **cause);

/* ---- the kinds ---- */

int plot_grid_write(struct plot_ctx *c, char **cause);
int plot_lines_write(struct plot_ctx *c, char **cause);
int plot_heatmap_write(struct plot_ctx *c, char **cause);
int plot_pareto_write(struct plot_ctx *c, char **cause);
int plot_trace_write(struct plot_ctx *c, char **cause);

#endif
