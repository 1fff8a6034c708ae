/*
 * plot_screen.c - the plot viewer: every plot kind of plots/ rendered through gnuplot's dumb
 * terminal at the window's size, its ANSI colours turned into curses colours (or dropped in
 * mono), with keys to switch kind and metric and to write the PNG and SVG files.
 *
 * gnuplot takes a good fraction of a second, so rendering runs as a background job with its
 * own read-only store handle; the screen keeps the last picture until the new one arrives.
 * The picture is re-rendered when the kind, metric, size or sweep changes, and when the sweep
 * being run finishes a run.  The plot shows the sweep the results browser shows.  In the grid
 * and heatmap kinds gnuplot draws pixels as coloured `X` characters; they are drawn as solid
 * blocks so images and heatmaps look like images.
 */
#include "tui/tui_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plots/plot.h"
#include "util/err.h"

static void
tui_plot_job(void *arg)
{
    struct tui_plot_req *q = arg;
    struct db *db = NULL;
    if (db_open_readonly(q->db_path, &db, &q->cause) < 0)
        return;
    struct plot_params p = {.kind = (enum plot_kind)q->kind, .sweep = q->sweep,
                            .metric = q->metric, .diff = q->diff, .vs = (enum plot_vs)q->vs,
                            .width = q->width, .height = q->height, .mono = q->mono};
    if (!q->write) {
        plot_render_text(db, &p, &q->text, &q->cause);
    } else {
        p.term = PLOT_TERM_PNG;
        p.out = q->out_png;
        p.width = p.height = 0;
        if (plot_render(db, &p, NULL, &q->cause) == 0) {
            p.term = PLOT_TERM_SVG;
            p.out = q->out_svg;
            plot_render(db, &p, NULL, &q->cause);
        }
    }
    db_close(db);
}

static void
tui_plot_req_clear(struct tui_plot_req *q)
{
    free(q->db_path);
    free(q->sweep);
    free(q->metric);
    free(q->out_png);
    free(q->out_svg);
    free(q->text);
    free(q->cause);
    memset(q, 0, sizeof *q);
}

void
tui_plot_release(struct tui *t)
{
    tui_job_wait(&t->plot.job);
    tui_plot_req_clear(&t->plot.req);
    free(t->plot.grid);
    free(t->plot.error);
    free(t->plot.note);
}

/* Starts a job for the current settings: a text rendering, or (write) the PNG and SVG. */
static void
tui_plot_start(struct tui *t, int write)
{
    struct tui_plot *pl = &t->plot;
    struct tui_plot_req *q = &pl->req;
    tui_plot_req_clear(q);
    q->db_path = xstrdup(t->db_path);
    q->sweep = t->res.shown_id ? xasprintf("%lld", (long long)t->res.shown_id) : NULL;
    q->metric = pl->metric >= 0 ? xstrdup(plot_metric_names[pl->metric]) : NULL;
    q->kind = pl->kind;
    q->diff = pl->diff;
    q->vs = pl->vs;
    q->width = pl->want_w;
    q->height = pl->want_h;
    q->mono = tui_term_color_mode() == TUI_COLOR_MONO;
    q->write = write;
    if (write) {
        char *base = xasprintf("%s-%s%s%s%s", t->res.sweep_name ? t->res.sweep_name : "sweep",
                               plot_kind_name((enum plot_kind)pl->kind), q->metric ? "-" : "",
                               q->metric ? q->metric : "", pl->diff ? "-diff" : "");
        q->out_png = xasprintf("%s.png", base);
        q->out_svg = xasprintf("%s.svg", base);
        free(base);
    }
    pl->busy_write = write;
    pl->sweep_id = t->res.shown_id;
    tui_job_start(&pl->job, tui_plot_job, q);
}

void
tui_plot_layout(struct tui *t)
{
    struct tui_plot_layout l;
    tui_layout_plot(t->frame.body, &l);
    if (l.plot.w != t->plot.want_w || l.plot.h != t->plot.want_h)
        t->plot.stale = 1;
    t->plot.want_w = l.plot.w;
    t->plot.want_h = l.plot.h;
}

void
tui_plot_update(struct tui *t)
{
    struct tui_plot *pl = &t->plot;
    tui_results_update(t);
    if (pl->sweep_id != t->res.shown_id)
        pl->stale = 1;
    if (pl->pending_write && !pl->job.started && t->res.shown_id != 0) {
        pl->pending_write = 0;
        tui_plot_start(t, 1);
        return;
    }
    if (!pl->stale || pl->job.started || t->res.shown_id == 0 || pl->want_w < 20)
        return;
    pl->stale = 0;
    tui_plot_start(t, 0);
    t->dirty |= TUI_DIRTY_FRAME;
}

/* ---- ANSI text into a grid of characters and colours ----------------------------------------- */

