/*
 * results_screen.c - the results browser: one sweep's runs as a table (the settings on its axes,
 * state, median time ± spread, speed-up with its 95% interval, paired rounds with the disturbed
 * ones, hit rate, PSNR, SSIM), sortable by any column,
 * filtered with `/`, and the best values of each metric marked as torch.utils.benchmark's
 * Compare colours them: within 1% of the column's best green and bold (and a `*`), within 10%
 * blue, twice as bad or worse dim red.  An image identical to its reference (PSNR +Inf,
 * core/metrics.h) reads "identical" and is marked best; the others are weighed against the
 * best finite PSNR.
 *
 * Columns take the width their texts need, up to a cap, so a narrow sweep leaves room for the
 * speed-up's interval ("1.93 [1.85,2.01]"); where even that is too narrow, the estimate alone.
 *
 * The table is read from the store (db_cells_list) when stale: on entering, after each run
 * the background sweep finishes, and every two seconds while it runs.  The selection follows
 * the run id across reloads.  Sweep 0 means "the sweep the TUI is running, else the latest";
 * [ and ] pick another sweep of the store.
 */
#include "tui/tui_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "db/export.h"
#include "util/clock.h"
#include "util/err.h"

struct tui_results_col {
    const char *head;
    int min, want, priority;
    int right;                  /* right-aligned */
    int better;                 /* +1 higher is better, -1 lower, 0 not a metric */
};

static const struct tui_results_col tui_results_cols[TUI_COL_COUNT] = {
    [TUI_COL_RUN] = {"run", 4, 5, 9, 1, 0},
    [TUI_COL_X] = {"x", 5, 14, 8, 0, 0},
    [TUI_COL_Y] = {"y", 5, 14, 8, 0, 0},
    [TUI_COL_Z] = {"z", 5, 14, 7, 0, 0},
    [TUI_COL_STATE] = {"state", 8, 9, 5, 0, 0},
    [TUI_COL_TIME] = {"median ms ± sd", 11, 19, 10, 1, -1},
    [TUI_COL_SPEEDUP] = {"speed-up", 7, 17, 7, 1, 1},   /* 17: "1.93 [1.85,2.01]" and a mark */
    [TUI_COL_ROUNDS] = {"rounds", 6, 7, 2, 1, 0},       /* "10 (1)": 1 of 10 disturbed */
    [TUI_COL_HITS] = {"hits", 7, 8, 6, 1, 1},
    [TUI_COL_PSNR] = {"PSNR dB", 9, 10, 4, 1, 1},    /* 10: "identical" and a mark */
    [TUI_COL_SSIM] = {"SSIM", 7, 8, 3, 1, 1},
};

static int
tui_results_has_col(const struct tui_results *r, int c)
{
    return c < TUI_COL_X || c > TUI_COL_Z || r->axis_knob[c - TUI_COL_X] >= 0;
}

static const char *
tui_results_head(const struct tui_results *r, int c)
{
    if (c >= TUI_COL_X && c <= TUI_COL_Z) {
        const struct sweep_knob_info *k = sweep_knob_info(r->axis_knob[c - TUI_COL_X]);
        return k->alias ? k->alias : k->name;
    }
    return tui_results_cols[c].head;
}

/* The cell's number in column c, NAN when it has none. */
static double
tui_results_value(const struct tui_results *r, const struct db_cell *c, int col)
{
    const char *v;
    switch (col) {
    case TUI_COL_RUN: return (double)c->id;
    case TUI_COL_STATE: return (double)c->state + (c->kind == DB_RUN_REFERENCE ? 10 : 0);
    case TUI_COL_TIME: return c->has_wall ? c->wall.median : NAN;
    case TUI_COL_SPEEDUP: return c->speedup;
    case TUI_COL_ROUNDS: return c->rounds;
    case TUI_COL_HITS: return c->hit_rate;
    case TUI_COL_PSNR: return c->psnr;
    case TUI_COL_SSIM: return c->ssim;
    default:
        v = db_cell_param(c, sweep_knob_info(r->axis_knob[col - TUI_COL_X])->name);
        if (v == NULL)
            return NAN;
        char *end;
        double d = strtod(v, &end);
        return end != v && *end == '\0' ? d : NAN;    /* names sort as text */
    }
}

