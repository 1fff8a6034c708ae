/*
 * sampler_ddpm.c - DDPM ancestral sampling; matches ComfyUI comfy/k_diffusion/sampling.py
 * sample_ddpm (generic_step_sampler with DDPMSampler_step).
 *
 * Each step works in variance-preserving space: with alpha_cumprod(sigma) = 1/(1 + sigma^2),
 * x_vp = x / sqrt(1 + sigma_i^2), eps = (x - D)/sigma_i and a = ac_i / ac_{i+1},
 *   mu = sqrt(1/a) (x_vp - (1 - a) eps / sqrt(1 - ac_i))
 *        + sqrt((1 - a)(1 - ac_{i+1}) / (1 - ac_i)) noise        (when sigma_{i+1} > 0)
 * and x = mu sqrt(1 + sigma_{i+1}^2) (mu itself when sigma_{i+1} = 0, where mu = D).  On VE
 * models this is the same update as euler_ancestral at eta 1.  ComfyUI has no CONST form: flow
 * models get the same VP formulas.  No eta and no s_noise.  1 model call and 1 noise draw per
 * step (none on the last).
 */
#include "core/sampler_impl.h"

#include <math.h>

static struct tensor *
ddpm_step(struct sampler_run *r, struct tensor *x, struct tensor *den, double s, double s_next)
{
    struct tensor *x_vp = tensor_div_scalar(r->cur, x, sqrt(1.0 + s * s));
    struct tensor *eps = sampler_to_d(r, x, den, s);
    const double ac = 1.0 / (s * s + 1.0), ac_next = 1.0 / (s_next * s_next + 1.0);
    const double a = ac / ac_next, k = sqrt(1.0 / a);
    struct tensor *mu = tensor_axpby(r->cur, k, x_vp, -k * (1.0 - a) / sqrt(1.0 - ac), eps);
    if (s_next > 0) {
        const double c = sqrt((1.0 - a) * (1.0 - ac_next) / (1.0 - ac));
        mu = tensor_axpby(r->cur, 1.0, mu, c, sampler_noise(r, mu));
    }
    if (s_next != 0)
        mu = tensor_mul_scalar(r->cur, mu, sqrt(1.0 + s_next * s_next));
    return mu;
}

static struct tensor *
ddpm_sample(struct sampler_run *r, struct tensor *x)
{
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        x = ddpm_step(r, x, sampler_denoise(r, x, s), s, s_next);
    }
    return x;
}

const struct sampler sampler_ddpm = {
    .name = "ddpm",
    .summary = "DDPM ancestral sampling (in variance-preserving space)",
    .family = SAMPLER_ANCESTRAL,
    .calls_per_step = 1,
    .sample = ddpm_sample,
};
