/*
 * cache_test.c - First Block Cache decisions on a scripted model.
 *
 * The scripted architecture makes every quantity FBCache looks at exact:
 * embed passes x through as one token, block 0 adds a scripted constant a_k
 * (so the indicator of call k is a_k everywhere and the rel-L1 between calls
 * j and k is |a_j - a_k| / |a_j|), and blocks 1..n-1 each add 1 and count
 * how often they ran.  Expected decisions follow Comfy-WaveSpeed's rules
 * (shared/reference/fbcache.md section 1), worked out by hand per case.
 */
#include "tests/support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/cache.h"
#include "core/model_impl.h"
#include "util/err.h"

#define SCRIPT_MAX 32

struct script {
    double a[SCRIPT_MAX];   /* block-0 residual of call k */
    int n, call;            /* calls scripted, calls made */
    int later_blocks;       /* how many times blocks 1..n-1 ran */
};

static void
script_embed(void *impl, struct tensor_scope *s, struct tensor *x, struct tensor *timestep,
             struct tensor *y, struct model_state *st)
{
    (void)timestep, (void)y;
    struct script *sc = impl;
    sc->call++;
    st->h = tensor_reshape(s, x, 3, (int64_t[]){tensor_dim(x, 0), 1, -1});
    st->c = st->c_act = tensor_full(s, 0, TENSOR_F32, 2, (int64_t[]){tensor_dim(x, 0), 1},
                                    TENSOR_CPU);
}

static struct tensor *
script_block(void *impl, struct tensor_scope *w, int i, const struct model_state *st)
{
    struct script *sc = impl;
    if (i > 0) {
        sc->later_blocks++;
        return tensor_add_scalar(w, st->h, 1.0);
    }
    CHECK(sc->call - 1 < sc->n);
    return tensor_add_scalar(w, st->h, sc->a[sc->call - 1]);
}

static struct tensor *
script_final(void *impl, struct tensor_scope *w, const struct model_state *st)
{
    (void)impl;
    return tensor_reshape(w, st->h, 4, (int64_t[]){tensor_dim(st->h, 0), 1, 2, 2});
}

static void
script_release(void *impl)
{
    (void)impl;
}

static const struct model_arch script_arch = {
    .name = "script", .release = script_release, .embed = script_embed,
    .block = script_block, .final = script_final,
};

struct rig {
    struct script sc;
    struct model *m;
    struct model_sampling ms;
    struct cache *c;
    struct tensor_scope *s;
    struct trace trace;
};

/* depth blocks; residuals a[0..n-1]; the cache with params p. */
static void
rig_init(struct rig *r, int depth, const double *a, int n, const struct cache_params *p)
{
    memset(r, 0, sizeof *r);
    memcpy(r->sc.a, a, (size_t)n * sizeof *a);
    r->sc.n = n;
    struct model_config cfg = {.arch = "script", .depth = depth, .num_classes = 1};
    r->m = model_new_custom(&script_arch, &cfg, &r->sc, TENSOR_CPU);
    char *cause = NULL;
    assert_int_equal(model_sampling_init_discrete(&r->ms, MODEL_SAMPLING_BETA_LINEAR, 0, 0, 1000,
                                                  &cause), 0);
    r->c = cache_new(cache_policy_find("fbcache"), p, &r->ms, &cause);
    assert_non_null(r->c);
    cache_reset(r->c);
    r->s = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    trace_init(&r->trace);
}

static void
rig_release(struct rig *r)
{
    trace_release(&r->trace);
    tensor_scope_free(r->s);
    cache_free(r->c);
    model_sampling_release(&r->ms);
    model_free(r->m);
}

/* One call at sigma with x = 0 (B = 2); returns out[0]. */
static double
rig_call(struct rig *r, double sigma)
{
    struct cache_input in = {
        .x = tensor_full(r->s, 0, TENSOR_F32, 4, (int64_t[]){2, 1, 2, 2}, TENSOR_CPU),
        .timestep = tensor_full(r->s, 0, TENSOR_F32, 1, (int64_t[]){2}, TENSOR_CPU),
        .y = tensor_full(r->s, 0, TENSOR_I64, 1, (int64_t[]){2}, TENSOR_CPU),
        .sigma = sigma,
    };
    struct trace_record *rec = trace_append(&r->trace);
    rec->sigma = sigma;
    struct tensor *out = cache_forward(r->c, r->m, r->s, &in, rec);
    float v[8];
    assert_int_equal(tensor_read_f32(r->s, out, v, 8), 0);
    tensor_scope_reset(r->s);
    return v[0];
}

/* Run calls at descending sigmas 10, 9, ...; check reasons (and hits) in order. */
static void
rig_expect(struct rig *r, const enum trace_reason *want, int n)
{
    for (int k = 0; k < n; k++) {
        const struct trace_record *t = &r->trace.records[k];
        if (t->reason != want[k])
            fail_msg("call %d: reason %s, want %s (rel_l1 %g)", k, trace_reason_name(t->reason),
                     trace_reason_name(want[k]), t->rel_l1);
        assert_int_equal(t->hit, want[k] == TRACE_HIT);
    }
}

