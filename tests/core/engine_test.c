/*
 * engine_test.c - whole generations through the engine on small random DiTs.
 *
 * Every registered sampler runs with a few schedulers, the cache off and on,
 * on an EPS DiT and a flow-matching DiT, and must finish without NaN with a
 * consistent trace.  The KSampler rules (penultimate sigma dropped, denoise
 * < 1) and bit-reproducibility are checked against the scheduler directly.
 * The same model loaded as bf16 and as f16 generates too, with a float32
 * output and the dtype recorded.
 */
#include "tests/support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "core/sampler.h"
#include "core/scheduler.h"
#include "util/err.h"

struct models {
    struct model *eps, *flow;
    char *eps_path;             /* the EPS checkpoint, for loading in other dtypes */
};

static struct model *
write_and_load(const char *name, const char *prediction, char **path_out)
{
    struct model_config cfg = {
        .arch = "dit", .input_size = 8, .patch_size = 2, .in_channels = 4, .hidden_size = 32,
        .depth = 3, .num_heads = 4, .mlp_ratio = 2.0, .num_classes = 5, .num_timesteps = 1000,
        .beta_schedule = "linear", .shift = 3.0, .multiplier = 1000.0,
    };
    snprintf(cfg.prediction, sizeof cfg.prediction, "%s", prediction);
    char *path = test_tmppath(name), *cause = NULL;
    if (model_write_random(&cfg, 5, path, &cause) != 0)
        fail_msg("%s", cause);
    struct model *m = model_load(path, TENSOR_CPU, &cause);
    if (m == NULL)
        fail_msg("%s", cause);
    if (path_out != NULL)
        *path_out = path;
    else
        free(path);
    return m;
}

static int
setup(void **state)
{
    struct models *ms = xcalloc(1, sizeof *ms);
    ms->eps = write_and_load("eps.safetensors", "eps", &ms->eps_path);
    ms->flow = write_and_load("flow.safetensors", "flow", NULL);
    *state = ms;
    return 0;
}

static int
teardown(void **state)
{
    struct models *ms = *state;
    model_free(ms->eps);
    model_free(ms->flow);
    free(ms->eps_path);
    free(ms);
    return 0;
}

static void
generate_ok(struct model *m, const struct engine_params *p, struct engine_result *r)
{
    char *cause = NULL;
    if (engine_generate(m, p, r, &cause) != 0)
        fail_msg("%s/%s: %s", p->sampler, p->scheduler, cause);
}

/* Finite output, one record per call, steps numbered 0..n-2, hits only when the cache is on. */
static void
check_result(const struct engine_params *p, const struct engine_result *r)
{
    size_t n = (size_t)(r->shape[0] * r->shape[1] * r->shape[2] * r->shape[3]);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(r->x0[i]))
            fail_msg("%s/%s: non-finite output at %zu", p->sampler, p->scheduler, i);
    assert_int_equal((int)r->trace.count, r->calls);
    assert_true(r->calls >= r->nsigmas - 1);
    int last_step = -1;
    for (size_t i = 0; i < r->trace.count; i++) {
        const struct trace_record *t = &r->trace.records[i];
        assert_true(t->step >= last_step && t->step < r->nsigmas - 1);
        last_step = t->step;
        if (p->cache.residual_diff_threshold <= 0)
            assert_int_equal(t->reason, TRACE_OFF);
    }
}

static void
run_all(struct model *m, const char *const *scheds, int nsched)
{
    for (size_t i = 0; i < sampler_count; i++) {
        for (int k = 0; k < nsched; k++) {
            for (int cached = 0; cached < 2; cached++) {
                struct engine_params p = ENGINE_PARAMS_DEFAULT;
                p.sampler = sampler_registry[i]->name;
                p.scheduler = scheds[k];
                p.steps = 6;
                p.cfg = 3.0;
                p.seed = 9;
                p.label = 2;
                p.cache.residual_diff_threshold = cached ? 0.5 : 0;
                struct engine_result r;
                generate_ok(m, &p, &r);
                check_result(&p, &r);
                engine_result_release(&r);
            }
        }
    }
}

