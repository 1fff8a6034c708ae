/*
 * plot_test.c - every plot kind rendered by the real gnuplot from a small store built here:
 * the PNG's signature and size, the script's labels and series, `noenhanced` on every text, the
 * dumb rendering's axis labels, SVG output, and the failures (gnuplot missing, gnuplot failing,
 * an unknown metric or sweep).
 *
 * The store: sweep "study" with X = residual_diff_threshold (0.1, 0.2) and Y = scheduler
 * (simple, karras), so four cells and two uncached references (one per scheduler).  Every run
 * has 2 measured repetitions with a 6-step trace whose rel-L1 values are 0.30, 0.15, 0.12,
 * 0.08, 0.05 after the first call (NaN); a call hits when its value is below the cell's
 * threshold, so threshold 0.1 hits 2 calls and 0.2 hits 4.  Images are 8x8 gradients.
 *
 * Wall times (ms): references 200 (simple) and 220 (karras); cells 150 - 40 ix + 10 iy, so
 * 150, 110 (simple) and 160, 120 (karras), each from the 2 repetitions wall -/+ 2: median wall,
 * interquartile range [wall - 1, wall + 1] (numpy's linear percentiles of two values).  Every
 * cell's speed-up is 200 / wall, stored three ways:
 *   simple, 0.1  paired rounds with an interval: 1.333 [1.25, 1.5], 10 rounds
 *   simple, 0.2  paired rounds, too few for an interval: 1.818, 3 rounds, no bar
 *   karras       stored before paired rounds, ± speedup_err: 1.25 ± 2 at 0.1, whose bar is
 *                clamped at 0 (1.25 - 2 < 0) to [0, 3.25]; 1.667 ± 0.05 at 0.2
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/image.h"
#include "core/trace.h"
#include "db/store.h"
#include "plots/plot.h"
#include "util/err.h"

#define STUDY_SPEC                                                                          \
    "{\"x\":\"residual_diff_threshold=0.1, 0.2\",\"y\":\"scheduler=simple,karras\","      \
    "\"fixed\":{\"max_consecutive_cache_hits\":\"-1\",\"sampler\":\"euler\",\"steps\":\"6\"}," \
    "\"repeat\":2,\"warmup\":0,\"budget_s\":0}"

static char *study_path;
static int study_identical;     /* cells at threshold 0.1 have their reference's image */

/* ---- the store ---- */

static void
study_trace(struct trace *t, double threshold)
{
    static const double rel[6] = {NAN, 0.30, 0.15, 0.12, 0.08, 0.05};
    trace_init(t);
    for (int i = 0; i < 6; i++) {
        struct trace_record *r = trace_append(t);
        *r = (struct trace_record){.step = i, .call = 0, .sigma = 1.0 - i / 6.0,
                                   .timestep = 1000 - 160 * i, .rel_l1 = rel[i],
                                   .reason = TRACE_FIRST, .ms = 5};
        if (i > 0) {
            r->hit = rel[i] < threshold;
            r->reason = r->hit ? TRACE_HIT : TRACE_THRESHOLD;
        }
    }
}

/* An 8x8 PNG: a gradient tinted by shade. */
static unsigned char *
study_png(int shade, size_t *size)
{
    struct image img = {8, 8, xmalloc(8 * 8 * 3)};
    for (int i = 0; i < 64; i++) {
        img.rgb[3 * i] = (uint8_t)(i * 4);
        img.rgb[3 * i + 1] = (uint8_t)shade;
        img.rgb[3 * i + 2] = (uint8_t)(255 - i * 4);
    }
    unsigned char *png = NULL;
    char *cause = NULL;
    if (image_encode_png(&img, NULL, "test", &png, size, &cause) != 0)
        fail_msg("image_encode_png: %s", cause);
    image_release(&img);
    return png;
}

/* The speed-up metrics of the cell at (ix, iy) with wall time wall (the file comment), into m;
 * returns their number. */
