/*
 * keys.c - the key table, and everything built from it: dispatch, the function-key line
 * (htop's F1..F10 bar, labels that follow the state, clicks translated into keys) and the
 * `?` help screen.  One const table, so the bar, the help and the behaviour cannot disagree.
 *
 * Dispatch order: a yes/no dialog, then the prompt line, then the screen's text input (the
 * sweep editor takes printable keys before the table), then the table (first entry whose key
 * and screen match), then the screen's own keys (list movement).
 */
#include "tui/tui_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/err.h"

struct tui_key_entry {
    int key, alt;               /* alt: a second key (0: none) */
    const char *name;           /* the key(s) as the help spells them */
    const char *label;          /* the function-key line's label; NULL: not on it */
    const char *help;
    unsigned screens;           /* TUI_ON(...) mask */
    int (*fn)(struct tui *t);
    const char *(*label_fn)(const struct tui *t);   /* a label that follows the state */
};

#define TUI_KEYS_F(n) TUI_KEY_CODE(KEY_F(n))
#define TUI_KEYS_TABS TUI_ON_ALL              /* keys of every screen, listed first in the help */

static int tui_key_help(struct tui *t) { tui_show(t, TUI_SCREEN_HELP); return TUI_REDRAW; }
static int tui_keys_editor(struct tui *t) { tui_show(t, TUI_SCREEN_EDITOR); return TUI_REDRAW; }
static int tui_keys_run(struct tui *t) { tui_show(t, TUI_SCREEN_RUN); return TUI_REDRAW; }
static int tui_keys_results(struct tui *t) { tui_show(t, TUI_SCREEN_RESULTS); return TUI_REDRAW; }
static int tui_keys_plot(struct tui *t) { tui_show(t, TUI_SCREEN_PLOT); return TUI_REDRAW; }

static void
tui_keys_quit_yes(struct tui *t)
{
    t->quit = 1;
}

static int
tui_keys_quit(struct tui *t)
{
    if (tui_run_active(&t->run)) {
        tui_dialog_open(t, tui_keys_quit_yes, "A sweep is running. Quit and stop it (complete "
                        "cells are kept; running it again resumes)? y/n");
        return TUI_REDRAW;
    }
    return TUI_QUIT;
}

static int
tui_keys_back(struct tui *t)
{
    tui_show(t, t->screen == TUI_SCREEN_CELL ? TUI_SCREEN_RESULTS : t->back);
    return TUI_REDRAW;
}

static const char *
tui_keys_pause_label(const struct tui *t)
{
    return t->run.state == TUI_RUN_PAUSED || t->run.state == TUI_RUN_CANCELLED ||
                   t->run.state == TUI_RUN_FAILED ? "Resume" : "Pause";
}

