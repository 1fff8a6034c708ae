/*
 * grid.c - the XY image grid, as A1111's and ComfyUI's XY plots draw it: one picture per cell
 * (the generated image, or its difference heatmap against the reference), X values over the
 * columns, Y values beside the rows, each picture annotated with median time, speed-up, hit
 * rate and PSNR, the uncached references alongside, and one grid per Z value, stacked.
 *
 * Pictures: the PNG blobs of the store are decoded here and written raw (8-bit RGB) into one
 * data file, stem.rgb, one after the other; the script draws each with `binary array=(w,h)
 * skip=OFFSET ... with rgbimage` at its place, scaled by an integer factor so pixels stay sharp
 * (gnuplot reads raw binary everywhere; reading PNG would need its +GD_PNG build).  On the dumb
 * terminal each picture is first averaged down to a block of characters (two rows per column
 * for square pixels) and stored as an index into the 6x6x6 colour cube that ANSI 256 colours
 * share, drawn `with image` through a palette made of that cube.
 *
 * Layout: plot coordinates are pixels (characters on dumb): margins are zero and the ranges
 * equal the canvas, so every label and picture is placed exactly.  Slots: the nx x ny cells of
 * a block, plus the references, placed by how they are shared: one per row when every cell of
 * a row has the same reference (a "reference" column at the right), else one per column (a row
 * at the bottom), else one per cell (a second block of the same shape at the right).
 * Size: pictures are about 128-256 px; the canvas is capped at PLOT_GRID_MAX_PX a side (or
 * params width/height) by shrinking them, down to 32 px.
 */
#include "plots/plot_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/image.h"
#include "util/err.h"

#define PLOT_GRID_MAX_PX 4000

enum plot_grid_refs { PLOT_GRID_REFS_COLUMN, PLOT_GRID_REFS_ROW, PLOT_GRID_REFS_MIRROR };

struct plot_grid {
    struct plot_ctx *c;
    int dumb;
    enum plot_grid_refs refs;
    int iw, ih;                 /* a picture's size in image pixels */
    int cw, ch;                 /* a picture's size on the canvas (units) */
    double charw, lineh;        /* annotation text metrics in units */
    int font;                   /* annotation font (points; png/svg) */
    int gap, left, top, zhead, colhead, ann_lines, bottom;
    size_t ncols, nrows;        /* slots per block */
    int block_h, width, height;
    char *caption;
    int caption_lines;
    long label;                 /* the next label or object tag */
    FILE *plot;                 /* the plot command, built while labels go to the script */
    size_t pictures;            /* clauses in it */
};

/* ---- what goes where ---- */

/* Whether the complete cells with (ix or iy fixed) all share one reference. */
static int
plot_grid_shared(const struct plot_ctx *c, int by_row)
{
    size_t outer = by_row ? c->axes[1].count : c->axes[0].count;
    size_t inner = by_row ? c->axes[0].count : c->axes[1].count;
    for (size_t iz = 0; iz < c->axes[2].count; iz++)
        for (size_t o = 0; o < outer; o++) {
            int64_t ref = 0;
            for (size_t i = 0; i < inner; i++) {
                const struct db_cell *cell = by_row ? plot_cell_at(c, i, o, iz)
                                                    : plot_cell_at(c, o, i, iz);
                if (cell == NULL)
                    continue;
                if (ref != 0 && cell->ref_id != ref)
                    return 0;
                ref = cell->ref_id;
            }
        }
    return 1;
}