static size_t
study_speedup(double wall, int ix, int iy, struct db_metric *m)
{
    size_t n = 0;
    m[n++] = (struct db_metric){"speedup", 200 / wall, NULL};
    if (iy == 1) {
        m[n++] = (struct db_metric){"speedup_err", ix == 0 ? 2 : 0.05, NULL};
        return n;
    }
    m[n++] = (struct db_metric){"rounds", ix == 0 ? 10 : 3, NULL};
    m[n++] = (struct db_metric){"rounds_disturbed", 0, NULL};
    m[n++] = (struct db_metric){"speedup_lo", ix == 0 ? 1.25 : NAN, NULL};
    m[n++] = (struct db_metric){"speedup_hi", ix == 0 ? 1.5 : NAN, NULL};
    return n;
}

static void
study_complete(struct db *db, int64_t run, double wall, double threshold, int shade, int ref,
               int ix, int iy)
{
    struct trace t;
    study_trace(&t, ref ? 0 : threshold);
    struct db_rep reps[2] = {
        {.phase = DB_PHASE_MEASURE, .rep = 0, .wall_ms = wall - 2, .calls_ms = wall - 3,
         .trace = &t},
        {.phase = DB_PHASE_MEASURE, .rep = 1, .wall_ms = wall + 2, .calls_ms = wall + 1,
         .trace = &t},
    };
    struct stats st = {.n = 2, .mean = wall, .stddev = 2.83, .median = wall, .min = wall - 2,
                       .max = wall + 2, .p25 = wall - 1, .p75 = wall + 1};
    struct db_summary sums[1] = {{"wall_ms", st}};
    double hits = ref ? 0 : threshold < 0.15 ? 2 : 4;
    struct db_metric m[12] = {
        {"hit_rate", hits / 6, NULL}, {"hit_rate_step", hits / 6, NULL},
        {"psnr", 60 - 100 * threshold, NULL}, {"ssim", 1 - threshold / 2, NULL},
        {"mae", threshold / 10, NULL},
    };
    if (study_identical && threshold < 0.15) {
        m[2].value = INFINITY;
        m[3].value = 1;
        m[4].value = 0;
    }
    size_t nm = 5 + study_speedup(wall, ix, iy, m + 5);
    size_t n1, n2;
    unsigned char *img = study_png(shade, &n1), *diff = study_png(255 - shade, &n2);
    struct db_artifact art[2] = {{"image", img, n1, 8, 8}, {"diff", diff, n2, 8, 8}};
    struct db_run_result r = {reps, 2, sums, 1, m, ref ? 0 : nm, art, ref ? 1 : 2};
    char *cause = NULL;
    if (db_run_start(db, run, 0, &cause) != 0 || db_run_complete(db, run, &r, &cause) != 0)
        fail_msg("completing run %lld: %s", (long long)run, cause);
    free(img);
    free(diff);
    trace_release(&t);
}

static int64_t
study_run(struct db *db, int64_t sweep, long number, int ix, int iy, int64_t ref,
          const char *threshold, const char *scheduler)
{
    struct db_param params[4] = {
        {"sampler", "euler", NAN}, {"scheduler", scheduler, NAN}, {"steps", "6", 6},
        {"residual_diff_threshold", threshold, atof(threshold)},
    };
    char hash[32];
    snprintf(hash, sizeof hash, "%s-%s", threshold, scheduler);
    struct db_run_key key = {ref ? DB_RUN_CELL : DB_RUN_REFERENCE, number, ix, iy, ref ? 0 : -1,
                             hash, ref};
    if (!ref)
        params[3] = (struct db_param){"cache", "off", NAN};
    int64_t id;
    enum db_run_state state;
    char *cause = NULL;
    if (db_run_ensure(db, sweep, &key, params, 4, &id, &state, &cause) != 0)
        fail_msg("db_run_ensure: %s", cause);
    return id;
}

