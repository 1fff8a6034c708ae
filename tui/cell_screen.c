/*
 * cell_screen.c - one run opened from the results: its image beside the uncached reference's and
 * the difference heatmap (half blocks, in the terminal's colours), its statistics as `fbw
 * show` prints them (db_show into a memory stream, wrapped to the panel: the speed-up with its
 * interval, rounds and models, line for line), and its trace (the first measured generation's
 * rel-L1 per call against the threshold, hit or miss per call).
 *
 * Everything is read once when the cell opens (a few milliseconds: the store, three small
 * PNGs) and owned by struct tui_cell until the next one opens.
 */
#include "tui/tui_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/export.h"
#include "util/err.h"

static void
tui_cell_free_lines(struct tui_cell *c)
{
    for (size_t i = 0; i < c->nlines; i++)
        free(c->lines[i]);
    free(c->lines);
    c->lines = NULL;
    c->nlines = 0;
    c->wrap_w = 0;
}

static void
tui_cell_clear(struct tui_cell *c)
{
    tui_cell_free_lines(c);
    for (int i = 0; i < TUI_IMG_COUNT; i++)
        if (c->has_img[i])
            image_release(&c->img[i]);
    memset(c->has_img, 0, sizeof c->has_img);
    trace_release(&c->trace);
    free(c->text);
    free(c->title);
    free(c->error);
    c->text = c->title = c->error = NULL;
    c->loaded = 0;
}

void
tui_cell_release(struct tui *t)
{
    tui_cell_clear(&t->cell);
}

static void
tui_cell_image(struct tui_cell *c, struct db *db, int slot, int64_t run, const char *kind)
{
    unsigned char *png = NULL;
    size_t size = 0;
    if (run <= 0 || db_artifact_get(db, run, kind, &png, &size, NULL) != 0)
        return;
    c->has_img[slot] = image_decode_png(png, size, &c->img[slot], NULL) == 0;
    free(png);
}

/* The statistics block (db_show), its first line as the title. */
static int
tui_cell_text(struct tui_cell *c, struct db *db)
{
    char *buf = NULL, *cause = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return err_set(&c->error, "cannot open a memory stream");
    int rc = db_show(db, c->run_id, f, &cause);
    fclose(f);
    if (rc != 0) {
        free(buf);
        c->error = rc < 0 ? cause : xasprintf("no run %lld in the store", (long long)c->run_id);
        return -1;
    }
    char *nl = strchr(buf, '\n');
    c->title = nl ? xasprintf("%.*s", (int)(nl - buf), buf) : xstrdup(buf);
    c->text = xstrdup(nl ? nl + 1 : "");
    free(buf);
    return 0;
}

/* The first measured generation's calls (else the warm-up's, else the first's). */
static void
tui_cell_trace(struct tui_cell *c, struct db *db)
{
    static const enum db_phase order[] = {DB_PHASE_MEASURE, DB_PHASE_WARMUP, DB_PHASE_COMPILE};
    for (size_t i = 0; i < 3; i++) {
        trace_reset(&c->trace);
        if (db_run_calls(db, c->run_id, order[i], 0, &c->trace, NULL) == 0)
            return;
    }
}

static void
tui_cell_load(struct tui *t)
{
    struct tui_cell *c = &t->cell;
    struct db *db = tui_db(t);
    struct db_run_detail d;
    c->loaded = 1;
    if (db == NULL || tui_cell_text(c, db) < 0 || db_run_get(db, c->run_id, &d, NULL) != 0)
        return;
    const char *thr = db_cell_param(&d.run, "residual_diff_threshold");
    c->threshold = d.run.kind == DB_RUN_CELL && thr ? strtod(thr, NULL) : 0;
    tui_cell_image(c, db, TUI_IMG_CELL, c->run_id, "image");
    tui_cell_image(c, db, TUI_IMG_REF, d.run.ref_id, "image");
    tui_cell_image(c, db, TUI_IMG_DIFF, c->run_id, "diff");
    tui_cell_trace(c, db);
    db_run_detail_release(&d);
}

void
tui_cell_open(struct tui *t, int64_t run_id)
{
    tui_cell_clear(&t->cell);
    t->cell.run_id = run_id;
    t->cell.stats.scroll = 0;
    tui_cell_load(t);
}

void
tui_cell_update(struct tui *t)
{
    if (!t->cell.loaded && t->cell.run_id > 0)
        tui_cell_load(t);
}

/* ---- drawing --------------------------------------------------------------------------------- */

static struct tui_cell_layout
tui_cell_geometry(const struct tui *t)
{
    struct tui_cell_layout l;
    struct tui_rect b = t->frame.body;
    b.x += 1;
    b.w -= 2;
    b.y += 1;
    b.h -= 1;
    tui_layout_cell(b, &l);
    return l;
}

void
tui_cell_layout(struct tui *t)
{
    struct tui_cell_layout l = tui_cell_geometry(t);
    panel_move(&t->cell.stats, l.stats);
}

static void
tui_cell_draw_images(struct tui *t, const struct tui_cell_layout *l)
{
    struct tui_cell *c = &t->cell;
    static const char *const names[] = {"this run", "uncached reference", "difference"};
    NAME_TABLE_CHECK(names, TUI_IMG_COUNT);
    for (int i = 0; i < TUI_IMG_COUNT; i++) {
        struct tui_rect r = l->images[i];
        if (r.h < 2)
            continue;
        if (c->has_img[i]) {
            char cap[96];
            snprintf(cap, sizeof cap, "%s (%dx%d)", names[i], c->img[i].width, c->img[i].height);
            tui_draw_image(r, &c->img[i], cap);
        } else {
            tui_draw_textf(r.y + r.h / 2, r.x, r.w, TUI_ROLE_DIM, "  no %s image", names[i]);
        }
    }
}

