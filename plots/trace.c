/*
 * trace.c - the per-call rel-L1 change of the first block's residual against step (or sigma)
 * for a few cells, each cell's threshold as a dashed line, hits as filled points and computed
 * calls as open ones: a call hits when its value is below the threshold (and the window and
 * the hit limit allow it), so the picture shows why one scheduler caches more than another.
 *
 * Cells: the runs asked for, else one per Y value at the middle X value (or, without a Y axis,
 * every X value), at most PLOT_TRACE_MAX.  Each shows its first measured repetition (else the
 * first warm-up, else the compile run), as `fbw show` counts hits.
 *
 * Data (stem.dat): one block per cell, rows "x rel_l1 hit step call sigma", x being the step
 * (calls within a step spread over it: step + call / calls) or sigma; a call whose rel-L1 was
 * not computed (the first) is a comment line, which keeps the line unbroken.  With sigma the
 * axis runs from high to low noise, so time still reads left to right.
 */
#include "plots/plot_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/trace.h"
#include "util/err.h"

#define PLOT_TRACE_MAX 8

struct plot_trace_run {
    const struct db_cell *cell;
    struct trace t;
    double threshold;           /* NAN when the cell has none */
};

/* The cells to show; -1 with *cause for a run outside the sweep. */
static int
plot_trace_pick(struct plot_ctx *c, struct plot_trace_run *runs, size_t *n, char **cause)
{
    const struct plot_params *p = c->p;
    *n = 0;
    if (p->nruns > 0) {
        for (size_t i = 0; i < p->nruns && *n < PLOT_TRACE_MAX; i++) {
            const struct db_cell *cell = plot_cell_by_id(c, p->runs[i]);
            if (cell == NULL)
                return err_set(cause, "run %lld is not in sweep '%s' (`fbw runs --sweep %s` "
                                      "lists its runs)", (long long)p->runs[i], c->sweep.name,
                               c->sweep.name);
            runs[(*n)++].cell = cell;
        }
        return 0;
    }
    size_t mid = c->axes[0].count / 2;
    if (c->axes[1].knob != NULL) {
        for (size_t iy = 0; iy < c->axes[1].count && *n < PLOT_TRACE_MAX; iy++)
            if ((runs[*n].cell = plot_cell_at(c, mid, iy, 0)) != NULL)
                (*n)++;
    } else {
        for (size_t ix = 0; ix < c->axes[0].count && *n < PLOT_TRACE_MAX; ix++)
            if ((runs[*n].cell = plot_cell_at(c, ix, 0, 0)) != NULL)
                (*n)++;
    }
    if (*n == 0)
        return err_set(cause, "sweep '%s' has no complete cell to trace yet", c->sweep.name);
    return 0;
}

/* Reads each run's calls; -1 when none of them has any. */
static int
plot_trace_read(struct plot_ctx *c, struct plot_trace_run *runs, size_t n, char **cause)
{
    static const enum db_phase order[] = {DB_PHASE_MEASURE, DB_PHASE_WARMUP, DB_PHASE_COMPILE};
    size_t with = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = 1;
        for (size_t k = 0; k < 3 && rc == 1; k++)
            rc = db_run_calls(c->db, runs[i].cell->id, order[k], 0, &runs[i].t, cause);
        if (rc < 0)
            return -1;
        with += rc == 0;
        const char *t = db_cell_param(runs[i].cell, "residual_diff_threshold");
        char *end = NULL;
        runs[i].threshold = t != NULL ? strtod(t, &end) : NAN;
        if (end == t || (end != NULL && *end != '\0'))
            runs[i].threshold = NAN;
    }
    if (with == 0)
        return err_set(cause, "the chosen runs of sweep '%s' have no trace stored",
                       c->sweep.name);
    return 0;
}

/* Calls in the step of record i. */
static int
plot_trace_calls_in_step(const struct trace *t, size_t i)
{
    int n = 0;
    for (size_t j = 0; j < t->count; j++)
        n += t->records[j].step == t->records[i].step;
    return n > 0 ? n : 1;
}

/* Writes the blocks; range gets the positive rel-L1 range [0], [1] and the x range [2], [3]. */
static void
plot_trace_blocks(struct plot_ctx *c, FILE *d, const struct plot_trace_run *runs, size_t n,
                  double range[4])
{
    int sigma = c->p->vs == PLOT_VS_SIGMA;
    for (size_t i = 0; i < n; i++) {
        char *label = plot_cell_label(c, runs[i].cell);
        fprintf(d, "%s# run %lld: %s\n", i > 0 ? "\n\n" : "", (long long)runs[i].cell->id,
                label);
        free(label);
        const struct trace *t = &runs[i].t;
        for (size_t j = 0; j < t->count; j++) {
            const struct trace_record *r = &t->records[j];
            double x = sigma ? r->sigma
                             : r->step + (double)r->call / plot_trace_calls_in_step(t, j);
            if (!isfinite(r->rel_l1)) {   /* a comment: a NaN row would break the line */
                fprintf(d, "# step %d call %d: not compared (%s)\n", r->step, r->call,
                        trace_reason_name(r->reason));
                continue;
            }
            fprintf(d, "%.17g %.17g %d %d %d %.17g\n", x, r->rel_l1, r->hit ? 1 : 0, r->step,
                    r->call, r->sigma);
            range[2] = fmin(range[2], x);
            range[3] = fmax(range[3], x);
            if (isfinite(r->rel_l1) && r->rel_l1 > 0) {
                range[0] = fmin(range[0], r->rel_l1);
                range[1] = fmax(range[1], r->rel_l1);
            }
        }
        if (t->count == 0)
            fputs("# (no calls stored)\n", d);
    }
}

