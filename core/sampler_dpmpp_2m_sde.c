/*
 * sampler_dpmpp_2m_sde.c - DPM-Solver++(2M) SDE; matches ComfyUI
 * comfy/k_diffusion/sampling.py sample_dpmpp_2m_sde (solver_type 'midpoint';
 * eta 1, s_noise 1 by default).  Also holds the walk that dpmpp_2m_sde_heun
 * shares (sampler_dpmpp_2m_sde.h).
 *
 * A multistep exponential integrator in half-log-SNR lambda (VE -log sigma,
 * CONST log((1 - sigma)/sigma)) with alpha_t = sigma_t e^{lambda_t} (VE 1,
 * CONST 1 - sigma_t).  With h = lambda_{i+1} - lambda_i, h_eta = h (eta + 1):
 *   x <- (sigma_{i+1}/sigma_i) e^{-h eta} x + alpha_{i+1} (1 - e^{-h_eta}) D_i
 *        + correction(D_i - D_{i-1}) / r       (from step 1; r = h_{i-1} / h)
 *        + sigma_{i+1} sqrt(1 - e^{-2 h eta}) s_noise z
 * The e^{-h eta} on x (not h_eta) is right: sigma_{i+1}/sigma_i carries the other
 * e^{-h} (times alpha_{i+1}/alpha_i), so x's weight is (alpha ratio) e^{-h_eta}.
 * The step to sigma = 0 returns D.  The run starts with ComfyUI's
 * offset_first_sigma_for_snr (a CONST first sigma >= 1 would give lambda = -inf),
 * and D at step 0 is evaluated at that offset sigma.  eta = 0 or s_noise = 0
 * draws nothing and is deterministic.  1 model call and 1 draw per step.
 *
 * Noise: ComfyUI draws z from torchsde's Brownian tree in sigma
 * (BrownianTreeNoiseSampler, increments normalised by sqrt|dsigma|).  Here each
 * z is one sampler_noise draw (DESIGN.md "Noise").  The steps' intervals
 * [sigma_{i+1}, sigma_i] are disjoint, so Brownian increments are i.i.d. N(0, 1):
 * the same distribution, not the same bits.  ComfyUI also scales s_noise by the
 * model sampling's noise_scale attribute, 1 for every model fbw knows.
 */
#include "core/sampler_dpmpp_2m_sde.h"

#include <math.h>

#include "util/err.h"

extern const struct sampler sampler_dpmpp_2m_sde;

/* The weight of (D_i - D_{i-1}) before the 1/r factor. */
static double
dpmpp_2m_sde_correction(enum sampler_2m_sde_solver solver, double alpha_t, double h_eta)
{
    const double e = -expm1(-h_eta);            /* 1 - e^{-h_eta} */
    if (solver == SAMPLER_2M_SDE_HEUN)
        return alpha_t * (e / -h_eta + 1.0);
    return 0.5 * alpha_t * e;
}

struct tensor *
sampler_dpmpp_2m_sde_walk(struct sampler_run *r, struct tensor *x, double eta,
                          enum sampler_2m_sde_solver solver)
{
    CHECK((unsigned)solver < SAMPLER_2M_SDE_SOLVER_COUNT);
    const double s_noise = sampler_s_noise(r);
    /* sigmas[0] after offset_first_sigma_for_snr (the schedule itself is const). */
    const double s0 = r->n > 1 ? sampler_offset_first_sigma(r, r->sigmas[0]) : 0.0;
    struct tensor *old_den = NULL;      /* D of step i - 1, valid for one more step */
    double h_last = 0.0;
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = i == 0 ? s0 : r->sigmas[i], t = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, s);
        if (t == 0) {
            x = den;
        } else {
            const double lambda_t = sampler_lambda(r, t), h = lambda_t - sampler_lambda(r, s);
            const double h_eta = h * (eta + 1.0), alpha_t = t * exp(lambda_t);
            x = tensor_axpby(r->cur, t / s * exp(-h * eta), x, alpha_t * -expm1(-h_eta), den);
            if (old_den != NULL)
                x = tensor_axpby(r->cur, 1.0, x,
                                 dpmpp_2m_sde_correction(solver, alpha_t, h_eta) * (h / h_last),
                                 tensor_sub(r->cur, den, old_den));
            if (eta > 0 && s_noise > 0)
                x = tensor_axpby(r->cur, 1.0, x, t * sqrt(-expm1(-2.0 * h * eta)) * s_noise,
                                 sampler_noise(r, x));
            h_last = h;
        }
        old_den = den;
    }
    return x;
}

static struct tensor *
dpmpp_2m_sde_sample(struct sampler_run *r, struct tensor *x)
{
    return sampler_dpmpp_2m_sde_walk(r, x, sampler_eta(r, &sampler_dpmpp_2m_sde),
                                     SAMPLER_2M_SDE_MIDPOINT);
}

const struct sampler sampler_dpmpp_2m_sde = {
    .name = "dpmpp_2m_sde",
    .summary = "DPM-Solver++(2M) SDE, midpoint correction (eta 1)",
    .family = SAMPLER_SDE,
    .calls_per_step = 1,
    .default_eta = 1.0,
    .sample = dpmpp_2m_sde_sample,
};