/* The text of column col for cell c. */
static void
tui_results_text(const struct tui_results *r, const struct db_cell *c, int col, char *buf, size_t n)
{
    double v = tui_results_value(r, c, col);
    const char *p;
    buf[0] = '\0';
    switch (col) {
    case TUI_COL_RUN: snprintf(buf, n, "%lld", (long long)c->id); break;
    case TUI_COL_STATE:
        snprintf(buf, n, "%s", c->kind == DB_RUN_REFERENCE && c->state == DB_COMPLETE
                                   ? "reference" : db_state_name(c->state));
        break;
    case TUI_COL_TIME:
        if (c->has_wall)
            snprintf(buf, n, "%.1f ± %.1f", c->wall.median, c->wall.stddev);
        break;
    case TUI_COL_SPEEDUP: db_speedup_brief(c, 0, buf, n); break;
    case TUI_COL_ROUNDS: db_rounds_brief(c, buf, n); break;
    case TUI_COL_HITS: if (isfinite(v)) snprintf(buf, n, "%.1f%%", 100 * v); break;
    case TUI_COL_PSNR:
        if (isfinite(v))
            snprintf(buf, n, "%.2f", v);
        else if (metrics_identical(v))
            snprintf(buf, n, "%s", METRICS_IDENTICAL);
        break;
    case TUI_COL_SSIM: if (isfinite(v)) snprintf(buf, n, "%.4f", v); break;
    default:
        p = db_cell_param(c, sweep_knob_info(r->axis_knob[col - TUI_COL_X])->name);
        snprintf(buf, n, "%s", c->kind == DB_RUN_REFERENCE &&
                 sweep_knob_info(r->axis_knob[col - TUI_COL_X])->cache_knob ? "-" : p ? p : "");
    }
    if (buf[0] == '\0' && col >= TUI_COL_TIME)
        snprintf(buf, n, "-");
}

/* ---- order, filter, best --------------------------------------------------------------------- */

static int
tui_results_cmp(const void *a, const void *b, void *ctx)
{
    const struct tui_results *r = ctx;
    const struct db_cell *ca = &r->cells[*(const size_t *)a], *cb = &r->cells[*(const size_t *)b];
    double va = tui_results_value(r, ca, r->sort_col), vb = tui_results_value(r, cb, r->sort_col);
    char ta[128], tb[128];
    int d, text = isnan(va) && isnan(vb) && r->sort_col >= TUI_COL_X && r->sort_col <= TUI_COL_Z;
    if (text) {                         /* names (sampler, scheduler...) in alphabetical order */
        tui_results_text(r, ca, r->sort_col, ta, sizeof ta);
        tui_results_text(r, cb, r->sort_col, tb, sizeof tb);
        d = strcmp(ta, tb);
        d = r->sort_desc ? -d : d;
    } else if (isnan(va) || isnan(vb)) {
        d = isnan(va) - isnan(vb);      /* absent values last in both directions */
    } else {
        d = (va > vb) - (va < vb);
        d = r->sort_desc ? -d : d;
    }
    return d != 0 ? d : (*(const size_t *)a > *(const size_t *)b) -
                        (*(const size_t *)a < *(const size_t *)b);
}

static int
tui_results_matches(const struct tui_results *r, const struct db_cell *c)
{
    char buf[128];
    if (r->filter.text[0] == '\0')
        return 1;
    for (int col = 0; col < TUI_COL_COUNT; col++) {
        if (!tui_results_has_col(r, col))
            continue;
        tui_results_text(r, c, col, buf, sizeof buf);
        if (strcasestr(buf, r->filter.text) != NULL)
            return 1;
    }
    return 0;
}

static void
tui_results_best(struct tui_results *r)
{
    for (int col = 0; col < TUI_COL_COUNT; col++) {
        r->best[col] = NAN;
        int better = tui_results_cols[col].better;
        for (size_t i = 0; better != 0 && i < r->ncells; i++) {
            const struct db_cell *c = &r->cells[i];
            double v = tui_results_value(r, c, col);
            if (c->kind != DB_RUN_CELL || c->state != DB_COMPLETE || !isfinite(v))
                continue;
            if (isnan(r->best[col]) || (better > 0 ? v > r->best[col] : v < r->best[col]))
                r->best[col] = v;
        }
    }
}