static void
plot_trace_axes(struct plot_ctx *c, const double range[4], int w)
{
    FILE *f = c->gp;
    int sigma = c->p->vs == PLOT_VS_SIGMA;
    plot_title(c, "per-call rel-L1 change of the first block's residual against the cache "
                  "threshold", plot_caption_wrap(c, w));
    fputs(sigma ? "set xlabel 'sigma (noise level, falling as sampling runs)' noenhanced\n"
                : "set xlabel 'step' noenhanced\n", f);
    plot_ylabel(c, "rel-L1 of the first block's residual");
    if (sigma && range[3] > range[2])
        fprintf(f, "set xrange [%.17g:%.17g]\n", range[3], range[2]);
    else if (!sigma)
        fprintf(f, "set xrange [-0.5:%.17g]\n", range[3] + 0.5);
    if (range[1] > 30 * range[0])
        fputs("set logscale y\n", f);
    fputs("set offsets 0, 0, graph 0.05, graph 0.05\nset border 3\nset tics nomirror\n"
          "set key outside right top noenhanced title 'cell'\n", f);
    if (c->term != PLOT_TERM_DUMB)
        fputs("set grid lc rgb '#e8e8e8'\n", f);
}

/* Whether every run has the same threshold. */
static int
plot_trace_one_threshold(const struct plot_trace_run *runs, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (runs[i].threshold != runs[0].threshold)
            return 0;
    return 1;
}

static void
plot_trace_threshold(struct plot_ctx *c, const struct plot_trace_run *r, const char *color,
                     const char *label)
{
    if (!isfinite(r->threshold) || r->threshold <= 0)
        return;
    fprintf(c->gp, ", \\\n  %.17g with lines dt 2 lw 1.5 lc rgb '%s' title ", r->threshold,
            color);
    char *t = label != NULL ? xasprintf("threshold %g (%s)", r->threshold, label)
                            : xasprintf("threshold %g", r->threshold);
    plot_gp_str(c->gp, t);
    fputs(" noenhanced", c->gp);
    free(t);
}

static void
plot_trace_plot(struct plot_ctx *c, const char *name, const struct plot_trace_run *runs,
                size_t n)
{
    FILE *f = c->gp;
    int dumb = c->term == PLOT_TERM_DUMB, one = plot_trace_one_threshold(runs, n);
    const char *hit = dumb ? "pt 'H'" : "pt 7 ps 1.1", *miss = dumb ? "pt '.'" : "pt 6 ps 1.1";
    fprintf(f, "plot \\\n  NaN with points %s lc rgb '#333333' title 'hit (blocks skipped)' "
               "noenhanced, \\\n  NaN with points %s lc rgb '#333333' title 'computed' "
               "noenhanced", hit, miss);
    for (size_t i = 0; i < n; i++) {
        const char *col = plot_series_color(i);
        char *label = plot_cell_label(c, runs[i].cell);
        fprintf(f, ", \\\n  '%s' index %zu using 1:2 with lines lw 1.5 lc rgb '%s' title ",
                name, i, col);
        plot_gp_str(f, label);
        fprintf(f, " noenhanced, \\\n  '' index %zu using 1:($3 == 1 ? $2 : NaN) with points "
                   "%s lc rgb '%s' notitle, \\\n  '' index %zu using 1:($3 == 0 ? $2 : NaN) "
                   "with points %s lc rgb '%s' notitle", i, hit, col, i, miss, col);
        if (!one || i == 0)
            plot_trace_threshold(c, &runs[i], one ? "#555555" : col, one ? NULL : label);
        free(label);
    }
    fputc('\n', f);
}

int
plot_trace_write(struct plot_ctx *c, char **cause)
{
    struct plot_trace_run runs[PLOT_TRACE_MAX];
    size_t n = 0;
    int rc = -1;
    memset(runs, 0, sizeof runs);
    for (size_t i = 0; i < PLOT_TRACE_MAX; i++)
        trace_init(&runs[i].t);
    const char *name = NULL;
    if (plot_trace_pick(c, runs, &n, cause) < 0 || plot_trace_read(c, runs, n, cause) < 0)
        goto out;
    FILE *d = plot_data_open(c, "dat", &name, cause);
    if (d == NULL)
        goto out;
    double range[4] = {INFINITY, -INFINITY, INFINITY, -INFINITY};
    fputs("# x rel_l1 hit step call sigma (x: step, or sigma)\n", d);
    plot_trace_blocks(c, d, runs, n, range);
    if (plot_data_close(d, name, cause) < 0)
        goto out;
    int w, h;
    plot_default_size(c, &w, &h);
    plot_terminal(c, w, h, 11);
    plot_trace_axes(c, range, w);
    plot_trace_plot(c, name, runs, n);
    rc = 0;
out:
    for (size_t i = 0; i < PLOT_TRACE_MAX; i++)
        trace_release(&runs[i].t);
    return rc;
}
