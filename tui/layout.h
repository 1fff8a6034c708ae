/*
 * layout.h - the TUI's geometry and text fitting as pure functions of the terminal size: no
 * curses here, so tests/tui/layout_test.c checks every screen across many sizes (inside the
 * screen, no overlaps, text truncated and never wrapped).
 *
 * Every screen shares one frame: a title/tab line on row 0, the body, and the function-key
 * line on the last row.  Below TUI_MIN_COLS x TUI_MIN_ROWS the frame says too_small and the
 * TUI shows only the "terminal too small" screen (btop, ncdu).  Each screen then splits the
 * body with its own tui_layout_<screen> function; a rectangle with w or h of 0 is a part that
 * does not fit and is not drawn.
 *
 * Text: strings are UTF-8 and widths are display columns (wcwidth, so the locale must be set
 * as the TUI sets it); tui_text_fit cuts a string to a width with an ellipsis, so a label never
 * wraps onto the next line.
 *
 *     struct tui_frame f;
 *     tui_layout_frame(cols, rows, &f);
 *     if (!f.too_small) { struct tui_run_layout r; tui_layout_run(f.body, &r); ... }
 */
#ifndef FBW_TUI_LAYOUT_H
#define FBW_TUI_LAYOUT_H

#include <stddef.h>

#define TUI_MIN_COLS 60
#define TUI_MIN_ROWS 16

struct tui_rect {
    int x, y, w, h;
};

/* 1 when r has no area. */
int tui_rect_empty(struct tui_rect r);
/* 1 when a and b share a cell (empty rectangles share none). */
int tui_rect_overlap(struct tui_rect a, struct tui_rect b);
/* 1 when inner lies inside outer (an empty inner always does). */
int tui_rect_inside(struct tui_rect inner, struct tui_rect outer);
/* 1 when (x, y) is in r. */
int tui_rect_hit(struct tui_rect r, int x, int y);

struct tui_frame {
    int cols, rows;
    int too_small;          /* below the minimum: only the too-small screen is drawn */
    struct tui_rect title;  /* row 0: name, tabs and the store/sweep status */
    struct tui_rect body;
    struct tui_rect fbar;   /* the last row: function keys (or the prompt line) */
};
void tui_layout_frame(int cols, int rows, struct tui_frame *f);

/* Sweep editor: the form of fields beside (or, when narrow, above) the preview. */
struct tui_editor_layout {
    struct tui_rect form, preview;
};
void tui_layout_editor(struct tui_rect body, struct tui_editor_layout *l);

/* Run view: status lines, the progress bar, the current cell, the per-step strip (chart rows
 * plus a hit row) and the list of finished runs. */
struct tui_run_layout {
    struct tui_rect status, bar, current, chart, hits, finished;
};
void tui_layout_run(struct tui_rect body, struct tui_run_layout *l);

/* Results browser: an info line, the header row and the rows of the table. */
struct tui_results_layout {
    struct tui_rect info, head, rows;
};
void tui_layout_results(struct tui_rect body, struct tui_results_layout *l);

/* Cell view: three images in a row (cell, reference, diff), the statistics text and the
 * trace chart beside it. */
struct tui_cell_layout {
    struct tui_rect images[3], stats, trace;
};
void tui_layout_cell(struct tui_rect body, struct tui_cell_layout *l);

/* Plot viewer: an info line and the plot. */
struct tui_plot_layout {
    struct tui_rect info, plot;
};
void tui_layout_plot(struct tui_rect body, struct tui_plot_layout *l);

/* Help: a centred box of at most want_w x want_h inside body. */
struct tui_rect tui_layout_box(struct tui_rect body, int want_w, int want_h);

/*
 * Table columns: widths for n columns of at least min and at most want columns each, in
 * width columns with gap spaces between shown columns.  Columns are dropped (w 0) from the
 * lowest priority up until the rest fit at their minimum; spare space then grows columns
 * toward their want in order.  Returns the total width used (columns and gaps).
 */
struct tui_colspec {
    int min, want;
    int priority;           /* higher: kept longer */
};
int tui_layout_columns(const struct tui_colspec *c, int n, int width, int gap, int *w);

/*
 * An image of iw x ih pixels drawn with half blocks (one column x two pixel rows per cell) in
 * a box of box_w x box_h cells: the largest integer upscale (or the smallest integer
 * downscale) that fits, as *cw x *ch cells.  Returns the scale: > 0 magnifies, < 0 shrinks by
 * -scale; 0 when nothing fits (*cw = *ch = 0).
 */
int tui_image_fit(int iw, int ih, int box_w, int box_h, int *cw, int *ch);

/* Display columns of UTF-8 text (control characters count 0, invalid bytes 1). */
int tui_text_width(const char *s);
/*
 * s cut to at most width columns into out (n bytes, NUL-terminated): unchanged when it fits,
 * else its longest prefix that leaves room for the ellipsis ("…" when utf8, else "~")
 * followed by it.  Newlines and tabs become spaces.  Returns the width of the result.
 */
int tui_text_fit(const char *s, int width, int utf8, char *out, size_t n);

/*
 * s word-wrapped to width columns (newlines kept; continuation lines indented by indent
 * spaces; words wider than a line are cut): *lines is an allocated array of allocated lines
 * (free each, then the array).  Returns the number of lines (>= 1 for width >= 1).
 */
size_t tui_text_wrap(const char *s, int width, int indent, char ***lines);

/* "1:05", "12:00", "1:02:03" for seconds (negative: "?"). */
void tui_text_duration(double s, char *out, size_t n);

#endif
