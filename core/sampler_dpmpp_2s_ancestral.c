/*
 * sampler_dpmpp_2s_ancestral.c - DPM-Solver++(2S) with ancestral noise; matches ComfyUI
 * comfy/k_diffusion/sampling.py sample_dpmpp_2s_ancestral (eta 1, s_noise 1 by default) and,
 * on CONST (flow) models, sample_dpmpp_2s_ancestral_RF.
 *
 * Each step is a two-stage exponential integrator from sigma_i down to sigma_down, with the
 * second model call at the midpoint in half-log-SNR lambda, then renoising to sigma_{i+1}:
 *   VE:    lambda = -log sigma; (sigma_down, sigma_up) = get_ancestral_step;
 *          x += s_noise sigma_up noise when sigma_{i+1} > 0.
 *   CONST: lambda = log((1 - sigma)/sigma); sigma_down = sigma_{i+1} (1 + (sigma_{i+1}/sigma_i
 *          - 1) eta); the midpoint is pinned to 0.9999 when sigma_i = 1 (lambda = -inf there);
 *          x = (alpha_{i+1}/alpha_down) x + s_noise c noise when sigma_{i+1} > 0 and eta > 0.
 * A step down to 0 is an Euler step (x = D).  2 model calls and 1 noise draw per step, 1 call
 * on the last.  With eta = 0 no noise is drawn (ComfyUI's VE branch draws and multiplies by 0).
 */
#include "core/sampler_impl.h"

#include <math.h>

extern const struct sampler sampler_dpmpp_2s_ancestral;

static struct tensor *
dpmpp_2s_ancestral_euler(struct sampler_run *r, struct tensor *x, struct tensor *den, double s,
                         double down)
{
    return tensor_axpby(r->cur, 1.0, x, down - s, sampler_to_d(r, x, den, s));
}

static struct tensor *
dpmpp_2s_ancestral_ve(struct sampler_run *r, struct tensor *x, struct tensor *den, int i,
                      double eta)
{
    const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
    double down, up;
    sampler_ancestral_step(s, s_next, eta, &down, &up);
    if (down == 0) {
        x = dpmpp_2s_ancestral_euler(r, x, den, s, down);
    } else {
        const double t = -log(s), t_next = -log(down), h = t_next - t, t_mid = t + 0.5 * h;
        struct tensor *x2 = tensor_axpby(r->cur, exp(-t_mid) / exp(-t), x, -expm1(-h * 0.5),
                                         den);
        struct tensor *den2 = sampler_denoise(r, x2, exp(-t_mid));
        x = tensor_axpby(r->cur, exp(-t_next) / exp(-t), x, -expm1(-h), den2);
    }
    if (s_next > 0 && eta != 0)
        x = tensor_axpby(r->cur, 1.0, x, sampler_s_noise(r) * up, sampler_noise(r, x));
    return x;
}

static struct tensor *
dpmpp_2s_ancestral_rf(struct sampler_run *r, struct tensor *x, struct tensor *den, int i,
                      double eta)
{
    const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
    const double down = sampler_rf_down(s, s_next, eta);
    if (s_next == 0)
        return dpmpp_2s_ancestral_euler(r, x, den, s, down);
    double s_mid = 0.9999;
    if (s != 1.0) {
        const double l = sampler_lambda(r, s), l_down = sampler_lambda(r, down);
        s_mid = sampler_sigma_of_lambda(r, l + 0.5 * (l_down - l));
    }
    const double mid_ratio = s_mid / s, down_ratio = down / s;
    struct tensor *u = tensor_axpby(r->cur, mid_ratio, x, 1.0 - mid_ratio, den);
    struct tensor *den2 = sampler_denoise(r, u, s_mid);
    x = tensor_axpby(r->cur, down_ratio, x, 1.0 - down_ratio, den2);
    return eta > 0 ? sampler_rf_renoise(r, x, s_next, down) : x;
}

static struct tensor *
dpmpp_2s_ancestral_sample(struct sampler_run *r, struct tensor *x)
{
    const double eta = sampler_eta(r, &sampler_dpmpp_2s_ancestral);
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, r->sigmas[i]);
        x = sampler_is_const(r) ? dpmpp_2s_ancestral_rf(r, x, den, i, eta)
                                : dpmpp_2s_ancestral_ve(r, x, den, i, eta);
    }
    return x;
}

const struct sampler sampler_dpmpp_2s_ancestral = {
    .name = "dpmpp_2s_ancestral",
    .summary = "DPM-Solver++(2S) with ancestral noise (eta 1); the RF form on flow models",
    .family = SAMPLER_ANCESTRAL,
    .calls_per_step = 2,
    .default_eta = 1.0,
    .sample = dpmpp_2s_ancestral_sample,
};
