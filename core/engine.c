/*
 * engine.c - one generation, following ComfyUI's KSampler (see engine.h).
 */
#include "core/engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/denoiser.h"
#include "core/sampler.h"
#include "core/scheduler.h"
#include "util/clock.h"
#include "util/err.h"

int
engine_model_sampling(const struct model_config *cfg, struct model_sampling *ms, char **cause)
{
    if (strcmp(cfg->prediction, "flow") == 0)
        return model_sampling_init_flow(ms, cfg->shift, cfg->multiplier, cfg->num_timesteps,
                                        cause);
    int beta = model_sampling_beta_from_name(cfg->beta_schedule);
    if (beta < 0)
        return err_set(cause, "unknown beta_schedule '%s'", cfg->beta_schedule);
    return model_sampling_init_discrete(ms, (enum model_sampling_beta)beta, cfg->beta_start,
                                        cfg->beta_end, cfg->num_timesteps, cause);
}

int
engine_check_params(const struct model *m, const struct engine_params *p, char **cause)
{
    const struct model_config *cfg = model_config(m);
    if (sampler_find(p->sampler) == NULL)
        return err_set(cause, "unknown sampler '%s' (did you mean '%s'?)", p->sampler,
                       sampler_closest(p->sampler));
    if (scheduler_find(p->scheduler) == NULL)
        return err_set(cause, "unknown scheduler '%s' (did you mean '%s'?)", p->scheduler,
                       scheduler_closest(p->scheduler));
    const char *policy = p->cache_policy ? p->cache_policy : "fbcache";
    if (cache_policy_find(policy) == NULL)
        return err_set(cause, "unknown cache policy '%s'", policy);
    if (p->steps < 1 || p->steps > SCHEDULER_MAX_STEPS)
        return err_set(cause, "steps must be in [1, %d], not %d", SCHEDULER_MAX_STEPS,
                       p->steps);
    if (p->label < 0 || p->label > cfg->num_classes)
        return err_set(cause, "class %lld is outside [0, %d] (%d = the null class)",
                       (long long)p->label, cfg->num_classes, cfg->num_classes);
    if (!isfinite(p->cfg))
        return err_set(cause, "cfg must be a finite number");
    if (!(p->denoise >= 0 && p->denoise <= 1))
        return err_set(cause, "denoise must be in (0, 1], not %g", p->denoise);
    if (!isnan(p->eta) && !(p->eta >= 0))
        return err_set(cause, "eta must be >= 0, not %g", p->eta);
    if (!isnan(p->s_noise) && !(p->s_noise >= 0))
        return err_set(cause, "s_noise must be >= 0, not %g", p->s_noise);
    return 0;
}

/* KSampler.calculate_sigmas: for the samplers that ask, one step more and the penultimate
 * value dropped. */
static int
engine_calculate_sigmas(const struct engine_params *p, const struct sampler *smp,
                        const struct model_sampling *ms, int steps, struct engine_result *out,
                        char **cause)
{
    const struct scheduler *sch = scheduler_find(p->scheduler);
    steps += smp->discard_penultimate;
    if (scheduler_sigmas(sch, ms, steps, &out->sigmas, &out->nsigmas, cause) < 0)
        return -1;
    if (smp->discard_penultimate && out->nsigmas >= 3) {
        out->sigmas[out->nsigmas - 2] = out->sigmas[out->nsigmas - 1];
        out->nsigmas--;
    }
    return 0;
}

/* KSampler.set_steps: with denoise < 1, the last steps+1 sigmas of int(steps / denoise). */
static int
engine_sigmas(const struct engine_params *p, const struct sampler *smp,
              const struct model_sampling *ms, struct engine_result *out, char **cause)
{
    if (p->denoise == 0 || p->denoise > 0.9999)
        return engine_calculate_sigmas(p, smp, ms, p->steps, out, cause);
    int new_steps = (int)(p->steps / p->denoise);
    if (new_steps > SCHEDULER_MAX_STEPS)
        return err_set(cause, "steps / denoise = %d exceeds %d", new_steps, SCHEDULER_MAX_STEPS);
    if (engine_calculate_sigmas(p, smp, ms, new_steps, out, cause) < 0)
        return -1;
    int keep = p->steps + 1 < out->nsigmas ? p->steps + 1 : out->nsigmas;
    memmove(out->sigmas, out->sigmas + (out->nsigmas - keep), (size_t)keep * sizeof *out->sigmas);
    out->nsigmas = keep;
    return 0;
}

/* ComfyUI noise_scaling with an empty latent: EPS noise * sqrt(1 + s0^2) on a full denoise,
 * else noise * s0; CONST s0 * noise + (1 - s0) * 0. */
