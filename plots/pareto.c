/*
 * pareto.c - speed-up against a quality metric (PSNR by default) for every cell, one point
 * style per Y (and Z) value, the speed-up's interval as asymmetric bars on an axis from 0, and
 * the Pareto frontier drawn as a staircase with its points labelled by their settings: which
 * knob values buy the most speed for the least loss.
 *
 * A cell is on the frontier when no other cell is at least as good on both axes and better on
 * one (higher speed-up; higher quality, or lower for error metrics such as mae).  The staircase
 * is the edge of the region the frontier dominates: `fsteps` when quality rises with the
 * metric, `steps` when it falls.
 *
 * An image identical to its reference (PSNR +Inf, core/metrics.h) is the best quality there
 * is: it dominates as +Inf, and it is drawn at the right edge, one step past the largest finite
 * value (plot_metric_identical_pos), on an X tic labelled "identical".
 *
 * Data (stem.dat): one block per series, rows "quality speedup low high label" (identical
 * points at that position, never "inf"); the last block is the frontier in quality order.
 */
#include "plots/plot_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

struct plot_pareto_point {
    const struct db_cell *cell;
    double q, s, lo, hi;        /* q: +Inf for an identical image; lo..hi: s's bar */
    double x;                   /* where q is drawn */
    int frontier;
};

/* Whether a is dominated by b (hb: higher quality is better). */
static int
plot_pareto_dominated(const struct plot_pareto_point *a, const struct plot_pareto_point *b,
                      int hb)
{
    double qa = hb ? a->q : -a->q, qb = hb ? b->q : -b->q;
    return qb >= qa && b->s >= a->s && (qb > qa || b->s > a->s);
}

static int
plot_pareto_by_quality(const void *a, const void *b)
{
    const struct plot_pareto_point *const *x = a, *const *y = b;
    return (*x)->q < (*y)->q ? -1 : (*x)->q > (*y)->q ? 1 : 0;
}

/* Every cell with both values; marks the frontier.  Returns the number of points. */
static size_t
plot_pareto_points(struct plot_ctx *c, const struct plot_metric *q, struct plot_pareto_point *pt)
{
    double inf_pos = plot_metric_identical_pos(c, q, NULL);
    struct plot_metric s;
    plot_metric_find(c, "speedup", NULL, &s, NULL);
    size_t n = 0;
    for (size_t i = 0; i < c->ncells; i++) {
        const struct db_cell *cell = &c->cells[i];
        double qv, qlo, qhi, sv, slo, shi;
        if (cell->kind != DB_RUN_CELL || cell->state != DB_COMPLETE ||
            plot_metric_value(c, q, cell, &qv, &qlo, &qhi) != 0 ||
            plot_metric_value(c, &s, cell, &sv, &slo, &shi) != 0)
            continue;
        pt[n++] = (struct plot_pareto_point){cell, qv, sv, slo, shi, isinf(qv) ? inf_pos : qv, 1};
    }
    int hb = q->higher_better != 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n && pt[i].frontier; j++)
            if (j != i && plot_pareto_dominated(&pt[i], &pt[j], hb))
                pt[i].frontier = 0;
    return n;
}

static void
plot_pareto_row(struct plot_ctx *c, FILE *d, const struct plot_pareto_point *p)
{
    char *label = plot_cell_label(c, p->cell);
    fprintf(d, "%.17g %.17g %.17g %.17g ", p->x, p->s, p->lo, p->hi);
    plot_dat_str(d, label);
    fputc('\n', d);
    free(label);
}

/* Writes one block per series (has[b] = 1 where it has points), then the frontier. */
static void
plot_pareto_blocks(struct plot_ctx *c, FILE *d, struct plot_pareto_point *pt, size_t n,
                   unsigned char *has)
{
    size_t ny = c->axes[1].count, nz = c->axes[2].count;
    for (size_t b = 0; b < ny * nz; b++) {
        fprintf(d, "%s# series %zu\n", b > 0 ? "\n\n" : "", b);
        for (size_t i = 0; i < n; i++)
            if ((size_t)pt[i].cell->iy + ny * (size_t)pt[i].cell->iz == b) {
                plot_pareto_row(c, d, &pt[i]);
                has[b] = 1;
            }
    }
    const struct plot_pareto_point **front = xcalloc(n, sizeof *front);
    size_t nf = 0;
    for (size_t i = 0; i < n; i++)
        if (pt[i].frontier)
            front[nf++] = &pt[i];
    qsort(front, nf, sizeof *front, plot_pareto_by_quality);
    fputs("\n\n# the Pareto frontier\n", d);
    for (size_t i = 0; i < nf; i++)
        plot_pareto_row(c, d, front[i]);
    free(front);
}