/* Builds the study store at study_path. */
static void
study_build(void)
{
    struct db *db = NULL;
    char *cause = NULL;
    int64_t sweep;
    int resumed;
    if (db_open(study_path, &db, &cause) != 0 ||
        db_sweep_begin(db, "study", STUDY_SPEC, &sweep, &resumed, &cause) != 0)
        fail_msg("store: %s", cause);
    static const char *const scheds[2] = {"simple", "karras"}, *const thr[2] = {"0.1", "0.2"};
    for (int iy = 0; iy < 2; iy++) {
        int64_t ref = study_run(db, sweep, -1, -1, -1, 0, "-", scheds[iy]);
        study_complete(db, ref, 200 + 20 * iy, 0, 40, 1, 0, iy);
        for (int ix = 0; ix < 2; ix++) {
            int64_t cell = study_run(db, sweep, 2 * iy + ix, ix, iy, ref, thr[ix], scheds[iy]);
            study_complete(db, cell, 150 - 40 * ix + 10 * iy, atof(thr[ix]), 80 + 60 * ix, 0,
                           ix, iy);
        }
    }
    db_close(db);
}

static int
study_setup(void **state)
{
    (void)state;
    study_path = test_tmppath("study.db");
    study_build();
    return 0;
}

static int
study_teardown(void **state)
{
    (void)state;
    free(study_path);
    return 0;
}

/* ---- helpers ---- */

static struct db *
study_open(void)
{
    struct db *db = NULL;
    char *cause = NULL;
    if (db_open_readonly(study_path, &db, &cause) != 0)
        fail_msg("db_open_readonly: %s", cause);
    return db;
}

static char *
slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = xmalloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (size != NULL)
        *size = (size_t)n;
    return buf;
}

static void
expect_contains(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("expected \"%s\" in:\n%s", want, text);
}

/* Renders p (out set by the caller) and fails the test on error. */
static void
render_ok(struct plot_params *p)
{
    struct db *db = study_open();
    char *cause = NULL;
    if (plot_render(db, p, NULL, &cause) != 0)
        fail_msg("plot_render(%s): %s", plot_kind_name(p->kind), cause);
    db_close(db);
}

/* The PNG at path: signature, IHDR, a plausible size; returns width and height. */
static void
expect_png(const char *path, int min_w, int min_h)
{
    size_t n;
    unsigned char *b = (unsigned char *)slurp(path, &n);
    assert_true(n > 2000);
    assert_memory_equal(b, "\x89PNG\r\n\x1a\n", 8);
    assert_memory_equal(b + 12, "IHDR", 4);
    int w = b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19];
    int h = b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23];
    if (w < min_w || h < min_h || w > 4000 || h > 4000)
        fail_msg("%s is %dx%d, want at least %dx%d", path, w, h, min_w, min_h);
    /* not blank: many distinct bytes in the compressed data */
    int seen[256] = {0}, distinct = 0;
    for (size_t i = 33; i < n; i++)
        distinct += !seen[b[i]]++;
    assert_true(distinct > 200);
    free(b);
}

/* Every line of the script that sets a text carries noenhanced. */
static void
expect_noenhanced(const char *script)
{
    expect_contains(script, "set termoption noenhanced\n");
    char *copy = xstrdup(script), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        int text = strncmp(line, "set label", 9) == 0 || strncmp(line, "set title", 9) == 0 ||
                   strncmp(line, "set xlabel", 10) == 0 || strncmp(line, "set ylabel", 10) == 0 ||
                   strstr(line, " title '") != NULL;
        if (text && strstr(line, "noenhanced") == NULL)
            fail_msg("a text without noenhanced: %s", line);
    }
    free(copy);
}

/* Renders kind to NAME.png in the test directory; returns the script (caller frees). */
static char *
render_png(enum plot_kind kind, const char *name, const char *metric, int diff)
{
    char *png = xasprintf("%s/%s.png", test_tmpdir(), name);
    struct plot_params p = {.kind = kind, .metric = metric, .diff = diff,
                            .term = PLOT_TERM_PNG, .out = png};
    render_ok(&p);
    expect_png(png, 300, 200);
    char *gp = xasprintf("%s/%s.gp", test_tmpdir(), name);
    char *script = slurp(gp, NULL);
    expect_noenhanced(script);
    expect_contains(script, "set terminal pngcairo");
    char *out = xasprintf("set output '%s.png'", name);
    expect_contains(script, out);
    free(out);
    free(gp);
    free(png);
    return script;
}

static char *slurp_dat(const char *name);

