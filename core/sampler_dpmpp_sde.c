/*
 * sampler_dpmpp_sde.c - DPM-Solver++ (stochastic, two stages); matches ComfyUI
 * comfy/k_diffusion/sampling.py sample_dpmpp_sde (eta 1, s_noise 1, r = 1/2).
 *
 * Each step works in half-log-SNR lambda (VE -log sigma, CONST
 * log((1 - sigma)/sigma)) with alpha = sigma e^lambda (VE 1, CONST 1 - sigma):
 * a first stage to the midpoint lambda_s1 = lambda_i + h/2 (sigma_s1 its sigma),
 * a second model call there, then the full step with D_d = (1 - 1/(2r)) D_i +
 * 1/(2r) D(x_2, sigma_s1) (= D(x_2, sigma_s1) at r = 1/2).  Each stage is an
 * ancestral exponential step: get_ancestral_step taken in e^{-lambda} (VE sigma,
 * CONST sigma/(1 - sigma)) gives (sd, su), h' = -log(sd) - lambda_i, and
 *   x' = (alpha'/alpha_i) e^{-h'} x - alpha' expm1(-h') D + alpha' su s_noise z.
 * The step to sigma = 0 returns D.  The run starts with ComfyUI's
 * offset_first_sigma_for_snr (a CONST first sigma >= 1 would give lambda = -inf).
 * 2 model calls and 2 draws per step (1 call on the last); eta = 0 or s_noise = 0
 * draws nothing and is deterministic.
 *
 * Noise: ComfyUI draws z from torchsde's Brownian tree W(sigma)
 * (BrownianTreeNoiseSampler, increments normalised by sqrt|dsigma|); here the
 * draws are independent sampler_noise calls in ComfyUI's order (DESIGN.md
 * "Noise"): same distribution, not the same bits.  Unlike the multistep SDE
 * samplers this one asks for NESTED increments, over [sigma_s1, sigma_i] and then
 * [sigma_{i+1}, sigma_i]; in a Brownian path they are correlated, rho =
 * sqrt((sigma_i - sigma_s1)/(sigma_i - sigma_{i+1})).  So the step's two draws
 * are the increments over the disjoint pieces [sigma_s1, sigma_i] and
 * [sigma_{i+1}, sigma_s1], and the second stage uses their Brownian sum
 * rho z1 + sqrt(1 - rho^2) z2.  (Using z2 alone would be a different sampler:
 * on the toy problem, dit karras(30), the output variance falls from 0.97 to 0.74.)
 * ComfyUI also scales s_noise by the model sampling's noise_scale attribute,
 * 1 for every model fbw knows.
 */
#include "core/sampler_impl.h"

#include <math.h>

extern const struct sampler sampler_dpmpp_sde;

#define DPMPP_SDE_R 0.5     /* ComfyUI's r: the first stage's fraction of h */

/* One stage's ancestral exponential step from (sigma, lambda_s) to lambda_to, alpha_to. */
static struct tensor *
dpmpp_sde_stage(struct sampler_run *r, struct tensor *x, struct tensor *den, double lambda_s,
                double alpha_s, double lambda_to, double alpha_to, double eta, double *su)
{
    double sd;
    sampler_ancestral_step(exp(-lambda_s), exp(-lambda_to), eta, &sd, su);
    const double h = -log(sd) - lambda_s;
    return tensor_axpby(r->cur, alpha_to / alpha_s * exp(-h), x, -alpha_to * expm1(-h), den);
}

/* The normalised Brownian increment over [t, s] from those over [s1, s] (z1) and [t, s1]. */
static struct tensor *
dpmpp_sde_full_increment(struct sampler_run *r, struct tensor *z1, double s, double s1,
                         double t)
{
    struct tensor *z2 = sampler_noise(r, z1);
    const double len = sqrt(s - t);
    return tensor_axpby(r->cur, sqrt(s - s1) / len, z1, sqrt(s1 - t) / len, z2);
}

/* One step from s to t > 0. */
static struct tensor *
dpmpp_sde_step(struct sampler_run *r, struct tensor *x, struct tensor *den, double s, double t,
               double eta, double s_noise)
{
    const double lambda_s = sampler_lambda(r, s), lambda_t = sampler_lambda(r, t);
    const double lambda_s1 = lambda_s + DPMPP_SDE_R * (lambda_t - lambda_s);
    const double fac = 1.0 / (2.0 * DPMPP_SDE_R), s1 = sampler_sigma_of_lambda(r, lambda_s1);
    const double alpha_s = s * exp(lambda_s), alpha_s1 = s1 * exp(lambda_s1);
    const double alpha_t = t * exp(lambda_t);
    const int noisy = eta > 0 && s_noise > 0;
    double su;
    struct tensor *z1 = NULL;

    struct tensor *x2 = dpmpp_sde_stage(r, x, den, lambda_s, alpha_s, lambda_s1, alpha_s1, eta,
                                        &su);
    if (noisy) {
        z1 = sampler_noise(r, x);
        x2 = tensor_axpby(r->cur, 1.0, x2, alpha_s1 * s_noise * su, z1);
    }
    struct tensor *den2 = sampler_denoise(r, x2, s1);

    struct tensor *den_d = tensor_axpby(r->cur, 1.0 - fac, den, fac, den2);
    x = dpmpp_sde_stage(r, x, den_d, lambda_s, alpha_s, lambda_t, alpha_t, eta, &su);
    if (noisy)
        x = tensor_axpby(r->cur, 1.0, x, alpha_t * s_noise * su,
                         dpmpp_sde_full_increment(r, z1, s, s1, t));
    return x;
}

static struct tensor *
dpmpp_sde_sample(struct sampler_run *r, struct tensor *x)
{
    const double eta = sampler_eta(r, &sampler_dpmpp_sde), s_noise = sampler_s_noise(r);
    /* sigmas[0] after offset_first_sigma_for_snr (the schedule itself is const). */
    const double s0 = r->n > 1 ? sampler_offset_first_sigma(r, r->sigmas[0]) : 0.0;
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = i == 0 ? s0 : r->sigmas[i], t = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, s);
        x = t == 0 ? den : dpmpp_sde_step(r, x, den, s, t, eta, s_noise);
    }
    return x;
}

const struct sampler sampler_dpmpp_sde = {
    .name = "dpmpp_sde",
    .summary = "DPM-Solver++ SDE, two stages per step (eta 1)",
    .family = SAMPLER_SDE,
    .calls_per_step = 2,
    .default_eta = 1.0,
    .sample = dpmpp_sde_sample,
};