static struct tensor *
engine_initial_x(struct tensor_scope *s, struct tensor_gen *gen, const struct model_config *cfg,
                 const struct model_sampling *ms, double sigma0, enum tensor_device dev)
{
    const int64_t shape[4] = {1, cfg->in_channels, cfg->input_size, cfg->input_size};
    struct tensor *noise = tensor_to(s, tensor_randn(s, gen, 4, shape), TENSOR_F32, dev);
    if (model_sampling_is_const(ms))
        return tensor_mul_scalar(s, noise, sigma0);
    int max_denoise = fabs(ms->sigma_max - sigma0) <= 1e-5 * fmax(fabs(ms->sigma_max),
                                                                  fabs(sigma0)) ||
                      sigma0 > ms->sigma_max;
    double k = max_denoise ? sqrt(1.0 + sigma0 * sigma0) : sigma0;
    return tensor_mul_scalar(s, noise, k);
}

/* Everything a run holds, released in one place. */
struct engine_run {
    struct model_sampling ms;
    struct cache *cache;
    struct denoiser *den;
    struct tensor_gen *gen_init, *gen_step;
    struct tensor_scope *scope;
};

static void
engine_run_release(struct engine_run *run)
{
    tensor_scope_free(run->scope);
    tensor_gen_free(run->gen_step);
    tensor_gen_free(run->gen_init);
    denoiser_free(run->den);
    cache_free(run->cache);
    model_sampling_release(&run->ms);
}

static int
engine_read_output(struct engine_run *run, struct tensor *x, struct engine_result *out,
                   char **cause)
{
    for (int d = 0; d < 4; d++)
        out->shape[d] = tensor_dim(x, d);
    size_t n = (size_t)tensor_numel(x);
    out->x0 = xmalloc(n * sizeof *out->x0);
    if (tensor_read_f32(run->scope, x, out->x0, n) < 0)
        return err_set(cause, "%s", tensor_scope_error(run->scope));
    return 0;
}

int
engine_generate(struct model *m, const struct engine_params *p, struct engine_result *out,
                char **cause)
{
    memset(out, 0, sizeof *out);
    trace_init(&out->trace);
    out->dtype = model_dtype(m);
    out->trace.dtype = tensor_dtype_name(out->dtype);
    out->peak_device_bytes = -1;
    if (engine_check_params(m, p, cause) < 0)
        return -1;
    /* A new high-water window for this generation (weights loaded earlier count as resident). */
    tensor_device_peak_bytes(model_device(m), 1);
    struct usage u0, u1;
    usage_now(&u0);
    const double t0 = clock_now();
    const struct sampler *smp = sampler_find(p->sampler);
    struct engine_run run = {0};
    int rc = -1;
    if (engine_model_sampling(model_config(m), &run.ms, cause) < 0 ||
        engine_sigmas(p, smp, &run.ms, out, cause) < 0)
        goto out;
    run.cache = cache_new(cache_policy_find(p->cache_policy ? p->cache_policy : "fbcache"),
                          &p->cache, &run.ms, cause);
    if (run.cache == NULL)
        goto out;
    cache_reset(run.cache);
    run.den = denoiser_new(&(struct denoiser_params){
        .model = m, .ms = &run.ms, .cache = run.cache, .trace = &out->trace,
        .cfg = p->cfg, .label = p->label,
    });
    run.scope = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    if ((run.gen_init = tensor_gen_new(p->seed, TENSOR_CPU, cause)) == NULL ||
        (run.gen_step = tensor_gen_new(p->seed, TENSOR_CPU, cause)) == NULL)
        goto out;
    struct tensor *x = engine_initial_x(run.scope, run.gen_init, model_config(m), &run.ms,
                                        out->sigmas[0], model_device(m));
    struct sampler_params sp = {
        .ms = &run.ms, .noise = run.gen_step, .eta = p->eta, .s_noise = p->s_noise,
        .on_step = p->on_step, .ctx = p->ctx,
    };
    x = sampler_run(smp, run.den, &sp, out->sigmas, out->nsigmas, x, run.scope, cause);
    /* inverse_noise_scaling: CONST divides by (1 - sigma_last); EPS is the identity. */
    double last = out->sigmas[out->nsigmas - 1];
    if (last == 0 && smp->final_sigma_floor > 0)
        last = smp->final_sigma_floor;
    if (x != NULL && model_sampling_is_const(&run.ms) && last != 1.0)
        x = tensor_mul_scalar(run.scope, x, 1.0 / (1.0 - last));
    if (x == NULL || engine_read_output(&run, x, out, cause) < 0)
        goto out;
    out->calls = denoiser_calls(run.den);
    out->call_seconds = denoiser_call_seconds(run.den);
    out->timer = denoiser_timer_kind(run.den);
    out->wall_seconds = clock_now() - t0;
    out->peak_device_bytes = tensor_device_peak_bytes(model_device(m), 0);
    usage_now(&u1);
    usage_diff(&u0, &u1, &out->usage);
    rc = 0;
out:
    engine_run_release(&run);
    if (rc < 0)
        engine_result_release(out);
    return rc;
}

size_t
engine_result_numel(const struct engine_result *r)
{
    int64_t n = 1;
    for (int i = 0; i < 4; i++)
        n *= r->shape[i];
    return (size_t)n;
}

void
engine_result_release(struct engine_result *r)
{
    free(r->x0);
    free(r->sigmas);
    trace_release(&r->trace);
    memset(r, 0, sizeof *r);
}
