/*
 * sampler.h - ComfyUI's samplers (k-diffusion update rules) as a registry.
 *
 * A sampler walks x down a sigma schedule, calling the denoiser D(x, sigma)
 * once or more per step.  Each sampler is a const descriptor in its own file
 * (core/sampler_<name>.c) listed in sampler_registry[] (sampler.c): adding
 * one is one file and one table line.
 *
 * This header is the registry's public face; what a sampler's own file needs (the run's
 * state, the step scopes, noise, the shared k-diffusion helpers) is in core/sampler_impl.h.
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

/* One run's state (core/sampler_impl.h, for sampler implementations). */
struct sampler_run;

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

#endif