/* ---- the kinds ---- */

static void
test_grid(void **state)
{
    (void)state;
    char *s = render_png(PLOT_GRID, "grid", NULL, 0);
    expect_contains(s, "'residual_diff_threshold'");
    expect_contains(s, "'scheduler'");
    expect_contains(s, "'karras'");
    expect_contains(s, "'0.2'");
    expect_contains(s, "'reference'");
    expect_contains(s, "'150 ms  1.33x'");         /* cell (0.1, simple): 200 / 150 */
    expect_contains(s, "with rgbimage");
    expect_contains(s, "x: residual_diff_threshold=0.1, 0.2; y: scheduler=simple,karras");
    /* 4 cells + 2 references, 8x8 RGB each, in the data file beside the script */
    size_t n;
    char *rgb_path = xasprintf("%s/grid.rgb", test_tmpdir());
    free(slurp(rgb_path, &n));
    assert_int_equal(n, 6 * 8 * 8 * 3);
    assert_int_equal(strstr(s, "skip=960 ") != NULL, 1);
    free(rgb_path);
    free(s);
    s = render_png(PLOT_GRID, "grid-diff", NULL, 1);
    expect_contains(s, "difference from the uncached reference");
    free(s);
}

static void
test_lines(void **state)
{
    (void)state;
    char *s = render_png(PLOT_LINES, "lines", NULL, 0);
    expect_contains(s, "set xlabel 'residual_diff_threshold' noenhanced");
    expect_contains(s, "'median wall time per image (ms)'");
    expect_contains(s, "using 1:2:3:4 with yerrorlines");     /* x, y, low, high */
    expect_contains(s, "set yrange [0:*]\n");                   /* a time axis starts at 0 */
    expect_contains(s, "title 'simple' noenhanced");
    expect_contains(s, "title 'karras' noenhanced");
    expect_contains(s, "title 'simple, uncached reference' noenhanced");
    expect_contains(s, "set key outside right top noenhanced title 'scheduler'");
    free(s);
    char *dat_path = xasprintf("%s/lines.dat", test_tmpdir());
    char *dat = slurp(dat_path, NULL);
    /* the median with its interquartile range [wall - 1, wall + 1], not mean ± sd */
    expect_contains(dat, "0.10000000000000001 150 149 151 \"0.1\"\n");
    expect_contains(dat, "0.20000000000000001 120 119 121 \"0.2\"\n");
    free(dat);
    free(dat_path);
    s = render_png(PLOT_LINES, "lines-hits", "hit_rate", 0);
    expect_contains(s, "with linespoints");
    expect_contains(s, "set yrange [0:100]");
    assert_null(strstr(s, "[0:*]"));
    free(s);
}

/* The script equals tests/plots/NAME.golden.gp (rewritten instead when FBW_UPDATE_GOLDEN=1). */
static void
expect_golden(const char *script, const char *name)
{
    char *path = xasprintf("tests/plots/%s.golden.gp", name);
    if (getenv("FBW_UPDATE_GOLDEN") != NULL && strcmp(getenv("FBW_UPDATE_GOLDEN"), "1") == 0)
        test_write_file(path, script, strlen(script));
    char *golden = slurp(path, NULL);
    if (strcmp(script, golden) != 0)
        fail_msg("the script differs from %s (FBW_UPDATE_GOLDEN=1 rewrites it):\n%s", path,
                 script);
    free(golden);
    free(path);
}

static void
test_heatmap(void **state)
{
    (void)state;
    char *s = render_png(PLOT_HEATMAP, "heatmap", NULL, 0);
    expect_golden(s, "heatmap");
    expect_contains(s, "set xtics noenhanced ('0.1' 0, '0.2' 1)");
    expect_contains(s, "set ytics noenhanced ('simple' 0, 'karras' 1)");
    expect_contains(s, "'cache hit rate per model call (%)'");
    expect_contains(s, "with image");
    expect_contains(s, "using 1:2:4 with labels");
    free(s);
    char *dat_path = xasprintf("%s/heatmap.dat", test_tmpdir());
    char *dat = slurp(dat_path, NULL);
    expect_contains(dat, "0 0 33.333333333333329 \"33%\"\n");
    expect_contains(dat, "1 1 66.666666666666657 \"67%\"\n");
    expect_contains(dat, "\n-0.25 -0.25 33.333333333333329\n0.25 -0.25 33.333333333333329\n");
    free(dat);
    free(dat_path);
}

