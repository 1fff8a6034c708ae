/*
 * layout_test.c - the TUI's geometry across terminal sizes (nvtop-style properties): every
 * rectangle inside the screen and its parent, siblings never overlapping, the parts a screen
 * needs present from the minimum size up, the too-small screen below it; table columns that
 * fit; images scaled as large as fits; text cut to its width with an ellipsis, never wrapped.
 */
#include "tests/support.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/layout.h"

/* Widths and heights: every size from 20x6 to 300x100 in steps, plus odd and edge ones. */
static const int layout_test_cols[] = {1, 2, 20, 39, 40, 59, 60, 61, 63, 64, 79, 80, 81, 89,
                                       90, 95, 96, 97, 99, 100, 101, 119, 120, 121, 132, 143,
                                       160, 177, 200, 211, 240, 256, 299, 300};
static const int layout_test_rows[] = {1, 2, 6, 9, 10, 15, 16, 17, 18, 19, 20, 23, 24, 25,
                                       29, 30, 31, 37, 40, 41, 48, 50, 51, 60, 63, 72, 80, 99,
                                       100};
#define NCOLS (sizeof layout_test_cols / sizeof layout_test_cols[0])
#define NROWS (sizeof layout_test_rows / sizeof layout_test_rows[0])

static struct tui_rect
screen_rect(int cols, int rows)
{
    return (struct tui_rect){0, 0, cols, rows};
}

/* Each rectangle inside parent, none overlapping another, with a message naming the size. */
static void
check_parts(const struct tui_rect *r, int n, struct tui_rect parent, const char *what,
            int cols, int rows)
{
    for (int i = 0; i < n; i++) {
        if (!tui_rect_inside(r[i], parent) || r[i].w < 0 || r[i].h < 0)
            fail_msg("%s part %d (%d,%d %dx%d) outside its parent at %dx%d", what, i, r[i].x,
                     r[i].y, r[i].w, r[i].h, cols, rows);
        for (int j = i + 1; j < n; j++)
            if (tui_rect_overlap(r[i], r[j]))
                fail_msg("%s parts %d and %d overlap at %dx%d", what, i, j, cols, rows);
    }
}

static void
check_present(struct tui_rect r, int min_w, int min_h, const char *what, int cols, int rows)
{
    if (r.w < min_w || r.h < min_h)
        fail_msg("%s is %dx%d at %dx%d, want at least %dx%d", what, r.w, r.h, cols, rows,
                 min_w, min_h);
}

static void
test_frame_across_sizes(void **state)
{
    (void)state;
    for (size_t i = 0; i < NCOLS; i++)
        for (size_t j = 0; j < NROWS; j++) {
            int cols = layout_test_cols[i], rows = layout_test_rows[j];
            struct tui_frame f;
            tui_layout_frame(cols, rows, &f);
            int small = cols < TUI_MIN_COLS || rows < TUI_MIN_ROWS;
            assert_int_equal(f.too_small, small);
            struct tui_rect parts[] = {f.title, f.body, f.fbar};
            check_parts(parts, 3, screen_rect(cols, rows), "frame", cols, rows);
            if (small) {
                assert_true(tui_rect_inside(f.body, screen_rect(cols, rows)));
                continue;
            }
            assert_int_equal(f.title.y, 0);
            assert_int_equal(f.fbar.y, rows - 1);
            assert_int_equal(f.body.h, rows - 2);
            assert_int_equal(f.title.w, cols);
        }
}

