/*
 * sampler_ancestral_test.c - ComfyUI's ancestral samplers (dpm_2_ancestral, dpmpp_2s_ancestral,
 * ddpm, lcm, res_multistep, res_multistep_ancestral) and euler_ancestral's RF (flow) branch on
 * the scalar toy problem with an exact denoiser (tests/toy.h).
 *
 * tests/ref/toy_samplers_ancestral.py computes, independently and in float64:
 *   det   eta = 0 runs, which remove all noise, in VE and flow form (rtol 1e-9, and the number
 *         of model calls);
 *   traj  single seeded runs at the default eta, with the per-step noise taken from torch's CPU
 *         generator in fbw's draw order (rtol 1e-9): the noise coefficients and draw order;
 *   var   the exact output variance of the discretised sampler over x_T ~ N(0, start^2) and
 *         the noise draws (the mean is 0); checked over 20000 starts to about 4 standard errors.
 * Besides: per-seed reproducibility, the descriptors, and two identities of ComfyUI's code
 * (ddpm = euler_ancestral on VE models; res_multistep ignores eta).
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sampler.h"
#include "tests/toy.h"
#include "util/err.h"

extern const struct sampler sampler_euler_ancestral;
extern const struct sampler sampler_dpm_2_ancestral;
extern const struct sampler sampler_dpmpp_2s_ancestral;
extern const struct sampler sampler_ddpm;
extern const struct sampler sampler_lcm;
extern const struct sampler sampler_res_multistep;
extern const struct sampler sampler_res_multistep_ancestral;

/* The descriptors under test, reached directly (the registry is checked in sampler_test.c). */
static const struct sampler *const anc_samplers[] = {
    &sampler_euler_ancestral, &sampler_dpm_2_ancestral, &sampler_dpmpp_2s_ancestral,
    &sampler_ddpm, &sampler_lcm, &sampler_res_multistep, &sampler_res_multistep_ancestral,
};
#define ANC_COUNT (sizeof anc_samplers / sizeof anc_samplers[0])

#define ANC_REF "tests/ref/toy_samplers_ancestral.txt"
#define ANC_N 20000

/* eta = 0: every sampler here is deterministic, in VE and flow form. */
static void
test_deterministic(void **state)
{
    (void)state;
    FILE *f = toy_ref_open(ANC_REF, "fbw-ref toy_samplers_ancestral 1");
    char line[512], name[64], table[16], sched[16];
    int steps, calls, checked = 0;
    double eta, xt, want;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "det %63s %15s %15s %d %lf %lf %lf %d", name, table, sched, &steps,
                   &eta, &xt, &want, &calls) != 8)
            continue;
        const struct sampler *s = toy_sampler(name);
        struct toy t;
        toy_init(&t, table, sched, steps, s->discard_penultimate);
        double x = toy_start(&t), got;
        assert_close(x, xt, 1e-12, 0);
        toy_run(&t, s, &x, 1, TENSOR_F64, 0, eta, NAN, &got);
        printf("  %-23s %-4s %-6s %2d eta 0: %.12f (ref %.12f) %d calls\n", name, table, sched,
               steps, got, want, toy_calls(&t));
        assert_close(got, want, 1e-9, 0);
        assert_int_equal(toy_calls(&t), calls);
        assert_true(calls <= s->calls_per_step * (t.n - 1));
        toy_release(&t);
        checked++;
    }
    fclose(f);
    assert_int_equal(checked, 35);
}

