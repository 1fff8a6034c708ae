/*
 * denoiser.c - D(x, sigma) for EPS models with batched CFG (see denoiser.h).
 *
 * Matches ComfyUI comfy/model_base.py _apply_model + comfy/model_sampling.py
 * (EPS calculate_input / calculate_denoised) + comfy/samplers.py cfg_function.
 *
 * The dtype boundary is here, as in _apply_model: x, sigma and the CFG mix are float32; the
 * model input is cast to the model's compute dtype (xc.to(dtype)), the timestep stays float32,
 * and the model output is cast back to float32 (.float()) before calculate_denoised.
 */
#include "core/denoiser.h"

#include <math.h>
#include <stdlib.h>

#include "util/clock.h"
#include "util/err.h"

struct denoiser {
    struct denoiser_params p;
    struct tensor_scope *call;      /* one call's intermediates */
    struct tensor_timer *timer;     /* CUDA events on a GPU model, NULL: the host clock */
    int step, call_index, calls;
    double call_seconds;
};

struct denoiser *
denoiser_new(const struct denoiser_params *p)
{
    struct denoiser *d = xcalloc(1, sizeof *d);
    d->p = *p;
    d->call = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    /* A GPU call is timed on the GPU's stream; the host clock would see only the launches. */
    if (p->model != NULL && model_device(p->model) == TENSOR_CUDA)
        d->timer = tensor_timer_new(TENSOR_CUDA, NULL);
    return d;
}

void
denoiser_free(struct denoiser *d)
{
    if (d == NULL)
        return;
    tensor_scope_free(d->call);
    tensor_timer_free(d->timer);
    free(d);
}

void
denoiser_begin_step(struct denoiser *d, int step)
{
    d->step = step;
    d->call_index = 0;
}

int
denoiser_calls(const struct denoiser *d)
{
    return d->calls;
}

double
denoiser_call_seconds(const struct denoiser *d)
{
    return d->call_seconds;
}

const char *
denoiser_timer_kind(const struct denoiser *d)
{
    return tensor_timer_kind(d->timer);
}

/* ComfyUI skips the uncond pass when math.isclose(cfg, 1.0) (rel_tol 1e-9). */
static int
denoiser_cfg_is_one(double cfg)
{
    return fabs(cfg - 1.0) <= 1e-9 * fmax(fabs(cfg), 1.0);
}

/* The model inputs for one call: x, timesteps and labels, doubled for CFG. */
static struct cache_input
denoiser_inputs(struct denoiser *d, struct tensor *x, double sigma, double timestep, int batched)
{
    struct tensor_scope *s = d->call;
    const int64_t B = tensor_dim(x, 0);
    const int64_t n = batched ? 2 * B : B;
    enum tensor_device dev = model_device(d->p.model);
    /* calculate_input: EPS scales to unit variance; CONST (flow) feeds x as is. */
    struct tensor *xin = model_sampling_is_const(d->p.ms)
                             ? x : tensor_mul_scalar(s, x, 1.0 / sqrt(sigma * sigma + 1.0));
    struct tensor *pair[2] = {xin, xin};
    int64_t *labels = xmalloc((size_t)n * sizeof *labels);
    for (int64_t i = 0; i < n; i++)
        labels[i] = i < B ? d->p.label : model_config(d->p.model)->num_classes;
    struct cache_input in = {
        .x = tensor_to(s, batched ? tensor_cat(s, pair, 2, 0) : xin,
                       model_dtype(d->p.model), dev),
        .timestep = tensor_full(s, timestep, TENSOR_F32, 1, &n, dev),
        .y = tensor_from_data(s, labels, TENSOR_I64, 1, &n, dev),
        .sigma = sigma,
    };
    free(labels);
    return in;
}

/* calculate_denoised, EPS and CONST alike: x - sigma * out (out = eps, or the velocity
 * eps - x0 for flow), with out the first C channels of the network output. */
static struct tensor *
denoiser_x0(struct tensor_scope *s, struct tensor *x, struct tensor *out, int C, double sigma)
{
    struct tensor *eps = tensor_narrow(s, out, 1, 0, C);
    return tensor_axpby(s, 1.0, x, -sigma, eps);
}

/* The model's x0 prediction with CFG, in the call scope. */
static struct tensor *
denoiser_model(struct denoiser *d, struct tensor *x, double sigma, double timestep,
               struct trace_record *rec)
{
    struct tensor_scope *cs = d->call;
    const int batched = !denoiser_cfg_is_one(d->p.cfg);
    const int64_t B = tensor_dim(x, 0);
    const int C = model_out_channels(d->p.model);
    struct cache_input in = denoiser_inputs(d, x, sigma, timestep, batched);
    struct tensor *out = tensor_to(cs, cache_forward(d->p.cache, d->p.model, cs, &in, rec),
                                   TENSOR_F32, model_device(d->p.model));
    if (!batched)
        return denoiser_x0(cs, x, out, C, sigma);
    struct tensor *cond = denoiser_x0(cs, x, tensor_narrow(cs, out, 0, 0, B), C, sigma);
    struct tensor *uncond = denoiser_x0(cs, x, tensor_narrow(cs, out, 0, B, B), C, sigma);
    /* uncond + (cond - uncond) * cfg */
    return tensor_axpby(cs, 1.0, uncond, d->p.cfg, tensor_sub(cs, cond, uncond));
}

struct tensor *
denoiser_eval(struct denoiser *d, struct tensor_scope *s, struct tensor *x, double sigma)
{
    struct tensor_scope *cs = d->call;
    /* Sticky errors: after a failure (or a stop) calls do nothing, as tensor ops do. */
    if (x == NULL || tensor_scope_error(s) != NULL) {
        tensor_scope_set_error(s, "denoiser_eval: no input (an earlier step failed or stopped)");
        return NULL;
    }
    const double t0 = clock_now();
    if (d->timer != NULL)
        tensor_timer_start(d->timer);
    const double timestep = model_sampling_timestep(d->p.ms, sigma);

    struct trace_record scratch, *rec = d->p.trace ? trace_append(d->p.trace) : &scratch;
    rec->step = d->step;
    rec->call = d->call_index++;
    rec->sigma = sigma;
    rec->timestep = timestep;
    rec->reason = TRACE_OFF;

    struct tensor *den = d->p.exact ? d->p.exact(d->p.exact_ctx, cs, x, sigma)
                                    : denoiser_model(d, x, sigma, timestep, rec);
    const char *err = tensor_scope_error(cs);
    struct tensor *result = err ? NULL : tensor_copy_to(s, den);
    if (err != NULL)
        tensor_scope_set_error(s, err);
    if (d->timer != NULL)
        rec->ms = tensor_timer_stop(d->timer);      /* waits for the GPU */
    tensor_scope_reset(cs);
    if (d->timer == NULL)
        rec->ms = (clock_now() - t0) * 1e3;
    d->calls++;
    d->call_seconds += rec->ms * 1e-3;
    return result;
}
