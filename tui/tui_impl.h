/*
 * tui_impl.h - what the TUI's files share: the app state (struct tui, built in tui_main and
 * passed everywhere), the panels, the screens' states (the sweep child's: run_child.h), key
 * codes, handler and redraw flags, and the drawing helpers.
 *
 * The loop is htop-shaped (STYLE.md 21): poll the sweep's progress and background jobs ->
 * update the dirty screen's data -> draw.  Handlers change state and return TUI_* flags; only
 * the draw functions call curses' output routines, and they draw on stdscr alone, so a resize
 * is a new layout and a redraw.
 */
#ifndef FBW_TUI_TUI_IMPL_H
#define FBW_TUI_TUI_IMPL_H

#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/spec.h"
#include "core/image.h"
#include "core/trace.h"
#include "db/query.h"
#include "tui/layout.h"
#include "tui/run_child.h"
#include "tui/tui.h"

struct tui;

/* ---- keys and handler results ---------------------------------------------------------------- */

/* A key: a character (its code point), or a curses key code moved past Unicode. */
#define TUI_KEY_CODE(k) (0x200000 + (k))
#define TUI_KEY_CTRL(c) ((c) & 0x1f)
#define TUI_KEY_ESC 27
#define TUI_KEY_ENTER '\r'

enum { TUI_HANDLED = 1, TUI_REDRAW = 2, TUI_RESIZE = 4, TUI_QUIT = 8 };

/*
 * What the next frame must do (struct tui's dirty, or-ed together; tmux's CLIENT_REDRAW*).
 * FRAME: draw the frame (curses then sends the terminal only the cells that changed).  FULL:
 * a new layout, after which curses repaints every cell (tui_relayout sets clearok), so the
 * true-colour overlay is written again too; it draws a frame by itself.  The main loop draws
 * once per pass and clears them.
 */
enum tui_dirty { TUI_DIRTY_FRAME = 1, TUI_DIRTY_FULL = 2 };

enum tui_screen {
    TUI_SCREEN_EDITOR, TUI_SCREEN_RUN, TUI_SCREEN_RESULTS, TUI_SCREEN_CELL, TUI_SCREEN_PLOT,
    TUI_SCREEN_HELP, TUI_SCREEN_COUNT
};
#define TUI_ON(s) (1u << (s))
#define TUI_ON_ALL ((1u << TUI_SCREEN_COUNT) - 1)

/* ---- terminal (term.c): the one curses singleton --------------------------------------------- */

enum tui_color_mode { TUI_COLOR_MONO, TUI_COLOR_8, TUI_COLOR_256, TUI_COLOR_DIRECT };

enum tui_role {
    TUI_ROLE_NORMAL, TUI_ROLE_TITLE, TUI_ROLE_TAB, TUI_ROLE_TAB_ON, TUI_ROLE_FKEY,
    TUI_ROLE_FLABEL, TUI_ROLE_SEL, TUI_ROLE_DIM, TUI_ROLE_ERR, TUI_ROLE_OK, TUI_ROLE_WARN,
    TUI_ROLE_BEST, TUI_ROLE_GOOD, TUI_ROLE_BAD, TUI_ROLE_HIT, TUI_ROLE_MISS, TUI_ROLE_HEAD,
    TUI_ROLE_BAR, TUI_ROLE_FIELD, TUI_ROLE_LABEL, TUI_ROLE_VALUE, TUI_ROLE_COUNT
};

struct tui_glyphs {
    const char *ellipsis, *upper_half, *full, *dot, *ok, *fail, *thr, *sep, *hline;
    const char *up, *down, *best;
    const char *vbar[9];        /* eighths from empty to full, bottom-up */
    const char *hbar[9];        /* eighths from empty to full, left to right */
};

/* Sets up the terminal (locale, stderr capture, curses, colours, mouse, signals): 0, or -1
 * with *cause and everything undone. */
