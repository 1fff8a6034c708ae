/*
 * tui.c - the TUI's entry point and main loop, the screens' table, and the frame every screen
 * shares: the title line with its tabs and status, the too-small screen, messages, the prompt
 * line and the yes/no dialog.
 *
 * The loop (STYLE.md 21, htop-shaped): poll the sweep's progress pipe and the background
 * jobs -> update the shown screen's data when stale -> draw when something changed -> wait
 * for a key or progress (poll() on stdin and the pipe, so progress shows at once and an idle
 * TUI sleeps) -> dispatch every pending key through the key table.  Handlers return flags and
 * never draw; a resize recomputes the layout and redraws everything.
 *
 * struct tui owns everything it points at; the store is opened read-only on first use.
 */
#include "tui/tui_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/store.h"
#include "util/clock.h"
#include "util/err.h"

static const struct tui_screen_ops tui_screens[TUI_SCREEN_COUNT] = {
    [TUI_SCREEN_EDITOR] = {
        .name = "F2 Sweep", .layout = tui_editor_layout, .update = tui_editor_update,
        .draw = tui_editor_draw, .text_key = tui_editor_key, .mouse = tui_editor_mouse,
    },
    [TUI_SCREEN_RUN] = {
        .name = "F3 Run", .layout = tui_runview_layout, .draw = tui_runview_draw,
        .key = tui_runview_key, .mouse = tui_runview_mouse,
    },
    [TUI_SCREEN_RESULTS] = {
        .name = "F4 Results", .layout = tui_results_layout, .update = tui_results_update,
        .draw = tui_results_draw, .key = tui_results_key, .mouse = tui_results_mouse,
    },
    [TUI_SCREEN_CELL] = {
        .layout = tui_cell_layout, .update = tui_cell_update, .draw = tui_cell_draw,
        .key = tui_cell_key, .mouse = tui_cell_mouse,
    },
    [TUI_SCREEN_PLOT] = {
        .name = "F5 Plot", .layout = tui_plot_layout, .update = tui_plot_update,
        .draw = tui_plot_draw, .key = tui_plot_key, .mouse = tui_plot_mouse,
    },
    [TUI_SCREEN_HELP] = {.layout = tui_help_layout, .draw = tui_help_draw, .key = tui_help_key},
};

const struct tui_screen_ops *
tui_screen_ops(enum tui_screen s)
{
    return &tui_screens[s];
}

/* ---- small services the screens use ---------------------------------------------------------- */

void
tui_message(struct tui *t, enum tui_role role, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->msg, sizeof t->msg, fmt, ap);
    va_end(ap);
    t->msg_role = role;
    t->msg_until = clock_now() + (role == TUI_ROLE_ERR ? 8 : 4);
    t->dirty |= TUI_DIRTY_FRAME;
}

void
tui_show(struct tui *t, enum tui_screen s)
{
    if (s == TUI_SCREEN_HELP && t->screen != TUI_SCREEN_HELP)
        t->back = t->screen;
    t->screen = s;
    tui_screens[s].layout(t);
    t->dirty |= TUI_DIRTY_FRAME;
}

struct db *
tui_db(struct tui *t)
{
    char *cause = NULL;
    if (t->db != NULL || clock_now() - t->db_tried < 1.0)
        return t->db;
    t->db_tried = clock_now();
    struct stat st;
    if (stat(t->db_path, &st) == 0 && db_open_readonly(t->db_path, &t->db, &cause) < 0) {
        if (!tui_run_active(&t->run))   /* else: the sweep may be creating it right now */
            tui_message(t, TUI_ROLE_ERR, "%s", cause);
        free(cause);
        t->db = NULL;
    }
    return t->db;
}

void
tui_prompt_open(struct tui *t, const char *label, const char *text,
                void (*on_change)(struct tui *), void (*on_done)(struct tui *, int))
{
    t->prompt.active = 1;
    t->prompt.label = label;
    tui_line_set(&t->prompt.line, text);
    t->prompt.on_change = on_change;
    t->prompt.on_done = on_done;
    t->dirty |= TUI_DIRTY_FRAME;
}

