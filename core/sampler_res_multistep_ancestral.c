/*
 * sampler_res_multistep_ancestral.c - RES multistep with ancestral noise; matches ComfyUI
 * comfy/k_diffusion/sampling.py sample_res_multistep_ancestral (res_multistep with eta 1 and
 * s_noise 1 by default).  The update is sampler_res_multistep.c's, stepping to sigma_down of
 * get_ancestral_step and adding s_noise sigma_up noise; as in ComfyUI, flow models get the same
 * VE formulas (no RF form).  1 model call and 1 noise draw per step (none on the last).
 */
#include "core/sampler_res_multistep.h"

extern const struct sampler sampler_res_multistep_ancestral;

static struct tensor *
res_multistep_ancestral_sample(struct sampler_run *r, struct tensor *x)
{
    return sampler_res_multistep_run(r, x, sampler_eta(r, &sampler_res_multistep_ancestral));
}

const struct sampler sampler_res_multistep_ancestral = {
    .name = "res_multistep_ancestral",
    .summary = "RES multistep with ancestral noise (eta 1)",
    .family = SAMPLER_ANCESTRAL,
    .calls_per_step = 1,
    .default_eta = 1.0,
    .sample = res_multistep_ancestral_sample,
};
