/*
 * sampler_impl.h - what the sampler implementations (core/sampler_<name>.c) share and nobody
 * else needs: the state of one run and the helpers every update rule is written with (step
 * scopes, the denoiser call, per-step noise, history, and k-diffusion's and ComfyUI's small
 * formulas).  Only core/sampler*.c include it; the registry's public face is core/sampler.h.
 */
#ifndef FBW_CORE_SAMPLER_IMPL_H
#define FBW_CORE_SAMPLER_IMPL_H

#include "core/sampler.h"

struct sampler_run {
    struct denoiser *d;
    struct sampler_params p;
    const double *sigmas;           /* n values, the last usually 0 */
    int n;
    struct tensor_scope *cur, *prev;
    int stopped;                    /* on_step asked to stop */
};

/* Starts step i: swaps scopes, moves x into the new step scope and returns it (NULL = stop). */
struct tensor *sampler_step_begin(struct sampler_run *r, int i, struct tensor *x);
/* D(x, sigma) into the current step scope. */
struct tensor *sampler_denoise(struct sampler_run *r, struct tensor *x, double sigma);
/* One standard-normal draw shaped like x, on x's device. */
struct tensor *sampler_noise(struct sampler_run *r, struct tensor *x);
/* Re-registers t in the current step scope (history older than one step). */
struct tensor *sampler_keep(struct sampler_run *r, struct tensor *t);
/*
 * Multistep history, newest first: shifts hist[0..] down by one (re-registering the older
 * entries in this step's scope), puts t in hist[0] and grows *count up to cap.
 */
void sampler_history_push(struct sampler_run *r, struct tensor **hist, int cap, int *count,
                          struct tensor *t);
/* k-diffusion to_d: (x - D) / sigma. */
struct tensor *sampler_to_d(struct sampler_run *r, struct tensor *x, struct tensor *den,
                            double sigma);
/* k-diffusion get_ancestral_step(sigma_from, sigma_to, eta). */
void sampler_ancestral_step(double sigma_from, double sigma_to, double eta, double *sigma_down,
                            double *sigma_up);
/*
 * ComfyUI's RF (flow) ancestral split, shared by the *_ancestral_RF samplers: the step goes
 * down to sigma_rf_down = s_next (1 + (s_next/s - 1) eta) ...
 */
double sampler_rf_down(double sigma, double sigma_next, double eta);
/* ... and then x is rescaled by alpha_{next}/alpha_down and renoised with
 * sqrt(s_next^2 - down^2 alpha_next^2 / alpha_down^2) (clamped at 0) times s_noise. */
struct tensor *sampler_rf_renoise(struct sampler_run *r, struct tensor *x, double sigma_next,
                                  double sigma_down);
/* The run's eta (the sampler's default unless the user set one) and s_noise (default 1). */
double sampler_eta(const struct sampler_run *r, const struct sampler *s);
double sampler_s_noise(const struct sampler_run *r);
/* 1 when the model sampling is CONST (flow matching): the RF branches apply. */
int sampler_is_const(const struct sampler_run *r);
/* Half-log-SNR lambda(sigma): VE -log(sigma); CONST log((1 - sigma) / sigma) (ComfyUI
 * sigma_to_half_log_snr), and its inverse (half_log_snr_to_sigma). */
double sampler_lambda(const struct sampler_run *r, double sigma);
double sampler_sigma_of_lambda(const struct sampler_run *r, double lambda);
/* ComfyUI offset_first_sigma_for_snr: for CONST a first sigma >= 1 becomes
 * percent_to_sigma(1e-4) (lambda would be -inf); otherwise unchanged. */
double sampler_offset_first_sigma(const struct sampler_run *r, double sigma0);

#endif
