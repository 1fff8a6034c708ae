/*
 * sampler_euler.c - Euler (k-diffusion sample_euler with s_churn = 0, the
 * KSampler default): x += (x - D)/sigma_i * (sigma_{i+1} - sigma_i).
 * 1 model call per step.  ComfyUI's "ddim" is this same update.
 */
#include "core/sampler_impl.h"

static struct tensor *
euler_sample(struct sampler_run *r, struct tensor *x)
{
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        struct tensor *d = sampler_to_d(r, x, sampler_denoise(r, x, s), s);
        x = tensor_axpby(r->cur, 1.0, x, s_next - s, d);
    }
    return x;
}

const struct sampler sampler_euler = {
    .name = "euler",
    .summary = "Euler's method (first-order ODE)",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 1,
    .sample = euler_sample,
};