static void
test_pareto(void **state)
{
    (void)state;
    char *s = render_png(PLOT_PARETO, "pareto", NULL, 0);
    expect_contains(s, "set xlabel 'PSNR against the reference (dB)' noenhanced");
    expect_contains(s, "using 1:2:3:4 with yerrorbars");
    expect_contains(s, "using 1:2:5 with labels");
    expect_contains(s, "set yrange [0:*]\n");
    expect_contains(s, "title 'Pareto frontier'");
    expect_contains(s, "with fsteps");
    expect_contains(s, "with labels");
    free(s);
    /* PSNR 50 (0.1) or 40 (0.2); speed-up 200/150, 200/110, 200/160, 200/120: the simple
     * cells dominate the karras ones, so the frontier is the two simple cells. */
    char *dat_path = xasprintf("%s/pareto.dat", test_tmpdir());
    char *dat = slurp(dat_path, NULL);
    const char *front = strstr(dat, "# the Pareto frontier\n");
    assert_non_null(front);
    expect_contains(front, "\"0.2, simple\"\n");
    expect_contains(front, "\"0.1, simple\"\n");
    assert_null(strstr(front, "karras"));
    free(dat);
    free(dat_path);
}

/* The data rows "x value low high ..." of a lines or pareto .dat: every bar must hold its value
 * and never reach below 0; returns the number of rows. */