static void
tui_cell_draw_stats(struct tui *t)
{
    struct tui_cell *c = &t->cell;
    struct panel *p = &c->stats;
    if (c->text == NULL || p->w <= 0)
        return;
    if (c->wrap_w != p->w) {
        tui_cell_free_lines(c);
        c->nlines = tui_text_wrap(c->text, p->w, 4, &c->lines);
        c->wrap_w = p->w;
    }
    int max = (int)c->nlines - p->h;
    if (p->scroll > max)
        p->scroll = max > 0 ? max : 0;
    for (int i = p->scroll, y = p->y; i < (int)c->nlines && y < p->y + p->h; i++, y++) {
        const char *s = c->lines[i];
        /* the speed-up's heading and estimate ("... paired rounds ..."), and the cache */
        int value = strstr(s, "Speed-up") || strstr(s, "paired rounds") || strstr(s, "Cache:");
        enum tui_role role = strstr(s, "Warning") || strstr(s, "warning") ? TUI_ROLE_WARN
                             : value ? TUI_ROLE_VALUE : TUI_ROLE_NORMAL;
        tui_draw_text(y, p->x, p->w, role, s);
    }
}

static void
tui_cell_draw_trace(struct tui *t, const struct tui_cell_layout *l)
{
    struct tui_cell *c = &t->cell;
    struct tui_rect r = l->trace;
    size_t n = c->trace.count;
    if (r.h < 4 || n == 0)
        return;
    double *rel = xmalloc(n * sizeof *rel);
    signed char *hit = xmalloc(n);
    for (size_t i = 0; i < n; i++) {
        rel[i] = c->trace.records[i].rel_l1;
        hit[i] = (signed char)c->trace.records[i].hit;
    }
    tui_draw_heading(r.y, r.x, r.w, c->threshold > 0 ? "trace: rel-L1 per call vs threshold"
                                                     : "trace: rel-L1 per call (cache off)");
    struct tui_rect chart = {r.x, r.y + 1, r.w, r.h - 3}, hits = {r.x, r.y + r.h - 2, r.w, 1};
    tui_draw_strip(chart, hits, rel, hit, n, n, c->threshold);
    tui_draw_textf(r.y + r.h - 1, r.x, r.w, TUI_ROLE_DIM, "%zu calls, %zu hit; step %d..%d",
                   n, trace_hits(&c->trace), c->trace.records[0].step,
                   c->trace.records[n - 1].step);
    free(rel);
    free(hit);
}

void
tui_cell_draw(struct tui *t)
{
    struct tui_cell *c = &t->cell;
    struct tui_rect b = t->frame.body;
    if (c->error != NULL || c->title == NULL) {
        tui_draw_text(b.y + 1, b.x + 2, b.w - 4, TUI_ROLE_ERR,
                      c->error ? c->error : "no store open");
        return;
    }
    tui_draw_textf(b.y, b.x + 1, b.w - 2, TUI_ROLE_VALUE, "run %lld  %s", (long long)c->run_id,
                   c->title);
    struct tui_cell_layout l = tui_cell_geometry(t);
    tui_cell_draw_images(t, &l);
    tui_cell_draw_stats(t);
    tui_cell_draw_trace(t, &l);
}

/* ---- input ----------------------------------------------------------------------------------- */

int
tui_cell_key(struct tui *t, int key)
{
    struct panel *p = &t->cell.stats;
    int page = p->h > 1 ? p->h - 1 : 1;
    switch (key) {
    case TUI_KEY_CODE(KEY_UP): p->scroll = p->scroll > 0 ? p->scroll - 1 : 0; break;
    case TUI_KEY_CODE(KEY_DOWN): p->scroll++; break;
    case TUI_KEY_CODE(KEY_PPAGE): p->scroll = p->scroll > page ? p->scroll - page : 0; break;
    case TUI_KEY_CODE(KEY_NPAGE): p->scroll += page; break;
    case TUI_KEY_CODE(KEY_HOME): p->scroll = 0; break;
    default: return 0;
    }
    return TUI_HANDLED | TUI_REDRAW;
}

int
tui_cell_mouse(struct tui *t, int x, int y, int button)
{
    (void)x;
    (void)y;
    if (button == TUI_MOUSE_UP || button == TUI_MOUSE_DOWN)
        return tui_cell_key(t, TUI_KEY_CODE(button == TUI_MOUSE_UP ? KEY_UP : KEY_DOWN));
    return 0;
}

static int
tui_cell_step(struct tui *t, int dir)
{
    struct tui_results *r = &t->res;
    int at = r->table.selected + dir;
    if (at < 0 || at >= (int)r->nshown)
        return TUI_REDRAW;
    panel_select(&r->table, at, (int)r->nshown);
    tui_cell_open(t, r->cells[r->order[at]].id);
    return TUI_REDRAW;
}

int
tui_cell_next(struct tui *t)
{
    return tui_cell_step(t, 1);
}

int
tui_cell_prev(struct tui *t)
{
    return tui_cell_step(t, -1);
}
