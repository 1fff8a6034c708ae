/*
 * sampler_ode_test.c - ComfyUI's deterministic higher-order samplers on the scalar toy
 * problem: heunpp2, dpm_2, lms, ipndm, ipndm_v, deis, ddim, gradient_estimation.
 *
 * Data x0 ~ N(0, 1) with the exact denoiser (shared/reference/sampling.md A.7; harness in
 * tests/toy.c), VE tables ("sd1", "dit") and flow tables ("sd3", "flux").  From the eps = 1
 * start each sampler runs in float64, on the schedule recorded in
 * tests/ref/toy_samplers_ode.txt, and must land on the value tests/ref/toy_samplers_ode.py
 * computed independently (numpy/scipy, float64) at rtol 1e-9, with the model-call count the
 * script counted.  None of these samplers draws noise (heunpp2 included: ComfyUI's unused
 * randn_like is not reproduced), so the seed must not change a bit of the output.  The
 * samplers are reached directly through their descriptors.
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/sampler.h"
#include "tests/toy.h"

extern const struct sampler sampler_euler;
extern const struct sampler sampler_heunpp2;
extern const struct sampler sampler_dpm_2;
extern const struct sampler sampler_lms;
extern const struct sampler sampler_ipndm;
extern const struct sampler sampler_ipndm_v;
extern const struct sampler sampler_deis;
extern const struct sampler sampler_ddim;
extern const struct sampler sampler_gradient_estimation;

static const struct sampler *const ode_samplers[] = {
    &sampler_heunpp2, &sampler_dpm_2, &sampler_lms, &sampler_ipndm, &sampler_ipndm_v,
    &sampler_deis, &sampler_ddim, &sampler_gradient_estimation,
};
#define ODE_COUNT (sizeof ode_samplers / sizeof ode_samplers[0])

static const struct sampler *
ode_find(const char *name)
{
    for (size_t i = 0; i < ODE_COUNT; i++)
        if (strcmp(ode_samplers[i]->name, name) == 0)
            return ode_samplers[i];
    fail_msg("no sampler '%s' in this test", name);
    return NULL;
}

#define ODE_MAX_SIGMAS 64

/* One reference record: "toy <sampler> <table> <sched> <steps> <x_T> <x0> <calls> <n>
 * <sigma_0> ... <sigma_n-1>". */
struct ode_case {
    char name[32], table[32], sched[32];
    int steps, calls, n;
    double xt, want, sigmas[ODE_MAX_SIGMAS];
};

/* Reads a record from line into c; 0 when the line is not a record. */
static int
ode_parse(const char *line, struct ode_case *c)
{
    int used = 0;
    if (sscanf(line, "toy %31s %31s %31s %d %lf %lf %d %d%n", c->name, c->table, c->sched,
               &c->steps, &c->xt, &c->want, &c->calls, &c->n, &used) != 8)
        return 0;
    assert_in_range(c->n, 2, ODE_MAX_SIGMAS);
    const char *p = line + used;
    for (int k = 0; k < c->n; k++) {
        char *end;
        c->sigmas[k] = strtod(p, &end);
        assert_true(end != p);
        p = end;
    }
    return 1;
}

/*
 * The sampler runs on the record's own schedule, so this test depends on the scheduler and
 * the model-sampling tables only through a loose check (their own tests hold them to
 * ComfyUI's float32 values).
 */
static void
ode_run_case(const struct ode_case *c, const struct sampler *smp, double *worst)
{
    struct toy t;
    toy_init(&t, c->table, c->sched, c->steps, smp->discard_penultimate);
    assert_int_equal(t.n, c->n);
    for (int k = 0; k < c->n; k++) {
        assert_close(t.sigmas[k], c->sigmas[k], 1e-6, 0);
        t.sigmas[k] = c->sigmas[k];
    }
    double x_start = toy_start(&t), got;
    assert_close(x_start, c->xt, 1e-15, 0);
    toy_run(&t, smp, &x_start, 1, TENSOR_F64, 0, NAN, NAN, &got);
    printf("  %-19s %-4s %-6s %2d steps: %.15f (ref %.15f, %2d calls)\n", c->name, c->table,
           c->sched, c->steps, got, c->want, toy_calls(&t));
    assert_close(got, c->want, 1e-9, 0);
    assert_int_equal(toy_calls(&t), c->calls);
    assert_true(c->calls <= smp->calls_per_step * c->steps);
    *worst = fmax(*worst, fabs(got - c->want) / fabs(c->want));
    toy_release(&t);
}