/* The reference shown at a reference slot (ix or iy as the mode says), or NULL. */
static const struct db_cell *
plot_grid_ref_at(const struct plot_grid *g, size_t ix, size_t iy, size_t iz)
{
    const struct plot_ctx *c = g->c;
    const struct db_cell *cell = NULL;
    size_t n = g->refs == PLOT_GRID_REFS_COLUMN ? c->axes[0].count
               : g->refs == PLOT_GRID_REFS_ROW ? c->axes[1].count : 1;
    for (size_t i = 0; i < n && cell == NULL; i++)
        cell = g->refs == PLOT_GRID_REFS_COLUMN ? plot_cell_at(c, i, iy, iz)
               : g->refs == PLOT_GRID_REFS_ROW ? plot_cell_at(c, ix, i, iz)
               : plot_cell_at(c, ix, iy, iz);
    const struct db_cell *ref = cell != NULL ? plot_cell_by_id(c, cell->ref_id) : NULL;
    return ref != NULL && ref->state == DB_COMPLETE ? ref : NULL;
}

/* The run at slot (col, row) of block iz, *reference set for reference slots; NULL when the
 * slot is empty; *missing (when non-NULL) gets the cell that is not complete. */
static const struct db_cell *
plot_grid_slot(const struct plot_grid *g, size_t iz, size_t col, size_t row, int *reference,
               const struct db_cell **missing)
{
    size_t nx = g->c->axes[0].count, ny = g->c->axes[1].count;
    *reference = col >= nx || row >= ny;
    if (missing != NULL)
        *missing = NULL;
    if (!*reference) {
        const struct db_cell *cell = plot_cell_at(g->c, col, row, iz);
        if (cell == NULL && missing != NULL)
            *missing = plot_cell_any_at(g->c, col, row, iz);
        return cell;
    }
    if (g->refs == PLOT_GRID_REFS_MIRROR)
        return plot_grid_ref_at(g, col - nx, row, iz);
    if (col >= nx && row >= ny)
        return NULL;
    return plot_grid_ref_at(g, col, row, iz);
}

/* ---- annotations ---- */

/* The short texts under a picture: time, speed-up, hits, PSNR (a reference: time only). */
static size_t
plot_grid_items(const struct db_cell *run, int reference, char items[4][32])
{
    size_t n = 0;
    if (run->has_wall)
        snprintf(items[n++], 32, "%.0f ms", run->wall.median);
    if (reference) {
        snprintf(items[n++], 32, "uncached");
        return n;
    }
    if (isfinite(run->speedup))
        snprintf(items[n++], 32, "%.2fx", run->speedup);
    if (isfinite(run->hit_rate))
        snprintf(items[n++], 32, "hits %.0f%%", 100 * run->hit_rate);
    if (isfinite(run->psnr))
        snprintf(items[n++], 32, "%.1f dB", run->psnr);
    else if (isinf(run->psnr) && run->psnr > 0)
        snprintf(items[n++], 32, PLOT_IDENTICAL);  /* PSNR +Inf: the reference's image */
    return n;
}

/* Packs items into lines of at most width characters, all on one line, else two to a line,
 * else one; returns the number of lines. */
static int
plot_grid_pack(char items[4][32], size_t n, size_t width, char lines[4][96])
{
    for (size_t per = n; per >= 1; per = per > 2 ? 2 : per - 1) {
        int nl = 0, fits = 1;
        for (size_t i = 0; i < n; i += per) {
            lines[nl][0] = '\0';
            for (size_t j = i; j < i + per && j < n; j++) {
                strcat(lines[nl], j > i ? "  " : "");
                strcat(lines[nl], items[j]);
            }
            fits &= strlen(lines[nl++]) <= width;
        }
        if (fits || per == 1)
            return nl;
    }
    return 0;
}

/* Annotation lines of the widest case (a cell with every item), for the layout. */
static int
plot_grid_ann_lines(const struct plot_grid *g)
{
    char items[4][32] = {"99999 ms", "9.99x", "hits 100%", "99.9 dB"}, lines[4][96];
    size_t width = (size_t)((g->cw + 0.8 * g->gap) / g->charw);
    return plot_grid_pack(items, 4, width, lines);
}

/* ---- layout ---- */