void
tui_dialog_open(struct tui *t, void (*on_yes)(struct tui *), const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->dialog.text, sizeof t->dialog.text, fmt, ap);
    va_end(ap);
    t->dialog.on_yes = on_yes;
    t->dialog.active = 1;
    t->dirty |= TUI_DIRTY_FRAME;
}

/* ---- the frame ------------------------------------------------------------------------------- */

/* Walks the tabs of the title line: calls fn for each with its screen, column and width. */
static int
tui_tabs_walk(const struct tui *t, int (*fn)(const struct tui *, int s, int x, int w, void *),
              void *ctx)
{
    int x = 5;
    for (int s = 0; s < TUI_SCREEN_COUNT; s++) {
        if (tui_screens[s].name == NULL)
            continue;
        int w = tui_text_width(tui_screens[s].name) + 2;
        int rc = fn(t, s, x, w, ctx);
        if (rc != 0)
            return rc;
        x += w + 1;
    }
    return 0;
}

static int
tui_tab_draw(const struct tui *t, int s, int x, int w, void *ctx)
{
    (void)ctx;
    int on = (int)t->screen == s || (s == TUI_SCREEN_RESULTS && t->screen == TUI_SCREEN_CELL);
    int room = t->frame.cols - x;
    if (room <= 0)
        return 1;
    tui_draw_textf(0, x, w < room ? w : room, on ? TUI_ROLE_TAB_ON : TUI_ROLE_TAB, " %s ",
                   tui_screens[s].name);
    return 0;
}

struct tui_tab_hit {
    int x, screen;
};

static int
tui_tab_hit(const struct tui *t, int s, int x, int w, void *ctx)
{
    struct tui_tab_hit *h = ctx;
    (void)t;
    if (h->x >= x && h->x < x + w) {
        h->screen = s;
        return 1;
    }
    return 0;
}

int
tui_title_tab_at(const struct tui *t, int x)
{
    struct tui_tab_hit h = {x, -1};
    tui_tabs_walk(t, tui_tab_hit, &h);
    return h.screen;
}

/* The right side of the title line: a fresh message, else the sweep's state and the store. */
static void
tui_draw_status(struct tui *t, int x)
{
    char buf[512], eta[32];
    const struct tui_run *r = &t->run;
    enum tui_role role = TUI_ROLE_TITLE;
    if (t->msg_until > clock_now()) {
        snprintf(buf, sizeof buf, "%s", t->msg);
        role = t->msg_role == TUI_ROLE_ERR ? TUI_ROLE_ERR : TUI_ROLE_TITLE;
    } else if (r->state != TUI_RUN_IDLE) {
        tui_text_duration(r->eta, eta, sizeof eta);
        snprintf(buf, sizeof buf, "%s %s %ld/%ld%s%s  %s", r->name, tui_run_state_name(r->state),
                 r->done, r->total, tui_run_active(r) ? " ETA " : "",
                 tui_run_active(r) ? eta : "", t->db_path);
    } else {
        snprintf(buf, sizeof buf, "%s", t->db_path);
    }
    int w = t->frame.cols - x - 1, tw = tui_text_width(buf);
    if (w > 0)
        tui_draw_text(0, tw < w ? t->frame.cols - 1 - tw : x, w, role, buf);
}

static void
tui_draw_title(struct tui *t)
{
    tui_draw_fill(t->frame.title, TUI_ROLE_TITLE);
    tui_draw_text(0, 0, 5, TUI_ROLE_TITLE, " fbw ");
    tui_tabs_walk(t, tui_tab_draw, NULL);
    int end = 5;
    for (int s = 0; s < TUI_SCREEN_COUNT; s++)
        if (tui_screens[s].name != NULL)
            end += tui_text_width(tui_screens[s].name) + 3;
    tui_draw_status(t, end + 1);
}

