/*
 * denoiser.h - ComfyUI's D(x, sigma): the network wrapped into an x0 predictor.
 *
 * Samplers call denoiser_eval(d, s, x, sigma) and get the predicted clean
 * sample, in k-diffusion space (x = x0 + sigma * eps for EPS models).  For
 * EPS: input x / sqrt(sigma^2 + 1), timestep = nearest table index in log
 * sigma, D = x - sigma * eps.  CONST (flow matching, x = (1 - sigma) x0 +
 * sigma eps): input x, timestep = sigma * multiplier, D = x - sigma * v with
 * v = eps - x0 the predicted velocity.  With cfg != 1 the cond and uncond batches run
 * in one model call ([cond; uncond], uncond = the null class) and
 * D = D_uncond + (D_cond - D_uncond) * cfg over every channel; cfg == 1 skips
 * the uncond half, as ComfyUI does (comfy/samplers.py sampling_function).
 * x and D are float32 whatever the model's compute dtype: the model input is
 * cast to that dtype and the model output back to float32 (ComfyUI's
 * _apply_model), so only the network runs in bf16 or f16.
 *
 * Every call appends a trace record (step, call, sigma, timestep, the cache
 * decision and the call's time: CUDA events around the call on a GPU, the
 * host clock after a synchronisation otherwise).  The caller sets the step with
 * denoiser_begin_step; calls within a step are numbered from 0.
 *
 * Ownership: the denoiser borrows the model, model sampling, cache and trace;
 * it owns a call scope that holds one call's intermediates and is reset after
 * each call.  The returned tensor lives in the caller's scope.
 */
#ifndef FBW_CORE_DENOISER_H
#define FBW_CORE_DENOISER_H

#include <stdint.h>

#include "core/cache.h"
#include "core/model.h"
#include "core/model_sampling.h"
#include "core/trace.h"

struct denoiser_params {
    struct model *model;
    const struct model_sampling *ms;
    struct cache *cache;        /* may be NULL */
    struct trace *trace;        /* may be NULL */
    double cfg;
    int64_t label;              /* class index; the null class is num_classes */
    /*
     * Test seam: an exact x0 predictor called instead of the model (model,
     * cache and cfg are then ignored).  The scalar toy problems use it.
     */
    struct tensor *(*exact)(void *ctx, struct tensor_scope *s, struct tensor *x, double sigma);
    void *exact_ctx;
};

struct denoiser;

struct denoiser *denoiser_new(const struct denoiser_params *p);
void denoiser_free(struct denoiser *d);
/* Marks the start of sampler step `step`; the next call is call 0 of it. */
void denoiser_begin_step(struct denoiser *d, int step);
/* x (B, C, H, W) at noise level sigma -> x0 prediction (B, C, H, W) in s. */
struct tensor *denoiser_eval(struct denoiser *d, struct tensor_scope *s, struct tensor *x,
                             double sigma);
/* Model calls so far and their total wall time in seconds. */
int denoiser_calls(const struct denoiser *d);
double denoiser_call_seconds(const struct denoiser *d);
/* How calls are timed: "cuda-events" for a model on a GPU, else "host-clock". Static storage. */
const char *denoiser_timer_kind(const struct denoiser *d);

#endif