static void
run_descending(struct rig *r, int n)
{
    for (int k = 0; k < n; k++)
        rig_call(r, 10.0 - k);
}

static void
test_threshold_and_reference(void **state)
{
    (void)state;
    /* thr 0.07: call 1 is 0.05 from call 0 (hit); call 2 is 0.08 from the REFERENCE
     * (call 0, unchanged by the hit) though only 0.0286 from call 1 -> miss; call 3
     * is 0.02/1.08 = 0.0185 from the new reference (call 2) -> hit. */
    const double a[] = {1.0, 1.05, 1.08, 1.10};
    struct cache_params p = CACHE_PARAMS_DEFAULT;
    p.residual_diff_threshold = 0.07;
    struct rig r;
    rig_init(&r, 4, a, 4, &p);
    double out[4];
    for (int k = 0; k < 4; k++)
        out[k] = rig_call(&r, 10.0 - k);
    const enum trace_reason want[] = {TRACE_FIRST, TRACE_HIT, TRACE_THRESHOLD, TRACE_HIT};
    rig_expect(&r, want, 4);
    assert_true(isnan(r.trace.records[0].rel_l1));
    assert_close(r.trace.records[1].rel_l1, 0.05, 1e-6, 0);
    assert_close(r.trace.records[2].rel_l1, 0.08, 1e-6, 0);
    assert_close(r.trace.records[3].rel_l1, 0.02 / 1.08, 1e-6, 0);
    /* Blocks 1..3 ran on the two misses only. */
    assert_int_equal(r.sc.later_blocks, 2 * 3);
    /* Outputs: full = a + 3; hit = a_cur + stored residual (3). */
    assert_close(out[0], 1.0 + 3, 1e-6, 0);
    assert_close(out[1], 1.05 + 3, 1e-6, 0);
    assert_close(out[3], 1.10 + 3, 1e-6, 0);
    rig_release(&r);
}

static void
test_strict_threshold(void **state)
{
    (void)state;
    /* rel-L1 exactly 0.25 (all values exact in binary) is not below 0.25. */
    const double a[] = {1.0, 1.25, 1.25};
    struct cache_params p = CACHE_PARAMS_DEFAULT;
    p.residual_diff_threshold = 0.25;
    struct rig r;
    rig_init(&r, 3, a, 3, &p);
    run_descending(&r, 3);
    const enum trace_reason want[] = {TRACE_FIRST, TRACE_THRESHOLD, TRACE_HIT};
    rig_expect(&r, want, 3);
    assert_close(r.trace.records[1].rel_l1, 0.25, 0, 0);
    rig_release(&r);
}

static void
test_max_consecutive_hits(void **state)
{
    (void)state;
    const double a[] = {1, 1, 1, 1, 1, 1, 1};
    struct cache_params p = CACHE_PARAMS_DEFAULT;
    p.residual_diff_threshold = 0.1;
    p.max_consecutive_cache_hits = 2;
    struct rig r;
    rig_init(&r, 2, a, 7, &p);
    run_descending(&r, 7);
    /* At most 2 hits in a row; the counter restarts after the forced miss. */
    const enum trace_reason want[] = {TRACE_FIRST, TRACE_HIT, TRACE_HIT, TRACE_MAX_HITS,
                                      TRACE_HIT, TRACE_HIT, TRACE_MAX_HITS};
    rig_expect(&r, want, 7);
    rig_release(&r);
}

static void
test_window(void **state)
{
    (void)state;
    const double a[] = {1, 1, 1, 1, 1};
    struct cache_params p = CACHE_PARAMS_DEFAULT;
    p.residual_diff_threshold = 0.1;
    p.start = 0.4;
    p.end = 0.8;
    struct rig r;
    rig_init(&r, 2, a, 5, &p);
    /* DiT table: start_sigma = sigma(0.6*999), end_sigma = sigma(0.2*999).  Calls at
     * sigmas above, inside (twice) and below that window, plus the first. */
    double hi = model_sampling_percent_to_sigma(&r.ms, 0.4);
    double lo = model_sampling_percent_to_sigma(&r.ms, 0.8);
    assert_true(hi > lo);
    const double sig[] = {hi * 2, hi * 1.5, hi * 0.999, lo * 1.001, lo * 0.5};
    for (int k = 0; k < 5; k++)
        rig_call(&r, sig[k]);
    const enum trace_reason want[] = {TRACE_FIRST, TRACE_WINDOW, TRACE_HIT, TRACE_HIT,
                                      TRACE_WINDOW};
    rig_expect(&r, want, 5);
    rig_release(&r);
}

