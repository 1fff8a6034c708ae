/*
 * sampler_dpm_2.c - DPM-Solver-2 as k-diffusion has it (matches ComfyUI
 * comfy/k_diffusion/sampling.py sample_dpm_2, s_churn = 0): an Euler half-step to the
 * geometric midpoint sigma_mid = exp(lerp(log sigma_i, log sigma_{i+1}, 1/2)), then the full
 * step with the slope found there; the step to sigma = 0 is plain Euler.  2 model calls per
 * step, 2N - 1 in all.  KSampler computes the schedule for N + 1 steps and drops the
 * penultimate sigma (discard_penultimate), so the last step jumps from the smallest sigma
 * to 0 with one call.  No CONST branch upstream: flow models take the same update.
 */
#include "core/sampler_impl.h"

#include <math.h>

static struct tensor *
dpm_2_sample(struct sampler_run *r, struct tensor *x)
{
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        struct tensor *d = sampler_to_d(r, x, sampler_denoise(r, x, s), s);
        if (s_next == 0) {
            x = tensor_axpby(r->cur, 1.0, x, s_next - s, d);
            continue;
        }
        /* torch.lerp with weight 1/2 evaluates end - (end - start) / 2. */
        const double log_next = log(s_next);
        const double s_mid = exp(log_next - (log_next - log(s)) * 0.5);
        struct tensor *x2 = tensor_axpby(r->cur, 1.0, x, s_mid - s, d);
        struct tensor *d2 = sampler_to_d(r, x2, sampler_denoise(r, x2, s_mid), s_mid);
        x = tensor_axpby(r->cur, 1.0, x, s_next - s, d2);
    }
    return x;
}

const struct sampler sampler_dpm_2 = {
    .name = "dpm_2",
    .summary = "DPM-Solver-2 midpoint method (second-order ODE, 2 calls per step)",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 2,
    .discard_penultimate = 1,
    .sample = dpm_2_sample,
};