static const struct tui_key_entry tui_keys_table[] = {
    /* the help screen's own keys come first: there F1 and q close it */
    {TUI_KEY_ESC, 'q', "Esc q F1", NULL, "close the help", TUI_ON(TUI_SCREEN_HELP), tui_keys_back,
     NULL},
    {TUI_KEYS_F(1), '?', NULL, "Close", NULL, TUI_ON(TUI_SCREEN_HELP), tui_keys_back, NULL},
    {TUI_KEYS_F(1), '?', "F1 ?", "Help", "this help (in the editor ? is text: F1)", TUI_KEYS_TABS,
     tui_key_help, NULL},
    {TUI_KEYS_F(2), 0, "F2", "Sweep", "the sweep editor", TUI_KEYS_TABS, tui_keys_editor, NULL},
    {TUI_KEYS_F(3), 0, "F3", "Run", "the run view", TUI_KEYS_TABS, tui_keys_run, NULL},
    {TUI_KEYS_F(4), 0, "F4", "Results", "the results browser", TUI_KEYS_TABS, tui_keys_results,
     NULL},
    {TUI_KEYS_F(5), 0, "F5", "Plot", "the plot viewer", TUI_KEYS_TABS, tui_keys_plot, NULL},
    /* the sweep editor */
    {TUI_KEYS_F(6), TUI_KEY_CTRL('r'), "F6 C-r", "Run",
     "run the sweep (resumes it when the store has it)", TUI_ON(TUI_SCREEN_EDITOR),
     tui_editor_run, NULL},
    {TUI_KEYS_F(7), 0, "F7", "Save", "save the spec as JSON",
     TUI_ON(TUI_SCREEN_EDITOR), tui_editor_save, NULL},
    {TUI_KEYS_F(8), 0, "F8", "Load", "load a spec (JSON)",
     TUI_ON(TUI_SCREEN_EDITOR), tui_editor_load, NULL},
    {TUI_KEYS_F(9), 0, "F9", "Starter", "the starter sweep (threshold x scheduler)",
     TUI_ON(TUI_SCREEN_EDITOR), tui_editor_starter, NULL},
    /* the run view */
    {TUI_KEYS_F(6), 'p', "F6 p", "Pause", "pause (stops between steps, keeps complete cells) or "
     "resume", TUI_ON(TUI_SCREEN_RUN), tui_runview_pause, tui_keys_pause_label},
    {TUI_KEYS_F(8), 'c', "F8 c", "Cancel", "cancel the sweep (complete cells are kept)",
     TUI_ON(TUI_SCREEN_RUN), tui_runview_cancel, NULL},
    /* the results browser */
    {TUI_KEY_ENTER, 0, "Enter", NULL, "open the cell: statistics, trace, images",
     TUI_ON(TUI_SCREEN_RESULTS), tui_results_open, NULL},
    {TUI_KEYS_F(6), 's', "F6 s", "SortBy", "sort by the next column (or click its header)",
     TUI_ON(TUI_SCREEN_RESULTS), tui_results_sort_next, NULL},
    {TUI_KEYS_F(7), 'i', "F7 i", "Invert", "invert the sort order", TUI_ON(TUI_SCREEN_RESULTS),
     tui_results_sort_invert, NULL},
    {TUI_KEYS_F(8), '/', "F8 /", "Filter", "filter the rows (any text of the row)",
     TUI_ON(TUI_SCREEN_RESULTS), tui_results_filter, NULL},
    {TUI_KEYS_F(9), ']', "F9 ]", "Sweep", "the next sweep in the store", TUI_ON(TUI_SCREEN_RESULTS),
     tui_results_next_sweep, NULL},
    {'[', 0, "[", NULL, "the previous sweep in the store", TUI_ON(TUI_SCREEN_RESULTS),
     tui_results_prev_sweep, NULL},
    /* the cell view */
    {TUI_KEY_ESC, TUI_KEY_CODE(KEY_BACKSPACE), "Esc Bksp", "Back", "back to the results",
     TUI_ON(TUI_SCREEN_CELL), tui_keys_back, NULL},
    {TUI_KEYS_F(6), 'n', "F6 n", "Next", "the next cell of the table", TUI_ON(TUI_SCREEN_CELL),
     tui_cell_next, NULL},
    {TUI_KEYS_F(7), 'p', "F7 p", "Prev", "the previous cell of the table", TUI_ON(TUI_SCREEN_CELL),
     tui_cell_prev, NULL},
    /* the plot viewer */
    {TUI_KEYS_F(6), 'k', "F6 k", "Kind", "the next plot kind (grid, lines, heatmap, pareto, trace)",
     TUI_ON(TUI_SCREEN_PLOT), tui_plot_next_kind, NULL},
    {TUI_KEYS_F(7), 'm', "F7 m", "Metric", "the next metric (lines, heatmap, pareto)",
     TUI_ON(TUI_SCREEN_PLOT), tui_plot_next_metric, NULL},
    {TUI_KEYS_F(8), 'w', "F8 w", "Write", "write the plot as PNG and SVG (script and data beside)",
     TUI_ON(TUI_SCREEN_PLOT), tui_plot_write, NULL},
    {TUI_KEYS_F(9), 'd', "F9 d", "Diff/vs", "grid: images or diffs; trace: by step or sigma",
     TUI_ON(TUI_SCREEN_PLOT), tui_plot_toggle, NULL},
    /* everywhere */
    {TUI_KEYS_F(10), 'q', "F10 q", "Quit", "quit (asks first while a sweep runs)", TUI_KEYS_TABS,
     tui_keys_quit, NULL},
};
#define TUI_KEYS_COUNT (sizeof tui_keys_table / sizeof tui_keys_table[0])

static const struct tui_key_entry *
tui_keys_find(const struct tui *t, int key)
{
    for (size_t i = 0; i < TUI_KEYS_COUNT; i++) {
        const struct tui_key_entry *e = &tui_keys_table[i];
        if ((e->screens & TUI_ON(t->screen)) && (e->key == key || (e->alt && e->alt == key)))
            return e;
    }
    return NULL;
}

/* The entry shown on the bar for F-key n on this screen, or NULL. */
static const struct tui_key_entry *
tui_keys_fbar_entry(const struct tui *t, int n)
{
    for (size_t i = 0; i < TUI_KEYS_COUNT; i++) {
        const struct tui_key_entry *e = &tui_keys_table[i];
        if (e->key == TUI_KEYS_F(n) && (e->screens & TUI_ON(t->screen)) && e->label != NULL)
            return e;
    }
    return NULL;
}

/* ---- the function-key line ------------------------------------------------------------------- */

/* Calls item(x, n, label, lw, ctx) for each F-key on the bar in turn: x is its first column,
 * lw the width of its label (shared by all, so the bar fits the screen when it can). */