/* The title: what the pictures are (the axes are in the headers). */
static char *
plot_grid_title(const struct plot_ctx *c)
{
    return xasprintf("sweep '%s': %s", c->sweep.name,
                     c->p->diff ? "difference from the uncached reference (black: none, "
                                  "white: large)"
                                : "images against the uncached reference");
}


static size_t
plot_grid_longest(const struct plot_axis *a)
{
    size_t w = 0;
    for (size_t i = 0; a->knob != NULL && i < a->count; i++)
        if (plot_text_width(a->values[i]) > w)
            w = plot_text_width(a->values[i]);
    return w;
}

/* A row of slots: picture, annotation lines, and the gap before the next row. */
static int
plot_grid_row_h(const struct plot_grid *g)
{
    if (g->dumb)
        return g->ch + g->ann_lines + 1;
    return g->ch + (int)ceil(g->ann_lines * g->lineh) + g->gap + 4;
}

/* Everything but the picture size follows from the picture size. */
static void
plot_grid_measure(struct plot_grid *g)
{
    const struct plot_ctx *c = g->c;
    size_t ylab = plot_grid_longest(&c->axes[1]);
    if (g->refs == PLOT_GRID_REFS_ROW && ylab < 9)
        ylab = 9;   /* "reference" */
    if (g->dumb) {
        g->ch = (int)lround(g->cw * (double)g->ih / g->iw / 2);
        g->ch = g->ch < 2 ? 2 : g->ch;
        g->charw = g->lineh = 1;
        g->gap = 2;
        g->left = (int)ylab + (ylab > 0 ? 2 : 1);
        g->top = 2;
        g->zhead = c->axes[2].count > 1 ? 2 : 0;
        g->colhead = 2;
    } else {
        g->ch = (int)lround(g->cw * (double)g->ih / g->iw);
        g->font = g->cw >= 160 ? 10 : g->cw >= 112 ? 9 : g->cw >= 80 ? 8 : 7;
        g->charw = 0.7 * g->font;
        g->lineh = 1.6 * g->font;
        g->gap = g->cw / 8 < 10 ? 10 : g->cw / 8;
        g->left = 16 + (int)(ylab * 7.5) + (c->axes[1].knob != NULL ? 30 : 0);
        g->top = 48;
        g->zhead = c->axes[2].count > 1 ? 34 : 0;
        g->colhead = 44;
    }
    g->ann_lines = plot_grid_ann_lines(g);
    int row_h = plot_grid_row_h(g);
    int extra = g->refs == PLOT_GRID_REFS_MIRROR ? (g->dumb ? 2 : 2 * g->gap) : 0;
    g->block_h = g->zhead + g->colhead + (int)g->nrows * row_h;
    g->width = g->left + (int)g->ncols * (g->cw + g->gap) + extra + (g->dumb ? 1 : 16);
    if (!g->dumb) {
        char *title = plot_grid_title(c);
        int need = 32 + (int)(plot_text_width(title) * 10.5);
        g->width = g->width < need ? need : g->width;
        free(title);
    }
    g->bottom = (int)ceil((g->caption_lines + 1) * (g->dumb ? 1 : 15));
    g->height = g->top + (int)c->axes[2].count * g->block_h + g->bottom;
}

/* Picks the picture size: about 128-256 px (png), or to fit the columns (dumb). */
static void
plot_grid_layout(struct plot_grid *g)
{
    const struct plot_params *p = g->c->p;
    if (g->dumb) {
        int cols = p->width > 0 ? p->width : 100;
        int ylab = (int)plot_grid_longest(&g->c->axes[1]) + 2;
        g->cw = (cols - ylab - 1) / (int)g->ncols - 2;
        g->cw = g->cw < 6 ? 6 : g->cw > 24 ? 24 : g->cw;
        plot_grid_measure(g);
        return;
    }
    int maxw = p->width > 0 ? p->width : PLOT_GRID_MAX_PX;
    int maxh = p->height > 0 ? p->height : PLOT_GRID_MAX_PX;
    int k = g->iw >= 256 ? 1 : (int)lround(144.0 / g->iw);
    g->cw = g->iw > 256 ? 256 : g->iw * (k < 1 ? 1 : k);
    for (;;) {
        plot_grid_measure(g);
        if ((g->width <= maxw && g->height <= maxh) || g->cw <= 32)
            break;
        /* whole multiples of the image while they last, then by quarters */
        g->cw = g->cw > g->iw ? g->cw - g->iw : g->cw * 3 / 4;
    }
}

