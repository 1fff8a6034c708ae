/*
 * sampler_dpmpp_2m_sde.h - the DPM-Solver++(2M) SDE walk shared by the
 * dpmpp_2m_sde (midpoint) and dpmpp_2m_sde_heun (heun) descriptors, which
 * differ only in the second-order correction (ComfyUI sample_dpmpp_2m_sde's
 * solver_type).  Only sampler implementations include this.
 */
#ifndef FBW_CORE_SAMPLER_DPMPP_2M_SDE_H
#define FBW_CORE_SAMPLER_DPMPP_2M_SDE_H

#include "core/sampler_impl.h"

enum sampler_2m_sde_solver {
    SAMPLER_2M_SDE_MIDPOINT,    /* + 0.5 alpha_t (1 - e^{-h_eta}) (D - D_1) / r */
    SAMPLER_2M_SDE_HEUN,        /* + alpha_t ((1 - e^{-h_eta}) / -h_eta + 1) (D - D_1) / r */
    SAMPLER_2M_SDE_SOLVER_COUNT
};

/*
 * Runs sample_dpmpp_2m_sde with the given solver over r's whole schedule from x,
 * with eta already resolved by the caller (sampler_eta with its own descriptor).
 * Returns the final x in r->cur, or NULL on failure or stop (as sampler.sample).
 */
struct tensor *sampler_dpmpp_2m_sde_walk(struct sampler_run *r, struct tensor *x, double eta,
                                         enum sampler_2m_sde_solver solver);

#endif
