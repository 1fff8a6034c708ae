/*
 * heatmap.c - a metric over X x Y with the value printed in every cell: e.g. the hit rate of
 * each sampler x scheduler pair.  One panel per Z value, stacked.
 *
 * Data (stem.dat): two blocks per Z value: the cells with a value, rows "ix iy value text" (the
 * text formatted in C, e.g. "53%"), then the image, every cell as 2 x 2 quarter pixels (so one
 * row or column still makes the 2 x 2 grid `with image` needs), NaN where a cell has no value,
 * which gnuplot leaves blank.  Both axes are categorical (values at 0, 1, 2 ...
 * with their texts as tics), numbers included: a heatmap is a table, not a function.  The
 * palette runs from white to a mid green so black text stays readable in every cell; the
 * colour range is the metric's range over the whole sweep, so panels compare.  A cell whose
 * image is identical to its reference (PSNR +Inf) reads "identical", in the colour of the
 * range's top (its image value lies past the range, at plot_metric_identical_pos).
 */
#include "plots/plot_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

struct plot_heatmap_range {
    double lo, hi;              /* over finite values */
    size_t n, nfinite;          /* cells with a value; of them, finite */
    double inf_pos;             /* where +Inf values go in the image */
};

/* The image block of one Z value: every cell as 2 x 2 quarter pixels, so that `with image`
 * always has the 2 x 2 grid it needs, even for a single row or column. */
static void
plot_heatmap_image(FILE *d, const double *v, size_t nx, size_t ny)
{
    for (size_t iy = 0; iy < ny; iy++)
        for (int sy = 0; sy < 2; sy++) {
            for (size_t ix = 0; ix < nx; ix++)
                for (int sx = 0; sx < 2; sx++)
                    fprintf(d, "%g %g %.17g\n", ix - 0.25 + 0.5 * sx, iy - 0.25 + 0.5 * sy,
                            v[iy * nx + ix]);
            fputc('\n', d);    /* a scan line per row, as `with image` reads grids */
        }
}

/* Blocks 2 iz (labels: "ix iy value text") and 2 iz + 1 (the image) of one Z value. */
static void
plot_heatmap_block(struct plot_ctx *c, FILE *d, const struct plot_metric *m, size_t iz,
                   struct plot_heatmap_range *r)
{
    size_t nx = c->axes[0].count, ny = c->axes[1].count;
    double *v = xcalloc(nx * ny, sizeof *v);
    for (size_t iy = 0; iy < ny; iy++)
        for (size_t ix = 0; ix < nx; ix++) {
            const struct db_cell *cell = plot_cell_at(c, ix, iy, iz);
            double lo, hi, *x = &v[iy * nx + ix];
            if (cell == NULL || plot_metric_value(c, m, cell, x, &lo, &hi) != 0) {
                *x = NAN;
                continue;
            }
            char text[64];
            r->n++;
            if (isinf(*x)) {
                *x = r->inf_pos;
                snprintf(text, sizeof text, PLOT_IDENTICAL);
            } else {
                snprintf(text, sizeof text, m->format, *x);
                r->lo = r->nfinite == 0 || *x < r->lo ? *x : r->lo;
                r->hi = r->nfinite == 0 || *x > r->hi ? *x : r->hi;
                r->nfinite++;
            }
            fprintf(d, "%zu %zu %.17g ", ix, iy, *x);
            plot_dat_str(d, text);
            fputc('\n', d);
        }
    fputs("\n\n", d);
    plot_heatmap_image(d, v, nx, ny);
    free(v);
}

static int
plot_heatmap_data(struct plot_ctx *c, const struct plot_metric *m, const char **name,
                  struct plot_heatmap_range *r, char **cause)
{
    FILE *d = plot_data_open(c, "dat", name, cause);
    if (d == NULL)
        return -1;
    fprintf(d, "# %s over %s x %s: per Z value, the cells (ix iy value text), then the image "
               "(x y value, each cell as 2 x 2 quarters)\n", m->name,
            c->axes[0].knob ? c->axes[0].knob : "-", c->axes[1].knob ? c->axes[1].knob : "-");
    for (size_t iz = 0; iz < c->axes[2].count; iz++) {
        if (iz > 0)
            fputs("\n\n", d);
        plot_heatmap_block(c, d, m, iz, r);
    }
    if (plot_data_close(d, *name, cause) < 0)
        return -1;
    if (r->n == 0)
        return err_set(cause, "no cell of sweep '%s' has a value of '%s' yet", c->sweep.name,
                       m->name);
    return 0;
}

