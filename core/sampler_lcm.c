/*
 * sampler_lcm.c - Latent Consistency Model sampling; matches ComfyUI
 * comfy/k_diffusion/sampling.py sample_lcm.
 *
 * Each step jumps to the model's clean estimate, x = D(x, sigma_i), then re-noises it to
 * sigma_{i+1} with the model sampling's noise_scaling and a fresh draw:
 *   VE:    x = x + sigma_{i+1} s_noise noise
 *   CONST: x = sigma_{i+1} s_noise noise + (1 - sigma_{i+1}) x
 * The last step (sigma_{i+1} = 0) returns D.  No eta.  s_noise scales the draw as current
 * ComfyUI does (the a125cd8 version has no s_noise; both agree at the default 1).  1 model call
 * and 1 noise draw per step (none on the last).
 */
#include "core/sampler_impl.h"

static struct tensor *
lcm_sample(struct sampler_run *r, struct tensor *x)
{
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s_next = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        x = sampler_denoise(r, x, r->sigmas[i]);
        if (!(s_next > 0))
            continue;
        const double k = s_next * sampler_s_noise(r);
        const double keep = sampler_is_const(r) ? 1.0 - s_next : 1.0;
        x = tensor_axpby(r->cur, keep, x, k, sampler_noise(r, x));
    }
    return x;
}

const struct sampler sampler_lcm = {
    .name = "lcm",
    .summary = "Latent Consistency Model sampling (denoise, then renoise)",
    .family = SAMPLER_ANCESTRAL,
    .calls_per_step = 1,
    .sample = lcm_sample,
};
