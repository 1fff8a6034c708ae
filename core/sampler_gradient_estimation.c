/*
 * sampler_gradient_estimation.c - the gradient-estimation sampler (matches ComfyUI
 * comfy/k_diffusion/sampling.py sample_gradient_estimation, ge_gamma = 2, cfg_pp off): an
 * Euler step, then from the second step on a correction (gamma - 1)(d_i - d_{i-1}) dt that
 * extrapolates the slope; the step to sigma = 0 returns D.  1 model call per step, no noise.
 * The previous slope lives in the previous step scope, which stays valid for one step.
 */
#include "core/sampler_impl.h"

#define GRADIENT_ESTIMATION_GAMMA 2.0

static struct tensor *
gradient_estimation_sample(struct sampler_run *r, struct tensor *x)
{
    struct tensor *old_d = NULL;    /* like x: the slope of step i - 1 */
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i], s_next = r->sigmas[i + 1], dt = s_next - s;
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, s);
        struct tensor *d = sampler_to_d(r, x, den, s);
        if (s_next == 0) {
            x = den;
        } else {
            x = tensor_axpby(r->cur, 1.0, x, dt, d);
            if (i >= 1)
                x = tensor_axpby(r->cur, 1.0, x, (GRADIENT_ESTIMATION_GAMMA - 1.0) * dt,
                                 tensor_sub(r->cur, d, old_d));
        }
        old_d = d;
    }
    return x;
}

const struct sampler sampler_gradient_estimation = {
    .name = "gradient_estimation",
    .summary = "Euler with gradient estimation (gamma 2): slope extrapolated from the last step",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 1,
    .sample = gradient_estimation_sample,
};
