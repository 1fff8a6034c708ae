/*
 * round_test.c - the store's rounds (schema 3): a v2 store with data migrates to v3 and its
 * runs gain rounds; only complete measured rounds reach the readers (an abandoned round's rows
 * stay on record, excluded); rep numbers continue across sessions; the judge's verdicts land
 * on the generations and their rounds.
 */
#include "tests/support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db/query.h"
#include "db/store.h"

#define OKC(call, cause) do { if ((call) != 0) fail_msg("%s: %s", #call, cause); } while (0)

struct fixture {
    struct db *db;
    int64_t sweep, ref, cell;
};

static int64_t
run_ok(struct db *db, int64_t sweep, enum db_run_kind kind, const char *hash, int64_t ref)
{
    struct db_run_key key = { kind, kind == DB_RUN_CELL ? 0 : -1, 0, 0, 0, hash, ref };
    struct db_param p = { "steps", "4", 4 };
    int64_t id = 0;
    enum db_run_state state;
    char *cause = NULL;
    OKC(db_run_ensure(db, sweep, &key, &p, 1, &id, &state, &cause), cause);
    return id;
}

/* A generation of run at a round's position: wall and calls ms, one full call of 1 ms. */
static void
gen_ok(struct db *db, int64_t round, int position, int64_t run, enum db_phase phase, int rep,
       double wall)
{
    struct trace t;
    trace_init(&t);
    struct trace_record *r = trace_append(&t);
    memset(r, 0, sizeof *r);
    r->ms = 1;
    r->rel_l1 = NAN;
    struct usage u = { wall / 1e3, wall / 1e3, 0, 0, 1, 2 };
    struct db_rep rep_row = { phase, rep, wall, 1, &t, -1, &u, -1 };
    char *cause = NULL;
    OKC(db_round_add(db, round, position, run, &rep_row, &cause), cause);
    trace_release(&t);
}

static int64_t
round_ok(struct fixture *f, int k, int64_t session)
{
    const int64_t order[2] = { f->cell, f->ref };
    struct db_round_plan plan = { f->sweep, f->ref, k, session, UINT64_MAX - 5, order, 2, 0.5 };
    int64_t id = 0;
    char *cause = NULL;
    OKC(db_round_begin(f->db, &plan, &id, &cause), cause);
    return id;
}

static void
finish_ok(struct db *db, int64_t round)
{
    char *cause = NULL;
    OKC(db_round_finish(db, round, 0.75, &cause), cause);
}

