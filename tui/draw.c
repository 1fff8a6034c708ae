/*
 * draw.c - the drawing primitives every screen uses on stdscr: fitted text, filled areas,
 * headings, eighth-block progress bars, half-block images and the per-call cache strip.
 *
 * Text never wraps: it is cut to its width with an ellipsis (tui_text_fit).  Images use the
 * upper half block with the top pixel as foreground and the bottom pixel as background, two
 * pixels per cell, in whatever palette the terminal has (term.c maps RGB); mono terminals get
 * a density ramp.  Nothing here keeps state between calls.
 */
#include "tui/tui_impl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int
tui_draw_text(int y, int x, int w, enum tui_role r, const char *s)
{
    char buf[1024];
    if (w <= 0 || s == NULL)
        return 0;
    int used = tui_text_fit(s, w, tui_term_utf8(), buf, sizeof buf);
    tui_term_role(r);
    mvaddstr(y, x, buf);
    return used;
}

int
tui_draw_textf(int y, int x, int w, enum tui_role r, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return tui_draw_text(y, x, w, r, buf);
}

void
tui_draw_fill(struct tui_rect r, enum tui_role role)
{
    static const char spaces[] = "                                ";
    tui_term_role(role);
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x += 32)
            mvaddnstr(y, x, spaces, r.x + r.w - x < 32 ? r.x + r.w - x : 32);
}

void
tui_draw_heading(int y, int x, int w, const char *title)
{
    const struct tui_glyphs *g = tui_term_glyphs();
    tui_term_role(TUI_ROLE_DIM);
    for (int i = 0; i < w; i++)
        mvaddstr(y, x + i, g->hline);
    if (title != NULL && w > 6) {
        int n = tui_draw_textf(y, x + 2, w - 4, TUI_ROLE_LABEL, " %s ", title);
        (void)n;
    }
}

void
tui_draw_bar(int y, int x, int w, double frac, enum tui_role fill)
{
    const struct tui_glyphs *g = tui_term_glyphs();
    int mono = tui_term_color_mode() == TUI_COLOR_MONO;
    if (!(frac >= 0))
        frac = 0;
    if (frac > 1)
        frac = 1;
    long eighths = lround(frac * w * 8);
    for (int i = 0; i < w; i++) {
        long k = eighths - 8L * i;
        k = k < 0 ? 0 : k > 8 ? 8 : k;
        if (k == 0 && mono) {
            tui_term_role(TUI_ROLE_DIM);
            mvaddstr(y, x + i, g->dot);
        } else {
            tui_term_role(fill);
            mvaddstr(y, x + i, g->hbar[k]);
        }
    }
}

/* ---- images ---------------------------------------------------------------------------------- */

/* The pixel at (px, py) averaged over a d x d block (d 1: the pixel itself), as RGB. */
static uint32_t
tui_draw_pixel(const struct image *img, int px, int py, int d)
{
    long sum[3] = {0, 0, 0}, n = 0;
    for (int y = py; y < py + d && y < img->height; y++)
        for (int x = px; x < px + d && x < img->width; x++, n++)
            for (int c = 0; c < 3; c++)
                sum[c] += img->rgb[3 * ((size_t)y * img->width + x) + c];
    if (n == 0)
        return 0;
    return (uint32_t)(sum[0] / n) << 16 | (uint32_t)(sum[1] / n) << 8 | (uint32_t)(sum[2] / n);
}

static int
tui_draw_luma(uint32_t c)
{
    return (int)((299 * (c >> 16 & 255) + 587 * (c >> 8 & 255) + 114 * (c & 255)) / 1000);
}

static void
tui_draw_image_cell(int y, int x, uint32_t top, uint32_t bottom)
{
    static const char ramp[] = " .:-=+*#%@";
    const struct tui_glyphs *g = tui_term_glyphs();
    if (tui_term_color_mode() == TUI_COLOR_MONO) {
        char s[2] = {ramp[(tui_draw_luma(top) + tui_draw_luma(bottom)) * 9 / 510], '\0'};
        attrset(A_NORMAL);
        mvaddstr(y, x, s);
        return;
    }
    int pair = tui_term_utf8() ? tui_term_rgb_pair(top, bottom) : tui_term_rgb_pair(0, top);
    attr_set(A_NORMAL, 0, &pair);
    mvaddstr(y, x, tui_term_utf8() ? g->upper_half : " ");
    if (tui_term_overlay_on())
        tui_term_overlay_add(y, x, top, bottom);
}

void
tui_draw_image(struct tui_rect r, const struct image *img, const char *caption)
{
    int cw, ch;
    if (r.h < 2 || img == NULL || img->rgb == NULL)
        return;
    int s = tui_image_fit(img->width, img->height, r.w, r.h - 1, &cw, &ch);
    int x0 = r.x + (r.w - cw) / 2, d = s < 0 ? -s : 1;
    for (int cy = 0; cy < ch; cy++)
        for (int cx = 0; cx < cw; cx++) {
            int px = s > 0 ? cx / s : cx * d;
            int top = s > 0 ? 2 * cy / s : 2 * cy * d, bot = s > 0 ? (2 * cy + 1) / s
                                                                   : (2 * cy + 1) * d;
            uint32_t t = tui_draw_pixel(img, px, top, d);
            uint32_t b = bot < img->height ? tui_draw_pixel(img, px, bot, d) : 0;
            tui_draw_image_cell(r.y + cy, x0 + cx, t, b);
        }
    if (caption != NULL) {
        int w = tui_text_width(caption);
        w = w > r.w ? r.w : w;
        tui_draw_text(r.y + ch, r.x + (r.w - w) / 2, r.w, TUI_ROLE_DIM, caption);
    }
}