static int
tui_keys_fbar_walk(const struct tui *t,
                   int (*item)(int x, int n, const char *label, int lw, void *ctx), void *ctx)
{
    int count = 0, x = 0;
    for (int n = 1; n <= 10; n++)
        count += tui_keys_fbar_entry(t, n) != NULL;
    int lw = count ? t->frame.cols / count - 2 : 8;
    lw = lw < 4 ? 4 : lw > 8 ? 8 : lw;
    for (int n = 1; n <= 10; n++) {
        const struct tui_key_entry *e = tui_keys_fbar_entry(t, n);
        if (e == NULL)
            continue;
        int rc = item(x, n, e->label_fn ? e->label_fn(t) : e->label, lw, ctx);
        if (rc != 0)
            return rc;
        x += (n >= 10 ? 3 : 2) + lw;
    }
    return 0;
}

static int
tui_keys_fbar_draw_item(int x, int n, const char *label, int lw, void *ctx)
{
    const struct tui *t = ctx;
    char fit[64];
    int w = t->frame.cols - x;
    if (w <= 0)
        return 1;
    int kw = tui_draw_textf(t->frame.fbar.y, x, w, TUI_ROLE_FKEY, "F%d", n);
    tui_text_fit(label, lw - 1, tui_term_utf8(), fit, sizeof fit);
    tui_draw_text(t->frame.fbar.y, x + kw, w - kw, TUI_ROLE_FLABEL, fit);
    return 0;
}

void
tui_keys_draw_fbar(struct tui *t)
{
    struct tui_rect r = t->frame.fbar;
    if (t->prompt.active) {
        int cx, lw = tui_draw_textf(r.y, 0, r.w, TUI_ROLE_LABEL, "%s: ", t->prompt.label);
        tui_line_draw(&t->prompt.line, r.y, lw, r.w - lw, TUI_ROLE_NORMAL, &cx);
        move(r.y, cx);
        curs_set(1);
        return;
    }
    tui_draw_fill(r, TUI_ROLE_FLABEL);
    tui_keys_fbar_walk(t, tui_keys_fbar_draw_item, t);
}

struct tui_keys_click {
    int x, key;
};

static int
tui_keys_fbar_click_item(int x, int n, const char *label, int lw, void *ctx)
{
    struct tui_keys_click *c = ctx;
    (void)label;
    if (c->x >= x && c->x < x + (n >= 10 ? 3 : 2) + lw) {
        c->key = TUI_KEYS_F(n);
        return 1;
    }
    return 0;
}

int
tui_keys_fbar_key(const struct tui *t, int x)
{
    struct tui_keys_click c = {x, -1};
    tui_keys_fbar_walk(t, tui_keys_fbar_click_item, &c);
    return c.key;
}

/* ---- help ------------------------------------------------------------------------------------ */

static const char *const tui_keys_section_names[] = {
    [TUI_SCREEN_EDITOR] = "Sweep editor (F2)", [TUI_SCREEN_RUN] = "Run view (F3)",
    [TUI_SCREEN_RESULTS] = "Results browser (F4)", [TUI_SCREEN_CELL] = "Cell view (Enter)",
    [TUI_SCREEN_PLOT] = "Plot viewer (F5)", [TUI_SCREEN_HELP] = "Help",
};
NAME_TABLE_CHECK(tui_keys_section_names, TUI_SCREEN_COUNT);

static void
tui_keys_help_add(char ***lines, size_t *n, char *line)
{
    *lines = xrealloc(*lines, (*n + 1) * sizeof **lines);
    (*lines)[(*n)++] = line;
}

static const char *const tui_keys_editor_help[] = {
    "Up/Down     move between fields (or click one); type to edit, checked as you type",
    "Left/Right Home/End Bksp Del C-u C-w   edit the field",
    "Tab         complete a knob or name (again: the next match)",
    "axes        KNOB=VALUES: a,b,c  a-b  a-b (+s)  a-b [n]  1, 2, .., 10  a:b:s",
};

/* One screen's section of the help. */
static void
tui_keys_help_section(int s, char ***lines, size_t *n)
{
    tui_keys_help_add(lines, n, xstrdup(""));
    tui_keys_help_add(lines, n, xstrdup(tui_keys_section_names[s]));
    for (size_t i = 0; s == TUI_SCREEN_EDITOR && i < 4; i++)
        tui_keys_help_add(lines, n, xasprintf("  %s", tui_keys_editor_help[i]));
    for (size_t i = 0; i < TUI_KEYS_COUNT; i++)
        if (tui_keys_table[i].help && tui_keys_table[i].screens != TUI_KEYS_TABS &&
            (tui_keys_table[i].screens & TUI_ON(s)))
            tui_keys_help_add(lines, n, xasprintf("  %-11s %s", tui_keys_table[i].name,
                                                  tui_keys_table[i].help));
    if (s != TUI_SCREEN_EDITOR)
        tui_keys_help_add(lines, n, xasprintf("  %-11s %s", "Up/Down", "move or scroll; PgUp/PgDn "
                                              "Home/End by pages"));
}

