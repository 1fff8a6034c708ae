/*
 * sampler_sde_test.c - the SDE samplers (dpmpp_sde, dpmpp_2m_sde,
 * dpmpp_2m_sde_heun, dpmpp_3m_sde) on the scalar toy problem with an exact
 * denoiser (tests/toy.h), in VE ("sd1", "dit") and flow ("sd3", "flux") form.
 *
 * Expected values come from tests/ref/toy_samplers_sde.py, an independent numpy
 * transcription of ComfyUI's update rules:
 *   - with no noise (eta = 0, or s_noise = 0 at eta 0.5 and 1) the samplers are
 *     deterministic and must match in float64 to 1e-9, with the right number of
 *     model calls;
 *   - with the defaults (eta 1, s_noise 1), over 20000 independent starts, the
 *     output mean and variance must match the exact moments of the discretised
 *     sampler (the script derives them from the linear coefficients of x_T and
 *     of every draw) to about 4 standard errors.  For dpmpp_sde this also pins
 *     the Brownian coupling of each step's two draws: independent draws would
 *     give a variance ~0.2 lower.
 * Runs are bit-reproducible per seed.
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model_sampling.h"
#include "core/sampler.h"
#include "core/shim/tensor.h"
#include "tests/toy.h"
#include "util/err.h"

extern const struct sampler sampler_dpmpp_2m;
extern const struct sampler sampler_dpmpp_sde;
extern const struct sampler sampler_dpmpp_2m_sde;
extern const struct sampler sampler_dpmpp_2m_sde_heun;
extern const struct sampler sampler_dpmpp_3m_sde;

static const struct sampler *const sde_samplers[] = {
    &sampler_dpmpp_sde, &sampler_dpmpp_2m_sde, &sampler_dpmpp_2m_sde_heun, &sampler_dpmpp_3m_sde,
};
#define SDE_COUNT (sizeof sde_samplers / sizeof sde_samplers[0])

#define SDE_REF "tests/ref/toy_samplers_sde.txt"
#define SDE_N 20000

/* Model calls in a run of `steps` steps: the last step (to sigma = 0) makes one. */
static int
sde_expected_calls(const struct sampler *s, int steps)
{
    return (steps - 1) * s->calls_per_step + 1;
}

static void
test_deterministic_reference(void **state)
{
    (void)state;
    FILE *f = toy_ref_open(SDE_REF, "fbw-ref toy_samplers_sde 1");
    char line[512], name[32], table[16], sched[32];
    int steps, checked = 0, flow = 0;
    double eta, s_noise, xt, want;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "toy %31s %15s %31s %d %lf %lf %lf %lf", name, table, sched, &steps, &eta,
                   &s_noise, &xt, &want) != 8)
            continue;
        const struct sampler *smp = toy_sampler(name);
        struct toy t;
        toy_init(&t, table, sched, steps, 0);
        double x_start = toy_start(&t), got, again;
        assert_close(x_start, xt, 1e-12, 0);
        toy_run(&t, smp, &x_start, 1, TENSOR_F64, 0, eta, s_noise, &got);
        printf("  %-17s %-4s %-6s %2d eta %.1f s_noise %.0f: %.12g (ref %.12g, rel %.1e)\n", name,
               table, sched, steps, eta, s_noise, got, want, fabs(got - want) / fabs(want));
        assert_close(got, want, 1e-9, 0);
        assert_int_equal(toy_calls(&t), sde_expected_calls(smp, steps));
        /* No noise reaches x: another seed gives the same bits. */
        toy_run(&t, smp, &x_start, 1, TENSOR_F64, 99, eta, s_noise, &again);
        assert_memory_equal(&got, &again, sizeof got);
        flow += model_sampling_is_const(&t.ms);
        toy_release(&t);
        checked++;
    }
    fclose(f);
    assert_int_equal(checked, 4 * 8 * 3);
    assert_int_equal(flow, 4 * 4 * 3);
}

/* On VE at eta = 0 the 2M SDE (midpoint) is DPM-Solver++(2M) itself: a check that does
 * not go through the script. */
