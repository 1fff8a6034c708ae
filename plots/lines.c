/*
 * lines.c - a metric against the X axis, one series per Y (and Z) value, with bars: e.g. median
 * time against residual_diff_threshold, one line per scheduler.  Times show the median with
 * its interquartile range, the speed-up its asymmetric interval (plot_metric_value), and both
 * axes start at 0, so no bar reaches below it.
 *
 * Data (stem.dat): one block per series that has values, blocks separated by two blank lines
 * (gnuplot's `index`), rows "x value low high label" in X order; categorical X values (sampler,
 * scheduler) sit at 0, 1, 2 ... with their names as tics.  For wall or call time, each series
 * whose cells share one uncached reference gets a further block, the reference's median as a
 * dashed line in the series' colour; for speed-up, 1x (no gain) is a grey dashed line.  An
 * image identical to its reference (PSNR +Inf) sits one step above the largest finite value,
 * on a Y tic labelled "identical" (plot_metric_identical_pos).
 */
#include "plots/plot_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

struct plot_lines_series {
    size_t iy, iz;
    int index;                  /* its block in the data file */
    int ref_index;              /* the reference line's block, -1 when none */
};

/* The reference run shared by every complete cell of a series, or NULL. */
static const struct db_cell *
plot_lines_shared_ref(const struct plot_ctx *c, size_t iy, size_t iz)
{
    int64_t ref = 0;
    for (size_t ix = 0; ix < c->axes[0].count; ix++) {
        const struct db_cell *cell = plot_cell_at(c, ix, iy, iz);
        if (cell == NULL)
            continue;
        if (ref != 0 && cell->ref_id != ref)
            return NULL;
        ref = cell->ref_id;
    }
    const struct db_cell *r = ref != 0 ? plot_cell_by_id(c, ref) : NULL;
    return r != NULL && r->state == DB_COMPLETE && r->has_wall ? r : NULL;
}

/* Writes one series' block (+Inf values at inf_pos); returns the number of points. */
static size_t
plot_lines_block(struct plot_ctx *c, FILE *d, const struct plot_metric *m, size_t iy,
                 size_t iz, double inf_pos)
{
    const struct plot_axis *x = &c->axes[0];
    size_t n = 0;
    for (size_t ix = 0; ix < x->count; ix++) {
        const struct db_cell *cell = plot_cell_at(c, ix, iy, iz);
        double v, lo, hi;
        if (cell == NULL || plot_metric_value(c, m, cell, &v, &lo, &hi) != 0)
            continue;
        if (isinf(v))
            v = lo = hi = inf_pos;
        fprintf(d, "%.17g %.17g %.17g %.17g ", plot_axis_pos(x, ix), v, lo, hi);
        plot_dat_str(d, x->values[ix]);
        fputc('\n', d);
        n++;
    }
    return n;
}

/* Writes the data file; fills series (one per (iy, iz) with points) and *nseries. */
static int
plot_lines_data(struct plot_ctx *c, const struct plot_metric *m,
                struct plot_lines_series *series, size_t *nseries, const char **name,
                char **cause)
{
    FILE *d = plot_data_open(c, "dat", name, cause);
    if (d == NULL)
        return -1;
    const struct plot_axis *x = &c->axes[0];
    int blocks = 0;
    int refs = strcmp(m->name, "wall_ms") == 0 || strcmp(m->name, "calls_ms") == 0;
    double inf_pos = plot_metric_identical_pos(c, m, NULL);
    fprintf(d, "# %s against %s: x value low high label\n", m->name, x->knob ? x->knob : "x");
    *nseries = 0;
    for (size_t iz = 0; iz < c->axes[2].count; iz++)
        for (size_t iy = 0; iy < c->axes[1].count; iy++) {
            if (blocks > 0)
                fputs("\n\n", d);
            if (plot_lines_block(c, d, m, iy, iz, inf_pos) == 0) {
                fputs("# (no values)\n", d);
                blocks++;
                continue;
            }
            struct plot_lines_series *s = &series[(*nseries)++];
            *s = (struct plot_lines_series){iy, iz, blocks++, -1};
            const struct db_cell *ref = refs ? plot_lines_shared_ref(c, iy, iz) : NULL;
            double v, lo, hi;
            if (ref == NULL || plot_metric_value(c, m, ref, &v, &lo, &hi) != 0)
                continue;
            fprintf(d, "\n\n# uncached reference (run %lld)\n%.17g %.17g\n%.17g %.17g\n",
                    (long long)ref->id, plot_axis_pos(x, 0), v, plot_axis_pos(x, x->count - 1),
                    v);
            s->ref_index = blocks++;
        }
    if (plot_data_close(d, *name, cause) < 0)
        return -1;
    if (*nseries == 0)
        return err_set(cause, "no cell of sweep '%s' has a value of '%s' yet", c->sweep.name,
                       m->name);
    return 0;
}

