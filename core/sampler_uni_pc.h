/*
 * sampler_uni_pc.h - the UniPC solver shared by the uni_pc and uni_pc_bh2
 * descriptors (core/sampler_uni_pc.c, core/sampler_uni_pc_bh2.c).
 *
 * The two samplers differ only in B(h), the scale of UniPC's higher-order
 * terms: B(h) = h for bh1 (uni_pc), e^h - 1 for bh2 (uni_pc_bh2).  Everything
 * else, the VP conversion included, is one solver (see sampler_uni_pc.c).
 *
 *     static struct tensor *
 *     uni_pc_bh2_sample(struct sampler_run *r, struct tensor *x)
 *     {
 *         return sampler_uni_pc_sample(r, x, SAMPLER_UNI_PC_BH2);
 *     }
 */
#ifndef FBW_CORE_SAMPLER_UNI_PC_H
#define FBW_CORE_SAMPLER_UNI_PC_H

#include "core/sampler_impl.h"

enum sampler_uni_pc_variant {
    SAMPLER_UNI_PC_BH1,     /* B(h) = h          (ComfyUI variant 'bh1', "uni_pc") */
    SAMPLER_UNI_PC_BH2,     /* B(h) = expm1(h)   (ComfyUI variant 'bh2', "uni_pc_bh2") */
    SAMPLER_UNI_PC_VARIANT_COUNT
};

/*
 * Runs UniPC over r->sigmas from x (k-diffusion space, as KSampler hands it
 * over) and returns the result in r->cur, or NULL when the run stopped or a
 * tensor op failed (the reason is in the step scope).  One model call per
 * step.  The caller's schedule should already have its penultimate sigma
 * dropped (the descriptors set discard_penultimate).
 */
struct tensor *sampler_uni_pc_sample(struct sampler_run *r, struct tensor *x,
                                     enum sampler_uni_pc_variant variant);

#endif
