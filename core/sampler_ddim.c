/*
 * sampler_ddim.c - ComfyUI's "ddim": comfy/samplers.py sampler_object("ddim") is
 * ksampler("euler", inpaint_options={"random": True}), i.e. k-diffusion sample_euler.  The
 * inpaint option only changes how ComfyUI draws the inpainting noise, which fbw does not
 * do, so the update is Euler's exactly (and bit for bit): x += (x - D)/sigma_i (sigma_{i+1} -
 * sigma_i), 1 model call per step, no noise.  The name is its own registry entry because
 * ComfyUI lists it.
 */
#include "core/sampler_impl.h"

extern const struct sampler sampler_euler;

static struct tensor *
ddim_sample(struct sampler_run *r, struct tensor *x)
{
    return sampler_euler.sample(r, x);
}

const struct sampler sampler_ddim = {
    .name = "ddim",
    .summary = "ComfyUI's ddim: Euler's method (first-order ODE)",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 1,
    .sample = ddim_sample,
};