/* Applies one SGR sequence's parameters to *fg. */
static void
tui_plot_sgr(const char *params, short *fg)
{
    int v[16], n = 0;
    for (const char *p = params; n < 16;) {
        v[n++] = (int)strtol(p, (char **)&p, 10);
        if (*p != ';')
            break;
        p++;
    }
    for (int i = 0; i < n; i++) {
        if (v[i] == 0 || v[i] == 39)
            *fg = -1;
        else if (v[i] >= 30 && v[i] <= 37)
            *fg = (short)(v[i] - 30);
        else if (v[i] >= 90 && v[i] <= 97)
            *fg = (short)(v[i] - 90 + 8);
        else if (v[i] == 38 && i + 2 < n && v[i + 1] == 5)
            *fg = (short)(v[i + 2] > 255 ? 255 : v[i + 2] < 0 ? 0 : v[i + 2]), i += 2;
        else if (v[i] == 38 && i + 4 < n && v[i + 1] == 2)
            *fg = (short)(16 + 36 * ((v[i + 2] * 5 + 127) / 255) +
                          6 * ((v[i + 3] * 5 + 127) / 255) + (v[i + 4] * 5 + 127) / 255), i += 4;
    }
}

static void
tui_plot_parse(struct tui_plot *pl, const char *text)
{
    int rows = 1, cols = 0, w = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\033') {
            while (*p && *p != 'm')
                p++;
            if (!*p)
                break;
        } else if (*p == '\n') {
            rows++;
            w = 0;
        } else if (*p != '\r' && *p != '\f' && ++w > cols) {
            cols = w;
        }
    }
    free(pl->grid);
    pl->gw = cols;
    pl->gh = rows;
    pl->grid = xcalloc((size_t)rows * (size_t)(cols ? cols : 1), sizeof *pl->grid);
    for (size_t i = 0; i < (size_t)rows * (size_t)cols; i++)
        pl->grid[i] = (struct tui_plot_cell){' ', -1};
    short fg = -1;
    int y = 0, x = 0;
    for (const char *p = text; *p; p++) {
        if (*p == '\033' && p[1] == '[') {
            const char *end = strchr(p, 'm');
            if (end == NULL)
                break;
            tui_plot_sgr(p + 2, &fg);
            p = end;
        } else if (*p == '\n') {
            y++;
            x = 0;
        } else if (*p != '\r' && *p != '\f' && x < cols) {
            pl->grid[(size_t)y * (size_t)cols + (size_t)x++] = (struct tui_plot_cell){*p, fg};
        }
    }
}

int
tui_plot_poll(struct tui *t)
{
    struct tui_plot *pl = &t->plot;
    if (tui_job_poll(&pl->job) != TUI_JOB_FINISHED)
        return 0;
    struct tui_plot_req *q = &pl->req;
    if (pl->busy_write) {
        if (q->cause != NULL)
            tui_message(t, TUI_ROLE_ERR, "%s", q->cause);
        else
            tui_message(t, TUI_ROLE_OK, "wrote %s and %s (their .gp scripts and data beside "
                        "them)", q->out_png, q->out_svg);
    } else {
        free(pl->error);
        pl->error = q->cause ? xstrdup(q->cause) : NULL;
        if (q->text != NULL)
            tui_plot_parse(pl, q->text);
    }
    tui_plot_req_clear(q);
    return 1;
}

/* ---- drawing --------------------------------------------------------------------------------- */

static void
tui_plot_draw_info(struct tui *t, struct tui_rect info)
{
    struct tui_plot *pl = &t->plot;
    enum plot_kind k = (enum plot_kind)pl->kind;
    int x = info.x + 1;
    x += tui_draw_textf(info.y, x, info.w - 1, TUI_ROLE_VALUE, "%s ", plot_kind_name(k));
    if (k == PLOT_LINES || k == PLOT_HEATMAP || k == PLOT_PARETO)
        x += tui_draw_textf(info.y, x, info.x + info.w - x, TUI_ROLE_LABEL, "[%s] ",
                            pl->metric >= 0 ? plot_metric_names[pl->metric] : "default metric");
    if (k == PLOT_GRID && pl->diff)
        x += tui_draw_text(info.y, x, info.x + info.w - x, TUI_ROLE_LABEL, "[diff] ");
    if (k == PLOT_TRACE)
        x += tui_draw_textf(info.y, x, info.x + info.w - x, TUI_ROLE_LABEL, "[vs %s] ",
                            plot_vs_name((enum plot_vs)pl->vs));
    tui_draw_textf(info.y, x, info.x + info.w - x, TUI_ROLE_DIM, "%s%s",
                   pl->job.started && !pl->busy_write ? "rendering... " : "",
                   plot_kind_summary(k));
}

