/*
 * store_test.c - the SQLite store: opening and refusing files, migrations, the run state
 * machine, the one-transaction completion, blobs, WAL readers, and the exports and `show`
 * text, all against hand-built inputs whose expected values are worked out in the comments.
 *
 * The tests go through db's public headers only (SQLite itself stays inside db/): foreign and
 * newer files are made by patching a real store's header (application_id at byte 68,
 * user_version at byte 60, both big-endian, per https://www.sqlite.org/fileformat.html).
 */
#include "tests/support.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/export.h"
#include "db/query.h"
#include "db/store.h"
#include "util/err.h"

/* ---- helpers ---- */

static struct db *
open_ok(const char *path)
{
    struct db *db = NULL;
    char *cause = NULL;
    if (db_open(path, &db, &cause) != 0)
        fail_msg("db_open(%s): %s", path, cause);
    return db;
}

static void
expect_contains(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("expected \"%s\" in:\n%s", want, text);
}

/* Opening path (as a reader when readonly) must fail with a cause containing want. */
static void
expect_open_fails(const char *path, int readonly, const char *want)
{
    struct db *db = NULL;
    char *cause = NULL;
    int rc = readonly ? db_open_readonly(path, &db, &cause) : db_open(path, &db, &cause);
    assert_int_equal(rc, -1);
    assert_null(db);
    assert_non_null(cause);
    expect_contains(cause, want);
    free(cause);
}

/* Overwrites 4 big-endian bytes of the file at offset. */
static void
patch_u32(const char *path, long offset, unsigned v)
{
    unsigned char b[4] = { v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff };
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    assert_int_equal(fwrite(b, 1, 4, f), 4);
    assert_int_equal(fclose(f), 0);
}

static unsigned
read_u32(const char *path, long offset)
{
    unsigned char b[4];
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    assert_int_equal(fread(b, 1, 4, f), 4);
    fclose(f);
    return (unsigned)b[0] << 24 | (unsigned)b[1] << 16 | (unsigned)b[2] << 8 | b[3];
}

static int64_t
sweep_ok(struct db *db, const char *name, const char *spec, int want_resumed)
{
    int64_t id = 0;
    int resumed = -1;
    char *cause = NULL;
    if (db_sweep_begin(db, name, spec, &id, &resumed, &cause) != 0)
        fail_msg("db_sweep_begin: %s", cause);
    assert_int_equal(resumed, want_resumed);
    return id;
}

static int64_t
ensure_ok(struct db *db, int64_t sweep, enum db_run_kind kind, long number, const char *hash,
          int64_t ref, const struct db_param *params, size_t nparams, enum db_run_state want)
{
    struct db_run_key key = {
        .kind = kind, .number = number, .ix = kind == DB_RUN_CELL ? (int)number : -1,
        .iy = kind == DB_RUN_CELL ? 0 : -1, .iz = kind == DB_RUN_CELL ? 0 : -1,
        .config_hash = hash, .ref_id = ref,
    };
    int64_t id = 0;
    enum db_run_state state = DB_STATE_COUNT;
    char *cause = NULL;
    if (db_run_ensure(db, sweep, &key, params, nparams, &id, &state, &cause) != 0)
        fail_msg("db_run_ensure: %s", cause);
    assert_int_equal(state, want);
    return id;
}

static void
start_ok(struct db *db, int64_t run)
{
    char *cause = NULL;
    if (db_run_start(db, run, 0, &cause) != 0)
        fail_msg("db_run_start: %s", cause);
}

/* A fresh in-memory store holding sweep "s" with one waiting cell, *run. */
static struct db *
open_one_run(int64_t *run)
{
    struct db *db = open_ok(":memory:");
    int64_t sweep = sweep_ok(db, "s", "spec", 0);
    *run = ensure_ok(db, sweep, DB_RUN_CELL, 0, "h", 0, NULL, 0, DB_WAITING);
    return db;
}

/* Starts run and completes it with r. */
static void
complete_ok(struct db *db, int64_t run, const struct db_run_result *r)
{
    char *cause = NULL;
    start_ok(db, run);
    if (db_run_complete(db, run, r, &cause) != 0)
        fail_msg("db_run_complete: %s", cause);
}

static enum db_run_state
state_of(struct db *db, int64_t run, int *attempts)
{
    struct db_run_detail d;
    char *cause = NULL;
    if (db_run_get(db, run, &d, &cause) != 0)
        fail_msg("db_run_get: %s", cause);
    enum db_run_state s = d.run.state;
    if (attempts != NULL)
        *attempts = d.run.attempts;
    db_run_detail_release(&d);
    return s;
}

/* An API call expected to fail with a cause containing want. */
#define EXPECT_FAIL(call, want)                                                  \
    do {                                                                         \
        char *cause = NULL;                                                      \
        assert_int_equal((call), -1);                                            \
        assert_non_null(cause);                                                  \
        expect_contains(cause, (want));                                          \
        free(cause);                                                             \
    } while (0)

/* ---- the study used by the result tests ----
 *
 * Sweep "study": reference run 1 (cache=off, no threshold, as the runner stores references),
 * cells 2 (threshold 0.1, model "dit|a") and 3 (threshold 0.2, model "dit|b"); every run has
 * sampler=euler.  Wall times (ms):
 *   ref  1: n 5, mean 183 ± 4, min 178, max 190
 *   cell 2: n 5, mean 100 ± 2, min 98, max 103, median 100, p5 98.2, p95 102.8, MAD 1,
 *           CV 0.02, first run slow (measured reps 103, 100, 99, 98, 100)
 *   cell 3: n 5, mean 120 ± 3, min 116, max 125, one Tukey outlier
 * Cell 2's results: speed-up 1.83 ± 0.05, 12/40 calls hit (0.3), 0.25 of steps, steps 5-9,12,
 * PSNR 34.21, SSIM 0.9812, MAE 0.0031, max 0.082; cells 2 and 3 have the same image bytes.
 * Cell 3's are the same, or (study_init_identical) an image equal to its reference's: PSNR
 * +Inf, SSIM 1, MAE 0, max 0.
 */
struct study {
    char *path;                 /* a fresh file per test */
    struct db *db;
    int64_t sweep, ref, c2, c3;
    int identical;              /* cell 3's image is the reference's */
};

static const unsigned char study_png[] = "\x89PNG\r\n\x1a\n same image bytes";
static const unsigned char study_diff[] = "\x89PNG\r\n\x1a\n a diff heatmap";

static struct stats
study_stats(double mean, double sd, double min, double max)
{
    return (struct stats){
        .n = 5, .mean = mean, .stddev = sd, .median = mean, .min = min, .max = max,
        .p5 = min + 0.2, .p25 = mean - 1, .p75 = mean + 1, .p95 = max - 0.2, .mad = 1,
        .cv = sd / mean,
    };
}

static void
study_complete_ref(struct study *s)
{
    struct db_rep reps[5];
    for (int i = 0; i < 5; i++)
        reps[i] = (struct db_rep){ .phase = DB_PHASE_MEASURE, .rep = i, .wall_ms = 183,
                                   .calls_ms = 170 };
    reps[0].wall_ms = 190;
    struct db_summary sum = { "wall_ms", study_stats(183, 4, 178, 190) };
    struct db_run_result r = { .reps = reps, .nreps = 5, .summaries = &sum, .nsummaries = 1 };
    complete_ok(s->db, s->ref, &r);
}

