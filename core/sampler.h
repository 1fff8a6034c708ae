/*
 * sampler.h - ComfyUI's samplers (k-diffusion update rules) as a registry.
 *
 * A sampler walks x down a sigma schedule, calling the denoiser D(x, sigma)
 * once or more per step.  Each sampler is a const descriptor in its own file
 * (core/sampler_<name>.c) listed in sampler_registry[] (sampler.c): adding
 * one is one file and one table line.
 *
 * Scopes: a run keeps two step scopes.  sampler_step_begin swaps them and
 * clears the older one, so values from step i-1 (x, the last D) are still
 * valid during step i; anything needed longer must be re-registered each step
 * with sampler_keep.  Per-step noise comes from the run's CPU generator, one
 * randn(x.shape) per draw, in draw order (DESIGN.md "Noise").
 */
#ifndef FBW_CORE_SAMPLER_H
#define FBW_CORE_SAMPLER_H

#include <stddef.h>

#include "core/denoiser.h"
#include "core/shim/tensor.h"

enum sampler_family {
    SAMPLER_DETERMINISTIC,  /* an ODE solver: no noise after the start */
    SAMPLER_ANCESTRAL,      /* fresh i.i.d. noise every step */
    SAMPLER_SDE,            /* Brownian increments (i.i.d. here; torchsde in ComfyUI) */
    SAMPLER_FAMILY_COUNT
};

const char *sampler_family_name(enum sampler_family family);

/* Called at the start of every step (progress display, cancellation). Nonzero stops the run. */
typedef int (*sampler_step_fn)(void *ctx, int step, int steps);

/* What a run needs besides the denoiser, the schedule and x. */
struct sampler_params {
    const struct model_sampling *ms;    /* picks the VE or CONST (flow) formulas */
    struct tensor_gen *noise;           /* per-step noise (CPU generator) */
    double eta;                         /* NAN: the sampler's ComfyUI default */
    double s_noise;                     /* NAN: 1 */
    sampler_step_fn on_step;            /* may be NULL */
    void *ctx;
};

struct sampler_run {
    struct denoiser *d;
    struct sampler_params p;
    const double *sigmas;           /* n values, the last usually 0 */
    int n;
    struct tensor_scope *cur, *prev;
    int stopped;                    /* on_step asked to stop */
};

struct sampler {
    const char *name;
    const char *summary;
    enum sampler_family family;
    int calls_per_step;             /* model calls in a full step (the last may use fewer) */
    int discard_penultimate;        /* KSampler drops the second-to-last sigma */
    double default_eta;             /* ComfyUI's default eta (0 where it has none) */
    /*
     * ComfyUI's uni_pc writes 0.001 over a final sigma of 0 in the caller's schedule (its
     * timesteps are a view), so inverse_noise_scaling sees 0.001; 0 = no such quirk.
     */
    double final_sigma_floor;
    /* Returns the final x (in r->cur), or NULL on failure or stop. */
    struct tensor *(*sample)(struct sampler_run *r, struct tensor *x);
};

extern const struct sampler *const sampler_registry[];
extern const size_t sampler_count;

/* The sampler called name, or NULL. */
const struct sampler *sampler_find(const char *name);
/* The registry name nearest to name (for "did you mean"). */
const char *sampler_closest(const char *name);

/*
 * Runs sampler s from x over sigmas[0..n-1].  Returns the result in out_scope,
 * or NULL with *cause (a tensor error, or "stopped").
 */
struct tensor *sampler_run(const struct sampler *s, struct denoiser *d,
                           const struct sampler_params *p, const double *sigmas, int n,
                           struct tensor *x, struct tensor_scope *out_scope, char **cause);

/* ---- for sampler implementations ---------------------------------------- */

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