static void
test_every_sampler_eps(void **state)
{
    struct models *ms = *state;
    static const char *const scheds[] = {"normal", "karras", "exponential", "simple"};
    run_all(ms->eps, scheds, 4);
}

static void
test_every_sampler_flow(void **state)
{
    struct models *ms = *state;
    static const char *const scheds[] = {"simple", "normal", "beta"};
    run_all(ms->flow, scheds, 3);
}

static void
test_reproducible(void **state)
{
    struct models *ms = *state;
    static const char *const names[] = {"euler", "euler_ancestral", "heun", "dpmpp_2m"};
    for (int i = 0; i < 4; i++) {
        struct engine_params p = ENGINE_PARAMS_DEFAULT;
        p.sampler = names[i];
        p.steps = 5;
        p.seed = 77;
        p.cache.residual_diff_threshold = 0.3;
        struct engine_result a, b;
        generate_ok(ms->eps, &p, &a);
        generate_ok(ms->eps, &p, &b);
        size_t n = (size_t)(a.shape[1] * a.shape[2] * a.shape[3]);
        assert_memory_equal(a.x0, b.x0, n * sizeof *a.x0);
        p.seed = 78;
        engine_result_release(&b);
        generate_ok(ms->eps, &p, &b);
        assert_memory_not_equal(a.x0, b.x0, n * sizeof *a.x0);
        engine_result_release(&a);
        engine_result_release(&b);
    }
}

/* The schedule the engine sampled, against the scheduler's own output. */
static void
test_ksampler_sigma_rules(void **state)
{
    struct models *ms = *state;
    char *cause = NULL;
    struct model_sampling tab;
    assert_int_equal(engine_model_sampling(model_config(ms->eps), &tab, &cause), 0);
    for (size_t i = 0; i < sampler_count; i++) {
        const struct sampler *smp = sampler_registry[i];
        struct engine_params p = ENGINE_PARAMS_DEFAULT;
        p.sampler = smp->name;
        p.scheduler = "karras";
        p.steps = 5;
        p.cfg = 1.0;
        struct engine_result r;
        generate_ok(ms->eps, &p, &r);
        double *want;
        int n;
        assert_int_equal(scheduler_sigmas(scheduler_find("karras"), &tab,
                                          5 + smp->discard_penultimate, &want, &n, &cause), 0);
        if (smp->discard_penultimate) {
            /* steps + 1 computed, the penultimate dropped: 6 values, the last 0. */
            want[n - 2] = want[n - 1];
            n--;
        }
        assert_int_equal(r.nsigmas, n);
        assert_memory_equal(r.sigmas, want, (size_t)n * sizeof *want);
        free(want);
        engine_result_release(&r);
    }
    /* denoise 0.5 with 5 steps: the last 6 sigmas of karras(10). */
    struct engine_params p = ENGINE_PARAMS_DEFAULT;
    p.scheduler = "karras";
    p.steps = 5;
    p.denoise = 0.5;
    struct engine_result r;
    generate_ok(ms->eps, &p, &r);
    double *full;
    int n;
    assert_int_equal(scheduler_sigmas(scheduler_find("karras"), &tab, 10, &full, &n, &cause), 0);
    assert_int_equal(r.nsigmas, 6);
    assert_memory_equal(r.sigmas, full + (n - 6), 6 * sizeof *full);
    assert_int_equal(r.calls, 5);
    free(full);
    engine_result_release(&r);
    model_sampling_release(&tab);
}

static void
test_param_errors(void **state)
{
    struct models *ms = *state;
    struct engine_params p = ENGINE_PARAMS_DEFAULT;
    struct engine_result r;
    char *cause = NULL;
    p.sampler = "dpmpp2m";
    assert_int_equal(engine_generate(ms->eps, &p, &r, &cause), -1);
    assert_non_null(strstr(cause, "did you mean 'dpmpp_2m'"));
    free(cause);
    p = (struct engine_params)ENGINE_PARAMS_DEFAULT;
    p.label = 6;    /* 5 classes + the null class 5 */
    assert_int_equal(engine_generate(ms->eps, &p, &r, &cause), -1);
    assert_non_null(strstr(cause, "class 6"));
    free(cause);
    p = (struct engine_params)ENGINE_PARAMS_DEFAULT;
    p.denoise = 1.5;
    assert_int_equal(engine_generate(ms->eps, &p, &r, &cause), -1);
    assert_non_null(strstr(cause, "denoise"));
    free(cause);
}