static size_t
expect_bars_sane(const char *dat)
{
    size_t rows = 0;
    char *copy = xstrdup(dat), *save = NULL;
    for (char *line = strtok_r(copy, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        double x, v, lo, hi;
        if (line[0] == '#' || sscanf(line, "%lf %lf %lf %lf", &x, &v, &lo, &hi) != 4)
            continue;           /* comments; a reference's line (x value) has no bar */
        if (!(lo >= 0 && lo <= v && v <= hi))
            fail_msg("a bar [%g, %g] around %g in: %s", lo, hi, v, line);
        rows++;
    }
    free(copy);
    return rows;
}

/* The speed-up's bars: the interval where paired rounds gave one, none with too few rounds, the
 * old ± clamped at 0; and time bars the interquartile range. */
static void
test_bars(void **state)
{
    (void)state;
    char *s = render_png(PLOT_LINES, "bars", "speedup", 0);
    expect_contains(s, "using 1:2:3:4 with yerrorlines");
    expect_contains(s, "set yrange [0:*]\n");
    free(s);
    char *dat = slurp_dat("bars");
    /* simple, 0.1: 200 / 150 with its interval [1.25, 1.5], asymmetric around it */
    expect_contains(dat, "0.10000000000000001 1.3333333333333333 1.25 1.5 \"0.1\"\n");
    /* simple, 0.2: 3 rounds, no interval: no bar (200 / 110) */
    expect_contains(dat, "0.20000000000000001 1.8181818181818181 1.8181818181818181 "
                         "1.8181818181818181 \"0.2\"\n");
    /* karras, 0.1, stored before rounds: 1.25 ± 2 would reach -0.75, clamped at 0 */
    expect_contains(dat, "0.10000000000000001 1.25 0 3.25 \"0.1\"\n");
    assert_int_equal(expect_bars_sane(dat), 4);
    free(dat);
    s = render_png(PLOT_PARETO, "bars-pareto", NULL, 0);
    free(s);
    dat = slurp_dat("bars-pareto");
    expect_contains(dat, "50 1.25 0 3.25 \"0.1, karras\"\n");
    assert_int_equal(expect_bars_sane(dat), 6);     /* 4 cells, 2 on the frontier */
    free(dat);
    s = render_png(PLOT_LINES, "bars-wall", "wall_ms", 0);
    free(s);
    dat = slurp_dat("bars-wall");
    assert_int_equal(expect_bars_sane(dat), 4);     /* the reference lines have no bar */
    free(dat);
}

static void
test_trace(void **state)
{
    (void)state;
    char *s = render_png(PLOT_TRACE, "trace", NULL, 0);
    expect_contains(s, "set xlabel 'step' noenhanced");
    expect_contains(s, "title 'hit (blocks skipped)'");
    expect_contains(s, "title '0.2, simple' noenhanced");  /* the middle X value, each Y */
    expect_contains(s, "title '0.2, karras' noenhanced");
    expect_contains(s, "0.20000000000000001 with lines dt 2");
    expect_contains(s, "title 'threshold 0.2' noenhanced");
    free(s);
    char *dat_path = xasprintf("%s/trace.dat", test_tmpdir());
    char *dat = slurp(dat_path, NULL);
    expect_contains(dat, "# step 0 call 0: not compared (first)\n");
    expect_contains(dat, "\n1 0.29999999999999999 0 1 0 ");
    expect_contains(dat, "\n4 0.080000000000000002 1 4 0 ");
    free(dat);
    free(dat_path);
}

static void
test_trace_runs_by_sigma(void **state)
{
    (void)state;
    int64_t runs[2] = {2, 3};     /* the two simple cells (run 1 is their reference) */
    char *png = xasprintf("%s/trace-sigma.png", test_tmpdir());
    struct plot_params p = {.kind = PLOT_TRACE, .runs = runs, .nruns = 2, .vs = PLOT_VS_SIGMA,
                            .term = PLOT_TERM_PNG, .out = png};
    render_ok(&p);
    expect_png(png, 300, 200);
    char *gp = xasprintf("%s/trace-sigma.gp", test_tmpdir());
    char *s = slurp(gp, NULL);
    expect_contains(s, "set xlabel 'sigma");
    expect_contains(s, "set xrange [0.83333333333333337:0.16666666666666663]");
    expect_contains(s, "title 'threshold 0.1 (0.1, simple)' noenhanced");
    expect_contains(s, "title 'threshold 0.2 (0.2, simple)' noenhanced");
    free(s);
    free(gp);
    free(png);
}

static void
test_svg(void **state)
{
    (void)state;
    char *svg = xasprintf("%s/lines.svg", test_tmpdir());
    struct plot_params p = {.kind = PLOT_LINES, .term = PLOT_TERM_SVG, .out = svg};
    render_ok(&p);
    char *text = slurp(svg, NULL);
    expect_contains(text, "<svg");
    expect_contains(text, "residual_diff_threshold");
    free(text);
    free(svg);
}

/* ---- the dumb terminal ---- */

static char *
render_text(enum plot_kind kind, int mono)
{
    struct db *db = study_open();
    struct plot_params p = {.kind = kind, .width = 100, .height = 30, .mono = mono};
    char *text = NULL, *cause = NULL;
    if (plot_render_text(db, &p, &text, &cause) != 0)
        fail_msg("plot_render_text(%s): %s", plot_kind_name(kind), cause);
    db_close(db);
    assert_true(text[0] != '\f');
    return text;
}

static void
test_dumb(void **state)
{
    (void)state;
    char *t = render_text(PLOT_LINES, 1);
    expect_contains(t, "residual_diff_threshold");     /* x label */
    expect_contains(t, "median wall time per image (ms)");  /* y label, above the axis */
    expect_contains(t, "sweep 'study'");
    expect_contains(t, "karras");
    assert_null(strchr(t, '\033'));
    free(t);
    t = render_text(PLOT_HEATMAP, 0);
    expect_contains(t, "residual_diff_threshold");
    expect_contains(t, "scheduler");
    expect_contains(t, "67%");
    expect_contains(t, "\033[");                        /* ANSI colour */
    free(t);
    t = render_text(PLOT_GRID, 0);
    expect_contains(t, "reference");
    expect_contains(t, "1.33x");
    free(t);
    t = render_text(PLOT_PARETO, 1);
    expect_contains(t, "PSNR against the reference (dB)");
    free(t);
    t = render_text(PLOT_TRACE, 1);
    expect_contains(t, "step");
    free(t);
}

static void
test_dumb_to_file(void **state)
{
    (void)state;
    struct db *db = study_open();
    struct plot_params p = {.kind = PLOT_HEATMAP, .term = PLOT_TERM_DUMB, .mono = 1};
    FILE *f = tmpfile();
    char *cause = NULL;
    assert_non_null(f);
    if (plot_render(db, &p, f, &cause) != 0)
        fail_msg("plot_render: %s", cause);
    long n = ftell(f);
    assert_true(n > 500);
    fclose(f);
    db_close(db);
}

/* The data file NAME.dat beside the plots (caller frees). */
static char *
slurp_dat(const char *name)
{
    char *path = xasprintf("%s/%s.dat", test_tmpdir(), name);
    char *dat = slurp(path, NULL);
    free(path);
    return dat;
}

/* Cells at threshold 0.1 identical to their references (PSNR +Inf, 40 dB at 0.2): every kind
 * draws them one step (at least 1 dB) past the largest finite PSNR, 40 + 1 = 41, on a tic
 * labelled "identical", and never writes "inf" or 100 for them. */
static void
test_identical(void **state)
{
    (void)state;
    char *saved = study_path;
    study_path = test_tmppath("identical.db");
    study_identical = 1;
    study_build();
    char *s = render_png(PLOT_PARETO, "id-pareto", NULL, 0);
    expect_contains(s, "set xtics add ('identical' 41)\n");
    free(s);
    char *dat = slurp_dat("id-pareto");
    expect_contains(dat, "41 1.3333333333333333 1.25 1.5 \"0.1, simple\"\n");
    const char *front = strstr(dat, "# the Pareto frontier\n");
    assert_non_null(front);
    expect_contains(front, "\"0.1, simple\"\n");    /* identical and fastest of the two */
    assert_null(strstr(dat, "inf"));
    free(dat);
    s = render_png(PLOT_LINES, "id-lines", "psnr", 0);
    expect_contains(s, "set ytics add ('identical' 41)\n");
    free(s);
    dat = slurp_dat("id-lines");
    expect_contains(dat, "0.10000000000000001 41 41 41 \"0.1\"\n");     /* no bar */
    assert_null(strstr(dat, "inf"));
    free(dat);
    s = render_png(PLOT_HEATMAP, "id-heatmap", "psnr", 0);
    expect_contains(s, "set cbrange [40:41]\n");     /* the finite range; identical past it */
    free(s);
    dat = slurp_dat("id-heatmap");
    expect_contains(dat, "0 0 41 \"identical\"\n");
    expect_contains(dat, "1 0 40 \"40.0\"\n");
    assert_null(strstr(dat, "inf"));
    free(dat);
    s = render_png(PLOT_GRID, "id-grid", NULL, 0);
    expect_contains(s, "identical");
    assert_null(strstr(s, "100.0 dB"));
    free(s);
    char *t = render_text(PLOT_PARETO, 1);
    expect_contains(t, "identical");
    free(t);
    study_identical = 0;
    free(study_path);
    study_path = saved;
}

/* ---- failures ---- */

static void
expect_failure(struct plot_params *p, const char *want)
{
    struct db *db = study_open();
    char *cause = NULL;
    assert_int_equal(plot_render(db, p, NULL, &cause), -1);
    assert_non_null(cause);
    expect_contains(cause, want);
    free(cause);
    db_close(db);
}

static void
test_missing_gnuplot(void **state)
{
    (void)state;
    char *png = xasprintf("%s/missing.png", test_tmpdir());
    struct plot_params p = {.kind = PLOT_LINES, .term = PLOT_TERM_PNG, .out = png};
    setenv("FBW_GNUPLOT", "/nonexistent/gnuplot", 1);
    expect_failure(&p, "not found: install gnuplot with `apt-get install gnuplot-nox`");
    unsetenv("FBW_GNUPLOT");
    p.gnuplot = "fbw-no-such-gnuplot";
    expect_failure(&p, "'fbw-no-such-gnuplot' not found");
    free(png);
}

static void
test_gnuplot_fails(void **state)
{
    (void)state;
    char *fake = test_tmppath("fake-gnuplot");
    const char *body = "#!/bin/sh\necho \"\\\"$1\\\" line 3: undefined variable: boom\" >&2\n"
                       "exit 1\n";
    test_write_file(fake, body, strlen(body));
    assert_int_equal(chmod(fake, 0755), 0);
    char *png = xasprintf("%s/fails.png", test_tmpdir());
    struct plot_params p = {.kind = PLOT_HEATMAP, .term = PLOT_TERM_PNG, .out = png,
                            .gnuplot = fake};
    char *want = xasprintf("gnuplot failed on '%s/fails.gp': \"fails.gp\" line 3: undefined "
                           "variable: boom", test_tmpdir());
    expect_failure(&p, want);
    free(want);
    /* dumb output in a temporary directory (under TMPDIR, here the test's own): kept after
     * the failure, so the script named can be read */
    struct plot_params d = {.kind = PLOT_LINES, .term = PLOT_TERM_DUMB, .gnuplot = fake};
    struct db *db = study_open();
    char *cause = NULL, *old = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", test_tmpdir(), 1);
    assert_int_equal(plot_render(db, &d, NULL, &cause), -1);
    if (old != NULL)
        setenv("TMPDIR", old, 1);
    else
        unsetenv("TMPDIR");
    free(old);
    expect_contains(cause, test_tmpdir());
    char *path = strstr(cause, "on '"), *end = path ? strstr(path + 4, "'") : NULL;
    assert_non_null(end);
    *end = '\0';
    free(slurp(path + 4, NULL));
    free(cause);
    db_close(db);
    free(png);
    free(fake);
}

static void
test_bad_requests(void **state)
{
    (void)state;
    char *png = xasprintf("%s/bad.png", test_tmpdir());
    struct plot_params p = {.kind = PLOT_LINES, .metric = "psnrr", .term = PLOT_TERM_PNG,
                            .out = png};
    expect_failure(&p, "no metric 'psnrr' in sweep 'study' (known: wall_ms");
    p.metric = "max_abs";    /* known, but no cell stored it */
    expect_failure(&p, "no cell of sweep 'study' has a value of 'max_abs' yet");
    p.metric = NULL;
    p.sweep = "nope";
    expect_failure(&p, "no sweep 'nope' in the store");
    p.sweep = NULL;
    p.out = NULL;
    expect_failure(&p, "a png plot needs an output file");
    char *gp = xasprintf("%s/bad.gp", test_tmpdir());
    p.out = gp;
    expect_failure(&p, "would be overwritten by its own script");
    int64_t runs[1] = {999};
    struct plot_params t = {.kind = PLOT_TRACE, .runs = runs, .nruns = 1,
                            .term = PLOT_TERM_PNG, .out = png, .sweep = "study"};
    expect_failure(&t, "run 999 is not in sweep 'study'");
    free(gp);
    free(png);
}

static void
test_names(void **state)
{
    (void)state;
    for (int k = 0; k < PLOT_KIND_COUNT; k++)
        assert_int_equal(plot_kind_find(plot_kind_name(k)), k);
    assert_int_equal(plot_kind_find("histogram"), -1);
    assert_int_equal(plot_term_find("dumb"), PLOT_TERM_DUMB);
    assert_int_equal(plot_vs_find("sigma"), PLOT_VS_SIGMA);
    assert_int_equal(plot_term_of_path("a/b.SVG"), PLOT_TERM_SVG);
    assert_int_equal(plot_term_of_path("plot.txt"), PLOT_TERM_DUMB);
    assert_int_equal(plot_term_of_path("dir.png/plot"), -1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_grid),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_heatmap),
        cmocka_unit_test(test_pareto),
        cmocka_unit_test(test_bars),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_trace_runs_by_sigma),
        cmocka_unit_test(test_svg),
        cmocka_unit_test(test_dumb),
        cmocka_unit_test(test_dumb_to_file),
        cmocka_unit_test(test_missing_gnuplot),
        cmocka_unit_test(test_gnuplot_fails),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_identical),
    };
    return cmocka_run_group_tests(tests, study_setup, study_teardown);
}