static void
study_complete_cell(struct study *s, int64_t run, int two)
{
    struct trace trace;
    trace_init(&trace);
    struct trace_record *c = trace_append(&trace);
    c->reason = TRACE_FIRST;    /* step 0: rel_l1 stays NaN */
    c->sigma = 14.6;
    c = trace_append(&trace);
    *c = (struct trace_record){ .step = 1, .sigma = 7.0, .timestep = 900, .rel_l1 = 0.01,
                                .hit = 1, .reason = TRACE_HIT, .ms = 1.5 };
    const double measured[5] = { 103, 100, 99, 98, 100 };
    struct db_rep reps[6] = { { .phase = DB_PHASE_WARMUP, .rep = 0, .wall_ms = 250,
                                .calls_ms = 240, .trace = &trace } };
    for (int i = 0; i < 5; i++)
        reps[1 + i] = (struct db_rep){ .phase = DB_PHASE_MEASURE, .rep = i,
                                       .wall_ms = measured[i], .calls_ms = measured[i] - 5,
                                       .trace = &trace };
    struct db_summary sum = { "wall_ms", study_stats(100, 2, 98, 103) };
    sum.st.first_slow = 1;
    if (!two) {
        sum.st = study_stats(120, 3, 116, 125);
        sum.st.outliers_tukey = 1;
    }
    struct db_metric m[] = {
        { "speedup", two ? 1.83 : 1.525, NULL }, { "speedup_err", 0.05, NULL },
        { "hit_rate", 0.3, NULL }, { "hit_rate_step", 0.25, NULL }, { "calls", 40, NULL },
        { "hits", 12, NULL }, { "steps_hit", NAN, "5-9,12" }, { "psnr", 34.21, NULL },
        { "ssim", 0.9812, NULL }, { "mae", 0.0031, NULL }, { "max_abs", 0.082, NULL },
        { "compile_ms", 0, NULL }, { "first_ms", 250, NULL },
    };
    if (!two && s->identical) {
        m[7].value = INFINITY;
        m[8].value = 1;
        m[9].value = 0;
        m[10].value = 0;
    }
    struct db_artifact a[2] = {
        { "image", study_png, sizeof study_png, 32, 32 },
        { "diff", study_diff, sizeof study_diff, 32, 32 },
    };
    struct db_run_result r = { reps, 6, &sum, 1, m, sizeof m / sizeof m[0], a, 2 };
    complete_ok(s->db, run, &r);
    trace_release(&trace);
}

/* Builds the study in a fresh temporary file named file; study_release closes it. */
static void
study_init_as(struct study *s, const char *file, int identical)
{
    s->identical = identical;
    s->path = test_tmppath(file);
    s->db = open_ok(s->path);
    s->sweep = sweep_ok(s->db, "study", "{\"x\": \"threshold=0.1,0.2\"}", 0);
    struct db_param p_ref[] = { { "cache", "off", NAN }, { "model", "dit|a", NAN },
                                { "sampler", "euler", NAN } };
    struct db_param p2[] = { { "model", "dit|a", NAN }, { "sampler", "euler", NAN },
                             { "threshold", "0.1", 0.1 } };
    struct db_param p3[] = { { "model", "dit|b", NAN }, { "sampler", "euler", NAN },
                             { "threshold", "0.2", 0.2 } };
    s->ref = ensure_ok(s->db, s->sweep, DB_RUN_REFERENCE, -1, "ref", 0, p_ref, 3, DB_WAITING);
    s->c2 = ensure_ok(s->db, s->sweep, DB_RUN_CELL, 0, "c2", s->ref, p2, 3, DB_WAITING);
    s->c3 = ensure_ok(s->db, s->sweep, DB_RUN_CELL, 1, "c3", s->ref, p3, 3, DB_WAITING);
    assert_int_equal(s->ref, 1);
    assert_int_equal(s->c2, 2);
    assert_int_equal(s->c3, 3);
    study_complete_ref(s);
    study_complete_cell(s, s->c2, 1);
    study_complete_cell(s, s->c3, 0);
}

static void
study_init(struct study *s, const char *file)
{
    study_init_as(s, file, 0);
}

static void
study_release(struct study *s)
{
    db_close(s->db);
    free(s->path);
}

/* db_show (format -1) or db_export of id into a memory stream: the text (caller frees). */
static char *
capture(struct db *db, int64_t id, int format)
{
    char *text = NULL, *cause = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    int rc = format < 0 ? db_show(db, id, f, &cause)
                        : db_export(db, id, (enum db_format)format, f, &cause);
    fclose(f);
    if (rc != 0)
        fail_msg("export/show: %s", cause != NULL ? cause : "(returned 1)");
    return text;
}

/* db_export's JSON of sweep, parsed (the caller frees it with json_decref). */
static json_t *
capture_json(struct db *db, int64_t sweep)
{
    char *text = capture(db, sweep, DB_FORMAT_JSON);
    json_error_t e;
    json_t *root = json_loads(text, 0, &e);
    if (root == NULL)
        fail_msg("JSON does not parse: %s (line %d):\n%s", e.text, e.line, text);
    free(text);
    return root;
}

/* capture() must give exactly want. */
static void
expect_capture(struct db *db, int64_t id, int format, const char *want)
{
    char *text = capture(db, id, format);
    assert_string_equal(text, want);
    free(text);
}

/* ---- opening ---- */

static void
test_create_open_reopen(void **state)
{
    (void)state;
    char *path = test_tmppath("create.db");
    struct db *db = open_ok(path);
    assert_int_equal(db_schema_version(db), db_latest_version());
    assert_int_equal(db_latest_version(), 3);
    int64_t id = sweep_ok(db, "s", "spec", 0);
    db_close(db);
    assert_int_equal(read_u32(path, 68), 0x66627731);    /* "fbw1" */
    assert_int_equal(read_u32(path, 60), 3);
    db = open_ok(path);
    assert_int_equal(sweep_ok(db, "s", "spec", 1), id);
    db_close(db);
    struct db *ro = NULL;
    char *cause = NULL;
    assert_int_equal(db_open_readonly(path, &ro, &cause), 0);
    assert_int_equal(db_schema_version(ro), 3);
    db_close(ro);
    free(path);
}

static void
test_refuses_bad_files(void **state)
{
    (void)state;
    char *junk = test_tmppath("junk.db");
    char text[2048];
    memset(text, 'x', sizeof text);
    test_write_file(junk, text, sizeof text);
    expect_open_fails(junk, 0, "junk.db' is not a database");

    char *missing = test_tmppath("missing.db");
    expect_open_fails(missing, 1, "cannot open database '");

    /* Someone else's SQLite file: a real store with another application_id, then with none. */
    char *other = test_tmppath("other.db");
    db_close(open_ok(other));
    patch_u32(other, 68, 0x12345678);
    expect_open_fails(other, 0, "other.db' is not an fbw store");
    patch_u32(other, 68, 0);
    expect_open_fails(other, 1, "is not an fbw store");
    free(junk);
    free(missing);
    free(other);
}

static void
test_refuses_newer_schema(void **state)
{
    (void)state;
    char *path = test_tmppath("newer.db");
    db_close(open_ok(path));
    patch_u32(path, 60, 4);
    expect_open_fails(path, 0, "written by a newer fbw (schema 4 > 3); upgrade fbw");
    expect_open_fails(path, 1, "newer fbw");
    free(path);
}

