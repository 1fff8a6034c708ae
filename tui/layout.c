/*
 * layout.c - the TUI's rectangles and text fitting, computed from the terminal size alone.
 *
 * Nothing here touches curses or the app state, so the same numbers are drawn by the TUI and
 * checked by tests/tui/layout_test.c across many sizes.  Invariants every function keeps: each
 * rectangle lies inside its parent, siblings never overlap, and sizes are never negative (0
 * means "does not fit, skip it").
 */
#include "tui/layout.h"

#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "util/err.h"

static int
tui_layout_clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static struct tui_rect
tui_layout_rect(int x, int y, int w, int h)
{
    if (w <= 0 || h <= 0)
        return (struct tui_rect){x, y, 0, 0};
    return (struct tui_rect){x, y, w, h};
}

int
tui_rect_empty(struct tui_rect r)
{
    return r.w <= 0 || r.h <= 0;
}

int
tui_rect_overlap(struct tui_rect a, struct tui_rect b)
{
    if (tui_rect_empty(a) || tui_rect_empty(b))
        return 0;
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

int
tui_rect_inside(struct tui_rect inner, struct tui_rect outer)
{
    if (tui_rect_empty(inner))
        return 1;
    return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w &&
           inner.y + inner.h <= outer.y + outer.h;
}

int
tui_rect_hit(struct tui_rect r, int x, int y)
{
    return !tui_rect_empty(r) && x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

void
tui_layout_frame(int cols, int rows, struct tui_frame *f)
{
    memset(f, 0, sizeof *f);
    f->cols = cols < 0 ? 0 : cols;
    f->rows = rows < 0 ? 0 : rows;
    if (cols < TUI_MIN_COLS || rows < TUI_MIN_ROWS) {
        f->too_small = 1;
        f->body = tui_layout_rect(0, 0, f->cols, f->rows);
        return;
    }
    f->title = tui_layout_rect(0, 0, cols, 1);
    f->body = tui_layout_rect(0, 1, cols, rows - 2);
    f->fbar = tui_layout_rect(0, rows - 1, cols, 1);
}

void
tui_layout_editor(struct tui_rect b, struct tui_editor_layout *l)
{
    if (b.w >= 96) {
        int fw = tui_layout_clamp(b.w * 11 / 20, 46, 72);
        l->form = tui_layout_rect(b.x, b.y, fw, b.h);
        l->preview = tui_layout_rect(b.x + fw + 1, b.y, b.w - fw - 1, b.h);
    } else {
        int ph = tui_layout_clamp(b.h * 2 / 5, 4, b.h / 2);
        l->form = tui_layout_rect(b.x, b.y, b.w, b.h - ph);
        l->preview = tui_layout_rect(b.x, b.y + b.h - ph, b.w, ph);
    }
}

void
tui_layout_run(struct tui_rect b, struct tui_run_layout *l)
{
    /* status, bar, current (2), a gap, the chart, the hit row, a gap, then finished runs */
    int chart = tui_layout_clamp((b.h - 7) / 2, 0, 12);
    int y = b.y;
    l->status = tui_layout_rect(b.x, y, b.w, b.h >= 1);
    l->bar = tui_layout_rect(b.x, y + 1, b.w, b.h >= 2);
    l->current = tui_layout_rect(b.x, y + 2, b.w, tui_layout_clamp(b.h - 2, 0, 2));
    y += 5;
    l->chart = tui_layout_rect(b.x, y, b.w, chart);
    l->hits = tui_layout_rect(b.x, y + chart, b.w, chart > 0);
    y += chart + 2;
    l->finished = tui_layout_rect(b.x, y, b.w, b.y + b.h - y);
}

void
tui_layout_results(struct tui_rect b, struct tui_results_layout *l)
{
    l->info = tui_layout_rect(b.x, b.y, b.w, b.h >= 1);
    l->head = tui_layout_rect(b.x, b.y + 1, b.w, b.h >= 2);
    l->rows = tui_layout_rect(b.x, b.y + 2, b.w, b.h - 2);
}

void
tui_layout_cell(struct tui_rect b, struct tui_cell_layout *l)
{
    int ih = tui_layout_clamp(b.h / 2, 0, 20);
    int iw = (b.w - 2) / 3;
    for (int i = 0; i < 3; i++)
        l->images[i] = tui_layout_rect(b.x + i * (iw + 1), b.y, iw, ih);
    int y = b.y + ih + 1, h = b.y + b.h - y;
    if (b.w >= 90) {
        int tw = tui_layout_clamp(b.w * 2 / 5, 30, 70);
        l->stats = tui_layout_rect(b.x, y, b.w - tw - 1, h);
        l->trace = tui_layout_rect(b.x + b.w - tw, y, tw, h);
    } else {
        int th = tui_layout_clamp(h / 3, 0, 6);
        l->stats = tui_layout_rect(b.x, y, b.w, h - th);
        l->trace = tui_layout_rect(b.x, y + h - th, b.w, th);
    }
}

void
tui_layout_plot(struct tui_rect b, struct tui_plot_layout *l)
{
    l->info = tui_layout_rect(b.x, b.y, b.w, b.h >= 1);
    l->plot = tui_layout_rect(b.x, b.y + 1, b.w, b.h - 1);
}

struct tui_rect
tui_layout_box(struct tui_rect b, int want_w, int want_h)
{
    int w = tui_layout_clamp(want_w, 0, b.w), h = tui_layout_clamp(want_h, 0, b.h);
    return tui_layout_rect(b.x + (b.w - w) / 2, b.y + (b.h - h) / 2, w, h);
}

/* The shown column of lowest priority (the rightmost on ties), or -1. */
static int
tui_layout_weakest(const struct tui_colspec *c, int n, const int *shown)
{
    int best = -1;
    for (int i = 0; i < n; i++)
        if (shown[i] && (best < 0 || c[i].priority <= c[best].priority))
            best = i;
    return best;
}

int
tui_layout_columns(const struct tui_colspec *c, int n, int width, int gap, int *w)
{
    int shown[64], count = 0, used = 0;
    if (n > 64)
        n = 64;
    for (int i = 0; i < n; i++) {
        shown[i] = 1;
        count++;
        used += c[i].min;
    }
    while (count > 0 && used + gap * (count - 1) > width) {
        int k = tui_layout_weakest(c, n, shown);
        shown[k] = 0;
        count--;
        used -= c[k].min;
    }
    int spare = width - used - gap * (count > 0 ? count - 1 : 0), total = 0;
    for (int i = 0; i < n; i++) {
        w[i] = shown[i] ? c[i].min : 0;
        int grow = shown[i] ? tui_layout_clamp(c[i].want - c[i].min, 0, spare) : 0;
        w[i] += grow;
        spare -= grow;
        total += w[i];
    }
    return count > 0 ? total + gap * (count - 1) : 0;
}

int
tui_image_fit(int iw, int ih, int box_w, int box_h, int *cw, int *ch)
{
    *cw = *ch = 0;
    if (iw <= 0 || ih <= 0 || box_w <= 0 || box_h <= 0)
        return 0;
    if (iw <= box_w && (ih + 1) / 2 <= box_h) {
        int s = 1;
        while (iw * (s + 1) <= box_w && (ih * (s + 1) + 1) / 2 <= box_h)
            s++;
        *cw = iw * s;
        *ch = (ih * s + 1) / 2;
        return s;
    }
    for (int d = 2; d <= iw || d <= ih; d++) {
        int w = (iw + d - 1) / d, h = ((ih + d - 1) / d + 1) / 2;
        if (w <= box_w && h <= box_h) {
            *cw = w;
            *ch = h;
            return -d;
        }
    }
    return 0;
}

/* The next character of s: its byte length (>= 1) and display width (*cols). */
static size_t
tui_layout_next_char(const char *s, int *cols)
{
    mbstate_t st;
    wchar_t wc;
    memset(&st, 0, sizeof st);
    size_t len = mbrtowc(&wc, s, strlen(s), &st);
    if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
        *cols = (unsigned char)*s < 0x20 ? 0 : 1;
        return 1;
    }
    int wd = wc == L'\t' || wc == L'\n' ? 1 : wcwidth(wc);
    *cols = wd < 0 ? 0 : wd;
    return len;
}

int
tui_text_width(const char *s)
{
    int total = 0, cols;
    while (*s != '\0') {
        s += tui_layout_next_char(s, &cols);
        total += cols;
    }
    return total;
}

/* Appends up to len bytes of s (tabs and newlines as spaces) to out[*at..n). */
static void
tui_layout_append(char *out, size_t n, size_t *at, const char *s, size_t len)
{
    for (size_t i = 0; i < len && *at + 1 < n; i++)
        out[(*at)++] = s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ? ' ' : s[i];
    out[*at] = '\0';
}

int
tui_text_fit(const char *s, int width, int utf8, char *out, size_t n)
{
    const char *ell = utf8 ? "\xe2\x80\xa6" : "~";
    size_t at = 0;
    int used = 0, cols;
    if (n == 0)
        return 0;
    out[0] = '\0';
    if (width <= 0)
        return 0;
    if (tui_text_width(s) <= width) {
        while (*s != '\0') {
            size_t len = tui_layout_next_char(s, &cols);
            if (at + len + 1 > n)
                break;
            tui_layout_append(out, n, &at, s, len);
            used += cols;
            s += len;
        }
        return used;
    }
    while (*s != '\0') {
        size_t len = tui_layout_next_char(s, &cols);
        if (used + cols > width - 1 || at + len + strlen(ell) + 1 > n)
            break;
        tui_layout_append(out, n, &at, s, len);
        used += cols;
        s += len;
    }
    tui_layout_append(out, n, &at, ell, strlen(ell));
    return used + 1;
}

void
tui_text_duration(double s, char *out, size_t n)
{
    if (!(s >= 0)) {
        snprintf(out, n, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, n, "%ld:%02ld", t / 60, t % 60);
}

/* Appends line[0..len) to the array. */
static void
tui_layout_push(char ***lines, size_t *n, const char *line, size_t len, int indent)
{
    char *s = xmalloc(len + (size_t)indent + 1);
    memset(s, ' ', (size_t)indent);
    memcpy(s + indent, line, len);
    s[len + (size_t)indent] = '\0';
    *lines = xrealloc(*lines, (*n + 1) * sizeof **lines);
    (*lines)[(*n)++] = s;
}

/* Wraps one paragraph (no newline inside). */
static void
tui_layout_wrap_para(const char *p, size_t plen, int width, int indent, char ***lines, size_t *n)
{
    int first = 1;
    if (indent >= width)
        indent = 0;
    while (plen > 0) {
        int avail = width - (first ? 0 : indent), used = 0, cols;
        size_t at = 0, cut = 0;
        while (at < plen) {
            size_t len = tui_layout_next_char(p + at, &cols);
            if (used + cols > avail)
                break;
            used += cols;
            at += len;
            if (p[at - len] == ' ')
                cut = at;
        }
        if (at < plen && p[at] != ' ' && cut > 0)
            at = cut;
        if (at == 0)
            at = tui_layout_next_char(p, &cols);
        size_t keep = at;
        while (keep > 0 && p[keep - 1] == ' ')
            keep--;
        tui_layout_push(lines, n, p, keep, first ? 0 : indent);
        p += at;
        plen -= at;
        while (plen > 0 && *p == ' ') {
            p++;
            plen--;
        }
        first = 0;
    }
}

size_t
tui_text_wrap(const char *s, int width, int indent, char ***lines)
{
    size_t n = 0;
    *lines = NULL;
    if (width < 1)
        width = 1;
    for (;;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        if (len == 0)
            tui_layout_push(lines, &n, "", 0, 0);
        else
            tui_layout_wrap_para(s, len, width, indent, lines, &n);
        if (nl == NULL || nl[1] == '\0')
            break;
        s = nl + 1;
    }
    return n;
}