int tui_term_init(char **cause);
/* Restores the terminal and writes the captured stderr back (idempotent; also at exit). */
void tui_term_restore(void);
int tui_term_utf8(void);
enum tui_color_mode tui_term_color_mode(void);
/* Sets stdscr's attributes for role. */
void tui_term_role(enum tui_role r);
/* A colour pair for 24-bit fg/bg (mapped to the terminal's palette), or 0 in mono. */
int tui_term_rgb_pair(uint32_t fg, uint32_t bg);
/* The same for xterm-256 palette indices (-1: the terminal's default). */
int tui_term_index_pair(int fg, int bg);
/* True-colour images past curses (term.c explains): on, and the pixels of this frame. */
int tui_term_overlay_on(void);
void tui_term_overlay_begin(void);
void tui_term_overlay_add(int y, int x, uint32_t top, uint32_t bottom);
/* After refresh(): writes the frame's pixels unless they are what the last flush wrote. */
void tui_term_overlay_flush(int force);
/* 1 once SIGINT, SIGTERM, SIGHUP or SIGQUIT arrived. */
int tui_term_stop_requested(void);
const struct tui_glyphs *tui_term_glyphs(void);
/* Waits until a key or data on extra_fd (-1: none) arrives, a signal, or timeout_ms. */
int tui_term_wait(int extra_fd, int timeout_ms);
/* The next key without waiting (TUI_KEY_CODE for curses keys), or -1 when none. */
int tui_term_key(void);
/* After TUI_KEY_CODE(KEY_MOUSE): the event's cell and TUI_MOUSE_* button; -1 when none. */
int tui_term_mouse(int *x, int *y, int *button);

/* ---- panels (panel.c) ------------------------------------------------------------------------ */

/* No redraw flag of its own (STYLE.md 21 has one): every frame is drawn whole, so struct tui's
 * dirty (TUI_DIRTY_*) alone says when to draw, and a panel's flag would have no reader. */
struct panel {
    int x, y, w, h;
    int selected, scroll;
};

void panel_move(struct panel *p, struct tui_rect r);
/* Clamps the selection to [0, count) and scrolls it into view. */
void panel_select(struct panel *p, int index, int count);
/* Up/Down/PgUp/PgDn/Home/End move the selection: TUI_HANDLED | TUI_REDRAW, or 0. */
int panel_key(struct panel *p, int key, int count);
/* Wheel and clicks: the row index under (x, y) or -1. */
int panel_row_at(const struct panel *p, int x, int y);

/* ---- background jobs (job.c): one thread each, polled by the main loop ----------------------- */

enum tui_job_state { TUI_JOB_IDLE, TUI_JOB_RUNNING, TUI_JOB_FINISHED };

struct tui_job {
    pthread_t thread;
    int started;
    atomic_int done;
    void (*fn)(void *arg);
    void *arg;
};

void tui_job_start(struct tui_job *j, void (*fn)(void *arg), void *arg);
/* TUI_JOB_FINISHED once (the thread joined) when fn has returned; then TUI_JOB_IDLE. */
enum tui_job_state tui_job_poll(struct tui_job *j);
void tui_job_wait(struct tui_job *j);

/* ---- line editing (line.c), shared by the editor's fields and the prompt --------------------- */

#define TUI_LINE_MAX 512

struct tui_line {
    char text[TUI_LINE_MAX];
    size_t cursor;              /* byte offset, on a character boundary */
};

void tui_line_set(struct tui_line *l, const char *text);
/* Edits l with key: 2 when the text changed, 1 when only the cursor moved, 0 not handled. */
int tui_line_key(struct tui_line *l, int key);
/* Draws l in w columns at (y, x), scrolled so the cursor shows; *cx is the cursor column. */
void tui_line_draw(const struct tui_line *l, int y, int x, int w, enum tui_role role, int *cx);

/* ---- drawing (draw.c) ------------------------------------------------------------------------ */