static void
test_migrates_v1_with_data(void **state)
{
    (void)state;
    char *path = test_tmppath("v1.db"), *cause = NULL;
    struct db *db = NULL;
    assert_int_equal(db_open_at_version(path, 1, &db, &cause), 0);
    assert_int_equal(db_schema_version(db), 1);
    int64_t sweep = sweep_ok(db, "old", "spec", 0);
    struct db_param p = { "threshold", "0.1", 0.1 };
    int64_t run = ensure_ok(db, sweep, DB_RUN_CELL, 0, "h", 0, &p, 1, DB_WAITING);
    struct db_metric m = { "psnr", 30.5, NULL };
    struct db_run_result r = { .metrics = &m, .nmetrics = 1 };
    complete_ok(db, run, &r);
    EXPECT_FAIL(db_tag_set(db, run, "note", "v1 has no tags", &cause), "no such table: tag");
    db_close(db);

    /* Readers do not migrate. */
    expect_open_fails(path, 1, "has schema 1 but this fbw reads 3");

    db = open_ok(path);
    assert_int_equal(db_schema_version(db), 3);
    struct db_run_detail d;
    assert_int_equal(db_run_get(db, run, &d, &cause), 0);
    assert_int_equal(d.run.state, DB_COMPLETE);
    assert_int_equal(d.run.nparams, 1);
    assert_string_equal(d.run.params[0].text, "0.1");
    assert_close(db_run_result(&d, "psnr")->num, 30.5, 0, 0);
    db_run_detail_release(&d);
    assert_int_equal(db_tag_set(db, run, "note", "kept after migration", &cause), 0);
    assert_int_equal(db_run_get(db, run, &d, &cause), 0);
    assert_int_equal(d.ntags, 1);
    assert_string_equal(d.tags[0].text, "kept after migration");
    db_run_detail_release(&d);
    db_close(db);
    free(path);
}

/* ---- sweeps and runs ---- */

static void
test_sweep_begin_spec(void **state)
{
    (void)state;
    struct db *db = open_ok(":memory:");
    int64_t a = sweep_ok(db, "a", "{\"x\":1}", 0);
    assert_int_equal(sweep_ok(db, "a", "{\"x\":1}", 1), a);
    int64_t id;
    int resumed;
    EXPECT_FAIL(db_sweep_begin(db, "a", "{\"x\":2}", &id, &resumed, &cause),
                "sweep 'a' already exists in ':memory:' with another spec");
    assert_int_not_equal(sweep_ok(db, "b", "{\"x\":2}", 0), a);
    char *cause = NULL;
    assert_int_equal(db_sweep_set_status(db, a, "done", &cause), 0);
    EXPECT_FAIL(db_sweep_set_status(db, a, "bogus", &cause), "unknown sweep status 'bogus'");
    EXPECT_FAIL(db_sweep_set_status(db, 99, "done", &cause), "no sweep 99");
    struct db_sweep_info s;
    assert_int_equal(db_sweep_find(db, "a", &s, &cause), 0);
    assert_string_equal(s.status, "done");
    db_sweep_info_release(&s);
    assert_int_equal(db_sweep_find(db, "2", &s, &cause), 0);  /* by id */
    assert_string_equal(s.name, "b");
    db_sweep_info_release(&s);
    assert_int_equal(db_sweep_find(db, "nope", &s, &cause), 1);
    db_close(db);
}

static void
test_run_ensure_idempotent(void **state)
{
    (void)state;
    struct db *db = open_ok(":memory:");
    int64_t sweep = sweep_ok(db, "s", "spec", 0);
    struct db_param p[] = { { "steps", "30", 30 }, { "sampler", "euler", NAN } };
    int64_t a = ensure_ok(db, sweep, DB_RUN_CELL, 0, "h1", 0, p, 2, DB_WAITING);
    int64_t b = ensure_ok(db, sweep, DB_RUN_CELL, 0, "h1", 0, p, 2, DB_WAITING);
    assert_int_equal(a, b);
    /* The same hash as a reference is another run. */
    int64_t r = ensure_ok(db, sweep, DB_RUN_REFERENCE, -1, "h1", 0, p, 2, DB_WAITING);
    assert_int_not_equal(r, a);
    start_ok(db, a);
    assert_int_equal(ensure_ok(db, sweep, DB_RUN_CELL, 0, "h1", 0, p, 2, DB_RUNNING), a);
    struct db_cell *cells;
    size_t n;
    char *cause = NULL;
    assert_int_equal(db_cells_list(db, sweep, &cells, &n, &cause), 0);
    assert_int_equal(n, 2);
    assert_int_equal(cells[0].id, a);   /* cells first, then references */
    assert_int_equal(cells[0].nparams, 2);
    assert_string_equal(cells[0].params[0].key, "sampler");    /* sorted by key */
    assert_true(isnan(cells[0].params[0].num));
    assert_close(cells[0].params[1].num, 30, 0, 0);
    assert_int_equal(cells[1].kind, DB_RUN_REFERENCE);
    assert_int_equal(cells[1].ix, -1);
    db_cells_free(cells, n);
    struct db_sweep_info *v;
    assert_int_equal(db_sweep_list(db, &v, &n, &cause), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].cells, 1);
    assert_int_equal(v[0].references, 1);
    assert_int_equal(v[0].states[DB_WAITING], 1);
    assert_int_equal(v[0].states[DB_RUNNING], 1);
    db_sweep_list_free(v, n);
    db_close(db);
}

static void
test_state_machine(void **state)
{
    (void)state;
    int64_t run;
    struct db *db = open_one_run(&run);
    struct db_run_result empty = { 0 };
    int attempts;
    EXPECT_FAIL(db_run_heartbeat(db, run, &cause), "cannot heartbeat run 1: it is waiting");
    EXPECT_FAIL(db_run_complete(db, run, &empty, &cause), "cannot complete run 1: it is waiting");
    start_ok(db, run);
    assert_int_equal(state_of(db, run, &attempts), DB_RUNNING);
    assert_int_equal(attempts, 1);
    EXPECT_FAIL(db_run_start(db, run, 0, &cause), "cannot start run 1: it is running");
    char *cause = NULL;
    assert_int_equal(db_run_heartbeat(db, run, &cause), 0);
    assert_int_equal(db_run_fail(db, run, "out of memory", &cause), 0);
    assert_int_equal(state_of(db, run, NULL), DB_FAILED);
    start_ok(db, run);                  /* a retry */
    assert_int_equal(state_of(db, run, &attempts), DB_RUNNING);
    assert_int_equal(attempts, 2);
    assert_int_equal(db_run_complete(db, run, &empty, &cause), 0);
    assert_int_equal(state_of(db, run, NULL), DB_COMPLETE);
    EXPECT_FAIL(db_run_complete(db, run, &empty, &cause), "cannot complete run 1: it is complete");
    EXPECT_FAIL(db_run_start(db, run, 0, &cause), "it is complete");
    EXPECT_FAIL(db_run_fail(db, run, "x", &cause), "cannot fail run 1: it is complete");
    EXPECT_FAIL(db_run_start(db, 42, 0, &cause), "no run 42 in ':memory:'");
    int64_t env = 0, env2 = 0;
    assert_int_equal(db_env_intern(db, "{\"gpu\":\"none\"}", &env, &cause), 0);
    assert_int_equal(db_env_intern(db, "{\"gpu\":\"none\"}", &env2, &cause), 0);
    assert_int_equal(env, env2);
    db_close(db);
}

static void
test_recover(void **state)
{
    (void)state;
    struct db *db = open_ok(":memory:");
    int64_t s1 = sweep_ok(db, "s1", "spec", 0), s2 = sweep_ok(db, "s2", "spec", 0);
    int64_t a = ensure_ok(db, s1, DB_RUN_CELL, 0, "a", 0, NULL, 0, DB_WAITING);
    int64_t b = ensure_ok(db, s1, DB_RUN_CELL, 1, "b", 0, NULL, 0, DB_WAITING);
    int64_t c = ensure_ok(db, s1, DB_RUN_CELL, 2, "c", 0, NULL, 0, DB_WAITING);
    int64_t other = ensure_ok(db, s2, DB_RUN_CELL, 0, "a", 0, NULL, 0, DB_WAITING);
    start_ok(db, a);
    start_ok(db, b);
    start_ok(db, other);
    char *cause = NULL;
    assert_int_equal(db_run_fail(db, b, "boom", &cause), 0);
    start_ok(db, c);
    int count = -1;
    assert_int_equal(db_sweep_recover(db, s1, &count, &cause), 0);
    assert_int_equal(count, 2);         /* a and c; b stays failed; s2 untouched */
    assert_int_equal(state_of(db, a, NULL), DB_WAITING);
    assert_int_equal(state_of(db, b, NULL), DB_FAILED);
    assert_int_equal(state_of(db, c, NULL), DB_WAITING);
    assert_int_equal(state_of(db, other, NULL), DB_RUNNING);
    start_ok(db, a);
    int attempts;
    state_of(db, a, &attempts);
    assert_int_equal(attempts, 2);
    db_close(db);
}

