/* toy.c - see toy.h. */
#include "tests/toy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/scheduler.h"
#include "tests/support.h"
#include "util/err.h"

static struct tensor *
toy_denoise_ve(void *ctx, struct tensor_scope *s, struct tensor *x, double sigma)
{
    (void)ctx;
    return tensor_mul_scalar(s, x, 1.0 / (1.0 + sigma * sigma));
}

static struct tensor *
toy_denoise_const(void *ctx, struct tensor_scope *s, struct tensor *x, double sigma)
{
    (void)ctx;
    double a = 1.0 - sigma;
    return tensor_mul_scalar(s, x, a / (a * a + sigma * sigma));
}

static void
toy_table(struct model_sampling *ms, const char *table)
{
    char *cause = NULL;
    int rc = -1;
    if (strcmp(table, "sd1") == 0)
        rc = model_sampling_init_discrete(ms, MODEL_SAMPLING_BETA_SCALED_LINEAR, 0, 0, 1000,
                                          &cause);
    else if (strcmp(table, "dit") == 0)
        rc = model_sampling_init_discrete(ms, MODEL_SAMPLING_BETA_LINEAR, 0, 0, 1000, &cause);
    else if (strcmp(table, "sd3") == 0)
        rc = model_sampling_init_flow(ms, 3.0, 1000.0, 1000, &cause);
    else if (strcmp(table, "flux") == 0)
        rc = model_sampling_init_flux(ms, 1.15, &cause);
    else
        fail_msg("unknown toy table '%s'", table);
    if (rc != 0)
        fail_msg("%s", cause);
}

void
toy_init(struct toy *t, const char *table, const char *scheduler, int steps,
         int discard_penultimate)
{
    memset(t, 0, sizeof *t);
    toy_table(&t->ms, table);
    char *cause = NULL;
    const struct scheduler *sch = scheduler_find(scheduler);
    if (sch == NULL)
        fail_msg("unknown scheduler '%s'", scheduler);
    if (scheduler_sigmas(sch, &t->ms, steps + (discard_penultimate != 0), &t->sigmas, &t->n,
                         &cause) != 0)
        fail_msg("%s", cause);
    if (discard_penultimate && t->n >= 3) {
        t->sigmas[t->n - 2] = t->sigmas[t->n - 1];
        t->n--;
    }
    trace_init(&t->trace);
    t->d = denoiser_new(&(struct denoiser_params){
        .ms = &t->ms, .trace = &t->trace, .cfg = 1.0,
        .exact = model_sampling_is_const(&t->ms) ? toy_denoise_const : toy_denoise_ve});
    t->s = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
}

void
toy_release(struct toy *t)
{
    tensor_scope_free(t->s);
    denoiser_free(t->d);
    trace_release(&t->trace);
    free(t->sigmas);
    model_sampling_release(&t->ms);
}

double
toy_start(const struct toy *t)
{
    double s0 = t->sigmas[0];
    return model_sampling_is_const(&t->ms) ? s0 : sqrt(1.0 + s0 * s0);
}

void
toy_run(struct toy *t, const struct sampler *smp, const double *x0, int N,
        enum tensor_dtype dtype, uint64_t seed, double eta, double s_noise, double *out)
{
    char *cause = NULL;
    trace_reset(&t->trace);
    struct tensor *x = tensor_from_data(t->s, x0, TENSOR_F64, 4, (int64_t[]){N, 1, 1, 1},
                                        TENSOR_CPU);
    x = tensor_to(t->s, x, dtype, TENSOR_CPU);
    struct tensor_gen *g = tensor_gen_new(seed, TENSOR_CPU, &cause);
    struct sampler_params p = {.ms = &t->ms, .noise = g, .eta = eta, .s_noise = s_noise};
    struct tensor *y = sampler_run(smp, t->d, &p, t->sigmas, t->n, x, t->s, &cause);
    if (y == NULL)
        fail_msg("%s: %s", smp->name, cause);
    struct tensor *y64 = tensor_to(t->s, y, TENSOR_F64, TENSOR_CPU);
    if (tensor_read_bytes(t->s, y64, out, (size_t)N * sizeof *out) != 0)
        fail_msg("%s: %s", smp->name, tensor_scope_error(t->s));
    tensor_gen_free(g);
    tensor_scope_reset(t->s);
}

void
toy_moments(struct toy *t, const struct sampler *smp, int N, double eta, double s_noise,
            double *mean, double *var)
{
    double *x = xmalloc((size_t)N * sizeof *x), *y = xmalloc((size_t)N * sizeof *y);
    char *cause = NULL;
    struct tensor_gen *g = tensor_gen_new(123, TENSOR_CPU, &cause);
    struct tensor *e = tensor_to(t->s, tensor_randn(t->s, g, 1, (int64_t[]){N}), TENSOR_F64,
                                 TENSOR_CPU);
    if (tensor_read_bytes(t->s, e, x, (size_t)N * sizeof *x) != 0)
        fail_msg("%s", tensor_scope_error(t->s));
    for (int i = 0; i < N; i++)
        x[i] *= toy_start(t);
    toy_run(t, smp, x, N, TENSOR_F32, 7, eta, s_noise, y);
    double m = 0, v = 0;
    for (int i = 0; i < N; i++)
        m += y[i] / N;
    for (int i = 0; i < N; i++)
        v += (y[i] - m) * (y[i] - m) / (N - 1);
    *mean = m;
    *var = v;
    tensor_gen_free(g);
    free(x);
    free(y);
}

const struct sampler *
toy_sampler(const char *name)
{
    const struct sampler *s = sampler_find(name);
    if (s == NULL)
        fail_msg("no sampler '%s' in the registry", name);
    return s;
}

FILE *
toy_ref_open(const char *path, const char *magic)
{
    char line[256];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        fail_msg("cannot open %s (tests run from the repository root)", path);
    if (fgets(line, sizeof line, f) == NULL || strstr(line, magic) == NULL)
        fail_msg("%s does not start with '%s'", path, magic);
    return f;
}

int
toy_calls(const struct toy *t)
{
    return (int)t->trace.count;
}