/* Default eta, one start, the reference's torch noise stream: exact trajectories. */
static void
test_seeded_trajectory(void **state)
{
    (void)state;
    FILE *f = toy_ref_open(ANC_REF, "fbw-ref toy_samplers_ancestral 1");
    char line[512], name[64], table[16], sched[16];
    int steps, seed, checked = 0;
    double eta, xt, want;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "traj %63s %15s %15s %d %lf %d %lf %lf", name, table, sched, &steps,
                   &eta, &seed, &xt, &want) != 8)
            continue;
        const struct sampler *s = toy_sampler(name);
        assert_true(s->default_eta == eta);
        struct toy t;
        toy_init(&t, table, sched, steps, s->discard_penultimate);
        double x = toy_start(&t), got;
        assert_close(x, xt, 1e-12, 0);
        toy_run(&t, s, &x, 1, TENSOR_F64, (uint64_t)seed, NAN, NAN, &got);
        printf("  %-23s %-4s %-6s %2d seed %d: %.12f (ref %.12f)\n", name, table, sched, steps,
               seed, got, want);
        assert_close(got, want, 1e-9, 0);
        toy_release(&t);
        checked++;
    }
    fclose(f);
    assert_int_equal(checked, 18);
}

/* Mean and variance over ANC_N starts x_T = start * N(0, 1), in float32. */
static void
anc_moments(const struct sampler *s, const char *table, const char *sched, int steps,
            double eta, double *var_t, double *m, double *v)
{
    struct toy t;
    toy_init(&t, table, sched, steps, s->discard_penultimate);
    *var_t = toy_start(&t) * toy_start(&t);
    toy_moments(&t, s, ANC_N, eta, NAN, m, v);
    toy_release(&t);
}

/* The output's mean is 0 and its variance the one the update rule implies. */
static void
test_distribution(void **state)
{
    (void)state;
    FILE *f = toy_ref_open(ANC_REF, "fbw-ref toy_samplers_ancestral 1");
    char line[512], name[64], table[16], sched[16];
    int steps, checked = 0;
    double eta, var_t, want;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "var %63s %15s %15s %d %lf %lf %lf", name, table, sched, &steps, &eta,
                   &var_t, &want) != 7)
            continue;
        double vt, m, v;
        anc_moments(toy_sampler(name), table, sched, steps, eta, &vt, &m, &v);
        printf("  %-23s %-4s %-6s %2d eta %g over %d starts: mean %+.4f var %.4f (exact 0, "
               "%.4f)\n", name, table, sched, steps, eta, ANC_N, m, v, want);
        assert_close(vt, var_t, 1e-9, 0);
        /* Standard errors of a Gaussian sample: sqrt(v/N) for the mean, v sqrt(2/N) for var. */
        assert_close(m, 0.0, 0, 4.0 * sqrt(want / ANC_N));
        assert_close(v, want, 0, 4.0 * want * sqrt(2.0 / ANC_N));
        checked++;
    }
    fclose(f);
    assert_int_equal(checked, 13);
}

static void
anc_reproducible_on(const struct sampler *s, const char *table)
{
    struct toy t;
    toy_init(&t, table, "normal", 10, s->discard_penultimate);
    double x[16], a[16], b[16], c[16];
    for (int i = 0; i < 16; i++)
        x[i] = (0.1 * i - 0.7) * toy_start(&t);
    toy_run(&t, s, x, 16, TENSOR_F32, 42, NAN, NAN, a);
    toy_run(&t, s, x, 16, TENSOR_F32, 42, NAN, NAN, b);
    toy_run(&t, s, x, 16, TENSOR_F32, 43, NAN, NAN, c);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    toy_release(&t);
}

/* Same seed, same bits; another seed, other values: VE and flow. */
static void
test_reproducible(void **state)
{
    (void)state;
    for (size_t i = 0; i < ANC_COUNT; i++) {
        if (anc_samplers[i]->family == SAMPLER_DETERMINISTIC)
            continue;
        anc_reproducible_on(anc_samplers[i], "dit");
        anc_reproducible_on(anc_samplers[i], "sd3");
    }
}