/* ---- completing ---- */

static void
expect_nothing_written(struct db *db, int64_t run)
{
    struct db_run_detail d;
    char *cause = NULL;
    assert_int_equal(db_run_get(db, run, &d, &cause), 0);
    assert_int_equal(d.run.state, DB_RUNNING);
    assert_int_equal(d.nsamples, 0);
    assert_int_equal(d.nsummaries, 0);
    assert_int_equal(d.nresults, 0);
    assert_int_equal(d.nartifacts, 0);
    assert_false(d.trace.present);
    assert_int_equal(d.finished_ms, 0);
    db_run_detail_release(&d);
    struct db_store_counts counts;
    assert_int_equal(db_store_count(db, &counts, &cause), 0);
    assert_int_equal(counts.blobs, 0);
}

static void
test_complete_is_one_transaction(void **state)
{
    (void)state;
    int64_t run;
    struct db *db = open_one_run(&run);
    start_ok(db, run);
    struct trace t;
    trace_init(&t);
    trace_append(&t)->reason = TRACE_FIRST;
    struct db_rep reps[2] = {
        { .phase = DB_PHASE_MEASURE, .rep = 0, .wall_ms = 10, .calls_ms = 9, .trace = &t },
        { .phase = DB_PHASE_MEASURE, .rep = 1, .wall_ms = 11, .calls_ms = 9, .trace = &t },
    };
    struct db_summary sum = { "wall_ms", { .n = 2, .mean = 10.5 } };
    struct db_metric m = { "psnr", 30, NULL };
    struct db_artifact art[2] = { { "image", study_png, sizeof study_png, 4, 4 },
                                  { "image", study_diff, sizeof study_diff, 4, 4 } };
    struct db_run_result r = { reps, 2, &sum, 1, &m, 1, art, 2 };
    /* The last write fails (the same artifact kind twice): samples, calls, summary, result and
     * the first blob were already written inside the transaction, and must all be gone. */
    EXPECT_FAIL(db_run_complete(db, run, &r, &cause), "UNIQUE constraint failed: artifact");
    expect_nothing_written(db, run);
    /* A failure at the first write (two repetitions with the same number). */
    reps[1].rep = 0;
    r.nartifacts = 1;
    EXPECT_FAIL(db_run_complete(db, run, &r, &cause), "cannot store the timings in ':memory:'");
    expect_nothing_written(db, run);
    /* Fixed, it completes. */
    reps[1].rep = 1;
    char *cause = NULL;
    assert_int_equal(db_run_complete(db, run, &r, &cause), 0);
    struct stats st;
    assert_int_equal(db_summary_get(db, run, "wall_ms", &st, &cause), 0);
    assert_close(st.mean, 10.5, 0, 0);
    assert_int_equal(db_summary_get(db, run, "calls_ms", &st, &cause), 1);
    trace_release(&t);
    db_close(db);
}

/* The device memory peak: a sample row where measured (> 0), read back, shown over the measured
 * generations, exported; nothing where it was not (the CPU's -1, or left 0). */
static void
test_peak_device_bytes(void **state)
{
    (void)state;
    int64_t run;
    char *cause = NULL;
    struct db *db = open_one_run(&run);
    const int64_t mib = 1024 * 1024;
    struct db_rep reps[4] = {
        { .phase = DB_PHASE_COMPILE, .rep = 0, .wall_ms = 30, .calls_ms = 29,
          .peak_device_bytes = 9 * mib },
        { .phase = DB_PHASE_WARMUP, .rep = 0, .wall_ms = 12, .calls_ms = 11,
          .peak_device_bytes = -1 },
        { .phase = DB_PHASE_MEASURE, .rep = 0, .wall_ms = 10, .calls_ms = 9,
          .peak_device_bytes = 3 * mib + mib / 2 },
        { .phase = DB_PHASE_MEASURE, .rep = 1, .wall_ms = 11, .calls_ms = 9,
          .peak_device_bytes = 5 * mib },
    };
    struct db_summary sum = { "wall_ms", { .n = 2, .mean = 10.5, .median = 10.5 } };
    struct db_run_result r = { reps, 4, &sum, 1, NULL, 0, NULL, 0 };
    complete_ok(db, run, &r);
    struct db_run_detail d;
    assert_int_equal(db_run_get(db, run, &d, &cause), 0);
    assert_int_equal(d.nsamples, 4);
    assert_close(d.samples[0].peak_device_bytes, 9 * mib, 0, 0);
    assert_true(isnan(d.samples[1].peak_device_bytes));
    assert_close(d.samples[2].peak_device_bytes, 3 * mib + mib / 2, 0, 0);
    assert_close(d.samples[3].peak_device_bytes, 5 * mib, 0, 0);
    assert_close(d.samples[3].wall_ms, 11, 0, 0);
    db_run_detail_release(&d);
    char *text = capture(db, run, -1);
    expect_contains(text, "  Device memory peak:  5.0 MiB (max of 2 measured generations)\n");
    free(text);
    text = capture(db, 1, DB_FORMAT_JSON);
    expect_contains(text, "\"peak_device_bytes\": 9437184");
    expect_contains(text, "\"peak_device_bytes\": 5242880");
    free(text);
    db_close(db);

    /* A CPU run: no peak read back, no memory line, no JSON key. */
    db = open_one_run(&run);
    reps[0].peak_device_bytes = reps[2].peak_device_bytes = reps[3].peak_device_bytes = -1;
    reps[1].peak_device_bytes = 0;
    complete_ok(db, run, &r);
    assert_int_equal(db_run_get(db, run, &d, &cause), 0);
    assert_int_equal(d.nsamples, 4);
    for (size_t i = 0; i < d.nsamples; i++) {
        assert_true(isnan(d.samples[i].peak_device_bytes));
        assert_true(isfinite(d.samples[i].wall_ms) && isfinite(d.samples[i].calls_ms));
    }
    db_run_detail_release(&d);
    text = capture(db, run, -1);
    assert_null(strstr(text, "Device memory"));
    free(text);
    text = capture(db, 1, DB_FORMAT_JSON);
    assert_null(strstr(text, "peak_device_bytes"));
    free(text);
    db_close(db);
}