/* The widest text of each column over its head (with the sort mark) and every run, with the
 * best mark of a metric column. */
static void
tui_results_fit(struct tui_results *r)
{
    char buf[128];
    for (int col = 0; col < TUI_COL_COUNT; col++) {
        int mark = tui_results_cols[col].better != 0;
        r->fit[col] = !tui_results_has_col(r, col) ? 0
                      : tui_text_width(tui_results_head(r, col)) + 1 + mark;
        for (size_t i = 0; i < r->ncells && r->fit[col] > 0; i++) {
            tui_results_text(r, &r->cells[i], col, buf, sizeof buf);
            int w = tui_text_width(buf) + mark;
            r->fit[col] = w > r->fit[col] ? w : r->fit[col];
        }
    }
}

/* Rebuilds the shown rows (filter, sort) keeping the selected run selected. */
static void
tui_results_reorder(struct tui_results *r, int64_t keep_id)
{
    free(r->order);
    r->order = xmalloc((r->ncells ? r->ncells : 1) * sizeof *r->order);
    r->nshown = 0;
    for (size_t i = 0; i < r->ncells; i++)
        if (tui_results_matches(r, &r->cells[i]))
            r->order[r->nshown++] = i;
    if (r->sort_col >= 0) {
        qsort_r(r->order, r->nshown, sizeof *r->order, tui_results_cmp, r);
    }
    int sel = 0;
    for (size_t i = 0; i < r->nshown; i++)
        if (r->cells[r->order[i]].id == keep_id)
            sel = (int)i;
    panel_select(&r->table, sel, (int)r->nshown);
    tui_results_best(r);
}

static int64_t
tui_results_selected_id(const struct tui_results *r)
{
    if (r->nshown == 0 || r->table.selected >= (int)r->nshown)
        return 0;
    return r->cells[r->order[r->table.selected]].id;
}

/* ---- loading --------------------------------------------------------------------------------- */

/* The sweep to show: the chosen one, else the one running, else the latest. */
static int
tui_results_find_sweep(struct tui *t, struct db *db, struct db_sweep_info *info)
{
    if (t->res.sweep_id > 0)
        return db_sweep_get(db, t->res.sweep_id, info, NULL);
    if (t->run.name != NULL && db_sweep_find(db, t->run.name, info, NULL) == 0)
        return 0;
    return db_sweep_latest(db, info, NULL);
}

static void
tui_results_set_axes(struct tui_results *r, const char *spec_text)
{
    struct sweep_spec s;
    sweep_spec_init(&s);
    for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
        r->axis_knob[a] = -1;
    if (sweep_spec_from_json(&s, spec_text, "store", NULL) == 0)
        for (int a = 0; a < SWEEP_AXIS_COUNT; a++)
            r->axis_knob[a] = s.axes[a].knob;
    sweep_spec_release(&s);
}

static void
tui_results_load(struct tui *t, struct db *db)
{
    struct tui_results *r = &t->res;
    struct db_sweep_info info;
    char *cause = NULL;
    int64_t keep = tui_results_selected_id(r);
    if (tui_results_find_sweep(t, db, &info) != 0) {
        r->shown_id = 0;
        return;
    }
    struct db_cell *cells;
    size_t n;
    if (db_cells_list(db, info.id, &cells, &n, &cause) < 0) {
        free(r->error);
        r->error = cause;
        db_sweep_info_release(&info);
        return;
    }
    db_cells_free(r->cells, r->ncells);
    r->cells = cells;
    r->ncells = n;
    if (r->shown_id != info.id)
        keep = 0;
    r->shown_id = info.id;
    free(r->sweep_name);
    free(r->sweep_status);
    r->sweep_name = xstrdup(info.name);
    r->sweep_status = xstrdup(info.status);
    tui_results_set_axes(r, info.spec);
    tui_results_fit(r);
    db_sweep_info_release(&info);
    free(r->error);
    r->error = NULL;
    tui_results_reorder(r, keep);
}

