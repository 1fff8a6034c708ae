/*
 * sampler_dpmpp_3m_sde.c - DPM-Solver++(3M) SDE; matches ComfyUI
 * comfy/k_diffusion/sampling.py sample_dpmpp_3m_sde (eta 1, s_noise 1 by
 * default).
 *
 * The same first-order exponential step in half-log-SNR lambda as
 * dpmpp_2m_sde (h = lambda_{i+1} - lambda_i, h_eta = h (eta + 1),
 * alpha_t = sigma_t e^{lambda_t}: 1 for VE, 1 - sigma for CONST):
 *   x <- (sigma_{i+1}/sigma_i) e^{-h eta} x + alpha_{i+1} (1 - e^{-h_eta}) D_i
 * plus a multistep term from the last two D's: with r0 = h_{i-1}/h,
 * r1 = h_{i-2}/h, d1_0 = (D_i - D_{i-1})/r0, d1_1 = (D_{i-1} - D_{i-2})/r1,
 * phi_2 = (e^{-h_eta} - 1)/h_eta + 1, phi_3 = phi_2/h_eta - 1/2,
 *   x += alpha phi_2 (d1_0 + (d1_0 - d1_1) r0/(r0 + r1)) - alpha phi_3 (d1_0 - d1_1)/(r0 + r1);
 * with one history the 2M form x += alpha phi_2 d1_0 (which is dpmpp_2m_sde_heun's
 * term), none on the first step; then + sigma_{i+1} sqrt(1 - e^{-2 h eta}) s_noise z.
 * The step to sigma = 0 returns D.  The run starts with offset_first_sigma_for_snr
 * (CONST first sigma >= 1 -> percent_to_sigma(1e-4)).  D_{i-2} is two steps old, so
 * it is re-registered each step (sampler_keep).  eta = 0 or s_noise = 0 draws nothing
 * and is deterministic.  1 model call and 1 draw per step.
 *
 * Noise: ComfyUI draws z from torchsde's Brownian tree in sigma
 * (BrownianTreeNoiseSampler, increments normalised by sqrt|dsigma|); here each z is
 * one independent sampler_noise draw (DESIGN.md "Noise").  The steps' intervals are
 * disjoint, so that is the same distribution, not the same bits.  ComfyUI also scales
 * s_noise by the model sampling's noise_scale attribute, 1 for every model fbw knows.
 */
#include "core/sampler_impl.h"

#include <math.h>

extern const struct sampler sampler_dpmpp_3m_sde;

/*
 * The multistep term for den[0] = D_i with den[1] = D_{i-1}, den[2] = D_{i-2} (NULL
 * when not there yet) and h[k] the matching step lengths in lambda.
 */
static struct tensor *
dpmpp_3m_sde_multistep(struct sampler_run *r, struct tensor *x, struct tensor *const den[3],
                       const double h[3], double alpha_t, double h_eta)
{
    if (den[1] == NULL)
        return x;
    const double r0 = h[1] / h[0], phi_2 = expm1(-h_eta) / h_eta + 1.0;
    struct tensor *d1_0 = tensor_axpby(r->cur, 1.0 / r0, den[0], -1.0 / r0, den[1]);
    if (den[2] == NULL)
        return tensor_axpby(r->cur, 1.0, x, alpha_t * phi_2, d1_0);
    const double r1 = h[2] / h[0], phi_3 = phi_2 / h_eta - 0.5, c = r0 / (r0 + r1);
    struct tensor *d1_1 = tensor_axpby(r->cur, 1.0 / r1, den[1], -1.0 / r1, den[2]);
    struct tensor *d1 = tensor_axpby(r->cur, 1.0 + c, d1_0, -c, d1_1);
    struct tensor *d2 = tensor_axpby(r->cur, 1.0 / (r0 + r1), d1_0, -1.0 / (r0 + r1), d1_1);
    x = tensor_axpby(r->cur, 1.0, x, alpha_t * phi_2, d1);
    return tensor_axpby(r->cur, 1.0, x, -alpha_t * phi_3, d2);
}

static struct tensor *
dpmpp_3m_sde_sample(struct sampler_run *r, struct tensor *x)
{
    const double eta = sampler_eta(r, &sampler_dpmpp_3m_sde), s_noise = sampler_s_noise(r);
    /* sigmas[0] after offset_first_sigma_for_snr (the schedule itself is const). */
    const double s0 = r->n > 1 ? sampler_offset_first_sigma(r, r->sigmas[0]) : 0.0;
    struct tensor *den[3] = {NULL, NULL, NULL};     /* D_i, D_{i-1}, D_{i-2} */
    double h[3] = {0.0, 0.0, 0.0};
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = i == 0 ? s0 : r->sigmas[i], t = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        den[0] = sampler_denoise(r, x, s);
        if (t == 0) {
            x = den[0];
        } else {
            const double lambda_t = sampler_lambda(r, t);
            h[0] = lambda_t - sampler_lambda(r, s);
            const double h_eta = h[0] * (eta + 1.0), alpha_t = t * exp(lambda_t);
            x = tensor_axpby(r->cur, t / s * exp(-h[0] * eta), x, alpha_t * -expm1(-h_eta),
                             den[0]);
            x = dpmpp_3m_sde_multistep(r, x, den, h, alpha_t, h_eta);
            if (eta > 0 && s_noise > 0)
                x = tensor_axpby(r->cur, 1.0, x, t * sqrt(-expm1(-2.0 * h[0] * eta)) * s_noise,
                                 sampler_noise(r, x));
        }
        /* Shift the history; D_{i-1} lives in the previous step scope, so keep it. */
        den[2] = den[1] != NULL ? sampler_keep(r, den[1]) : NULL;
        den[1] = den[0];
        h[2] = h[1];
        h[1] = h[0];
    }
    return x;
}

const struct sampler sampler_dpmpp_3m_sde = {
    .name = "dpmpp_3m_sde",
    .summary = "DPM-Solver++(3M) SDE, third-order multistep (eta 1)",
    .family = SAMPLER_SDE,
    .calls_per_step = 1,
    .default_eta = 1.0,
    .sample = dpmpp_3m_sde_sample,
};
