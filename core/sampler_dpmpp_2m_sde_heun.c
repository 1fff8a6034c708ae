/*
 * sampler_dpmpp_2m_sde_heun.c - DPM-Solver++(2M) SDE with the heun correction;
 * matches ComfyUI comfy/k_diffusion/sampling.py sample_dpmpp_2m_sde_heun, which
 * is sample_dpmpp_2m_sde with solver_type 'heun' (eta 1, s_noise 1 by default).
 * The walk is shared with dpmpp_2m_sde (sampler_dpmpp_2m_sde.c); only the
 * multistep term differs:
 *   x += alpha_{i+1} ((1 - e^{-h_eta}) / -h_eta + 1) (D_i - D_{i-1}) / r.
 * 1 model call and 1 draw per step; eta = 0 or s_noise = 0 is deterministic.
 *
 * Noise: ComfyUI draws it from torchsde's Brownian tree in sigma
 * (BrownianTreeNoiseSampler, normalised increments); here each step's increment
 * is one independent sampler_noise draw (DESIGN.md "Noise").  The steps'
 * intervals are disjoint, so that is the same distribution, not the same bits.
 */
#include "core/sampler_dpmpp_2m_sde.h"

extern const struct sampler sampler_dpmpp_2m_sde_heun;

static struct tensor *
dpmpp_2m_sde_heun_sample(struct sampler_run *r, struct tensor *x)
{
    return sampler_dpmpp_2m_sde_walk(r, x, sampler_eta(r, &sampler_dpmpp_2m_sde_heun),
                                     SAMPLER_2M_SDE_HEUN);
}

const struct sampler sampler_dpmpp_2m_sde_heun = {
    .name = "dpmpp_2m_sde_heun",
    .summary = "DPM-Solver++(2M) SDE, heun correction (eta 1)",
    .family = SAMPLER_SDE,
    .calls_per_step = 1,
    .default_eta = 1.0,
    .sample = dpmpp_2m_sde_heun_sample,
};