/* Whether v has at most `bits` significant bits (bf16 keeps 8, f16 11; v a normal number). */
static int
representable(double v, int bits)
{
    int e;
    double m = ldexp(frexp(v, &e), bits);
    return m == floor(m);
}

/*
 * bf16 and f16 generations of the EPS model: they run, give a float32 (1, C, H, W) output
 * close to the f32 one but not equal to it (the blocks really ran in the narrow dtype), record
 * the dtype in the result and the trace, compute FBCache's rel-L1 on the model's tensors (so
 * each value is one of that dtype's, as WaveSpeed's .item() of a bf16 mean gives), and keep
 * the sampler's state in float32 (the output is not all bf16/f16 values).
 */
static void
test_dtypes(void **state)
{
    struct models *ms = *state;
    static const enum tensor_dtype dtypes[] = {TENSOR_BF16, TENSOR_F16};
    static const int bits[] = {8, 11};
    struct engine_params p = ENGINE_PARAMS_DEFAULT;
    p.steps = 8;
    p.cfg = 3.0;
    p.seed = 21;
    p.label = 1;
    p.cache.residual_diff_threshold = 0.3;
    struct engine_result ref;
    generate_ok(ms->eps, &p, &ref);
    assert_int_equal(ref.dtype, TENSOR_F32);
    assert_string_equal(ref.trace.dtype, "f32");
    assert_true(ref.peak_device_bytes == -1);       /* not measured on the CPU */
    const size_t n = (size_t)(ref.shape[0] * ref.shape[1] * ref.shape[2] * ref.shape[3]);
    for (int k = 0; k < 2; k++) {
        char *cause = NULL;
        struct model *m = model_load_as(ms->eps_path, TENSOR_CPU, dtypes[k], &cause);
        if (m == NULL)
            fail_msg("%s", cause);
        assert_int_equal(model_dtype(m), dtypes[k]);
        struct engine_result r;
        generate_ok(m, &p, &r);
        assert_int_equal(r.dtype, dtypes[k]);
        assert_string_equal(r.trace.dtype, tensor_dtype_name(dtypes[k]));
        assert_true(r.peak_device_bytes == -1);
        assert_memory_equal(r.shape, ((int64_t[]){1, 4, 8, 8}), sizeof r.shape);
        assert_int_equal(r.calls, ref.calls);
        double maxdiff = 0, range = 0;
        size_t narrow = 0;
        for (size_t i = 0; i < n; i++) {
            assert_true(isfinite(r.x0[i]));
            maxdiff = fmax(maxdiff, fabs((double)r.x0[i] - ref.x0[i]));
            range = fmax(range, fabs((double)ref.x0[i]));
            narrow += representable(r.x0[i], bits[k]);
        }
        printf("  %s: max |x0 - x0_f32| %.3g of max |x0_f32| %.3g, %zu of %zu outputs are "
               "%s values\n", tensor_dtype_name(dtypes[k]), maxdiff, range, narrow, n,
               tensor_dtype_name(dtypes[k]));
        assert_true(maxdiff > 0);                   /* the narrow dtype was applied */
        assert_true(maxdiff < 0.05 * range);        /* and it is the same image */
        assert_true(narrow < n / 2);                /* the sampler's x stayed float32 */
        size_t measured = 0;
        for (size_t i = 0; i < r.trace.count; i++) {
            double v = r.trace.records[i].rel_l1;
            if (isnan(v))
                continue;
            measured++;
            if (!representable(v, bits[k]))
                fail_msg("call %zu: rel_l1 %.17g is not a %s value", i, v,
                         tensor_dtype_name(dtypes[k]));
        }
        assert_true(measured >= 4);
        engine_result_release(&r);
        model_free(m);
    }
    engine_result_release(&ref);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_sampler_eps),
        cmocka_unit_test(test_every_sampler_flow),
        cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_ksampler_sigma_rules),
        cmocka_unit_test(test_param_errors),
        cmocka_unit_test(test_dtypes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