void
tui_results_update(struct tui *t)
{
    struct tui_results *r = &t->res;
    double now = clock_now();
    if (tui_run_active(&t->run) && now - r->loaded_at > 2.0)
        r->stale = 1;
    if (!r->stale || now - r->loaded_at < 0.2)
        return;
    struct db *db = tui_db(t);
    r->loaded_at = now;
    if (db == NULL)
        return;
    r->stale = 0;
    t->run.finished_since = 0;
    tui_results_load(t, db);
    t->dirty |= TUI_DIRTY_FRAME;
}

void
tui_results_follow(struct tui *t, int64_t sweep_id)
{
    t->res.sweep_id = sweep_id;
    t->res.stale = 1;
    t->plot.stale = 1;
}

void
tui_results_release(struct tui *t)
{
    struct tui_results *r = &t->res;
    db_cells_free(r->cells, r->ncells);
    free(r->order);
    free(r->sweep_name);
    free(r->sweep_status);
    free(r->error);
}

/* ---- drawing --------------------------------------------------------------------------------- */

void
tui_results_layout(struct tui *t)
{
    struct tui_results_layout l;
    tui_layout_results(t->frame.body, &l);
    panel_move(&t->res.table, l.rows);
}

/* Column widths for the screen width, kept in r->colx/colw for drawing and clicks. */
static void
tui_results_columns(struct tui_results *r, int width)
{
    struct tui_colspec spec[TUI_COL_COUNT];
    for (int c = 0; c < TUI_COL_COUNT; c++) {
        const struct tui_results_col *k = &tui_results_cols[c];
        int priority = tui_results_has_col(r, c) ? k->priority : -1;
        int want = r->fit[c] < k->min ? k->min : r->fit[c] > k->want ? k->want : r->fit[c];
        spec[c] = (struct tui_colspec){k->min, want, priority};
        if (!tui_results_has_col(r, c))
            spec[c].min = spec[c].want = width + 1;     /* never fits: dropped first */
    }
    tui_layout_columns(spec, TUI_COL_COUNT, width - 1, 2, r->colw);
    for (int c = 0, x = 1; c < TUI_COL_COUNT; c++) {
        r->colx[c] = x;
        x += r->colw[c] ? r->colw[c] + 2 : 0;
    }
}

static enum tui_role
tui_results_role(const struct tui_results *r, const struct db_cell *c, int col)
{
    double v = tui_results_value(r, c, col), best = r->best[col];
    int better = tui_results_cols[col].better;
    if (better > 0 && metrics_identical(v) && c->kind == DB_RUN_CELL)
        return TUI_ROLE_BEST;           /* an identical image: best PSNR there is */
    if (better == 0 || !isfinite(v) || !isfinite(best) || c->kind != DB_RUN_CELL)
        return c->kind == DB_RUN_REFERENCE ? TUI_ROLE_DIM : TUI_ROLE_NORMAL;
    double ratio = better < 0 ? (best > 0 ? v / best : 1) : (v > 0 ? best / v : INFINITY);
    return ratio <= 1.01 ? TUI_ROLE_BEST : ratio <= 1.1 ? TUI_ROLE_GOOD
           : ratio >= 2 ? TUI_ROLE_BAD : TUI_ROLE_NORMAL;
}

static void
tui_results_draw_cellrow(struct tui *t, int y, const struct db_cell *c, int selected)
{
    struct tui_results *r = &t->res;
    char buf[128];
    if (selected)
        tui_draw_fill((struct tui_rect){0, y, t->frame.cols, 1}, TUI_ROLE_SEL);
    for (int col = 0; col < TUI_COL_COUNT; col++) {
        int w = r->colw[col], metric = tui_results_cols[col].better != 0;
        if (w == 0)
            continue;
        tui_results_text(r, c, col, buf, sizeof buf);
        enum tui_role best = tui_results_role(r, c, col), role = selected ? TUI_ROLE_SEL : best;
        int tw = tui_text_width(buf), x = r->colx[col], room = w - metric;
        if (col == TUI_COL_SPEEDUP && tw > room && isfinite(c->speedup)) {
            snprintf(buf, sizeof buf, "%.2f", c->speedup);    /* no room for the interval */
            tw = tui_text_width(buf);
        }
        if (tui_results_cols[col].right && tw < room)
            x += room - tw;
        tui_draw_text(y, x, r->colx[col] + room - x, role, buf);
        if (metric && best == TUI_ROLE_BEST)    /* the mark shows in mono and in text too */
            tui_draw_text(y, r->colx[col] + room, 1, role, tui_term_glyphs()->best);
    }
}