static void
plot_pareto_axes(struct plot_ctx *c, const struct plot_metric *q, int w)
{
    FILE *f = c->gp;
    char *what = xasprintf("speed-up against %s, the Pareto frontier labelled", q->name);
    plot_title(c, what, plot_caption_wrap(c, w));
    free(what);
    fputs("set xlabel ", f);
    plot_gp_str(f, q->label);
    fputs(" noenhanced\n", f);
    plot_ylabel(c, "speed-up over the uncached reference (x)");
    fputs("set yrange [0:*]\n", f);
    plot_identical_tics(f, c, q, 'x');
    fputs("set offsets graph 0.06, graph 0.22, graph 0.1, 0\n"     /* nothing under 0x */
          "set border 3\nset tics nomirror\n", f);
    if (c->term != PLOT_TERM_DUMB)
        fputs("set grid lc rgb '#e4e4e4'\n", f);
    char *key = plot_series_key_title(c);
    fputs("set key outside right top noenhanced title ", f);
    plot_gp_str(f, key);
    fputc('\n', f);
    free(key);
}

static void
plot_pareto_plot(struct plot_ctx *c, const struct plot_metric *q, const char *name,
                 const unsigned char *has)
{
    FILE *f = c->gp;
    size_t ny = c->axes[1].count, nz = c->axes[2].count, block = ny * nz, k = 0;
    int dumb = c->term == PLOT_TERM_DUMB;
    fputs("plot \\\n", f);
    for (size_t b = 0; b < block; b++) {
        if (!has[b])
            continue;
        char *title = plot_series_title(c, b % ny, b / ny);
        fprintf(f, "  '%s' index %zu using 1:2:3:4 with yerrorbars pt 7 ps 1.2 lc rgb '%s' "
                   "title ", name, b, plot_series_color(k++));
        plot_gp_str(f, title != NULL ? title : "cells");
        fputs(" noenhanced, \\\n", f);
        free(title);
    }
    fprintf(f, "  '%s' index %zu using 1:2 with %s lw 2 dt 2 lc rgb '#444444' "
               "title 'Pareto frontier' noenhanced, \\\n", name, block,
            q->higher_better != 0 ? "fsteps" : "steps");
    fprintf(f, "  '%s' index %zu using 1:2:5 with labels left offset 1,0.6 noenhanced "
               "%snotitle, \\\n", name, block, dumb ? "" : "font ',9' tc rgb '#222222' ");
    fputs("  1 with lines dt 3 lc rgb '#999999' title 'no gain (1x)' noenhanced\n", f);
}

int
plot_pareto_write(struct plot_ctx *c, char **cause)
{
    struct plot_metric q;
    if (plot_metric_find(c, c->p->metric, "psnr", &q, cause) < 0)
        return -1;
    struct plot_pareto_point *pt = xcalloc(c->ncells, sizeof *pt);
    unsigned char *has = xcalloc(c->axes[1].count * c->axes[2].count, 1);
    size_t n = plot_pareto_points(c, &q, pt);
    const char *name = NULL;
    int rc = -1;
    if (n == 0) {
        err_set(cause, "no cell of sweep '%s' has both a speed-up and a value of '%s' yet",
                c->sweep.name, q.name);
        goto out;
    }
    FILE *d = plot_data_open(c, "dat", &name, cause);
    if (d == NULL)
        goto out;
    fprintf(d, "# speedup against %s: quality speedup low high label\n", q.name);
    plot_pareto_blocks(c, d, pt, n, has);
    if (plot_data_close(d, name, cause) < 0)
        goto out;
    int w, h;
    plot_default_size(c, &w, &h);
    plot_terminal(c, w, h, 11);
    plot_pareto_axes(c, &q, w);
    plot_pareto_plot(c, &q, name, has);
    rc = 0;
out:
    free(has);
    free(pt);
    return rc;
}