static void
tui_draw_too_small(struct tui *t)
{
    int cols = t->frame.cols, rows = t->frame.rows;
    char have[64], need[64];
    snprintf(have, sizeof have, "Width = %d Height = %d", cols, rows);
    snprintf(need, sizeof need, "Needed: Width = %d Height = %d", TUI_MIN_COLS, TUI_MIN_ROWS);
    const char *lines[] = {"Terminal size too small:", have, need, "F10 or q quits"};
    int n = 4, y0 = rows > n ? (rows - n) / 2 : 0;
    for (int i = 0; i < n && y0 + i < rows; i++) {
        int w = tui_text_width(lines[i]), x = w < cols ? (cols - w) / 2 : 0;
        enum tui_role role = i != 1 ? TUI_ROLE_NORMAL
                             : cols < TUI_MIN_COLS || rows < TUI_MIN_ROWS ? TUI_ROLE_ERR
                                                                          : TUI_ROLE_OK;
        tui_draw_text(y0 + i, x, cols - x, role, lines[i]);
    }
}

static void
tui_draw_dialog(struct tui *t)
{
    char **lines;
    struct tui_rect box = tui_layout_box(t->frame.body, 64, 8);
    if (box.w < 6 || box.h < 3)
        return;
    size_t n = tui_text_wrap(t->dialog.text, box.w - 4, 0, &lines);
    tui_draw_fill(box, TUI_ROLE_SEL);
    for (size_t i = 0; i < n; i++) {
        if ((int)i < box.h - 2)
            tui_draw_text(box.y + 1 + (int)i, box.x + 2, box.w - 4, TUI_ROLE_SEL, lines[i]);
        free(lines[i]);
    }
    free(lines);
}

/* Draws the frame on stdscr and sends it; dirty: the enum tui_dirty flags it is drawn for. */
static void
tui_draw(struct tui *t, int dirty)
{
    erase();
    curs_set(0);
    tui_term_overlay_begin();
    t->cur_x = t->cur_y = -1;
    if (t->frame.too_small) {
        tui_draw_too_small(t);
    } else {
        tui_draw_title(t);
        tui_screens[t->screen].draw(t);
        tui_keys_draw_fbar(t);
        if (t->cur_y >= 0 && !t->prompt.active && !t->dialog.active) {
            move(t->cur_y, t->cur_x);
            curs_set(1);
        }
        if (t->dialog.active) {
            tui_term_overlay_begin();   /* no true-colour pixels over the dialog */
            tui_draw_dialog(t);
        }
    }
    refresh();
    tui_term_overlay_flush((dirty & TUI_DIRTY_FULL) != 0);
}

/* ---- the loop -------------------------------------------------------------------------------- */

static void
tui_relayout(struct tui *t)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    tui_layout_frame(cols, rows, &t->frame);
    if (!t->frame.too_small)
        for (int s = 0; s < TUI_SCREEN_COUNT; s++)
            tui_screens[s].layout(t);
    clearok(curscr, TRUE);
    t->dirty |= TUI_DIRTY_FULL;
}

/* Progress, jobs and expiring messages: marks what changed. */
static void
tui_poll(struct tui *t)
{
    if (tui_run_poll(&t->run)) {
        t->dirty |= TUI_DIRTY_FRAME;
        if (t->run.finished_since > 0 || t->run.state != TUI_RUN_RUNNING) {
            t->res.stale = 1;
            t->plot.stale = 1;
        }
        if (t->run.sweep_id > 0 && t->res.sweep_id == 0)
            tui_results_follow(t, t->run.sweep_id);
    }
    if (tui_plot_poll(t))
        t->dirty |= TUI_DIRTY_FRAME;
    if (t->msg_until > 0 && t->msg_until <= clock_now()) {
        t->msg_until = 0;
        t->dirty |= TUI_DIRTY_FRAME;
    }
    if (!t->frame.too_small && tui_screens[t->screen].update != NULL)
        tui_screens[t->screen].update(t);
}

static void
tui_apply(struct tui *t, int flags)
{
    if (flags & TUI_QUIT)
        t->quit = 1;
    if (flags & TUI_RESIZE)
        tui_relayout(t);
    if (flags & (TUI_REDRAW | TUI_HANDLED))
        t->dirty |= TUI_DIRTY_FRAME;
}

