/*
 * sampler_test.c - samplers on the scalar toy problem with an exact denoiser.
 *
 * Data x0 ~ N(0, 1); the exact denoisers are in tests/toy.c (VE and flow form,
 * shared/reference/sampling.md A.7).  Deterministic samplers run in float64
 * from the eps = 1 start and must land on the values
 * tests/ref/toy_samplers.py computed independently (numpy, float64).
 * Ancestral samplers must be bit-reproducible per seed, and over many seeds
 * their output must follow the data distribution N(0, 1).
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sampler.h"
#include "core/scheduler.h"
#include "tests/toy.h"
#include "util/err.h"

static void
test_toy_reference(void **state)
{
    (void)state;
    FILE *f = fopen("tests/ref/toy_samplers.txt", "r");
    assert_non_null(f);
    char line[512], name[32], beta[32], sched[32];
    int steps, checked = 0;
    double xt, want;
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "toy_samplers"));
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "toy %31s %31s %31s %d %lf %lf", name, beta, sched, &steps, &xt,
                   &want) != 6)
            continue;
        struct toy t;
        /* The file names EPS tables by beta schedule and flow tables by tag. */
        const char *table = strcmp(beta, "linear") == 0 ? "dit"
                          : strcmp(beta, "scaled_linear") == 0 ? "sd1" : beta;
        toy_init(&t, table, sched, steps, 0);
        double x_start = toy_start(&t), got;
        assert_close(x_start, xt, 1e-10, 0);
        toy_run(&t, sampler_find(name), &x_start, 1, TENSOR_F64, 0, NAN, NAN, &got);
        printf("  %-9s %-13s %-7s %2d steps: %.12f (ref %.12f)\n", name, beta, sched, steps, got,
               want);
        assert_close(got, want, 1e-9, 0);
        /* Calls per run: N for one-call samplers, 2N - 1 for heun. */
        int expect_calls = strcmp(name, "heun") == 0 ? 2 * steps - 1 : steps;
        assert_int_equal(toy_calls(&t), expect_calls);
        toy_release(&t);
        checked++;
    }
    fclose(f);
    assert_true(checked >= 24);
}

/* The A.7 value quoted in the reference text itself (independent of our script). */
static void
test_reference_text_value(void **state)
{
    (void)state;
    struct toy t;
    toy_init(&t, "sd1", "karras", 10, 0);
    double x_start = toy_start(&t), got;
    toy_run(&t, sampler_find("euler"), &x_start, 1, TENSOR_F64, 0, NAN, NAN, &got);
    assert_close(got, 0.844542025, 0, 2e-9);
    toy_release(&t);
}

#define TOY_N 20000

/* Mean and variance of euler_ancestral over TOY_N independent starts. */
static void
toy_ancestral_moments(const char *beta, const char *sched, int steps, double *m, double *v)
{
    struct toy t;
    toy_init(&t, strcmp(beta, "linear") == 0 ? "dit" : "sd1", sched, steps, 0);
    toy_moments(&t, sampler_find("euler_ancestral"), TOY_N, NAN, NAN, m, v);
    toy_release(&t);
}

/*
 * The output follows the distribution the update rule implies: mean 0 and
 * the variance tests/ref/toy_ancestral.py derives exactly by recursion (it
 * is below 1 because of the discretisation, about 0.69 for karras(30)).
 */
static void
test_ancestral_distribution(void **state)
{
    (void)state;
    FILE *f = fopen("tests/ref/toy_ancestral.txt", "r");
    assert_non_null(f);
    char line[256], beta[32], sched[32];
    int steps, checked = 0;
    double want;
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "var euler_ancestral %31s %31s %d %lf", beta, sched, &steps, &want) != 4)
            continue;
        double m, v;
        toy_ancestral_moments(beta, sched, steps, &m, &v);
        printf("  euler_ancestral %s %s(%d) over %d starts: mean %.4f var %.4f (exact 0, %.4f)\n",
               beta, sched, steps, TOY_N, m, v, want);
        /* Standard errors: sqrt(v/N) ~ 0.006 for the mean, v*sqrt(2/N) ~ 0.007 for var. */
        assert_close(m, 0.0, 0, 0.03);
        assert_close(v, want, 0, 0.03);
        checked++;
    }
    fclose(f);
    assert_int_equal(checked, 2);
}

static void
test_ancestral_reproducible(void **state)
{
    (void)state;
    struct toy t;
    toy_init(&t, "dit", "normal", 10, 0);
    double x[16], a[16], b[16], c[16];
    for (int i = 0; i < 16; i++)
        x[i] = 0.1 * i - 0.7;
    const struct sampler *ea = sampler_find("euler_ancestral");
    toy_run(&t, ea, x, 16, TENSOR_F32, 42, NAN, NAN, a);
    toy_run(&t, ea, x, 16, TENSOR_F32, 42, NAN, NAN, b);
    toy_run(&t, ea, x, 16, TENSOR_F32, 43, NAN, NAN, c);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    toy_release(&t);
}

static void
test_registry(void **state)
{
    (void)state;
    assert_non_null(sampler_find("dpmpp_2m"));
    assert_null(sampler_find("dpmpp2m"));
    assert_string_equal(sampler_closest("dpmpp2m"), "dpmpp_2m");
    assert_string_equal(sampler_closest("eulr"), "euler");
    assert_int_equal(sampler_find("heun")->calls_per_step, 2);
    assert_int_equal(sampler_find("euler_ancestral")->family, SAMPLER_ANCESTRAL);
    for (size_t i = 0; i < sampler_count; i++)
        assert_ptr_equal(sampler_find(sampler_registry[i]->name), sampler_registry[i]);
    /* Issue 3's catalogue: ComfyUI's names (shared/reference/sampling.md A.5). */
    static const char *const comfy[] = {
        "euler", "euler_ancestral", "heun", "heunpp2", "dpm_2", "dpm_2_ancestral", "lms",
        "dpmpp_2s_ancestral", "dpmpp_sde", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_2m_sde_heun",
        "dpmpp_3m_sde", "ddpm", "lcm", "ipndm", "ipndm_v", "deis", "res_multistep",
        "res_multistep_ancestral", "gradient_estimation", "ddim", "uni_pc", "uni_pc_bh2",
    };
    assert_int_equal(sampler_count, sizeof comfy / sizeof comfy[0]);
    for (size_t i = 0; i < sizeof comfy / sizeof comfy[0]; i++)
        if (sampler_find(comfy[i]) == NULL)
            fail_msg("sampler '%s' is not registered", comfy[i]);
    /* KSampler drops the penultimate sigma for exactly these four. */
    for (size_t i = 0; i < sampler_count; i++) {
        const char *n = sampler_registry[i]->name;
        int want = strcmp(n, "dpm_2") == 0 || strcmp(n, "dpm_2_ancestral") == 0 ||
                   strcmp(n, "uni_pc") == 0 || strcmp(n, "uni_pc_bh2") == 0;
        assert_int_equal(sampler_registry[i]->discard_penultimate, want);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toy_reference),
        cmocka_unit_test(test_reference_text_value),
        cmocka_unit_test(test_ancestral_distribution),
        cmocka_unit_test(test_ancestral_reproducible),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