/* Top-left corner of slot (col, row) of block iz, in units from the canvas' top left. */
static void
plot_grid_slot_xy(const struct plot_grid *g, size_t iz, size_t col, size_t row, int *x,
                  int *y)
{
    int row_h = plot_grid_row_h(g);
    int extra = g->refs == PLOT_GRID_REFS_MIRROR && col >= g->c->axes[0].count
                    ? (g->dumb ? 2 : 2 * g->gap) : 0;
    *x = g->left + (int)col * (g->cw + g->gap) + extra;
    *y = g->top + (int)iz * g->block_h + g->zhead + g->colhead + (int)row * row_h;
}

/* ---- script text ---- */

/* set label at (x, y from the top); just: "left", "center" or "right". */
static void
plot_grid_label(struct plot_grid *g, const char *text, double x, double y, const char *just,
                int font, const char *color, int rotate)
{
    FILE *f = g->c->gp;
    double gy = g->dumb ? g->height - 1 - y : g->height - y;
    fprintf(f, "set label %ld ", g->label++);
    plot_gp_str(f, text);
    fprintf(f, " at %.1f,%.1f %s noenhanced front", x, gy, just);
    if (!g->dumb)
        fprintf(f, " font ',%d' tc rgb '%s'", font, color);
    if (rotate && !g->dumb)
        fputs(" rotate by 90", f);
    fputc('\n', f);
}

static void
plot_grid_annotate(struct plot_grid *g, const struct db_cell *run, int reference, int x,
                   int y)
{
    char items[4][32], lines[4][96];
    size_t width = (size_t)((g->cw + 0.8 * g->gap) / g->charw);
    int n = plot_grid_pack(items, plot_grid_items(run, reference, items), width, lines);
    for (int i = 0; i < n; i++)
        plot_grid_label(g, lines[i], x + g->cw / 2.0,
                        y + g->ch + (g->dumb ? i : (i + 0.75) * g->lineh + 2), "center",
                        g->font, reference ? "#666666" : "#222222", 0);
}

/* The headers of block iz: Z value, X knob and values, reference header, Y values. */
static void
plot_grid_headers(struct plot_grid *g, size_t iz)
{
    const struct plot_ctx *c = g->c;
    const struct plot_axis *x = &c->axes[0], *y = &c->axes[1];
    int x0, y0, f = g->dumb ? 1 : 0;
    plot_grid_slot_xy(g, iz, 0, 0, &x0, &y0);
    if (g->zhead > 0) {
        char *z = plot_axis_value_label(&c->axes[2], iz);
        plot_grid_label(g, z, g->dumb ? 1 : 16, y0 - g->colhead - g->zhead * 0.45, "left",
                        13, "#000000", 0);
        free(z);
    }
    double knob_y = y0 - (f ? 2 : 32), value_y = y0 - (f ? 1 : 12);
    int span = (int)x->count * (g->cw + g->gap) - g->gap;
    if (x->knob != NULL)
        plot_grid_label(g, x->knob, x0 + span / 2.0, knob_y, "center", 11, "#000000", 0);
    for (size_t col = 0; col < g->ncols; col++) {
        int cx, cy;
        plot_grid_slot_xy(g, iz, col, 0, &cx, &cy);
        size_t ix = col < x->count ? col : g->refs == PLOT_GRID_REFS_MIRROR ? col - x->count
                                                                            : x->count;
        const char *t = ix < x->count ? x->values[ix] : "reference";
        if (x->knob != NULL || ix >= x->count)
            plot_grid_label(g, t, cx + g->cw / 2.0, value_y, "center", 10, "#000000", 0);
        if (g->refs == PLOT_GRID_REFS_MIRROR && col == x->count)
            plot_grid_label(g, "uncached references", cx + span / 2.0, knob_y, "center", 11,
                            "#555555", 0);
    }
    for (size_t row = 0; row < g->nrows; row++) {
        int rx, ry;
        plot_grid_slot_xy(g, iz, 0, row, &rx, &ry);
        const char *t = row < y->count ? (y->knob != NULL ? y->values[row] : "") : "reference";
        plot_grid_label(g, t, rx - (f ? 1 : 8), ry + g->ch / 2.0, "right", 10, "#000000", 0);
    }
    if (y->knob != NULL) {
        int rows_h = (int)g->nrows * plot_grid_row_h(g) - g->gap;
        if (g->dumb)
            plot_grid_label(g, y->knob, 1, knob_y, "left", 11, "#000000", 0);
        else
            plot_grid_label(g, y->knob, 14, y0 + rows_h / 2.0, "center", 11, "#000000", 1);
    }
}