/* Every screen's parts for a body, and the insets the screens draw with. */
static void
check_screens(struct tui_rect b, int cols, int rows)
{
    struct tui_editor_layout e;
    tui_layout_editor(b, &e);
    struct tui_rect ep[] = {e.form, e.preview};
    check_parts(ep, 2, b, "editor", cols, rows);
    check_present(e.form, 30, 6, "editor form", cols, rows);
    check_present(e.preview, 20, 4, "editor preview", cols, rows);

    struct tui_run_layout r;
    tui_layout_run(b, &r);
    struct tui_rect rp[] = {r.status, r.bar, r.current, r.chart, r.hits, r.finished};
    check_parts(rp, 6, b, "run", cols, rows);
    check_present(r.chart, 20, 3, "run chart", cols, rows);
    check_present(r.finished, 20, 1, "finished runs", cols, rows);
    assert_true(r.chart.y > r.current.y + r.current.h);     /* a heading row between */
    assert_true(r.finished.y > r.hits.y + r.hits.h);

    struct tui_results_layout s;
    tui_layout_results(b, &s);
    struct tui_rect sp[] = {s.info, s.head, s.rows};
    check_parts(sp, 3, b, "results", cols, rows);
    check_present(s.rows, 40, 5, "results rows", cols, rows);

    struct tui_cell_layout c;
    tui_layout_cell(b, &c);
    struct tui_rect cp[] = {c.images[0], c.images[1], c.images[2], c.stats, c.trace};
    check_parts(cp, 5, b, "cell", cols, rows);
    check_present(c.stats, 20, 2, "cell statistics", cols, rows);
    for (int i = 0; i < 3; i++)
        check_present(c.images[i], 10, 4, "cell image", cols, rows);

    struct tui_plot_layout p;
    tui_layout_plot(b, &p);
    struct tui_rect pp[] = {p.info, p.plot};
    check_parts(pp, 2, b, "plot", cols, rows);
    check_present(p.plot, 40, 10, "plot", cols, rows);

    struct tui_rect help = tui_layout_box(b, 96, b.h);
    assert_true(tui_rect_inside(help, b));
}

static void
test_screens_across_sizes(void **state)
{
    (void)state;
    int checked = 0;
    for (int cols = TUI_MIN_COLS; cols <= 300; cols += cols < 130 ? 1 : 7)
        for (int rows = TUI_MIN_ROWS; rows <= 100; rows += rows < 50 ? 1 : 5) {
            struct tui_frame f;
            tui_layout_frame(cols, rows, &f);
            assert_false(f.too_small);
            check_screens(f.body, cols, rows);
            /* the screens inset the body by a column on each side (and the cell view by a
             * row for its title) */
            struct tui_rect in = {f.body.x + 1, f.body.y + 1, f.body.w - 2, f.body.h - 1};
            check_screens(in, cols, rows);
            checked++;
        }
    assert_true(checked > 1000);
}

static void
test_columns_fit(void **state)
{
    (void)state;
    const struct tui_colspec c[] = {{4, 5, 9}, {5, 14, 8}, {5, 14, 8}, {8, 9, 5},
                                    {11, 19, 10}, {7, 14, 7}, {7, 8, 6}, {7, 9, 4}, {7, 8, 3}};
    int n = sizeof c / sizeof c[0], w[16];
    for (int width = 0; width <= 200; width++) {
        int used = tui_layout_columns(c, n, width, 2, w), sum = 0, shown = 0;
        for (int i = 0; i < n; i++) {
            if (w[i] == 0)
                continue;
            assert_true(w[i] >= c[i].min && w[i] <= (c[i].want > c[i].min ? c[i].want : c[i].min));
            sum += w[i];
            shown++;
        }
        assert_int_equal(used, shown ? sum + 2 * (shown - 1) : 0);
        assert_true(used <= width);
        /* a dropped column never outranks a shown one */
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                if (w[i] == 0 && w[j] != 0)
                    assert_true(c[i].priority <= c[j].priority);
    }
    tui_layout_columns(c, n, 200, 2, w);
    for (int i = 0; i < n; i++)
        assert_int_equal(w[i], c[i].want);
}

static void
test_image_fit(void **state)
{
    (void)state;
    for (int iw = 1; iw <= 70; iw += 3)
        for (int bw = 1; bw <= 90; bw += 4)
            for (int bh = 1; bh <= 30; bh += 3) {
                int cw, ch, ih = iw + (bw % 5);
                int s = tui_image_fit(iw, ih, bw, bh, &cw, &ch);
                assert_true(cw <= bw && ch <= bh);
                if (s > 0) {
                    assert_int_equal(cw, iw * s);
                    assert_int_equal(ch, (ih * s + 1) / 2);
                    int c2 = iw * (s + 1), h2 = (ih * (s + 1) + 1) / 2;
                    assert_false(c2 <= bw && h2 <= bh);     /* the largest scale that fits */
                } else if (s < 0) {
                    assert_true(cw > 0 && ch > 0);
                    assert_false(iw <= bw && (ih + 1) / 2 <= bh);
                } else {
                    assert_int_equal(cw, 0);
                }
            }
    int cw, ch;
    assert_int_equal(tui_image_fit(16, 16, 39, 18, &cw, &ch), 2);
    assert_int_equal(cw, 32);
    assert_int_equal(ch, 16);
}