static void
tui_plot_draw_grid(struct tui *t, struct tui_rect r)
{
    struct tui_plot *pl = &t->plot;
    int pixels = pl->kind == PLOT_GRID || pl->kind == PLOT_HEATMAP;
    const char *full = tui_term_glyphs()->full;
    if (pl->scroll_y > pl->gh - r.h)
        pl->scroll_y = pl->gh - r.h > 0 ? pl->gh - r.h : 0;
    if (pl->scroll_x > pl->gw - r.w)
        pl->scroll_x = pl->gw - r.w > 0 ? pl->gw - r.w : 0;
    for (int y = 0; y < r.h && y + pl->scroll_y < pl->gh; y++)
        for (int x = 0; x < r.w && x + pl->scroll_x < pl->gw; x++) {
            const struct tui_plot_cell *c =
                &pl->grid[(size_t)(y + pl->scroll_y) * (size_t)pl->gw + (size_t)(x + pl->scroll_x)];
            char s[2] = {c->ch, '\0'};
            int pair = c->fg >= 0 ? tui_term_index_pair(c->fg, -1) : 0;
            attr_set(A_NORMAL, 0, &pair);
            mvaddstr(r.y + y, r.x + x, pixels && c->ch == 'X' && c->fg >= 0 ? full : s);
        }
}

void
tui_plot_draw(struct tui *t)
{
    struct tui_plot *pl = &t->plot;
    struct tui_plot_layout l;
    tui_layout_plot(t->frame.body, &l);
    if (t->res.shown_id == 0) {
        tui_draw_text(l.plot.y + l.plot.h / 2, 2, l.plot.w - 4, TUI_ROLE_DIM,
                      "No sweep to plot yet: run one from the editor (F2, F6).");
        return;
    }
    tui_plot_draw_info(t, l.info);
    if (pl->error != NULL) {
        char **lines;
        size_t n = tui_text_wrap(pl->error, l.plot.w - 4, 2, &lines);
        for (size_t i = 0; i < n; i++) {
            if ((int)i < l.plot.h - 1)
                tui_draw_text(l.plot.y + 1 + (int)i, 2, l.plot.w - 4, TUI_ROLE_ERR, lines[i]);
            free(lines[i]);
        }
        free(lines);
        return;
    }
    if (pl->grid != NULL)
        tui_plot_draw_grid(t, l.plot);
}

/* ---- input ----------------------------------------------------------------------------------- */

int
tui_plot_key(struct tui *t, int key)
{
    struct tui_plot *pl = &t->plot;
    switch (key) {
    case TUI_KEY_CODE(KEY_UP): pl->scroll_y = pl->scroll_y > 0 ? pl->scroll_y - 1 : 0; break;
    case TUI_KEY_CODE(KEY_DOWN): pl->scroll_y++; break;
    case TUI_KEY_CODE(KEY_LEFT): pl->scroll_x = pl->scroll_x > 4 ? pl->scroll_x - 4 : 0; break;
    case TUI_KEY_CODE(KEY_RIGHT): pl->scroll_x += 4; break;
    case '\t': return tui_plot_next_kind(t);
    default: return 0;
    }
    return TUI_HANDLED | TUI_REDRAW;
}

int
tui_plot_mouse(struct tui *t, int x, int y, int button)
{
    (void)x;
    (void)y;
    if (button == TUI_MOUSE_UP || button == TUI_MOUSE_DOWN)
        return tui_plot_key(t, TUI_KEY_CODE(button == TUI_MOUSE_UP ? KEY_UP : KEY_DOWN));
    return 0;
}

static int
tui_plot_changed(struct tui *t)
{
    t->plot.stale = 1;
    t->plot.scroll_x = t->plot.scroll_y = 0;
    return TUI_REDRAW;
}

int
tui_plot_next_kind(struct tui *t)
{
    t->plot.kind = (t->plot.kind + 1) % PLOT_KIND_COUNT;
    return tui_plot_changed(t);
}

int
tui_plot_next_metric(struct tui *t)
{
    struct tui_plot *pl = &t->plot;
    if (pl->kind != PLOT_LINES && pl->kind != PLOT_HEATMAP && pl->kind != PLOT_PARETO) {
        tui_message(t, TUI_ROLE_WARN, "%s has no metric to choose (lines, heatmap and pareto do)",
                    plot_kind_name((enum plot_kind)pl->kind));
        return TUI_REDRAW;
    }
    pl->metric = plot_metric_names[pl->metric + 1] != NULL ? pl->metric + 1 : -1;
    return tui_plot_changed(t);
}

int
tui_plot_toggle(struct tui *t)
{
    struct tui_plot *pl = &t->plot;
    if (pl->kind == PLOT_GRID)
        pl->diff = !pl->diff;
    else if (pl->kind == PLOT_TRACE)
        pl->vs = (pl->vs + 1) % PLOT_VS_COUNT;
    else
        tui_message(t, TUI_ROLE_WARN, "d switches the grid to diffs and the trace to sigma");
    return tui_plot_changed(t);
}

int
tui_plot_write(struct tui *t)
{
    if (t->res.shown_id == 0)
        return TUI_REDRAW;
    t->plot.pending_write = 1;      /* started by tui_plot_update, after a render in flight */
    tui_message(t, TUI_ROLE_OK, "writing PNG and SVG...");
    return TUI_REDRAW;
}