/* Title at the top, caption at the bottom. */
static void
plot_grid_titles(struct plot_grid *g)
{
    char *title = plot_grid_title(g->c);
    plot_grid_label(g, title, g->dumb ? 1 : 16, g->dumb ? 0 : 22, "left", 14, "#000000", 0);
    free(title);
    char *save = NULL;
    int i = 0;
    for (char *line = strtok_r(g->caption, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save), i++)
        plot_grid_label(g, line, g->dumb ? 1 : 16,
                        g->height - g->bottom + (g->dumb ? 1 + i : 14 + 14 * i), "left", 9,
                        "#444444", 0);
}

/* ---- pictures ---- */

/* Averages img down (or up) to w x h and writes one colour-cube index per character. */
static void
plot_grid_write_cube(FILE *d, const struct image *img, int w, int h)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int x0 = x * img->width / w, x1 = (x + 1) * img->width / w;
            int y0 = y * img->height / h, y1 = (y + 1) * img->height / h;
            x1 = x1 > x0 ? x1 : x0 + 1;
            y1 = y1 > y0 ? y1 : y0 + 1;
            double sum[3] = {0, 0, 0};
            for (int yy = y0; yy < y1; yy++)
                for (int xx = x0; xx < x1; xx++)
                    for (int k = 0; k < 3; k++)
                        sum[k] += img->rgb[3 * ((size_t)yy * img->width + xx) + k];
            double n = (double)(x1 - x0) * (y1 - y0);
            int q[3];
            for (int k = 0; k < 3; k++)
                q[k] = (int)lround(sum[k] / n / 51.0);
            fputc(36 * q[0] + 6 * q[1] + q[2], d);
        }
}