static void
tui_loop(struct tui *t)
{
    tui_relayout(t);
    while (!t->quit && !tui_term_stop_requested()) {
        tui_poll(t);
        if (t->dirty != 0) {
            tui_draw(t, t->dirty);
            t->dirty = 0;
        }
        int busy = tui_run_active(&t->run) || t->plot.job.started || t->ed.job.started;
        tui_term_wait(tui_run_fd(&t->run), busy ? 100 : 1000);
        for (int key; !t->quit && (key = tui_term_key()) >= 0;)
            tui_apply(t, tui_keys_dispatch(t, key));
    }
}

/* ---- setup ----------------------------------------------------------------------------------- */

static int
tui_app_init(struct tui *t, const struct tui_params *p, char **cause)
{
    const char *tmp = getenv("TMPDIR");
    t->db_path = xstrdup(p->db_path ? p->db_path : DB_DEFAULT_PATH);
    t->default_model = p->default_model ? xstrdup(p->default_model) : NULL;
    t->model = xstrdup(p->model ? p->model : "");
    t->exe = xstrdup(p->exe ? p->exe : "/proc/self/exe");
    t->tmpdir = xasprintf("%s/fbw-tui-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(t->tmpdir) == NULL)
        return err_set(cause, "cannot create a directory like '%s'", t->tmpdir);
    t->run.fd = -1;
    t->run.exe = t->exe;
    t->run.db_path = t->db_path;
    t->run.spec_path = xasprintf("%s/spec.json", t->tmpdir);
    t->run.log_path = xasprintf("%s/sweep.log", t->tmpdir);
    t->res.sort_col = -1;
    t->plot.metric = -1;
    t->plot.stale = 1;
    t->res.stale = 1;
    tui_editor_init(t, p->spec_path, p->starter);
    struct db_sweep_info latest;
    int have = tui_db(t) != NULL && db_sweep_latest(t->db, &latest, NULL) == 0;
    if (have)
        db_sweep_info_release(&latest);
    t->screen = p->starter || p->spec_path || !have ? TUI_SCREEN_EDITOR : TUI_SCREEN_RESULTS;
    t->back = t->screen;
    return 0;
}

/* The spec and log of the session's sweeps (idempotent). */
static void
tui_app_remove_files(struct tui *t)
{
    if (t->tmpdir == NULL || t->run.spec_path == NULL)
        return;
    unlink(t->run.spec_path);
    unlink(t->run.log_path);
    rmdir(t->tmpdir);
}

static void
tui_app_release(struct tui *t)
{
    tui_run_release(&t->run);
    tui_editor_release(t);
    tui_results_release(t);
    tui_cell_release(t);
    tui_plot_release(t);
    db_close(t->db);
    tui_app_remove_files(t);
    free(t->run.spec_path);
    free(t->run.log_path);
    free(t->db_path);
    free(t->default_model);
    free(t->model);
    free(t->exe);
    free(t->tmpdir);
}

/* Stops a running sweep before the terminal goes back, saying so on the screen. */
static void
tui_stop_child(struct tui *t)
{
    if (!tui_run_active(&t->run))
        return;
    tui_message(t, TUI_ROLE_WARN, "stopping the sweep (complete cells are kept)...");
    tui_draw(t, TUI_DIRTY_FRAME);
    tui_run_stop_wait(&t->run);
}

int
tui_main(const struct tui_params *p, char **cause)
{
    struct tui *t = xcalloc(1, sizeof *t);
    int rc = tui_app_init(t, p, cause);
    if (rc == 0 && (rc = tui_term_init(cause)) == 0) {
        tui_loop(t);
        tui_stop_child(t);
        /* before the default signal actions come back: a second SIGHUP must find nothing
         * left to clean */
        tui_app_remove_files(t);
        tui_term_restore();
    }
    tui_app_release(t);
    free(t);
    return rc;
}