static void
plot_lines_axes(struct plot_ctx *c, const struct plot_metric *m, int w)
{
    const struct plot_axis *x = &c->axes[0];
    FILE *f = c->gp;
    char *what = xasprintf("%s by %s", m->label, x->knob != NULL ? x->knob : "cell");
    plot_title(c, what, plot_caption_wrap(c, w));
    free(what);
    fputs("set xlabel ", f);
    plot_gp_str(f, x->knob != NULL ? x->knob : "cell");
    fputs(" noenhanced\n", f);
    plot_ylabel(c, m->label);
    if (!x->numeric)
        plot_axis_tics(c, "x", x);
    if (m->scale == 100)
        fputs("set yrange [0:100]\n", f);  /* rates: the full scale */
    plot_metric_zero(f, m, 'y');
    plot_identical_tics(f, c, m, 'y');
    /* no margin under an axis that starts at 0: it would show negative times */
    fprintf(f, "set offsets graph 0.04, graph 0.04, graph 0.08, %s\n"
               "set border 3\nset tics nomirror\n", m->zero ? "0" : "graph 0.08");
    if (c->term != PLOT_TERM_DUMB)
        fputs("set grid ytics lc rgb '#dddddd'\n", f);
    char *key = plot_series_key_title(c);
    if (key[0] == '\0') {
        fputs("set key top left noenhanced\n", f);
    } else {
        fputs("set key outside right top noenhanced title ", f);
        plot_gp_str(f, key);
        fputc('\n', f);
    }
    free(key);
}

static void
plot_lines_plot(struct plot_ctx *c, const struct plot_metric *m, const char *name,
                const struct plot_lines_series *series, size_t nseries)
{
    FILE *f = c->gp;
    const char *style = m->has_bars ? "yerrorlines" : "linespoints";
    const char *using = m->has_bars ? "1:2:3:4" : "1:2";   /* x y ylow yhigh */
    fputs("plot \\\n", f);
    for (size_t i = 0; i < nseries; i++) {
        const struct plot_lines_series *s = &series[i];
        char *title = plot_series_title(c, s->iy, s->iz);
        fprintf(f, "  '%s' index %d using %s with %s lw 2 pt 7 ps 1 lc rgb '%s' title ",
                name, s->index, using, style, plot_series_color(i));
        plot_gp_str(f, title != NULL ? title : m->name);
        fputs(" noenhanced", f);
        if (s->ref_index >= 0) {
            char *rt = xasprintf("%s%suncached reference", title != NULL ? title : "",
                                 title != NULL ? ", " : "");
            fprintf(f, ", \\\n  '%s' index %d using 1:2 with lines dt 2 lw 1 lc rgb '%s' "
                       "title ", name, s->ref_index, plot_series_color(i));
            plot_gp_str(f, rt);
            fputs(" noenhanced", f);
            free(rt);
        }
        fputs(i + 1 < nseries ? ", \\\n" : "", f);
        free(title);
    }
    if (strcmp(m->name, "speedup") == 0)
        fputs(", \\\n  1 with lines dt 2 lc rgb '#888888' title 'no gain (1x)' noenhanced", f);
    fputc('\n', f);
}

int
plot_lines_write(struct plot_ctx *c, char **cause)
{
    struct plot_metric m;
    if (plot_metric_find(c, c->p->metric, "wall_ms", &m, cause) < 0)
        return -1;
    size_t cap = c->axes[1].count * c->axes[2].count;
    struct plot_lines_series *series = xcalloc(cap, sizeof *series);
    size_t nseries = 0;
    const char *name = NULL;
    int rc = plot_lines_data(c, &m, series, &nseries, &name, cause);
    if (rc == 0) {
        int w, h;
        plot_default_size(c, &w, &h);
        plot_terminal(c, w, h, 11);
        plot_lines_axes(c, &m, w);
        plot_lines_plot(c, &m, name, series, nseries);
    }
    free(series);
    return rc;
}