static void
test_migrates_v2_and_rounds(void **state)
{
    (void)state;
    char *path = test_tmppath("v2.db"), *cause = NULL;
    struct fixture f = {0};
    OKC(db_open_at_version(path, 2, &f.db, &cause), cause);
    assert_int_equal(db_schema_version(f.db), 2);
    OKC(db_sweep_begin(f.db, "old", "spec", &f.sweep, &(int){0}, &cause), cause);
    f.ref = run_ok(f.db, f.sweep, DB_RUN_REFERENCE, "r", 0);
    f.cell = run_ok(f.db, f.sweep, DB_RUN_CELL, "c", f.ref);
    const struct db_round_plan plan = { f.sweep, f.ref, 0, 1, 1, &f.ref, 1, 0 };
    int64_t id;
    assert_int_equal(db_round_begin(f.db, &plan, &id, &cause), -1);
    assert_non_null(strstr(cause, "no such table: round"));
    free(cause);
    cause = NULL;
    db_close(f.db);

    OKC(db_open(path, &f.db, &cause), cause);
    assert_int_equal(db_schema_version(f.db), 3);

    /* Session 1: warm-up round, two measured rounds, and a third left running (a crash). */
    int64_t r0 = round_ok(&f, 0, 1);
    gen_ok(f.db, r0, 0, f.cell, DB_PHASE_COMPILE, 0, 50);
    gen_ok(f.db, r0, 1, f.ref, DB_PHASE_COMPILE, 0, 60);
    finish_ok(f.db, r0);
    const double tref[] = { 20, 22, 99 }, tcell[] = { 10, 11, 1 };
    for (int k = 1; k <= 3; k++) {
        int64_t r = round_ok(&f, k, 1);
        gen_ok(f.db, r, 0, f.cell, DB_PHASE_MEASURE, k - 1, tcell[k - 1]);
        gen_ok(f.db, r, 1, f.ref, DB_PHASE_MEASURE, k - 1, tref[k - 1]);
        if (k < 3)
            finish_ok(f.db, r);
    }
    int last = -1, n = -1, rep = -1;
    OKC(db_round_last(f.db, f.ref, &last, &cause), cause);
    assert_int_equal(last, 2);
    /* Resume: the running round is abandoned; the next free rep skips its rows. */
    OKC(db_round_abandon(f.db, f.ref, &n, &cause), cause);
    assert_int_equal(n, 1);
    OKC(db_rep_next(f.db, f.cell, DB_PHASE_MEASURE, &rep, &cause), cause);
    assert_int_equal(rep, 3);
    OKC(db_rep_next(f.db, f.cell, DB_PHASE_COMPILE, &rep, &cause), cause);
    assert_int_equal(rep, 1);
    OKC(db_rep_next(f.db, f.cell, DB_PHASE_WARMUP, &rep, &cause), cause);
    assert_int_equal(rep, 0);
    int64_t r3 = round_ok(&f, 3, 2);
    gen_ok(f.db, r3, 0, f.cell, DB_PHASE_MEASURE, 3, 12);
    gen_ok(f.db, r3, 1, f.ref, DB_PHASE_MEASURE, 3, 24);
    finish_ok(f.db, r3);
    assert_int_equal(db_round_finish(f.db, r3, 0, &cause), -1);    /* not running any more */
    assert_non_null(strstr(cause, "is not running"));
    free(cause);
    cause = NULL;

    /* Only complete measured rounds: the abandoned round's (99, 1) never appears. */
    struct db_round_gen *g = NULL;
    size_t ng = 0;
    OKC(db_round_gens(f.db, f.ref, &g, &ng, &cause), cause);
    assert_int_equal(ng, 6);
    const double want_wall[] = { 10, 20, 11, 22, 12, 24 };
    const int want_k[] = { 1, 1, 2, 2, 3, 3 };
    for (size_t i = 0; i < ng; i++) {
        assert_close(g[i].wall_ms, want_wall[i], 0, 0);
        assert_int_equal(g[i].k, want_k[i]);
        assert_int_equal(g[i].run_id, i % 2 == 0 ? f.cell : f.ref);
        assert_int_equal(g[i].usage.nvcsw, 1);
        assert_int_equal(g[i].usage.nivcsw, 2);
    }
    double *ms = NULL;
    size_t nms = 0;
    OKC(db_round_call_ms(f.db, f.ref, f.cell, 0, &ms, &nms, &cause), cause);
    assert_int_equal(nms, 3);
    free(ms);
    OKC(db_round_call_ms(f.db, f.ref, f.cell, 1, &ms, &nms, &cause), cause);
    assert_int_equal(nms, 0);
    free(ms);

    /* The judge: a flag on round 2's reference generation marks round 2 only. */
    int flags[6] = { 0, 0, 0, 1, 0, 0 };
    OKC(db_round_judge(f.db, g, flags, ng, &cause), cause);
    struct db_run_detail d;
    OKC(db_run_get(f.db, f.ref, &d, &cause), cause);
    size_t flagged = 0, judged = 0;
    for (size_t i = 0; i < d.nsamples; i++) {
        judged += !isnan(d.samples[i].disturbed);
        flagged += d.samples[i].disturbed == 1;
    }
    assert_int_equal(judged, 3);        /* the 3 measured generations of complete rounds */
    assert_int_equal(flagged, 1);
    db_run_detail_release(&d);
    /* Judged again with no flag (after replacement rounds): round 2's verdict is cleared. */
    memset(flags, 0, sizeof flags);
    OKC(db_round_judge(f.db, g, flags, ng, &cause), cause);
    OKC(db_run_get(f.db, f.ref, &d, &cause), cause);
    for (size_t i = 0; i < d.nsamples; i++)
        assert_true(isnan(d.samples[i].disturbed) || d.samples[i].disturbed == 0);
    db_run_detail_release(&d);
    free(g);
    db_close(f.db);
    free(path);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrates_v2_and_rounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