/* Writes img resampled (nearest pixel) to w x h as raw RGB. */
static void
plot_grid_write_rgb(FILE *d, const struct image *img, int w, int h)
{
    if (w == img->width && h == img->height) {
        fwrite(img->rgb, 1, (size_t)w * h * 3, d);
        return;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            fwrite(img->rgb + 3 * ((size_t)(y * img->height / h) * img->width +
                                   (size_t)(x * img->width / w)), 1, 3, d);
}

/* Decodes a run's artifact; 1 when it has none (or it cannot be decoded). */
static int
plot_grid_decode(struct plot_ctx *c, const struct db_cell *run, const char *kind,
                 struct image *img, char **cause)
{
    unsigned char *png = NULL;
    size_t size = 0;
    int rc = db_artifact_get(c->db, run->id, kind, &png, &size, cause);
    if (rc != 0)
        return rc;
    char *why = NULL;
    rc = image_decode_png(png, size, img, &why) == 0 ? 0 : 1;
    free(why);
    free(png);
    return rc;
}

/* Writes one picture's pixels at *offset and its plot clause; 1 when it has no picture. */
static int
plot_grid_picture(struct plot_grid *g, FILE *d, const char *name, long *offset,
                  const struct db_cell *run, int reference, int x, int y, char **cause)
{
    struct image img;
    const char *kind = g->c->p->diff && !reference ? "diff" : "image";
    int rc = plot_grid_decode(g->c, run, kind, &img, cause);
    if (rc != 0)
        return rc;
    FILE *f = g->plot;
    int svg = g->c->term == PLOT_TERM_SVG;
    fprintf(f, "%s  '%s' binary array=(%d,%d) skip=%ld ", g->pictures ? ", \\\n" : "plot \\\n",
            name, g->dumb || svg ? g->cw : img.width, g->dumb || svg ? g->ch : img.height,
            *offset);
    if (g->dumb) {
        plot_grid_write_cube(d, &img, g->cw, g->ch);
        fprintf(f, "format='%%uchar' dx=0.99 dy=1 origin=(%d,%d) flipy with image notitle",
                x, g->height - 1 - y - g->ch); /* one row lower: dumb rounds up */
        *offset += (long)g->cw * g->ch;
    } else {
        /* SVG viewers smooth scaled images: the pixels are enlarged here instead */
        int svg = g->c->term == PLOT_TERM_SVG, w = svg ? g->cw : img.width;
        int h = svg ? g->ch : img.height;
        plot_grid_write_rgb(d, &img, w, h);
        double dx = (double)g->cw / w, dy = (double)g->ch / h;
        fprintf(f, "format='%%uchar%%uchar%%uchar' dx=%.6g dy=%.6g origin=(%.6g,%.6g) flipy "
                   "with rgbimage notitle", dx, dy, x + dx / 2, g->height - y - g->ch + dy / 2);
        *offset += (long)w * h * 3;
    }
    g->pictures++;
    image_release(&img);
    return 0;
}

/* A slot without a picture: a grey box (png) and the cell's state. */
static void
plot_grid_empty(struct plot_grid *g, const struct db_cell *missing, int x, int y)
{
    const char *what = missing == NULL ? "no run"
                       : missing->state == DB_FAILED ? "failed"
                       : missing->state == DB_COMPLETE ? "no image"
                       : db_state_name(missing->state);
    if (!g->dumb)
        fprintf(g->c->gp, "set object %ld rect from %d,%d to %d,%d fc rgb '#eeeeee' "
                          "fs solid noborder behind\n", g->label++, x, g->height - y - g->ch,
                x + g->cw, g->height - y);
    plot_grid_label(g, what, x + g->cw / 2.0, y + g->ch / 2.0, "center", 10, "#888888", 0);
}

/* Every slot of block iz: its picture, or a placeholder, and its annotation. */
static int
plot_grid_block(struct plot_grid *g, size_t iz, FILE *d, const char *name, long *offset,
                char **cause)
{
    for (size_t row = 0; row < g->nrows; row++)
        for (size_t col = 0; col < g->ncols; col++) {
            int reference, x, y;
            const struct db_cell *missing;
            const struct db_cell *run = plot_grid_slot(g, iz, col, row, &reference, &missing);
            plot_grid_slot_xy(g, iz, col, row, &x, &y);
            int rc = run == NULL ? 1
                                 : plot_grid_picture(g, d, name, offset, run, reference, x, y,
                                                     cause);
            if (rc < 0)
                return -1;
            if (run != NULL)
                plot_grid_annotate(g, run, reference, x, y);
            if (rc == 1 && (run != NULL || !reference))
                plot_grid_empty(g, run != NULL ? run : missing, x, y);
        }
    return 0;
}

/* The size of the first picture stored, for the layout; -1 when there is none. */
static int
plot_grid_probe(struct plot_grid *g, char **cause)
{
    for (size_t i = 0; i < g->c->ncells; i++) {
        const struct db_cell *run = &g->c->cells[i];
        struct image img;
        if (run->state != DB_COMPLETE || plot_grid_decode(g->c, run, "image", &img, cause) != 0)
            continue;
        g->iw = img.width;
        g->ih = img.height;
        image_release(&img);
        return 0;
    }
    return err_set(cause, "sweep '%s' has no images stored yet", g->c->sweep.name);
}

static void
plot_grid_setup(struct plot_grid *g)
{
    struct plot_ctx *c = g->c;
    size_t nx = c->axes[0].count, ny = c->axes[1].count;
    g->refs = plot_grid_shared(c, 1) ? PLOT_GRID_REFS_COLUMN
              : plot_grid_shared(c, 0) ? PLOT_GRID_REFS_ROW : PLOT_GRID_REFS_MIRROR;
    g->ncols = nx + (g->refs == PLOT_GRID_REFS_COLUMN ? 1 : g->refs == PLOT_GRID_REFS_MIRROR
                                                            ? nx : 0);
    g->nrows = ny + (g->refs == PLOT_GRID_REFS_ROW ? 1 : 0);
    g->label = 1;
    g->caption_lines = 3;
    plot_grid_layout(g);
    /* the caption wraps to the canvas, whose width does not depend on it */
    int cols = g->dumb ? g->width - 2 : (int)((g->width - 32) / 7.0);
    g->caption = plot_caption(c, (size_t)(cols < 40 ? 40 : cols));
    g->caption_lines = 1;
    for (const char *s = g->caption; *s != '\0'; s++)
        g->caption_lines += *s == '\n';
    plot_grid_measure(g);
}

static void
plot_grid_canvas(struct plot_grid *g)
{
    FILE *f = g->c->gp;
    plot_terminal(g->c, g->width, g->height, 10);
    fputs("unset border\nunset tics\nunset key\nunset colorbox\n"
          "set lmargin at screen 0\nset rmargin at screen 1\n"
          "set tmargin at screen 1\nset bmargin at screen 0\n", f);
    int units = g->dumb ? 1 : 0;
    fprintf(f, "set xrange [0:%d]\nset yrange [0:%d]\n", g->width - units, g->height - units);
    if (g->dumb)
        fputs("set palette model RGB functions floor(floor(gray*215+0.5)/36)/5.0, "
              "floor(floor(gray*215+0.5)/6)%6/5.0, floor(gray*215+0.5)%6/5.0\n"
              "set palette maxcolors 216\nset cbrange [0:215]\n", f);
}

int
plot_grid_write(struct plot_ctx *c, char **cause)
{
    struct plot_grid g = {.c = c, .dumb = c->term == PLOT_TERM_DUMB};
    const char *name = NULL;
    FILE *d = NULL;
    char *plot = NULL;
    size_t plot_len = 0;
    int rc = -1;
    long offset = 0;
    if (plot_grid_probe(&g, cause) < 0)
        goto out;
    plot_grid_setup(&g);
    if ((d = plot_data_open(c, "rgb", &name, cause)) == NULL)
        goto out;
    g.plot = open_memstream(&plot, &plot_len);
    CHECK(g.plot != NULL);
    plot_grid_canvas(&g);
    plot_grid_titles(&g);
    for (size_t iz = 0; iz < c->axes[2].count; iz++) {
        plot_grid_headers(&g, iz);
        if (plot_grid_block(&g, iz, d, name, &offset, cause) < 0)
            goto out;
    }
    fclose(g.plot);
    g.plot = NULL;
    fputs(g.pictures > 0 ? plot : "plot NaN notitle", c->gp);
    fputc('\n', c->gp);
    rc = 0;
out:
    if (g.plot != NULL)
        fclose(g.plot);
    if (d != NULL && plot_data_close(d, name, cause) < 0 && rc == 0)
        rc = -1;
    free(plot);
    free(g.caption);
    return rc;
}