static void
tui_results_draw_head(struct tui *t, struct tui_rect head)
{
    struct tui_results *r = &t->res;
    const struct tui_glyphs *g = tui_term_glyphs();
    tui_draw_fill(head, TUI_ROLE_HEAD);
    for (int col = 0; col < TUI_COL_COUNT; col++) {
        if (r->colw[col] == 0)
            continue;
        char buf[96];
        snprintf(buf, sizeof buf, "%s%s", tui_results_head(r, col),
                 col == r->sort_col ? (r->sort_desc ? g->down : g->up) : "");
        int room = r->colw[col] - (tui_results_cols[col].better != 0);
        int tw = tui_text_width(buf), x = r->colx[col];
        if (tui_results_cols[col].right && tw < room)
            x += room - tw;
        tui_draw_text(head.y, x, r->colx[col] + room - x, TUI_ROLE_HEAD, buf);
    }
}

static void
tui_results_draw_info(struct tui *t, struct tui_rect info)
{
    struct tui_results *r = &t->res;
    size_t cells = 0, done = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        cells += r->cells[i].kind == DB_RUN_CELL;
        done += r->cells[i].state == DB_COMPLETE;
    }
    int x = info.x + 1 + tui_draw_textf(info.y, info.x + 1, info.w - 1, TUI_ROLE_VALUE,
                                        "sweep '%s' ", r->sweep_name);
    x += tui_draw_textf(info.y, x, info.x + info.w - x, TUI_ROLE_DIM,
                        "(id %lld, %s): %zu cells + %zu references, %zu complete; sorted by %s",
                        (long long)r->shown_id, r->sweep_status, cells, r->ncells - cells, done,
                        r->sort_col < 0 ? "grid order" : tui_results_head(r, r->sort_col));
    if (r->filter.text[0] != '\0')
        tui_draw_textf(info.y, x, info.x + info.w - x, TUI_ROLE_WARN, "; filter '%s': %zu shown",
                       r->filter.text, r->nshown);
}

static void
tui_results_draw_empty(struct tui *t)
{
    struct tui_rect b = t->frame.body;
    const char *why = t->db == NULL ? "No store yet at" : "No sweep yet in";
    tui_draw_textf(b.y + b.h / 2 - 1, b.x + 2, b.w - 4, TUI_ROLE_VALUE, "%s '%s'.", why,
                   t->db_path);
    tui_draw_text(b.y + b.h / 2, b.x + 2, b.w - 4, TUI_ROLE_DIM,
                  "Plan a sweep in the editor (F2) and press F6 to run it.");
    if (t->res.error != NULL)
        tui_draw_text(b.y + b.h / 2 + 1, b.x + 2, b.w - 4, TUI_ROLE_ERR, t->res.error);
}

void
tui_results_draw(struct tui *t)
{
    struct tui_results *r = &t->res;
    struct tui_results_layout l;
    if (r->shown_id == 0) {
        tui_results_draw_empty(t);
        return;
    }
    tui_layout_results(t->frame.body, &l);
    tui_results_columns(r, l.head.w);
    tui_results_draw_info(t, l.info);
    tui_results_draw_head(t, l.head);
    struct panel *p = &r->table;
    panel_select(p, p->selected, (int)r->nshown);
    for (int i = p->scroll, y = p->y; i < (int)r->nshown && y < p->y + p->h; i++, y++)
        tui_results_draw_cellrow(t, y, &r->cells[r->order[i]], i == p->selected);
    if (r->nshown == 0)
        tui_draw_text(p->y, 2, p->w - 2, TUI_ROLE_DIM, "no run matches the filter");
}

/* ---- input ----------------------------------------------------------------------------------- */

int
tui_results_key(struct tui *t, int key)
{
    return panel_key(&t->res.table, key, (int)t->res.nshown);
}