static void
check_fit(const char *s, int width)
{
    char out[256];
    int w = tui_text_fit(s, width, 1, out, sizeof out);
    assert_int_equal(w, tui_text_width(out));
    assert_true(w <= (width > 0 ? width : 0));
    assert_null(strchr(out, '\n'));
    char flat[256];
    snprintf(flat, sizeof flat, "%s", s);
    for (char *p = flat; *p; p++)
        *p = *p == '\n' || *p == '\t' ? ' ' : *p;
    if (tui_text_width(s) <= width) {
        assert_string_equal(out, flat);                 /* fits: unchanged, blanks for breaks */
    } else if (width > 0) {
        size_t n = strlen(out);
        assert_true(n >= 3 && strcmp(out + n - 3, "\xe2\x80\xa6") == 0);
        assert_memory_equal(out, flat, n - 3);          /* a prefix, then the ellipsis */
    }
}

static void
test_text_fit(void **state)
{
    (void)state;
    const char *texts[] = {
        "", "a", "median ms ± sd", "résumé: 1.83 × faster", "threshold=0.05, 0.1, 0.2",
        "sweep 'starter' running 4/9 ETA 0:40", "two\nlines", "tab\there", "σ…μ±×▀█",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        for (int w = 0; w <= 40; w++)
            check_fit(texts[i], w);
    char out[16];
    assert_int_equal(tui_text_fit("abcdef", 4, 0, out, sizeof out), 4);
    assert_string_equal(out, "abc~");
    assert_int_equal(tui_text_width("±σ"), 2);
}

static void
test_text_wrap(void **state)
{
    (void)state;
    const char *s = "  1.98 ± 0.17 × faster than the uncached reference (run 1)\n\n"
                    "  Cache: 16/30 calls hit (hit rate 53.3 % per call), steps hit: 3-4, 6, "
                    "8-9, 11, 13, 15, 17-18, 20-21, 23-24, 26, 28, supercalifragilisticexpi";
    for (int w = 1; w <= 80; w++) {
        char **lines;
        size_t n = tui_text_wrap(s, w, 4, &lines);
        assert_true(n >= 3);
        for (size_t i = 0; i < n; i++) {
            assert_true(tui_text_width(lines[i]) <= w);
            assert_null(strchr(lines[i], '\n'));
            free(lines[i]);
        }
        free(lines);
    }
    char **lines;
    size_t n = tui_text_wrap("aaa bbb ccc", 7, 2, &lines);
    assert_int_equal(n, 2);
    assert_string_equal(lines[0], "aaa bbb");
    assert_string_equal(lines[1], "  ccc");
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static void
test_rects_and_duration(void **state)
{
    (void)state;
    struct tui_rect a = {0, 0, 10, 2}, b = {9, 1, 5, 5}, c = {10, 0, 3, 3}, e = {3, 3, 0, 7};
    assert_true(tui_rect_overlap(a, b));
    assert_false(tui_rect_overlap(a, c));
    assert_false(tui_rect_overlap(a, e));
    assert_true(tui_rect_inside(e, a));
    assert_true(tui_rect_hit(a, 9, 1));
    assert_false(tui_rect_hit(a, 10, 1));
    char buf[32];
    tui_text_duration(65, buf, sizeof buf);
    assert_string_equal(buf, "1:05");
    tui_text_duration(3723, buf, sizeof buf);
    assert_string_equal(buf, "1:02:03");
    tui_text_duration(-1, buf, sizeof buf);
    assert_string_equal(buf, "?");
}

int
main(void)
{
    if (setlocale(LC_CTYPE, "C.UTF-8") == NULL)
        setlocale(LC_CTYPE, "en_US.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_across_sizes),
        cmocka_unit_test(test_screens_across_sizes),
        cmocka_unit_test(test_columns_fit),
        cmocka_unit_test(test_image_fit),
        cmocka_unit_test(test_text_fit),
        cmocka_unit_test(test_text_wrap),
        cmocka_unit_test(test_rects_and_duration),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