static void
test_2m_sde_eta0_is_dpmpp_2m(void **state)
{
    (void)state;
    struct toy t;
    toy_init(&t, "sd1", "karras", 12, 0);
    double x_start = toy_start(&t), a, b;
    toy_run(&t, &sampler_dpmpp_2m_sde, &x_start, 1, TENSOR_F64, 0, 0.0, NAN, &a);
    toy_run(&t, &sampler_dpmpp_2m, &x_start, 1, TENSOR_F64, 0, NAN, NAN, &b);
    assert_close(a, b, 1e-12, 0);
    toy_release(&t);
}

/* Mean and variance of smp's outputs over SDE_N independent starts x_T = toy_start * eps. */
static void
sde_moments(const struct sampler *smp, const char *table, const char *sched, int steps,
            double *m, double *v)
{
    struct toy t;
    toy_init(&t, table, sched, steps, 0);
    toy_moments(&t, smp, SDE_N, NAN, NAN, m, v);
    assert_int_equal(toy_calls(&t), sde_expected_calls(smp, steps));
    toy_release(&t);
}

static void
test_distribution(void **state)
{
    (void)state;
    FILE *f = toy_ref_open(SDE_REF, "fbw-ref toy_samplers_sde 1");
    char line[256], name[32], table[16], sched[32];
    int steps, checked = 0;
    double want;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "var %31s %15s %31s %d %lf", name, table, sched, &steps, &want) != 5)
            continue;
        double m, v;
        sde_moments(toy_sampler(name), table, sched, steps, &m, &v);
        /* Gaussian outputs: standard errors sqrt(var/N) (mean), var sqrt(2/(N-1)) (var). */
        const double se_m = sqrt(want / SDE_N), se_v = want * sqrt(2.0 / (SDE_N - 1));
        printf("  %-17s %-4s %-6s %2d: mean %+.4f (0 +- %.4f) var %.4f (exact %.4f +- %.4f)\n",
               name, table, sched, steps, m, 4 * se_m, v, want, 4 * se_v);
        assert_close(m, 0.0, 0, 4 * se_m);
        assert_close(v, want, 0, 4 * se_v);
        checked++;
    }
    fclose(f);
    assert_int_equal(checked, 4 * 3);
}

static void
test_reproducible(void **state)
{
    (void)state;
    const char *tables[] = {"dit", "sd3"};
    for (size_t k = 0; k < 2; k++) {
        struct toy t;
        toy_init(&t, tables[k], "normal", 10, 0);
        double x[16], a[16], b[16], c[16];
        for (int i = 0; i < 16; i++)
            x[i] = toy_start(&t) * (0.1 * i - 0.7);
        for (size_t s = 0; s < SDE_COUNT; s++) {
            toy_run(&t, sde_samplers[s], x, 16, TENSOR_F32, 42, NAN, NAN, a);
            toy_run(&t, sde_samplers[s], x, 16, TENSOR_F32, 42, NAN, NAN, b);
            toy_run(&t, sde_samplers[s], x, 16, TENSOR_F32, 43, NAN, NAN, c);
            assert_memory_equal(a, b, sizeof a);
            assert_memory_not_equal(a, c, sizeof a);
        }
        toy_release(&t);
    }
}

static void
test_descriptors(void **state)
{
    (void)state;
    const char *names[] = {"dpmpp_sde", "dpmpp_2m_sde", "dpmpp_2m_sde_heun", "dpmpp_3m_sde"};
    for (size_t i = 0; i < SDE_COUNT; i++) {
        const struct sampler *s = sde_samplers[i];
        assert_string_equal(s->name, names[i]);
        assert_int_equal(s->family, SAMPLER_SDE);
        assert_int_equal(s->calls_per_step, i == 0 ? 2 : 1);
        assert_int_equal(s->discard_penultimate, 0);
        assert_true(s->default_eta == 1.0);
        assert_non_null(s->summary);
        assert_non_null(s->sample);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptors),
        cmocka_unit_test(test_deterministic_reference),
        cmocka_unit_test(test_2m_sde_eta0_is_dpmpp_2m),
        cmocka_unit_test(test_distribution),
        cmocka_unit_test(test_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
