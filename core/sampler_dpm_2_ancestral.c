/*
 * sampler_dpm_2_ancestral.c - DPM-Solver-2 with ancestral noise; matches ComfyUI
 * comfy/k_diffusion/sampling.py sample_dpm_2_ancestral (eta 1, s_noise 1 by default) and, on
 * CONST (flow) models, sample_dpm_2_ancestral_RF.
 *
 * Each step takes a midpoint step from sigma_i down to sigma_down (the midpoint is the geometric
 * mean sqrt(sigma_i sigma_down), where the second model call happens), then renoises to
 * sigma_{i+1}:
 *   VE:    (sigma_down, sigma_up) = get_ancestral_step; x += s_noise sigma_up noise.
 *   CONST: sigma_down = sigma_{i+1} (1 + (sigma_{i+1}/sigma_i - 1) eta);
 *          x = (alpha_{i+1}/alpha_down) x + s_noise c noise, alpha = 1 - sigma,
 *          c = sqrt(sigma_{i+1}^2 - sigma_down^2 alpha_{i+1}^2 / alpha_down^2).
 * A step with sigma_down = 0 (the last) is an Euler step to 0 (x = D) without noise.
 * 2 model calls and 1 noise draw per step, 1 call on the last; KSampler drops the penultimate
 * sigma for this sampler.
 *
 * With eta = 0 no noise is drawn (ComfyUI draws and multiplies by 0; its RF branch can even
 * turn that 0 into NaN, as sqrt of a coefficient rounded 1 ulp below 0).
 */
#include "core/sampler_impl.h"

#include <math.h>

extern const struct sampler sampler_dpm_2_ancestral;

/* exp(torch.lerp(log a, log b, 0.5)): torch's lerp for weight >= 0.5 is b - (b - a)(1 - w). */
static double
dpm_2_ancestral_mid(double a, double b)
{
    const double la = log(a), lb = log(b);
    return exp(lb - (lb - la) * 0.5);
}

/* The deterministic part: DPM-Solver-2 from sigma s down to `down` (Euler when down = 0). */
static struct tensor *
dpm_2_ancestral_solve(struct sampler_run *r, struct tensor *x, struct tensor *den, double s,
                      double down)
{
    struct tensor *d = sampler_to_d(r, x, den, s);
    if (down == 0)
        return tensor_axpby(r->cur, 1.0, x, down - s, d);
    const double mid = dpm_2_ancestral_mid(s, down);
    struct tensor *x2 = tensor_axpby(r->cur, 1.0, x, mid - s, d);
    struct tensor *d2 = sampler_to_d(r, x2, sampler_denoise(r, x2, mid), mid);
    return tensor_axpby(r->cur, 1.0, x, down - s, d2);
}

static struct tensor *
dpm_2_ancestral_ve(struct sampler_run *r, struct tensor *x, struct tensor *den, int i,
                   double eta)
{
    const double s = r->sigmas[i];
    double down, up;
    sampler_ancestral_step(s, r->sigmas[i + 1], eta, &down, &up);
    x = dpm_2_ancestral_solve(r, x, den, s, down);
    if (down == 0 || eta == 0)
        return x;
    return tensor_axpby(r->cur, 1.0, x, sampler_s_noise(r) * up, sampler_noise(r, x));
}

static struct tensor *
dpm_2_ancestral_rf(struct sampler_run *r, struct tensor *x, struct tensor *den, int i,
                   double eta)
{
    const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
    const double down = sampler_rf_down(s, s_next, eta);
    x = dpm_2_ancestral_solve(r, x, den, s, down);
    if (down == 0 || eta == 0)
        return x;
    return sampler_rf_renoise(r, x, s_next, down);
}

static struct tensor *
dpm_2_ancestral_sample(struct sampler_run *r, struct tensor *x)
{
    const double eta = sampler_eta(r, &sampler_dpm_2_ancestral);
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, r->sigmas[i]);
        x = sampler_is_const(r) ? dpm_2_ancestral_rf(r, x, den, i, eta)
                                : dpm_2_ancestral_ve(r, x, den, i, eta);
    }
    return x;
}

const struct sampler sampler_dpm_2_ancestral = {
    .name = "dpm_2_ancestral",
    .summary = "DPM-Solver-2 with ancestral noise (eta 1); the RF form on flow models",
    .family = SAMPLER_ANCESTRAL,
    .calls_per_step = 2,
    .discard_penultimate = 1,
    .default_eta = 1.0,
    .sample = dpm_2_ancestral_sample,
};