size_t
tui_keys_help(const struct tui *t, char ***lines)
{
    size_t n = 0;
    int first = t->screen == TUI_SCREEN_HELP ? (int)t->back : (int)t->screen;
    *lines = NULL;
    tui_keys_help_add(lines, &n, xasprintf("Everywhere"));
    for (size_t i = 0; i < TUI_KEYS_COUNT; i++)
        if (tui_keys_table[i].help && tui_keys_table[i].screens == TUI_KEYS_TABS)
            tui_keys_help_add(lines, &n, xasprintf("  %-11s %s", tui_keys_table[i].name,
                                                   tui_keys_table[i].help));
    tui_keys_help_add(lines, &n, xasprintf("  %-11s %s", "mouse", "click tabs, F-keys, rows and "
                                           "headers; wheel scrolls; double-click opens"));
    tui_keys_help_section(first, lines, &n);    /* the screen the help was asked on, first */
    for (int s = 0; s < TUI_SCREEN_COUNT; s++)
        if (s != first && s != TUI_SCREEN_HELP)
            tui_keys_help_section(s, lines, &n);
    return n;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

static int
tui_keys_dialog(struct tui *t, int key)
{
    if (key == 'y' || key == 'Y') {
        t->dialog.active = 0;
        t->dialog.on_yes(t);
    } else if (key == 'n' || key == 'N' || key == TUI_KEY_ESC || key == 'q') {
        t->dialog.active = 0;
    }
    return TUI_HANDLED | TUI_REDRAW;
}

static int
tui_keys_prompt(struct tui *t, int key)
{
    struct tui_prompt *p = &t->prompt;
    if (key == TUI_KEY_ENTER || key == TUI_KEY_ESC) {
        p->active = 0;
        curs_set(0);
        if (p->on_done)
            p->on_done(t, key == TUI_KEY_ENTER);
        return TUI_HANDLED | TUI_REDRAW;
    }
    if (tui_line_key(&p->line, key) == 2 && p->on_change)
        p->on_change(t);
    return TUI_HANDLED | TUI_REDRAW;
}

/* A click: tabs on the title line, keys on the function-key line, else the screen's. */
static int
tui_keys_mouse(struct tui *t)
{
    int x, y, button;
    if (tui_term_mouse(&x, &y, &button) < 0)
        return 0;
    if (button == TUI_MOUSE_PRESS) {
        double now = clock_now();
        if (x == t->last_click_x && y == t->last_click_y && now - t->last_click_at < 0.4)
            button = TUI_MOUSE_DOUBLE;
        t->last_click_x = x;
        t->last_click_y = y;
        t->last_click_at = button == TUI_MOUSE_DOUBLE ? 0 : now;
    }
    if (t->frame.too_small || t->dialog.active || t->prompt.active)
        return 0;
    if (y == t->frame.fbar.y && button == TUI_MOUSE_PRESS) {
        int key = tui_keys_fbar_key(t, x);
        return key < 0 ? 0 : tui_keys_dispatch(t, key);
    }
    if (y == t->frame.title.y && button == TUI_MOUSE_PRESS) {
        int s = tui_title_tab_at(t, x);
        if (s >= 0)
            tui_show(t, (enum tui_screen)s);
        return TUI_REDRAW;
    }
    const struct tui_screen_ops *ops = tui_screen_ops(t->screen);
    return ops->mouse ? ops->mouse(t, x, y, button) : 0;
}

int
tui_keys_dispatch(struct tui *t, int key)
{
    if (key == TUI_KEY_CODE(KEY_RESIZE))
        return TUI_RESIZE;
    if (key == TUI_KEY_CODE(KEY_MOUSE))
        return tui_keys_mouse(t);
    if (t->dialog.active)
        return tui_keys_dialog(t, key);
    if (t->prompt.active)
        return tui_keys_prompt(t, key);
    if (t->frame.too_small)
        return key == TUI_KEYS_F(10) || key == 'q' ? TUI_QUIT : 0;
    const struct tui_screen_ops *ops = tui_screen_ops(t->screen);
    int rc = ops->text_key ? ops->text_key(t, key) : 0;
    if (rc != 0)
        return rc;
    const struct tui_key_entry *e = tui_keys_find(t, key);
    if (e != NULL)
        return e->fn(t) | TUI_HANDLED;
    return ops->key ? ops->key(t, key) : 0;
}