/* ---- the per-call strip ---------------------------------------------------------------------- */

struct tui_draw_col {
    double v;                   /* the slot's largest rel-L1, NAN when none */
    int hit;                    /* 1 every call hit, 0 some missed, -1 no call */
};

/* Calls per slot and columns per slot: one call in up to 4 columns (a bar and a gap), or
 * several calls per column when the generation has more calls than the chart columns. */
struct tui_draw_slots {
    size_t per;
    int cw, count;
};

static struct tui_draw_slots
tui_draw_strip_slots(size_t total, int bw)
{
    struct tui_draw_slots s = {1, 1, (int)total};
    if (total == 0)
        return s;
    if (total > (size_t)bw) {
        s.per = (total + (size_t)bw - 1) / (size_t)bw;
        s.count = (int)((total + s.per - 1) / s.per);
    } else {
        s.cw = bw / (int)total > 4 ? 4 : bw / (int)total;
    }
    return s;
}

static struct tui_draw_col
tui_draw_strip_col(const double *rel, const signed char *hit, size_t n, int slot, size_t per)
{
    struct tui_draw_col col = {NAN, -1};
    for (size_t i = (size_t)slot * per; i < (size_t)(slot + 1) * per && i < n; i++) {
        if (isfinite(rel[i]) && !(rel[i] <= col.v))
            col.v = rel[i];
        col.hit = (col.hit != 0) && hit[i] > 0;
    }
    return col;
}

static void
tui_draw_strip_labels(struct tui_rect chart, int lw, double top, double threshold)
{
    tui_draw_textf(chart.y, chart.x, lw, TUI_ROLE_DIM, "%.3g", top);
    if (threshold > 0)
        tui_draw_textf(chart.y + chart.h - 1 - chart.h / 2, chart.x, lw, TUI_ROLE_WARN, "%.3g",
                       threshold);
    if (chart.h > 2)
        tui_draw_text(chart.y + chart.h - 1, chart.x, lw, TUI_ROLE_DIM, "0");
}

/* One chart column: the bar in eighths, the threshold line where the bar does not reach. */
static void
tui_draw_strip_bar(struct tui_rect chart, int x, struct tui_draw_col col, double top, int thr_row)
{
    const struct tui_glyphs *g = tui_term_glyphs();
    long units = isfinite(col.v) ? lround(fmin(col.v / top, 1.0) * chart.h * 8) : -1;
    for (int r = 0; r < chart.h; r++) {
        int y = chart.y + chart.h - 1 - r;
        long k = units - 8L * r;
        if (units < 0 && r == 0 && col.hit >= 0) {
            tui_term_role(TUI_ROLE_DIM);
            mvaddstr(y, x, g->dot);
        } else if (k > 0 && r == chart.h - 1 && col.v > top) {
            tui_term_role(col.hit > 0 ? TUI_ROLE_HIT : TUI_ROLE_MISS);
            mvaddstr(y, x, g->up);              /* clipped: above the chart's top */
        } else if (k > 0) {
            tui_term_role(col.hit > 0 ? TUI_ROLE_HIT : TUI_ROLE_MISS);
            mvaddstr(y, x, g->vbar[k > 8 ? 8 : k]);
        } else if (r == thr_row) {
            tui_term_role(TUI_ROLE_WARN);
            mvaddstr(y, x, g->thr);
        }
    }
}

/* The chart's top: twice the threshold (so the threshold sits at mid-height), or the largest
 * value when there is no threshold. */
static double
tui_draw_strip_top(const double *rel, size_t n, double threshold)
{
    double top = threshold > 0 ? 2 * threshold : 0;
    for (size_t i = 0; threshold <= 0 && i < n; i++)
        if (isfinite(rel[i]) && rel[i] > top)
            top = rel[i];
    return top > 0 ? top : 1;
}

void
tui_draw_strip(struct tui_rect chart, struct tui_rect hits, const double *rel,
               const signed char *hit, size_t n, size_t total, double threshold)
{
    const struct tui_glyphs *g = tui_term_glyphs();
    int lw = 7, bw = chart.w - lw, computed = 0;
    if (chart.h <= 0 || bw <= 0)
        return;
    double top = tui_draw_strip_top(rel, n, threshold);
    struct tui_draw_slots sl = tui_draw_strip_slots(total > n ? total : n, bw);
    tui_draw_strip_labels(chart, lw, top, threshold);
    for (size_t i = 0; i < n; i++)
        computed += isfinite(rel[i]) != 0;
    if (computed == 0 && threshold <= 0)
        tui_draw_text(chart.y + chart.h / 2, chart.x + lw, bw, TUI_ROLE_DIM,
                      "cache off: no rel-L1 computed, every call runs every block");
    struct tui_draw_col col = {NAN, -1}, none = {NAN, -1};
    for (int x = 0; x < bw; x++) {
        int slot = x / sl.cw, gap = sl.cw > 1 && x % sl.cw == sl.cw - 1;
        if (x % sl.cw == 0)
            col = slot < sl.count ? tui_draw_strip_col(rel, hit, n, slot, sl.per) : none;
        tui_draw_strip_bar(chart, chart.x + lw + x, gap ? none : col, top,
                           threshold > 0 ? chart.h / 2 : -1);
        if (hits.h > 0 && !gap && col.hit >= 0) {
            tui_term_role(col.hit ? TUI_ROLE_HIT : TUI_ROLE_MISS);
            mvaddstr(hits.y, hits.x + lw + x, col.hit ? g->full : g->dot);
        }
    }
    if (hits.h > 0)
        tui_draw_text(hits.y, hits.x, lw, TUI_ROLE_DIM, "hits");
}
