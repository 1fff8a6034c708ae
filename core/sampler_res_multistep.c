/*
 * sampler_res_multistep.c - RES second-order multistep sampler; matches ComfyUI
 * comfy/k_diffusion/sampling.py sample_res_multistep (res_multistep with eta = 0).  The
 * ancestral variant (sampler_res_multistep_ancestral.c) shares the loop through
 * sampler_res_multistep.h.
 *
 * In t = -log sigma, each step goes from sigma_i down to sigma_down (get_ancestral_step; sigma_down
 * = sigma_{i+1} at eta 0) with the exponential integrator of arXiv 2308.02157 that reuses the
 * previous step's D:
 *   h = t_down - t_i,  c2 = (t_{i-1} - t_old_down) / h,
 *   phi1 = expm1(-h)/(-h),  phi2 = (phi1 - 1)/(-h),
 *   b1 = nan_to_num(phi1 - phi2/c2),  b2 = nan_to_num(phi2/c2),
 *   x = e^{-h} x + h (b1 D_i + b2 D_{i-1}),
 * then x += s_noise sigma_up noise when sigma_{i+1} > 0.  The first step and a step with
 * sigma_down = 0 are Euler steps.  ComfyUI has no CONST form here: flow models use the same
 * -log sigma formulas (their probability-flow ODE dx/dsigma = (x - D)/sigma has the same form).
 * res_multistep takes no eta (ComfyUI fixes 0) and draws no noise; ComfyUI draws and
 * multiplies by 0.  1 model call per step.
 */
#include "core/sampler_res_multistep.h"

#include <float.h>
#include <math.h>

/* torch.nan_to_num(v, nan=0.0): NaN -> 0, +-inf -> the largest finite value. */
static double
res_multistep_nan_to_num(double v)
{
    if (isnan(v))
        return 0.0;
    if (isinf(v))
        return v > 0 ? DBL_MAX : -DBL_MAX;
    return v;
}

/* The second-order update of step i from x, D_i = den and D_{i-1} = old_den. */
static struct tensor *
res_multistep_second_order(struct sampler_run *r, struct tensor *x, struct tensor *den,
                           struct tensor *old_den, int i, double down, double old_down)
{
    const double t = -log(r->sigmas[i]), t_old = -log(old_down), t_next = -log(down);
    const double t_prev = -log(r->sigmas[i - 1]);
    const double h = t_next - t, c2 = (t_prev - t_old) / h;
    const double phi1 = expm1(-h) / -h, phi2 = (phi1 - 1.0) / -h;
    const double b1 = res_multistep_nan_to_num(phi1 - phi2 / c2);
    const double b2 = res_multistep_nan_to_num(phi2 / c2);
    struct tensor *mix = tensor_axpby(r->cur, b1, den, b2, old_den);
    return tensor_axpby(r->cur, exp(-h), x, h, mix);
}

struct tensor *
sampler_res_multistep_run(struct sampler_run *r, struct tensor *x, double eta)
{
    struct tensor *old_den = NULL;      /* D of step i - 1 (in r->prev) */
    double old_down = 0;
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, s);
        double down, up;
        sampler_ancestral_step(s, s_next, eta, &down, &up);
        if (down == 0 || old_den == NULL)
            x = tensor_axpby(r->cur, 1.0, x, down - s, sampler_to_d(r, x, den, s));
        else
            x = res_multistep_second_order(r, x, den, old_den, i, down, old_down);
        if (s_next > 0 && eta != 0)
            x = tensor_axpby(r->cur, 1.0, x, sampler_s_noise(r) * up, sampler_noise(r, x));
        old_den = den;
        old_down = down;
    }
    return x;
}

static struct tensor *
res_multistep_sample(struct sampler_run *r, struct tensor *x)
{
    return sampler_res_multistep_run(r, x, 0.0);
}

const struct sampler sampler_res_multistep = {
    .name = "res_multistep",
    .summary = "RES second-order multistep (exponential integrator reusing the last D)",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 1,
    .sample = res_multistep_sample,
};