/* On VE models DDPMSampler_step is the euler_ancestral (eta 1) step: same draws, same x. */
static void
test_ddpm_is_euler_ancestral_on_ve(void **state)
{
    (void)state;
    struct toy t;
    toy_init(&t, "sd1", "karras", 20, 0);
    double x[8], a[8], b[8];
    for (int i = 0; i < 8; i++)
        x[i] = (0.25 * i - 1.0) * toy_start(&t);
    toy_run(&t, &sampler_ddpm, x, 8, TENSOR_F64, 5, NAN, NAN, a);
    toy_run(&t, &sampler_euler_ancestral, x, 8, TENSOR_F64, 5, NAN, NAN, b);
    for (int i = 0; i < 8; i++)
        assert_close(a[i], b[i], 1e-11, 1e-12);
    toy_release(&t);
}

/* sample_res_multistep fixes eta = 0: a user eta changes nothing. */
static void
test_res_multistep_ignores_eta(void **state)
{
    (void)state;
    struct toy t;
    toy_init(&t, "sd1", "karras", 10, 0);
    double x = toy_start(&t), a, b;
    toy_run(&t, &sampler_res_multistep, &x, 1, TENSOR_F64, 1, NAN, NAN, &a);
    toy_run(&t, &sampler_res_multistep, &x, 1, TENSOR_F64, 2, 1.0, NAN, &b);
    assert_memory_equal(&a, &b, sizeof a);
    toy_release(&t);
}

/* lcm with s_noise = 0 only denoises (and, on flow, keeps (1 - s') x): a product of factors. */
static void
test_lcm_s_noise(void **state)
{
    (void)state;
    const char *tables[] = {"sd1", "flux"};
    for (int k = 0; k < 2; k++) {
        struct toy t;
        toy_init(&t, tables[k], "simple", 10, 0);
        const int flow = k == 1;
        double x = toy_start(&t), got, want = x;
        for (int i = 0; i + 1 < t.n; i++) {
            const double s = t.sigmas[i], s_next = t.sigmas[i + 1];
            want *= flow ? (1.0 - s) / ((1.0 - s) * (1.0 - s) + s * s) : 1.0 / (1.0 + s * s);
            if (flow && s_next > 0)
                want *= 1.0 - s_next;
        }
        toy_run(&t, &sampler_lcm, &x, 1, TENSOR_F64, 3, NAN, 0.0, &got);
        assert_close(got, want, 1e-12, 0);
        toy_release(&t);
    }
}

static void
test_descriptors(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum sampler_family family;
        int calls, discard;
        double eta;
    } want[] = {
        {"euler_ancestral", SAMPLER_ANCESTRAL, 1, 0, 1.0},
        {"dpm_2_ancestral", SAMPLER_ANCESTRAL, 2, 1, 1.0},
        {"dpmpp_2s_ancestral", SAMPLER_ANCESTRAL, 2, 0, 1.0},
        {"ddpm", SAMPLER_ANCESTRAL, 1, 0, 0.0},
        {"lcm", SAMPLER_ANCESTRAL, 1, 0, 0.0},
        {"res_multistep", SAMPLER_DETERMINISTIC, 1, 0, 0.0},
        {"res_multistep_ancestral", SAMPLER_ANCESTRAL, 1, 0, 1.0},
    };
    assert_int_equal(sizeof want / sizeof want[0], ANC_COUNT);
    for (size_t i = 0; i < ANC_COUNT; i++) {
        const struct sampler *s = anc_samplers[i];
        assert_string_equal(s->name, want[i].name);
        assert_int_equal(s->family, want[i].family);
        assert_int_equal(s->calls_per_step, want[i].calls);
        assert_int_equal(s->discard_penultimate, want[i].discard);
        assert_true(s->default_eta == want[i].eta);
        assert_non_null(s->summary);
        assert_non_null(s->sample);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptors),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_seeded_trajectory),
        cmocka_unit_test(test_distribution),
        cmocka_unit_test(test_reproducible),
        cmocka_unit_test(test_ddpm_is_euler_ancestral_on_ve),
        cmocka_unit_test(test_res_multistep_ignores_eta),
        cmocka_unit_test(test_lcm_s_noise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