static void
plot_heatmap_size(const struct plot_ctx *c, int *w, int *h)
{
    size_t nx = c->axes[0].count, ny = c->axes[1].count, nz = c->axes[2].count;
    plot_default_size(c, w, h);
    if (c->term == PLOT_TERM_DUMB || c->p->height > 0)
        return;
    int panel = (int)(60 * ny) + 120;
    panel = panel < 260 ? 260 : panel > 700 ? 700 : panel;
    *h = (int)nz * panel + 150;
    if (c->p->width <= 0 && nx > 8)
        *w = (int)(90 * nx) + 300;
}

static void
plot_heatmap_axes(struct plot_ctx *c, const struct plot_metric *m,
                  const struct plot_heatmap_range *r)
{
    FILE *f = c->gp;
    const struct plot_axis *x = &c->axes[0], *y = &c->axes[1];
    fputs("set tics scale 0\n", f);
    plot_axis_tics(c, "x", x);
    if (y->knob != NULL)
        plot_axis_tics(c, "y", y);
    else
        fputs("unset ytics\n", f);
    fprintf(f, "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n", x->count - 1,
            y->count - 1);
    if (y->knob != NULL)
        plot_ylabel(c, y->knob);
    fputs("set cblabel ", f);
    plot_gp_str(f, m->label);
    double lo = r->lo, hi = r->hi > r->lo ? r->hi : r->lo + 1;
    if (r->nfinite == 0) {      /* only identical cells: the top of [0, 1] */
        lo = 0;
        hi = 1;
    }
    if (m->scale == 100) {      /* rates: the full scale, so sweeps compare */
        lo = 0;
        hi = 100;
    }
    fprintf(f, " noenhanced\nset cbrange [%.17g:%.17g]\n", lo, hi);
    fputs("set palette defined (0 '#f7fcf0', 1 '#c7e9c0', 2 '#74c476')\n"
          "set border lw 0.5\nunset key\n", f);
    if (c->term == PLOT_TERM_DUMB)
        fputs("unset colorbox\n", f);
}

static void
plot_heatmap_panels(struct plot_ctx *c, const char *name, int h)
{
    FILE *f = c->gp;
    const struct plot_axis *z = &c->axes[2];
    if (z->count > 1) {
        double bottom = c->term == PLOT_TERM_DUMB ? 8.0 / h : 125.0 / h;
        double spacing = c->term == PLOT_TERM_DUMB ? 4.0 / h : 80.0 / h;
        double top = c->term == PLOT_TERM_DUMB ? 1 - 4.0 / h : 1 - 70.0 / h;
        fprintf(f, "set multiplot layout %zu,1 margins 0.14,0.86,%.3f,%.3f spacing 0,%.3f\n",
                z->count, bottom, top, spacing);
    }
    for (size_t iz = 0; iz < z->count; iz++) {
        if (z->count > 1) {
            char *t = plot_axis_value_label(z, iz);
            fputs("set title ", f);
            plot_gp_str(f, t);
            fputs(" noenhanced\n", f);
            free(t);
        }
        if (iz + 1 == z->count) {   /* the X knob once, under the last panel */
            fputs("set xlabel ", f);
            plot_gp_str(f, c->axes[0].knob != NULL ? c->axes[0].knob : "");
            fputs(" noenhanced\n", f);
        }
        fprintf(f, "plot '%s' index %zu using 1:2:3 with image, \\\n"
                   "  '' index %zu using 1:2:4 with labels noenhanced font ',11'\n",
                name, 2 * iz + 1, 2 * iz);
        if (iz == 0 && z->count > 1)
            fputs("unset label\n", f);   /* the caption is drawn once */
    }
    if (z->count > 1)
        fputs("unset multiplot\n", f);
}

int
plot_heatmap_write(struct plot_ctx *c, char **cause)
{
    struct plot_metric m;
    if (plot_metric_find(c, c->p->metric, "hit_rate", &m, cause) < 0)
        return -1;
    struct plot_heatmap_range r = {0, 0, 0, 0, plot_metric_identical_pos(c, &m, NULL)};
    const char *name = NULL;
    if (plot_heatmap_data(c, &m, &name, &r, cause) < 0)
        return -1;
    int w, h;
    plot_heatmap_size(c, &w, &h);
    plot_terminal(c, w, h, 11);
    char *what = c->axes[1].knob != NULL
        ? xasprintf("%s, %s x %s", m.label, c->axes[0].knob, c->axes[1].knob)
        : xasprintf("%s by %s", m.label, c->axes[0].knob ? c->axes[0].knob : "cell");
    plot_title(c, what, plot_caption_wrap(c, w));
    plot_heatmap_axes(c, &m, &r);
    plot_heatmap_panels(c, name, h);
    free(what);
    return 0;
}
