/*
 * sampler_uni_pc_bh2.c - UniPC with B(h) = e^h - 1 (matches ComfyUI
 * comfy/extra_samplers/uni_pc.py sample_unipc_bh2, i.e. sample_unipc with
 * variant 'bh2').  The solver, its VP conversion and its schedule of model
 * calls are shared with uni_pc (sampler_uni_pc.c); only the scale of the
 * higher-order terms differs.  1 model call per step, N in all.
 */
#include "core/sampler_uni_pc.h"

static struct tensor *
uni_pc_bh2_sample(struct sampler_run *r, struct tensor *x)
{
    return sampler_uni_pc_sample(r, x, SAMPLER_UNI_PC_BH2);
}

const struct sampler sampler_uni_pc_bh2 = {
    .name = "uni_pc_bh2",
    .summary = "UniPC multistep predictor-corrector (bh2), up to third order",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 1,
    .discard_penultimate = 1,
    .final_sigma_floor = 0.001,
    .sample = uni_pc_bh2_sample,
};