static void
test_blob_dedup_and_nan(void **state)
{
    (void)state;
    char *cause = NULL;
    struct study s;
    study_init(&s, "study.db");
    /* Cells 2 and 3 each stored an image and a diff with the same bytes: 2 blobs, not 4. */
    struct db_store_counts counts;
    assert_int_equal(db_store_count(s.db, &counts, &cause), 0);
    assert_int_equal(counts.sweeps, 1);
    assert_int_equal(counts.runs, 3);
    assert_int_equal(counts.blobs, 2);
    assert_int_equal(counts.blob_bytes, sizeof study_png + sizeof study_diff);
    unsigned char *data = NULL;
    size_t size = 0;
    assert_int_equal(db_artifact_get(s.db, s.c3, "image", &data, &size, &cause), 0);
    assert_int_equal(size, sizeof study_png);
    assert_memory_equal(data, study_png, size);
    free(data);
    assert_int_equal(db_artifact_get(s.db, s.ref, "image", &data, &size, &cause), 1);

    /* rel_l1 NaN round-trips as NaN; the finite one exactly. */
    struct trace t;
    trace_init(&t);
    assert_int_equal(db_run_calls(s.db, s.c2, DB_PHASE_MEASURE, 4, &t, &cause), 0);
    assert_int_equal(t.count, 2);
    assert_true(isnan(t.records[0].rel_l1));
    assert_int_equal(t.records[0].reason, TRACE_FIRST);
    assert_close(t.records[1].rel_l1, 0.01, 0, 0);
    assert_int_equal(t.records[1].hit, 1);
    assert_int_equal(t.records[1].reason, TRACE_HIT);
    assert_close(t.records[1].timestep, 900, 0, 0);
    assert_int_equal(db_run_calls(s.db, s.c2, DB_PHASE_COMPILE, 0, &t, &cause), 1);
    trace_release(&t);

    /* The detail: samples in phase order, the trace in brief, a text-only result. */
    struct db_run_detail d;
    assert_int_equal(db_run_get(s.db, s.c2, &d, &cause), 0);
    assert_int_equal(d.nsamples, 6);
    assert_int_equal(d.samples[0].phase, DB_PHASE_WARMUP);
    assert_close(d.samples[1].wall_ms, 103, 0, 0);
    assert_close(d.samples[1].calls_ms, 98, 0, 0);
    assert_true(d.trace.present);
    assert_int_equal(d.trace.phase, DB_PHASE_MEASURE);
    assert_int_equal(d.trace.calls, 2);
    assert_int_equal(d.trace.hits, 1);
    assert_int_equal(d.trace.steps_hit, 1);
    assert_string_equal(d.trace.steps_hit_text, "1");
    assert_true(isnan(db_run_result(&d, "steps_hit")->num));
    assert_string_equal(db_run_result(&d, "steps_hit")->text, "5-9,12");
    assert_true(d.run.wall.first_slow);
    assert_close(d.run.speedup, 1.83, 0, 0);
    assert_int_equal(d.nartifacts, 2);
    assert_string_equal(d.artifacts[0].kind, "diff");
    db_run_detail_release(&d);
    study_release(&s);
}

static void
test_wal_reader_during_write(void **state)
{
    (void)state;
    char *path = test_tmppath("wal.db"), *cause = NULL;
    struct db *writer = open_ok(path), *reader = NULL;
    sweep_ok(writer, "first", "spec", 0);
    assert_int_equal(db_open_readonly(path, &reader, &cause), 0);
    assert_int_equal(db_batch_begin(writer, &cause), 0);
    sweep_ok(writer, "second", "spec", 0);
    /* The write transaction is open: the reader neither waits nor sees it. */
    struct db_sweep_info *v;
    size_t n;
    assert_int_equal(db_sweep_list(reader, &v, &n, &cause), 0);
    assert_int_equal(n, 1);
    db_sweep_list_free(v, n);
    int64_t id;
    int resumed;
    /* A second writer opens at once, but its write waits out the 5 s busy timeout and fails
     * with a message naming the file. */
    struct db *second = open_ok(path);
    EXPECT_FAIL(db_sweep_begin(second, "blocked", "spec", &id, &resumed, &cause),
                "wal.db' is locked by another process");
    db_close(second);
    /* A failing write inside the batch undoes only itself. */
    EXPECT_FAIL(db_sweep_begin(writer, "first", "other", &id, &resumed, &cause), "another spec");
    assert_int_equal(db_batch_end(writer, 1, &cause), 0);
    assert_int_equal(db_sweep_list(reader, &v, &n, &cause), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[1].name, "second");
    db_sweep_list_free(v, n);
    /* A batch ended without commit leaves nothing. */
    assert_int_equal(db_batch_begin(writer, &cause), 0);
    sweep_ok(writer, "third", "spec", 0);
    assert_int_equal(db_batch_end(writer, 0, &cause), 0);
    struct db_sweep_info s;
    assert_int_equal(db_sweep_find(reader, "third", &s, &cause), 1);
    db_close(reader);
    db_close(writer);
    free(path);
}

/* ---- exports and show ---- */

static void
test_export_csv(void **state)
{
    (void)state;
    struct study s;
    study_init(&s, "csv.db");
    /* Seconds, as hyperfine: cell 2's mean 100 ms is 0.1; "dit|a" needs no quoting in CSV.  A
     * store written before paired rounds: speedup_err set, the 8 columns after ssim empty. */
    const char *want =
        "cell,kind,state,mean,stddev,median,min,max,n,speedup,speedup_err,hit_rate,psnr,ssim,"
        "speedup_lo,speedup_hi,ci_level,rounds,rounds_disturbed,flop_speedup,time_speedup,"
        "efficiency,parameter_cache,parameter_model,parameter_sampler,parameter_threshold\n"
        "2,cell,complete,0.1,0.002,0.1,0.098,0.103,5,1.83,0.05,0.3,34.21,0.9812,,,,,,,,,,dit|a,"
        "euler,0.1\n"
        "3,cell,complete,0.12,0.003,0.12,0.116,0.125,5,1.525,0.05,0.3,34.21,0.9812,,,,,,,,,,"
        "dit|b,euler,0.2\n"
        "1,reference,complete,0.183,0.004,0.183,0.178,0.19,5,,,,,,,,,,,,,,off,dit|a,euler,\n";
    expect_capture(s.db, s.sweep, DB_FORMAT_CSV, want);
    study_release(&s);
}

static void
test_export_json(void **state)
{
    (void)state;
    struct study s;
    study_init(&s, "json.db");
    json_t *root = capture_json(s.db, s.sweep);
    assert_int_equal(json_integer_value(json_object_get(root, "schema")), db_latest_version());
    json_t *sweep = json_object_get(root, "sweep");
    assert_string_equal(json_string_value(json_object_get(sweep, "name")), "study");
    assert_string_equal(json_string_value(json_object_get(json_object_get(sweep, "spec"), "x")),
                        "threshold=0.1,0.2");
    json_t *results = json_object_get(root, "results");
    assert_int_equal(json_array_size(results), 3);
    json_t *c2 = json_array_get(results, 0);
    assert_string_equal(json_string_value(json_object_get(c2, "command")),
                        "cell 2: model=dit|a, threshold=0.1");
    assert_close(json_real_value(json_object_get(c2, "mean")), 0.1, 1e-12, 0);
    json_t *times = json_object_get(c2, "times");
    assert_int_equal(json_array_size(times), 5);
    assert_close(json_real_value(json_array_get(times, 0)), 0.103, 1e-12, 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(c2, "parameters"),
                                                          "threshold")), "0.1");
    json_t *metrics = json_object_get(c2, "metrics");
    assert_string_equal(json_string_value(json_object_get(metrics, "steps_hit")), "5-9,12");
    assert_close(json_real_value(json_object_get(metrics, "psnr")), 34.21, 1e-12, 0);
    json_t *wall = json_object_get(json_object_get(c2, "summaries"), "wall_ms");
    assert_close(json_real_value(json_object_get(wall, "p95")), 102.8, 1e-12, 0);
    assert_true(json_is_true(json_object_get(wall, "first_slow")));
    /* Stored before paired rounds: speedup_err kept, the interval and rounds keys null. */
    assert_close(json_real_value(json_object_get(metrics, "speedup_err")), 0.05, 1e-12, 0);
    assert_true(json_is_null(json_object_get(metrics, "speedup_lo")));
    assert_true(json_is_null(json_object_get(metrics, "rounds")));
    assert_int_equal(json_array_size(json_object_get(c2, "samples")), 6);
    assert_int_equal(json_array_size(json_object_get(c2, "artifacts")), 2);
    json_t *ref = json_array_get(results, 2);
    assert_string_equal(json_string_value(json_object_get(ref, "kind")), "reference");
    assert_true(json_is_null(json_object_get(ref, "ref_id")));
    assert_true(json_is_null(json_object_get(ref, "trace")));
    json_decref(root);
    study_release(&s);
}

