/*
 * sampler_unipc_test.c - uni_pc and uni_pc_bh2 on the scalar toy problem.
 *
 * The harness (tests/toy.c) runs the sampler from eps = 1 with the exact
 * denoiser, VE (tables "sd1", "dit") and flow ("sd3", "flux"), on the KSampler
 * schedule with the penultimate sigma dropped, in float64.  Every run must
 * land on the value tests/ref/toy_samplers_unipc.py computed independently
 * (numpy, ComfyUI's SigmaConvert and eps round trip written out literally),
 * at rtol 1e-9, with one model call per step.
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/sampler.h"
#include "tests/toy.h"

extern const struct sampler sampler_uni_pc;
extern const struct sampler sampler_uni_pc_bh2;

/* One reference line: the schedule, then the run. */
static void
unipc_check_case(const char *name, const char *table, const char *sched, int steps, int tail,
                 int n, double sigma_sum, double xt, double want, int calls)
{
    const struct sampler *smp = toy_sampler(name);
    struct toy t;
    toy_init(&t, table, sched, steps, smp->discard_penultimate);
    t.n -= tail;
    assert_int_equal(t.n, n);
    double sum = 0;
    for (int i = 0; i < t.n; i++)
        sum += t.sigmas[i];
    assert_close(sum, sigma_sum, 1e-12, 0);
    double x_start = toy_start(&t), got;
    assert_close(x_start, xt, 1e-12, 0);
    toy_run(&t, smp, &x_start, 1, TENSOR_F64, 0, NAN, NAN, &got);
    printf("  %-10s %-4s %-6s %2d steps%s: %.15f (ref %.15f, rel %.1e)\n", name, table, sched,
           steps, tail ? " (cut)" : "", got, want, fabs(got - want) / fabs(want));
    assert_close(got, want, 1e-9, 0);
    assert_int_equal(toy_calls(&t), calls);
    assert_int_equal(toy_calls(&t), (n - 1) * smp->calls_per_step);
    toy_release(&t);
}

static void
test_toy_reference(void **state)
{
    (void)state;
    FILE *f = toy_ref_open("tests/ref/toy_samplers_unipc.txt", "fbw-ref toy_samplers_unipc 1");
    char line[512], name[32], table[32], sched[32];
    int steps, tail, n, calls, checked = 0, flow = 0;
    double sum, xt, want;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "unipc %31s %31s %31s %d %d %d %lf %lf %lf %d", name, table, sched,
                   &steps, &tail, &n, &sum, &xt, &want, &calls) != 10)
            continue;
        unipc_check_case(name, table, sched, steps, tail, n, sum, xt, want, calls);
        checked++;
        flow += strcmp(table, "sd3") == 0 || strcmp(table, "flux") == 0;
    }
    fclose(f);
    /* 4 tables x 3 schedulers x 3 step counts, low orders and cut runs, both variants. */
    assert_true(checked >= 90);
    assert_true(flow >= 40);
}

/* The two variants differ in B(h) only: the same at order 1, apart once order 2 sets in. */
static void
test_variants(void **state)
{
    (void)state;
    struct toy t;
    double x, a, b;
    toy_init(&t, "sd1", "karras", 1, 1);       /* one step: a call, no update */
    x = toy_start(&t);
    toy_run(&t, &sampler_uni_pc, &x, 1, TENSOR_F64, 0, NAN, NAN, &a);
    toy_run(&t, &sampler_uni_pc_bh2, &x, 1, TENSOR_F64, 0, NAN, NAN, &b);
    assert_true(a == b);
    /* x / sqrt(1 + s0^2) / alpha(0.001): the start, brought to sigma 0.001. */
    assert_close(a, x / sqrt(1.0 + t.sigmas[0] * t.sigmas[0]) * sqrt(1.0 + 1e-6), 1e-15, 0);
    toy_release(&t);
    toy_init(&t, "dit", "normal", 10, 1);
    x = toy_start(&t);
    toy_run(&t, &sampler_uni_pc, &x, 1, TENSOR_F64, 0, NAN, NAN, &a);
    toy_run(&t, &sampler_uni_pc_bh2, &x, 1, TENSOR_F64, 0, NAN, NAN, &b);
    assert_true(fabs(a - b) > 1e-3);
    toy_release(&t);
}

/* A batch of starts: the toy is linear, so every output is the same multiple of its start. */
static void
test_batch_linear(void **state)
{
    (void)state;
    struct toy t;
    toy_init(&t, "flux", "simple", 10, 1);
    double x[5] = {1.0, -2.0, 0.5, 3.25, 0.0}, y[5];
    toy_run(&t, &sampler_uni_pc_bh2, x, 5, TENSOR_F64, 0, NAN, NAN, y);
    for (int i = 1; i < 5; i++)
        assert_close(y[i], y[0] * x[i], 1e-13, 1e-15);
    assert_int_equal(toy_calls(&t), 10);
    toy_release(&t);
}

static void
test_descriptors(void **state)
{
    (void)state;
    const struct sampler *s[2] = {&sampler_uni_pc, &sampler_uni_pc_bh2};
    assert_string_equal(s[0]->name, "uni_pc");
    assert_string_equal(s[1]->name, "uni_pc_bh2");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(s[i]->family, SAMPLER_DETERMINISTIC);
        assert_int_equal(s[i]->calls_per_step, 1);
        assert_int_equal(s[i]->discard_penultimate, 1);
        assert_true(s[i]->default_eta == 0);
        assert_non_null(s[i]->summary);
        assert_non_null(s[i]->sample);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toy_reference),
        cmocka_unit_test(test_variants),
        cmocka_unit_test(test_batch_linear),
        cmocka_unit_test(test_descriptors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
