/*
 * sampler_euler_ancestral.c - Euler ancestral (k-diffusion
 * sample_euler_ancestral; eta 1, s_noise 1 by default).  VE: an Euler step
 * down to sigma_down, then fresh noise of size sigma_up; the step with
 * sigma_down = 0 returns D.  CONST (flow) models take ComfyUI's
 * sample_euler_ancestral_RF instead: interpolate towards D down to
 * sigma_down = sigma_{i+1} (1 + (sigma_{i+1}/sigma_i - 1) eta), rescale by
 * alpha_{i+1}/alpha_down and renoise.  1 model call and 1 noise draw per step.
 */
#include "core/sampler_impl.h"

extern const struct sampler sampler_euler_ancestral;

static struct tensor *
euler_ancestral_ve(struct sampler_run *r, struct tensor *x, struct tensor *den, int i,
                   double eta)
{
    const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
    double down, up;
    sampler_ancestral_step(s, s_next, eta, &down, &up);
    if (down == 0)
        return den;
    struct tensor *d = sampler_to_d(r, x, den, s);
    x = tensor_axpby(r->cur, 1.0, x, down - s, d);
    return tensor_axpby(r->cur, 1.0, x, sampler_s_noise(r) * up, sampler_noise(r, x));
}

static struct tensor *
euler_ancestral_rf(struct sampler_run *r, struct tensor *x, struct tensor *den, int i,
                   double eta)
{
    const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
    if (s_next == 0)
        return den;
    const double down = sampler_rf_down(s, s_next, eta), ratio = down / s;
    x = tensor_axpby(r->cur, ratio, x, 1.0 - ratio, den);
    return eta > 0 ? sampler_rf_renoise(r, x, s_next, down) : x;
}

static struct tensor *
euler_ancestral_sample(struct sampler_run *r, struct tensor *x)
{
    const double eta = sampler_eta(r, &sampler_euler_ancestral);
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, r->sigmas[i]);
        x = sampler_is_const(r) ? euler_ancestral_rf(r, x, den, i, eta)
                                : euler_ancestral_ve(r, x, den, i, eta);
    }
    return x;
}

const struct sampler sampler_euler_ancestral = {
    .name = "euler_ancestral",
    .summary = "Euler with ancestral noise (eta 1); the RF form on flow models",
    .family = SAMPLER_ANCESTRAL,
    .calls_per_step = 1,
    .default_eta = 1.0,
    .sample = euler_ancestral_sample,
};