static void
test_export_markdown(void **state)
{
    (void)state;
    struct study s;
    study_init(&s, "md.db");
    /* A store written before paired rounds: the speed-up as stored, "x× ± err" (1.525 is
     * 1.52499999... as a double, so "1.52"), no models, rounds or interval; the reference has
     * no speed-up.  sampler is the same in every cell and cache is set only on the reference,
     * so neither is a column; `|` is escaped. */
    const char *want =
        "| Cell | model | threshold | Mean [ms] | Min [ms] | Max [ms] | speed-up [95% CI] "
        "| S_flop | S_time | efficiency | rounds (disturbed) | hit rate | PSNR |\n"
        "|:---|:---|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        "| 2 | dit\\|a | 0.1 | 100.0 ± 2.0 | 98.0 | 103.0 | 1.83× ± 0.05 |  |  |  |  | 30.0 % "
        "| 34.21 |\n"
        "| 3 | dit\\|b | 0.2 | 120.0 ± 3.0 | 116.0 | 125.0 | 1.52× ± 0.05 |  |  |  |  | 30.0 % "
        "| 34.21 |\n"
        "| 1 (ref) | dit\\|a |  | 183.0 ± 4.0 | 178.0 | 190.0 |  |  |  |  |  |  |  |\n"
        "\nspeed-up: the median of the paired rounds' ratios, uncached reference time / cell "
        "time, with its distribution-free 95% confidence interval from binomial order "
        "statistics of the per-round log ratios (asv's method); (n<6): too few rounds for an "
        "interval; ± a propagated sd, in runs stored before paired rounds.  S_flop: the "
        "FLOP-modelled speed-up (what cache-dit calls speed-up); S_time: the time-modelled one "
        "(per-call costs measured in the run × the calls made); efficiency = speed-up / "
        "S_flop.\n";
    expect_capture(s.db, s.sweep, DB_FORMAT_MD, want);
    assert_int_equal(db_format_parse("markdown"), DB_FORMAT_MD);
    assert_int_equal(db_format_parse("xml"), -1);
    EXPECT_FAIL(db_export(s.db, 77, DB_FORMAT_CSV, stdout, &cause), "no sweep 77");
    study_release(&s);
}