static int
tui_results_sort_by(struct tui *t, int col)
{
    struct tui_results *r = &t->res;
    if (r->sort_col == col)
        r->sort_desc = !r->sort_desc;
    else {
        r->sort_col = col;
        r->sort_desc = col >= 0 && tui_results_cols[col].better > 0;
    }
    tui_results_reorder(r, tui_results_selected_id(r));
    return TUI_REDRAW;
}

int
tui_results_mouse(struct tui *t, int x, int y, int button)
{
    struct tui_results *r = &t->res;
    if (button == TUI_MOUSE_UP || button == TUI_MOUSE_DOWN)
        return panel_key(&r->table, TUI_KEY_CODE(button == TUI_MOUSE_UP ? KEY_UP : KEY_DOWN),
                         (int)r->nshown);
    if (y == r->table.y - 1) {
        for (int c = 0; c < TUI_COL_COUNT; c++)
            if (r->colw[c] && x >= r->colx[c] && x < r->colx[c] + r->colw[c] + 2)
                return tui_results_sort_by(t, c);
        return 0;
    }
    int row = panel_row_at(&r->table, x, y);
    if (row < 0 || row >= (int)r->nshown)
        return 0;
    panel_select(&r->table, row, (int)r->nshown);
    return button == TUI_MOUSE_DOUBLE ? tui_results_open(t) : TUI_REDRAW;
}

int
tui_results_sort_next(struct tui *t)
{
    struct tui_results *r = &t->res;
    int c = r->sort_col;
    do
        c = c + 1 >= TUI_COL_COUNT ? -1 : c + 1;
    while (c >= 0 && !tui_results_has_col(r, c));
    r->sort_col = c;
    r->sort_desc = c >= 0 && tui_results_cols[c].better > 0;
    tui_results_reorder(r, tui_results_selected_id(r));
    tui_message(t, TUI_ROLE_OK, "sorted by %s", c < 0 ? "grid order" : tui_results_head(r, c));
    return TUI_REDRAW;
}

int
tui_results_sort_invert(struct tui *t)
{
    t->res.sort_desc = !t->res.sort_desc;
    tui_results_reorder(&t->res, tui_results_selected_id(&t->res));
    return TUI_REDRAW;
}

static void
tui_results_filter_changed(struct tui *t)
{
    t->res.filter = t->prompt.line;
    tui_results_reorder(&t->res, tui_results_selected_id(&t->res));
}

static void
tui_results_filter_done(struct tui *t, int accepted)
{
    if (!accepted)
        tui_line_set(&t->prompt.line, "");
    tui_results_filter_changed(t);
}

int
tui_results_filter(struct tui *t)
{
    tui_prompt_open(t, "filter (Enter keeps, Esc clears)", t->res.filter.text,
                    tui_results_filter_changed, tui_results_filter_done);
    return TUI_REDRAW;
}

/* Moves to the sweep before (dir -1) or after (+1) the shown one. */
static int
tui_results_step_sweep(struct tui *t, int dir)
{
    struct db_sweep_info *v;
    size_t n;
    struct db *db = tui_db(t);
    if (db == NULL || db_sweep_list(db, &v, &n, NULL) < 0 || n == 0)
        return TUI_REDRAW;
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].id == t->res.shown_id)
            at = i;
    at = dir > 0 ? (at + 1) % n : (at + n - 1) % n;
    tui_results_follow(t, v[at].id);
    t->res.loaded_at = 0;
    tui_message(t, TUI_ROLE_OK, "sweep %zu of %zu: '%s'", at + 1, n, v[at].name);
    db_sweep_list_free(v, n);
    return TUI_REDRAW;
}

int
tui_results_next_sweep(struct tui *t)
{
    return tui_results_step_sweep(t, 1);
}

int
tui_results_prev_sweep(struct tui *t)
{
    return tui_results_step_sweep(t, -1);
}

int
tui_results_open(struct tui *t)
{
    int64_t id = tui_results_selected_id(&t->res);
    if (id == 0)
        return TUI_REDRAW;
    tui_cell_open(t, id);
    tui_show(t, TUI_SCREEN_CELL);
    return TUI_REDRAW;
}