static void
test_toy_reference(void **state)
{
    (void)state;
    FILE *f = fopen("tests/ref/toy_samplers_ode.txt", "r");
    assert_non_null(f);
    char line[4096];
    int checked = 0, per_sampler[ODE_COUNT] = {0};
    double worst = 0;
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "fbw-ref toy_samplers_ode 1\n");
    while (fgets(line, sizeof line, f) != NULL) {
        struct ode_case c;
        if (!ode_parse(line, &c))
            continue;
        const struct sampler *smp = ode_find(c.name);
        ode_run_case(&c, smp, &worst);
        for (size_t i = 0; i < ODE_COUNT; i++)
            per_sampler[i] += ode_samplers[i] == smp;
        checked++;
    }
    fclose(f);
    printf("  %d runs, worst relative difference %.2e\n", checked, worst);
    /* Every sampler on 4 VE and 4 flow cases. */
    for (size_t i = 0; i < ODE_COUNT; i++)
        assert_int_equal(per_sampler[i], 8);
}

static void
test_descriptors(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int calls, discard;
    } want[] = {
        {"heunpp2", 3, 0}, {"dpm_2", 2, 1}, {"lms", 1, 0}, {"ipndm", 1, 0},
        {"ipndm_v", 1, 0}, {"deis", 1, 0}, {"ddim", 1, 0}, {"gradient_estimation", 1, 0},
    };
    for (size_t i = 0; i < ODE_COUNT; i++) {
        const struct sampler *s = ode_samplers[i];
        assert_string_equal(s->name, want[i].name);
        assert_non_null(s->summary);
        assert_int_equal(s->family, SAMPLER_DETERMINISTIC);
        assert_int_equal(s->calls_per_step, want[i].calls);
        assert_int_equal(s->discard_penultimate, want[i].discard);
        assert_true(s->default_eta == 0.0);
        assert_non_null(s->sample);
    }
}

/* ComfyUI's "ddim" is Euler: the same bits, in float32 and float64, VE and flow. */
static void
test_ddim_is_euler(void **state)
{
    (void)state;
    static const char *const tables[] = {"sd1", "sd3"};
    double x[8], a[8], b[8];
    for (int k = 0; k < 8; k++)
        x[k] = 0.37 * k - 1.1;
    for (size_t ti = 0; ti < 2; ti++) {
        struct toy t;
        toy_init(&t, tables[ti], "karras", 12, 0);
        for (int f64 = 0; f64 < 2; f64++) {
            enum tensor_dtype dt = f64 ? TENSOR_F64 : TENSOR_F32;
            toy_run(&t, &sampler_ddim, x, 8, dt, 1, NAN, NAN, a);
            toy_run(&t, &sampler_euler, x, 8, dt, 1, NAN, NAN, b);
            assert_memory_equal(a, b, sizeof a);
        }
        toy_release(&t);
    }
}

/* No sampler here draws noise: another seed gives the same bits (float32, a batch). */
static void
test_seed_independent(void **state)
{
    (void)state;
    double x[16], a[16], b[16];
    for (int k = 0; k < 16; k++)
        x[k] = 0.1 * k - 0.7;
    for (size_t i = 0; i < ODE_COUNT; i++) {
        struct toy t;
        toy_init(&t, "dit", "normal", 10, ode_samplers[i]->discard_penultimate);
        toy_run(&t, ode_samplers[i], x, 16, TENSOR_F32, 42, NAN, NAN, a);
        toy_run(&t, ode_samplers[i], x, 16, TENSOR_F32, 43, NAN, NAN, b);
        assert_memory_equal(a, b, sizeof a);
        for (int k = 0; k < 16; k++)
            assert_true(isfinite(a[k]));
        toy_release(&t);
    }
}

/* Short schedules: one step (every sampler's last-step branch alone) and two or three
 * steps (heunpp2's Heun and Heun++ branches, multistep warm-up), against the linear map
 * the toy problem implies (the output is a * x_T: a batch of x_T and 2 x_T must scale). */
static void
test_short_schedules(void **state)
{
    (void)state;
    for (size_t i = 0; i < ODE_COUNT; i++) {
        for (int steps = 1; steps <= 3; steps++) {
            struct toy t;
            toy_init(&t, "sd1", "karras", steps, ode_samplers[i]->discard_penultimate);
            double x[2] = {toy_start(&t), 2.0 * toy_start(&t)}, y[2];
            toy_run(&t, ode_samplers[i], x, 2, TENSOR_F64, 0, NAN, NAN, y);
            assert_true(isfinite(y[0]));
            assert_close(y[1], 2.0 * y[0], 1e-14, 0);
            assert_true(toy_calls(&t) >= 1);
            assert_true(toy_calls(&t) <= ode_samplers[i]->calls_per_step * steps);
            toy_release(&t);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toy_reference),
        cmocka_unit_test(test_descriptors),
        cmocka_unit_test(test_ddim_is_euler),
        cmocka_unit_test(test_seed_independent),
        cmocka_unit_test(test_short_schedules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