static void
test_show(void **state)
{
    (void)state;
    struct study s;
    study_init(&s, "show.db");
    char *cause = NULL;
    assert_int_equal(db_tag_set(s.db, s.c2, "note", "looks sharp", &cause), 0);
    char *text = capture(s.db, s.c2, -1);
    const char *lines[] = {
        "Cell 2: model=dit|a, threshold=0.1\n",
        "  Settings: sampler=euler\n",
        "  Sweep 'study', state complete after 1 attempt\n",
        "  Tags: note=looks sharp\n",
        "  Time (mean ± σ):     100.0 ms ± 2.0 ms\n",
        "  Range (min … max):   98.0 ms … 103.0 ms    5 runs\n",
        "  Median 100.0 ms, P5 98.2 ms, P95 102.8 ms, MAD 1.0 ms, CV 2.0 %\n",
        "  First generation 250.0 ms (compile 0.0 ms)\n",
        "  Warning: The first measured generation was significantly slower than the rest "
        "(103.0 ms).",
        "'--warmup'",
        "  Speed-up over the uncached reference (run 1):\n"
        "    1.83x ± 0.05 (ratio of the medians ± propagated sd, stored before paired rounds)\n"
        "  Cache:",
        "  Cache: 12/40 calls hit (hit rate 30.0 % per call, 25.0 % per step), steps hit: "
        "5-9, 12\n",
        "  Image vs reference: PSNR 34.21 dB, SSIM 0.9812, MAE 0.00310, max 0.08200\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        expect_contains(text, lines[i]);
    free(text);

    text = capture(s.db, s.c3, -1);
    expect_contains(text, "Warning: Statistical outliers were detected (1 by Tukey's");
    free(text);
    text = capture(s.db, s.ref, -1);
    expect_contains(text, "Reference 1: model=dit|a\n  Settings: cache=off, sampler=euler\n");
    expect_contains(text, "  Uncached reference: the baseline of its cells' speed-up and image "
                          "diff\n");      /* no rounds in a store written before them */
    assert_null(strstr(text, "Speed-up"));
    free(text);
    assert_int_equal(db_show(s.db, 99, stdout, &cause), 1);
    study_release(&s);
}

/* An image identical to its reference: PSNR +Inf through the store and every text output. */
static void
test_identical(void **state)
{
    (void)state;
    struct study s;
    study_init_as(&s, "identical.db", 1);
    char *cause = NULL;
    struct db_run_detail d;
    assert_int_equal(db_run_get(s.db, s.c3, &d, &cause), 0);
    double psnr = db_run_result(&d, "psnr")->num;
    assert_true(isinf(psnr) && psnr > 0);       /* a REAL +Inf, not NULL, not a cap */
    assert_true(db_run_result(&d, "ssim")->num == 1.0);
    db_run_detail_release(&d);
    struct db_cell *cells = NULL;
    size_t n = 0;
    assert_int_equal(db_cells_list(s.db, s.sweep, &cells, &n, &cause), 0);
    assert_int_equal(n, 3);
    assert_true(isinf(cells[1].psnr) && cells[1].psnr > 0 && cells[1].ssim == 1.0);
    assert_close(cells[0].psnr, 34.21, 1e-12, 0);
    db_cells_free(cells, n);

    char *text = capture(s.db, s.sweep, DB_FORMAT_CSV);
    expect_contains(text, "\n3,cell,complete,0.12,0.003,0.12,0.116,0.125,5,1.525,0.05,0.3,+inf,1,"
                          ",,,,,,,,,dit|b,");
    assert_null(strstr(text, "100"));
    free(text);

    json_t *root = capture_json(s.db, s.sweep);
    json_t *results = json_object_get(root, "results");
    json_t *m2 = json_object_get(json_array_get(results, 0), "metrics");
    json_t *m3 = json_object_get(json_array_get(results, 1), "metrics");
    assert_close(json_real_value(json_object_get(m2, "psnr")), 34.21, 1e-12, 0);
    assert_true(json_is_false(json_object_get(m2, "identical")));
    assert_true(json_is_null(json_object_get(m3, "psnr")));
    assert_true(json_is_true(json_object_get(m3, "identical")));
    assert_close(json_real_value(json_object_get(m3, "ssim")), 1, 0, 0);
    assert_null(json_object_get(json_object_get(json_array_get(results, 2), "metrics"),
                                "identical"));    /* the reference has no psnr */
    json_decref(root);

    text = capture(s.db, s.sweep, DB_FORMAT_MD);
    expect_contains(text, "| 3 | dit\\|b | 0.2 | 120.0 ± 3.0 | 116.0 | 125.0 | 1.52× ± 0.05 |  "
                          "|  |  |  | 30.0 % | identical |\n");
    free(text);

    text = capture(s.db, s.c3, -1);
    expect_contains(text, "  Image vs reference: PSNR +inf dB (identical), SSIM 1.0000, "
                          "MAE 0.00000, max 0.00000\n");
    free(text);

    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    assert_int_equal(db_print_cells(s.db, s.sweep, f, &cause), 0);
    fclose(f);
    expect_contains(text, "     PSNR    SSIM\n");
    expect_contains(text, "    34.21  0.9812\n");
    expect_contains(text, " identical  1.0000\n");
    assert_null(strstr(text, "inf"));
    free(text);
    study_release(&s);
}

/* ---- paired rounds: the speed-up with its interval ----
 *
 * Sweep "paired", as the paired-round runner stores it: reference run 1 (cache=off; 10 rounds,
 * 1 disturbed) and cells 2, 3, 4 (threshold 0.1, 0.2, 0.3), every run n 5 with the wall times
 * of the study (cells 100 ± 2 ms, the reference 183 ± 4 ms).  The cells' speed-ups, chosen so
 * that every shown figure is exact to the digits printed:
 *   cell 2  faster: 1.92 [1.80, 2.04], coverage 0.979, 10 rounds (1 disturbed), 1.95 over the
 *           undisturbed ones; FLOP-modelled 2.4, time-modelled 2.0; efficiency 1.92 / 2.4 =
 *           0.80 [1.80 / 2.4, 2.04 / 2.4] = [0.75, 0.85]; 2.0 inside [1.80 / 1.05, 2.04 * 1.05]
 *           = [1.71, 2.14], so model_stray 0.
 *   cell 3  slower: 0.80 [0.75, 0.85], 10 rounds (0 disturbed): 1 / 0.80 = 1.25x slower, the
 *           bounds inverted and swapped [1 / 0.85, 1 / 0.75] = [1.18, 1.33]; FLOP-modelled
 *           1.25, time-modelled 1.05, outside [0.75 / 1.05, 0.85 * 1.05] = [0.71, 0.89]: model
 *           stray 1; efficiency 0.80 / 1.25 = 0.64 [0.60, 0.68].
 *   cell 4  3 rounds, too few for a 95% interval (6 needed: 1 - 2^(1-6) = 0.969 >= 0.95, and
 *           1 - 2^(1-5) = 0.9375 < 0.95): 1.40, lo/hi/coverage/model_stray NULL; FLOP-modelled
 *           1.75, time-modelled 1.5, efficiency 0.80 (no interval).
 * Each cell also has hit rate 0.3, PSNR 34.21, SSIM 0.9812.
 */
#define PAIRED_METHOD "median of paired round ratios, binomial order-statistic CI"

static void
paired_complete(struct db *db, int64_t run, struct stats wall, const struct db_metric *m,
                size_t n)
{
    struct db_summary sum = { "wall_ms", wall };
    struct db_run_result r = { .summaries = &sum, .nsummaries = 1, .metrics = m, .nmetrics = n };
    complete_ok(db, run, &r);
}

/* Cell run with speedup s [lo, hi] (coverage cov), rounds and disturbed, the models, the
 * efficiency e [elo, ehi] and model_stray. */
static void
paired_cell(struct db *db, int64_t run, const double v[13])
{
    struct db_metric m[] = {
        { "speedup", v[0], NULL }, { "speedup_lo", v[1], NULL }, { "speedup_hi", v[2], NULL },
        { "speedup_level", 0.95, NULL }, { "speedup_coverage", v[3], NULL },
        { "speedup_method", NAN, PAIRED_METHOD }, { "rounds", v[4], NULL },
        { "rounds_disturbed", v[5], NULL }, { "speedup_clean", v[6], NULL },
        { "flop_speedup", v[7], NULL }, { "time_speedup", v[8], NULL },
        { "efficiency", v[9], NULL }, { "efficiency_lo", v[10], NULL },
        { "efficiency_hi", v[11], NULL }, { "model_stray", v[12], NULL },
        { "hit_rate", 0.3, NULL }, { "psnr", 34.21, NULL }, { "ssim", 0.9812, NULL },
    };
    paired_complete(db, run, study_stats(100, 2, 98, 103), m, sizeof m / sizeof m[0]);
}

/* The "paired" store in memory; *sweep is its id (runs 1 .. 4 as above). */
static struct db *
paired_open(int64_t *sweep)
{
    struct db *db = open_ok(":memory:");
    *sweep = sweep_ok(db, "paired", "{\"x\": \"threshold=0.1,0.2,0.3\"}", 0);
    struct db_param p_ref[] = { { "cache", "off", NAN } };
    struct db_param p[3][1] = { { { "threshold", "0.1", 0.1 } }, { { "threshold", "0.2", 0.2 } },
                                { { "threshold", "0.3", 0.3 } } };
    int64_t ref = ensure_ok(db, *sweep, DB_RUN_REFERENCE, -1, "ref", 0, p_ref, 1, DB_WAITING);
    const char *hash[3] = { "c2", "c3", "c4" };
    int64_t cell[3];
    for (int i = 0; i < 3; i++)
        cell[i] = ensure_ok(db, *sweep, DB_RUN_CELL, i, hash[i], ref, p[i], 1, DB_WAITING);
    assert_int_equal(ref, 1);
    assert_int_equal(cell[2], 4);
    struct db_metric m_ref[] = { { "rounds", 10, NULL }, { "rounds_disturbed", 1, NULL } };
    paired_complete(db, ref, study_stats(183, 4, 178, 190), m_ref, 2);
    static const double v[3][13] = {
        { 1.92, 1.80, 2.04, 0.979, 10, 1, 1.95, 2.4, 2.0, 0.8, 0.75, 0.85, 0 },
        { 0.80, 0.75, 0.85, 0.979, 10, 0, 0.80, 1.25, 1.05, 0.64, 0.60, 0.68, 1 },
        { 1.40, NAN, NAN, NAN, 3, 0, 1.40, 1.75, 1.5, 0.8, NAN, NAN, NAN },
    };
    for (int i = 0; i < 3; i++)
        paired_cell(db, cell[i], v[i]);
    return db;
}

/* The new keys read into struct db_cell by the one results query, NAN where stored NULL. */
static void
test_paired_cells(void **state)
{
    (void)state;
    int64_t sweep;
    struct db *db = paired_open(&sweep);
    struct db_cell *c = NULL;
    size_t n = 0;
    char *cause = NULL;
    assert_int_equal(db_cells_list(db, sweep, &c, &n, &cause), 0);
    assert_int_equal(n, 4);
    assert_close(c[0].speedup, 1.92, 0, 0);
    assert_close(c[0].speedup_lo, 1.80, 0, 0);
    assert_close(c[0].speedup_hi, 2.04, 0, 0);
    assert_close(c[0].speedup_coverage, 0.979, 0, 0);
    assert_close(c[0].rounds, 10, 0, 0);
    assert_close(c[0].rounds_disturbed, 1, 0, 0);
    assert_close(c[0].flop_speedup, 2.4, 0, 0);
    assert_close(c[0].time_speedup, 2.0, 0, 0);
    assert_close(c[0].efficiency, 0.8, 0, 0);
    assert_close(c[0].model_stray, 0, 0, 0);
    assert_true(isnan(c[0].speedup_err));
    assert_close(c[1].model_stray, 1, 0, 0);
    assert_true(isnan(c[2].speedup_lo) && isnan(c[2].speedup_hi));
    assert_true(isnan(c[2].speedup_coverage) && isnan(c[2].model_stray));
    assert_close(c[2].rounds, 3, 0, 0);
    assert_int_equal(c[3].kind, DB_RUN_REFERENCE);
    assert_close(c[3].rounds, 10, 0, 0);
    assert_true(isnan(c[3].speedup) && isnan(c[3].flop_speedup));
    char buf[64];
    assert_string_equal(db_speedup_brief(&c[0], 0, buf, sizeof buf), "1.92 [1.80,2.04]");
    assert_string_equal(db_speedup_brief(&c[0], 1, buf, sizeof buf), "1.92× [1.80, 2.04]");
    assert_string_equal(db_speedup_brief(&c[2], 0, buf, sizeof buf), "1.40 (n<6)");
    assert_string_equal(db_speedup_brief(&c[3], 0, buf, sizeof buf), "");
    assert_string_equal(db_rounds_brief(&c[0], buf, sizeof buf), "10 (1)");
    assert_string_equal(db_rounds_brief(&c[3], buf, sizeof buf), "10 (1)");
    db_cells_free(c, n);
    db_close(db);
}

static void
test_paired_show(void **state)
{
    (void)state;
    int64_t sweep;
    struct db *db = paired_open(&sweep);
    char *text = capture(db, 2, -1);
    expect_contains(text,
        "  Speed-up over the uncached reference (run 1):\n"
        "    1.92x [1.80, 2.04] (95% CI, achieved 97.9%, median of 10 paired rounds, 1 disturbed)\n"
        "    undisturbed rounds only: 1.95x\n"
        "    method: " PAIRED_METHOD "\n"
        "    FLOP-modelled (what cache-dit calls speed-up): 2.40x (the model FLOPs the cache "
        "saves; no timing)\n"
        "    time-modelled: 2.00x (the per-call costs measured in this run times the calls "
        "made)\n"
        "    efficiency = measured / FLOP-modelled 0.80 [0.75, 0.85]\n");
    assert_null(strstr(text, "strays"));
    assert_null(strstr(text, "x ±"));     /* no propagated sd */
    free(text);

    text = capture(db, 3, -1);
    expect_contains(text, "    0.80x [0.75, 0.85] (95% CI, achieved 97.9%, median of 10 paired "
                          "rounds, 0 disturbed) = 1.25x slower [1.18, 1.33]\n");
    assert_null(strstr(text, "undisturbed"));   /* none disturbed: the same estimate */
    expect_contains(text, "    efficiency = measured / FLOP-modelled 0.64 [0.60, 0.68]\n");
    expect_contains(text, "\n  Warning: measured speed-up strays from the time model beyond its "
                          "interval: time-modelled 1.05x lies outside [0.71, 0.89], the 95% "
                          "interval widened by 5%.");
    free(text);

    text = capture(db, 4, -1);
    expect_contains(text, "    1.40x (median of 3 paired rounds, 0 disturbed); no 95% interval: "
                          "too few rounds (n=3; 6 needed)\n");
    expect_contains(text, "    efficiency = measured / FLOP-modelled 0.80\n");
    assert_null(strstr(text, "["));
    assert_null(strstr(text, "strays"));
    free(text);

    text = capture(db, 1, -1);
    expect_contains(text, "  Uncached reference: the baseline of its cells' speed-up and image "
                          "diff (10 paired rounds, 1 disturbed)\n");
    free(text);
    db_close(db);
}

static void
test_paired_exports(void **state)
{
    (void)state;
    int64_t sweep;
    struct db *db = paired_open(&sweep);
    /* CSV: speedup_err empty for runs with rounds; ci_level is the coverage achieved; cell 4's
     * interval and coverage empty; the reference has rounds but no speed-up. */
    expect_capture(db, sweep, DB_FORMAT_CSV,
        "cell,kind,state,mean,stddev,median,min,max,n,speedup,speedup_err,hit_rate,psnr,ssim,"
        "speedup_lo,speedup_hi,ci_level,rounds,rounds_disturbed,flop_speedup,time_speedup,"
        "efficiency,parameter_cache,parameter_threshold\n"
        "2,cell,complete,0.1,0.002,0.1,0.098,0.103,5,1.92,,0.3,34.21,0.9812,1.8,2.04,0.979,10,1,"
        "2.4,2,0.8,,0.1\n"
        "3,cell,complete,0.1,0.002,0.1,0.098,0.103,5,0.8,,0.3,34.21,0.9812,0.75,0.85,0.979,10,0,"
        "1.25,1.05,0.64,,0.2\n"
        "4,cell,complete,0.1,0.002,0.1,0.098,0.103,5,1.4,,0.3,34.21,0.9812,,,,3,0,1.75,1.5,0.8,,"
        "0.3\n"
        "1,reference,complete,0.183,0.004,0.183,0.178,0.19,5,,,,,,,,,10,1,,,,off,\n");

    char *text = capture(db, sweep, DB_FORMAT_MD);
    expect_contains(text,
        "| Cell | threshold | Mean [ms] | Min [ms] | Max [ms] | speed-up [95% CI] | S_flop "
        "| S_time | efficiency | rounds (disturbed) | hit rate | PSNR |\n"
        "|:---|:---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        "| 2 | 0.1 | 100.0 ± 2.0 | 98.0 | 103.0 | 1.92× [1.80, 2.04] | 2.40× | 2.00× | 0.80 "
        "| 10 (1) | 30.0 % | 34.21 |\n"
        "| 3 | 0.2 | 100.0 ± 2.0 | 98.0 | 103.0 | 0.80× [0.75, 0.85] | 1.25× | 1.05× | 0.64 "
        "| 10 (0) | 30.0 % | 34.21 |\n"
        "| 4 | 0.3 | 100.0 ± 2.0 | 98.0 | 103.0 | 1.40× (n<6) | 1.75× | 1.50× | 0.80 "
        "| 3 (0) | 30.0 % | 34.21 |\n"
        "| 1 (ref) |  | 183.0 ± 4.0 | 178.0 | 190.0 |  |  |  |  | 10 (1) |  |  |\n"
        "\nspeed-up: the median of the paired rounds' ratios");
    expect_contains(text, "binomial order statistics of the per-round log ratios (asv's method)");
    assert_null(strstr(text, "Relative"));
    free(text);

    json_t *root = capture_json(db, sweep);
    json_t *results = json_object_get(root, "results");
    json_t *m2 = json_object_get(json_array_get(results, 0), "metrics");
    json_t *m4 = json_object_get(json_array_get(results, 2), "metrics");
    json_t *mref = json_object_get(json_array_get(results, 3), "metrics");
    assert_close(json_real_value(json_object_get(m2, "speedup_lo")), 1.80, 1e-12, 0);
    assert_close(json_real_value(json_object_get(m2, "speedup_hi")), 2.04, 1e-12, 0);
    assert_close(json_real_value(json_object_get(m2, "speedup_coverage")), 0.979, 1e-12, 0);
    assert_close(json_real_value(json_object_get(m2, "rounds")), 10, 0, 0);
    assert_string_equal(json_string_value(json_object_get(m2, "speedup_method")), PAIRED_METHOD);
    assert_true(json_is_null(json_object_get(m2, "speedup_err")));     /* not written now */
    assert_true(json_is_null(json_object_get(m4, "speedup_lo")));
    assert_true(json_is_null(json_object_get(m4, "model_stray")));
    assert_close(json_real_value(json_object_get(mref, "rounds_disturbed")), 1, 0, 0);
    assert_null(json_object_get(mref, "speedup_lo"));   /* a reference has no speed-up */
    json_decref(root);

    size_t size = 0;
    char *cause = NULL;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    assert_int_equal(db_print_cells(db, sweep, f, &cause), 0);
    fclose(f);
    expect_contains(text, "        speed-up  rounds ");
    expect_contains(text, "  100.0 ± 2.0   1.92 [1.80,2.04]  10 (1)    30.0%");
    expect_contains(text, "  100.0 ± 2.0   0.80 [0.75,0.85]  10 (0)");
    expect_contains(text, "  100.0 ± 2.0         1.40 (n<6)   3 (0)");
    expect_contains(text, "  183.0 ± 4.0                  -  10 (1)        -");
    free(text);
    db_close(db);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_open_reopen),
        cmocka_unit_test(test_refuses_bad_files),
        cmocka_unit_test(test_refuses_newer_schema),
        cmocka_unit_test(test_migrates_v1_with_data),
        cmocka_unit_test(test_sweep_begin_spec),
        cmocka_unit_test(test_run_ensure_idempotent),
        cmocka_unit_test(test_state_machine),
        cmocka_unit_test(test_recover),
        cmocka_unit_test(test_complete_is_one_transaction),
        cmocka_unit_test(test_blob_dedup_and_nan),
        cmocka_unit_test(test_peak_device_bytes),
        cmocka_unit_test(test_wal_reader_during_write),
        cmocka_unit_test(test_export_csv),
        cmocka_unit_test(test_export_json),
        cmocka_unit_test(test_export_markdown),
        cmocka_unit_test(test_show),
        cmocka_unit_test(test_identical),
        cmocka_unit_test(test_paired_cells),
        cmocka_unit_test(test_paired_show),
        cmocka_unit_test(test_paired_exports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
