/*
 * sampler_res_multistep.h - the update res_multistep and res_multistep_ancestral share
 * (ComfyUI comfy/k_diffusion/sampling.py res_multistep, without cfg_pp).
 */
#ifndef FBW_CORE_SAMPLER_RES_MULTISTEP_H
#define FBW_CORE_SAMPLER_RES_MULTISTEP_H

#include "core/sampler_impl.h"

/*
 * Runs the RES second-order multistep sampler over r's schedule from x with the given eta
 * (0: deterministic, no noise drawn).  Returns the final x in r->cur, or NULL on failure or
 * stop, as a sampler's sample function does.
 */
struct tensor *sampler_res_multistep_run(struct sampler_run *r, struct tensor *x, double eta);

#endif