static void
test_reset_and_new_run(void **state)
{
    (void)state;
    const double a[] = {1, 1, 1, 1, 1};
    struct cache_params p = CACHE_PARAMS_DEFAULT;
    p.residual_diff_threshold = 0.1;
    struct rig r;
    rig_init(&r, 2, a, 5, &p);
    rig_call(&r, 10);
    rig_call(&r, 9);
    cache_reset(&*r.c);         /* a new generation */
    rig_call(&r, 8);
    rig_call(&r, 12);           /* sigma went up: WaveSpeed starts a new run */
    rig_call(&r, 11);
    const enum trace_reason want[] = {TRACE_FIRST, TRACE_HIT, TRACE_FIRST, TRACE_FIRST,
                                      TRACE_HIT};
    rig_expect(&r, want, 5);
    rig_release(&r);
}

static void
test_nan_is_a_miss(void **state)
{
    (void)state;
    /* A zero indicator makes rel-L1 0/0 = NaN, which never compares below. */
    const double a[] = {0, 0, 0};
    struct cache_params p = CACHE_PARAMS_DEFAULT;
    p.residual_diff_threshold = 0.5;
    struct rig r;
    rig_init(&r, 2, a, 3, &p);
    run_descending(&r, 3);
    const enum trace_reason want[] = {TRACE_FIRST, TRACE_THRESHOLD, TRACE_THRESHOLD};
    rig_expect(&r, want, 3);
    assert_true(isnan(r.trace.records[1].rel_l1));
    rig_release(&r);
}

static void
test_off_values(void **state)
{
    (void)state;
    const double a[] = {1, 1, 1};
    struct cache_params cases[3] = {CACHE_PARAMS_DEFAULT, CACHE_PARAMS_DEFAULT,
                                    CACHE_PARAMS_DEFAULT};
    cases[0].residual_diff_threshold = 0;           /* threshold 0: off */
    cases[1].residual_diff_threshold = -1;          /* negative: off */
    cases[2].residual_diff_threshold = 0.5;
    cases[2].max_consecutive_cache_hits = 0;        /* max hits 0: off */
    for (int i = 0; i < 3; i++) {
        struct rig r;
        rig_init(&r, 3, a, 3, &cases[i]);
        assert_false(cache_active(r.c));
        run_descending(&r, 3);
        const enum trace_reason want[] = {TRACE_OFF, TRACE_OFF, TRACE_OFF};
        rig_expect(&r, want, 3);
        assert_int_equal(r.sc.later_blocks, 3 * 2);
        rig_release(&r);
    }
}

static void
test_same_sigma_chunks(void **state)
{
    (void)state;
    /* Heun-like sigmas 10, 5, 5, 2, 2: the repeat calls are WaveSpeed's sequence_num 1.
     * call 2 (seq 1) finds slot 1 empty -> miss, stored there; call 4 (seq 1) follows
     * call 3's seq-0 decision and applies slot 1's residual. */
    const double a[] = {1.0, 1.01, 1.5, 1.02, 1.6};
    struct cache_params p = CACHE_PARAMS_DEFAULT;
    p.residual_diff_threshold = 0.1;
    struct rig r;
    rig_init(&r, 2, a, 5, &p);
    const double sig[] = {10, 5, 5, 2, 2};
    double out[5];
    for (int k = 0; k < 5; k++)
        out[k] = rig_call(&r, sig[k]);
    const enum trace_reason want[] = {TRACE_FIRST, TRACE_HIT, TRACE_FIRST, TRACE_HIT, TRACE_HIT};
    rig_expect(&r, want, 5);
    const int seq[] = {0, 0, 1, 0, 1};
    for (int k = 0; k < 5; k++)
        assert_int_equal(r.trace.records[k].seq, seq[k]);
    assert_true(isnan(r.trace.records[4].rel_l1));      /* seq > 0: no metric */
    assert_close(out[4], 1.6 + 1, 1e-6, 0);
    rig_release(&r);
}

static void
test_param_errors(void **state)
{
    (void)state;
    struct model_sampling ms;
    char *cause = NULL;
    assert_int_equal(model_sampling_init_discrete(&ms, MODEL_SAMPLING_BETA_LINEAR, 0, 0, 1000,
                                                  &cause), 0);
    struct cache_params p = CACHE_PARAMS_DEFAULT;
    p.max_consecutive_cache_hits = -2;
    assert_null(cache_new(cache_policy_find("fbcache"), &p, &ms, &cause));
    assert_non_null(strstr(cause, "max_consecutive_cache_hits"));
    free(cause);
    p = (struct cache_params)CACHE_PARAMS_DEFAULT;
    p.start = 1.5;
    assert_null(cache_new(cache_policy_find("fbcache"), &p, &ms, &cause));
    assert_non_null(strstr(cause, "start"));
    free(cause);
    assert_null(cache_policy_find("teacache"));
    model_sampling_release(&ms);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold_and_reference),
        cmocka_unit_test(test_strict_threshold),
        cmocka_unit_test(test_max_consecutive_hits),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_reset_and_new_run),
        cmocka_unit_test(test_nan_is_a_miss),
        cmocka_unit_test(test_off_values),
        cmocka_unit_test(test_same_sigma_chunks),
        cmocka_unit_test(test_param_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