/* Text fitted into w columns (never wrapped); returns the columns drawn. */
int tui_draw_text(int y, int x, int w, enum tui_role r, const char *s);
int tui_draw_textf(int y, int x, int w, enum tui_role r, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void tui_draw_fill(struct tui_rect r, enum tui_role role);
/* "── title ─────" across w columns. */
void tui_draw_heading(int y, int x, int w, const char *title);
/* A bar of w columns filled to frac (0..1) with eighth blocks. */
void tui_draw_bar(int y, int x, int w, double frac, enum tui_role fill);
/* img scaled into r with half blocks (mono: a density ramp); caption on the row below. */
void tui_draw_image(struct tui_rect r, const struct image *img, const char *caption);
/*
 * The per-call strip: rel-L1 bars in chart (threshold as a line at mid-height; hits green,
 * computed calls red; nulls as dots) and one hit/miss mark per call in hits, laid out for
 * total calls (>= n: the generation's calls so far are n).  threshold <= 0 scales to the
 * largest value and draws no line.
 */
void tui_draw_strip(struct tui_rect chart, struct tui_rect hits, const double *rel,
                    const signed char *hit, size_t n, size_t total, double threshold);

/* ---- sweep editor (editor_screen.c) ---------------------------------------------------------- */

enum tui_field_kind {
    TUI_FIELD_NAME, TUI_FIELD_AXIS, TUI_FIELD_REPEAT, TUI_FIELD_WARMUP, TUI_FIELD_KNOB
};

struct tui_field {
    enum tui_field_kind kind;
    int index;                  /* the axis or the knob */
    struct tui_line line;
    char *error;                /* NULL when the text is valid */
    int on_axis;                /* knob fields: 1 + the axis the knob is on, else 0 */
};

#define TUI_EDITOR_FIELDS (1 + SWEEP_AXIS_COUNT + 2 + SWEEP_KNOB_COUNT)

struct tui_calib {
    char *spec_json;            /* in: the spec to time */
    const char *default_model;  /* in */
    double per_call;            /* out: seconds per model call, or < 0 */
    char *cause;                /* out */
};

struct tui_editor {
    struct tui_field fields[TUI_EDITOR_FIELDS];
    int focus;
    struct panel form, preview;
    struct sweep_spec spec;
    int valid;                  /* every field parsed and the spec expands */
    char *error;                /* a whole-spec error (e.g. expansion), or NULL */
    char *name;                 /* the sweep's name: the field, else the default */
    char *store_note;           /* what the store says about that name */
    int store_clash;            /* 1: the name exists with another spec */
    size_t cells, refs;
    double calls;               /* model calls of the whole sweep, at most */
    unsigned char *cell_state;  /* per cell in grid order, from the store (enum db_run_state
                                 * + 1; 0: not in the store), or NULL */
    int comp_field;             /* Tab completion in progress on this field, or -1 */
    size_t comp_start;          /* where the completed word starts */
    char comp_prefix[64];       /* what was typed before the first Tab */
    int comp_index;
    struct tui_job job;
    struct tui_calib calib;
    char *calib_key;            /* what the last estimate was measured for */
    double per_call;            /* seconds per model call; < 0 unknown */
    char *calib_error;
};

/* ---- results (results_screen.c) -------------------------------------------------------------- */

enum tui_col {
    TUI_COL_RUN, TUI_COL_X, TUI_COL_Y, TUI_COL_Z, TUI_COL_STATE, TUI_COL_TIME,
    TUI_COL_SPEEDUP, TUI_COL_ROUNDS, TUI_COL_HITS, TUI_COL_PSNR, TUI_COL_SSIM, TUI_COL_COUNT
};

struct tui_results {
    struct panel table;
    int64_t sweep_id;           /* the sweep chosen with [ ]; 0: follow the run, else latest */
    int64_t shown_id;           /* the sweep on the screen, 0: none */
    char *sweep_name, *sweep_status;
    int axis_knob[SWEEP_AXIS_COUNT];
    struct db_cell *cells;
    size_t ncells;
    size_t *order;              /* the shown rows: filtered, sorted */
    size_t nshown;
    int sort_col, sort_desc;
    struct tui_line filter;
    double best[TUI_COL_COUNT]; /* per metric column, over complete cells */
    int colx[TUI_COL_COUNT], colw[TUI_COL_COUNT];   /* drawn geometry, for clicks */
    int fit[TUI_COL_COUNT];     /* the widest text of each column (head, every run) */
    double loaded_at;
    int stale;                  /* reload from the store before drawing */
    char *error;
};

/* ---- cell view (cell_screen.c) --------------------------------------------------------------- */

enum { TUI_IMG_CELL, TUI_IMG_REF, TUI_IMG_DIFF, TUI_IMG_COUNT };

struct tui_cell {
    int64_t run_id;             /* 0: none */
    int loaded;
    char *error;
    char *text;                 /* db_show's block */
    char **lines;               /* text wrapped to the stats panel */
    size_t nlines;
    int wrap_w;
    char *title;
    struct image img[TUI_IMG_COUNT];
    int has_img[TUI_IMG_COUNT];
    struct trace trace;
    double threshold;
    struct panel stats;
};

/* ---- plot viewer (plot_screen.c) ------------------------------------------------------------- */

struct tui_plot_req {
    char *db_path, *sweep, *metric;
    int kind, diff, vs, width, height, mono, write;
    char *out_png, *out_svg;    /* write: the files */
    char *text;                 /* out */
    char *cause;                /* out */
};

struct tui_plot_cell {
    char ch;
    short fg;                   /* xterm-256 index, -1 default */
};

struct tui_plot {
    int kind, metric, diff, vs;
    struct tui_job job;
    struct tui_plot_req req;
    int busy_write;             /* the job writes files (not a text render) */
    int pending_write;          /* write the files once the job in flight ends */
    struct tui_plot_cell *grid;
    int gw, gh;
    int64_t sweep_id;
    int want_w, want_h;
    int scroll_x, scroll_y;
    int stale;
    char *error, *note;
};

/* ---- the app --------------------------------------------------------------------------------- */

struct tui_prompt {
    int active;
    const char *label;
    struct tui_line line;
    void (*on_change)(struct tui *t);
    void (*on_done)(struct tui *t, int accepted);
};

struct tui_dialog {
    int active;
    char text[256];
    void (*on_yes)(struct tui *t);
};

struct tui {
    char *db_path, *default_model, *model, *exe, *tmpdir;
    struct tui_frame frame;
    enum tui_screen screen, back;
    int quit;
    int dirty;                  /* enum tui_dirty flags: what the next frame must do */
    struct db *db;              /* read-only; NULL until the store exists */
    double db_tried;
    struct tui_editor ed;
    struct tui_run run;
    struct panel run_list;      /* the run screen's finished runs */
    struct tui_results res;
    struct tui_cell cell;
    struct tui_plot plot;
    struct panel help;
    struct tui_prompt prompt;
    struct tui_dialog dialog;
    char msg[256];
    enum tui_role msg_role;
    double msg_until;
    int cur_x, cur_y;           /* where the text cursor shows this frame; -1: hidden */
    int last_click_x, last_click_y;
    double last_click_at;
};

/* tui.c */
void tui_message(struct tui *t, enum tui_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tui_show(struct tui *t, enum tui_screen s);
/* The read-only store, opened on first use (NULL while it does not exist yet). */
struct db *tui_db(struct tui *t);
void tui_prompt_open(struct tui *t, const char *label, const char *text,
                     void (*on_change)(struct tui *), void (*on_done)(struct tui *, int));
void tui_dialog_open(struct tui *t, void (*on_yes)(struct tui *), const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The screens' table (tui.c): each screen's layout, data update, drawing and input.  text_key
 * sees keys before the key table (the editor's typing), key those the table did not take.
 * layout and draw are required; a NULL update, text_key, key or mouse is skipped. */
struct tui_screen_ops {
    const char *name;           /* the tab's label; NULL: not a tab */
    void (*layout)(struct tui *t);
    void (*update)(struct tui *t);
    void (*draw)(struct tui *t);
    int (*text_key)(struct tui *t, int key);
    int (*key)(struct tui *t, int key);
    int (*mouse)(struct tui *t, int x, int y, int button);
};
const struct tui_screen_ops *tui_screen_ops(enum tui_screen s);
/* The screen whose tab is at column x of the title line, or -1. */
int tui_title_tab_at(const struct tui *t, int x);

/* keys.c */
int tui_keys_dispatch(struct tui *t, int key);
void tui_keys_draw_fbar(struct tui *t);
/* The help text's lines for the current screen (allocated array of allocated strings). */
size_t tui_keys_help(const struct tui *t, char ***lines);
/* The key a click on the function-key line at column x stands for, or -1. */
int tui_keys_fbar_key(const struct tui *t, int x);

/* The screens, one <name>_screen.c each (the editor's drawing: editor_screen_draw.c): layout
 * and draw, and as they need init/release, update (data), and key/mouse handlers that return
 * TUI_* flags.  key handlers see keys the table did not take.  The run screen's prefix is
 * tui_runview_ (tui_run_ is run_child.h's). */
void tui_editor_init(struct tui *t, const char *spec_path, int starter);
void tui_editor_release(struct tui *t);
void tui_editor_layout(struct tui *t);
void tui_editor_update(struct tui *t);
void tui_editor_draw(struct tui *t);
int tui_editor_key(struct tui *t, int key);
int tui_editor_mouse(struct tui *t, int x, int y, int button);
int tui_editor_starter(struct tui *t);
int tui_editor_run(struct tui *t);
int tui_editor_save(struct tui *t);
int tui_editor_load(struct tui *t);
void tui_editor_focus(struct tui *t, int field);
/* Re-checks the fields after a change. */
void tui_editor_changed(struct tui *t);
/* Tab (dir 1) / Shift-Tab (-1): complete the word at the cursor; reset: any other key. */
int tui_editor_complete(struct tui *t, int dir);
void tui_editor_complete_reset(struct tui *t);
/* The fields in drawing order with headings and error lines (editor_screen_draw.c). */
enum tui_editor_row_kind { TUI_EDITOR_ROW_FIELD, TUI_EDITOR_ROW_ERROR, TUI_EDITOR_ROW_HEADING };
struct tui_editor_row {
    enum tui_editor_row_kind kind;
    int field;                  /* the field, or -1 for headings */
    const char *heading;
    int line;                   /* error rows: the line of the wrapped error */
};
#define TUI_EDITOR_ERROR_LINES 3
/* The rows for a form width (errors wrapped over up to TUI_EDITOR_ERROR_LINES rows). */
int tui_editor_rows(const struct tui_editor *e, int width, struct tui_editor_row *rows, int max);
/* Line `line` of field's error wrapped to width (allocated), or NULL past the last. */
char *tui_editor_error_line(const struct tui_editor *e, int field, int width, int line);

void tui_runview_layout(struct tui *t);
void tui_runview_draw(struct tui *t);
int tui_runview_key(struct tui *t, int key);
int tui_runview_mouse(struct tui *t, int x, int y, int button);
int tui_runview_pause(struct tui *t);
int tui_runview_cancel(struct tui *t);

void tui_results_release(struct tui *t);
void tui_results_layout(struct tui *t);
void tui_results_update(struct tui *t);
void tui_results_draw(struct tui *t);
int tui_results_key(struct tui *t, int key);
int tui_results_mouse(struct tui *t, int x, int y, int button);
int tui_results_open(struct tui *t);
int tui_results_sort_next(struct tui *t);
int tui_results_sort_invert(struct tui *t);
int tui_results_filter(struct tui *t);
int tui_results_next_sweep(struct tui *t);
int tui_results_prev_sweep(struct tui *t);
/* Show sweep id in the browser (0: the latest). */
void tui_results_follow(struct tui *t, int64_t sweep_id);

void tui_cell_release(struct tui *t);
void tui_cell_open(struct tui *t, int64_t run_id);
void tui_cell_layout(struct tui *t);
void tui_cell_update(struct tui *t);
void tui_cell_draw(struct tui *t);
int tui_cell_key(struct tui *t, int key);
int tui_cell_mouse(struct tui *t, int x, int y, int button);
int tui_cell_next(struct tui *t);
int tui_cell_prev(struct tui *t);

void tui_plot_release(struct tui *t);
void tui_plot_layout(struct tui *t);
void tui_plot_update(struct tui *t);
void tui_plot_draw(struct tui *t);
int tui_plot_key(struct tui *t, int key);
int tui_plot_mouse(struct tui *t, int x, int y, int button);
int tui_plot_next_kind(struct tui *t);
int tui_plot_next_metric(struct tui *t);
int tui_plot_toggle(struct tui *t);
int tui_plot_write(struct tui *t);
/* Polls the render job: 1 when a rendering arrived. */
int tui_plot_poll(struct tui *t);

void tui_help_layout(struct tui *t);
void tui_help_draw(struct tui *t);
int tui_help_key(struct tui *t, int key);

/* Mouse buttons as the handlers see them. */
enum { TUI_MOUSE_PRESS = 1, TUI_MOUSE_DOUBLE = 2, TUI_MOUSE_UP = 4, TUI_MOUSE_DOWN = 5 };

#endif
