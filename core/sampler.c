/*
 * sampler.c - the sampler registry and the step-scope machinery every
 * sampler shares (see sampler.h).  Update rules live one per file.
 */
#include "core/sampler_impl.h"

#include <math.h>
#include <string.h>

#include "util/err.h"
#include "util/strdist.h"

extern const struct sampler sampler_euler;
extern const struct sampler sampler_euler_ancestral;
extern const struct sampler sampler_heun;
extern const struct sampler sampler_heunpp2;
extern const struct sampler sampler_dpm_2;
extern const struct sampler sampler_lms;
extern const struct sampler sampler_ipndm;
extern const struct sampler sampler_ipndm_v;
extern const struct sampler sampler_deis;
extern const struct sampler sampler_gradient_estimation;
extern const struct sampler sampler_ddim;
extern const struct sampler sampler_dpmpp_2m;
extern const struct sampler sampler_dpm_2_ancestral;
extern const struct sampler sampler_dpmpp_2s_ancestral;
extern const struct sampler sampler_ddpm;
extern const struct sampler sampler_lcm;
extern const struct sampler sampler_res_multistep;
extern const struct sampler sampler_res_multistep_ancestral;
extern const struct sampler sampler_dpmpp_sde;
extern const struct sampler sampler_dpmpp_2m_sde;
extern const struct sampler sampler_dpmpp_2m_sde_heun;
extern const struct sampler sampler_dpmpp_3m_sde;
extern const struct sampler sampler_uni_pc;
extern const struct sampler sampler_uni_pc_bh2;

/* In ComfyUI's KSAMPLER_NAMES order. */
const struct sampler *const sampler_registry[] = {
    &sampler_euler,
    &sampler_euler_ancestral,
    &sampler_heun,
    &sampler_heunpp2,
    &sampler_dpm_2,
    &sampler_dpm_2_ancestral,
    &sampler_lms,
    &sampler_dpmpp_2s_ancestral,
    &sampler_dpmpp_sde,
    &sampler_dpmpp_2m,
    &sampler_dpmpp_2m_sde,
    &sampler_dpmpp_2m_sde_heun,
    &sampler_dpmpp_3m_sde,
    &sampler_ddpm,
    &sampler_lcm,
    &sampler_ipndm,
    &sampler_ipndm_v,
    &sampler_deis,
    &sampler_res_multistep,
    &sampler_res_multistep_ancestral,
    &sampler_gradient_estimation,
    &sampler_ddim,
    &sampler_uni_pc,
    &sampler_uni_pc_bh2,
};
const size_t sampler_count = sizeof sampler_registry / sizeof sampler_registry[0];

static const char *const sampler_family_names[] = {
    "deterministic", "ancestral", "SDE",
};
NAME_TABLE_CHECK(sampler_family_names, SAMPLER_FAMILY_COUNT);

const char *
sampler_family_name(enum sampler_family family)
{
    CHECK((unsigned)family < SAMPLER_FAMILY_COUNT);
    return sampler_family_names[family];
}

const struct sampler *
sampler_find(const char *name)
{
    for (size_t i = 0; i < sampler_count; i++)
        if (strcmp(sampler_registry[i]->name, name) == 0)
            return sampler_registry[i];
    return NULL;
}

const char *
sampler_closest(const char *name)
{
    const char *names[64];
    CHECK(sampler_count <= 64);
    for (size_t i = 0; i < sampler_count; i++)
        names[i] = sampler_registry[i]->name;
    return strdist_closest(name, names, sampler_count);
}

struct tensor *
sampler_run(const struct sampler *s, struct denoiser *d, const struct sampler_params *p,
            const double *sigmas, int n, struct tensor *x, struct tensor_scope *out_scope,
            char **cause)
{
    CHECK(p->ms != NULL && p->noise != NULL);
    struct sampler_run r = {
        .d = d, .p = *p, .sigmas = sigmas, .n = n,
        .cur = tensor_scope_new(TENSOR_SCOPE_INFERENCE),
        .prev = tensor_scope_new(TENSOR_SCOPE_INFERENCE),
    };
    struct tensor *out = NULL;
    x = tensor_copy_to(r.cur, x);
    struct tensor *res = s->sample(&r, x);
    if (r.stopped)
        err_set(cause, "stopped");
    else if (tensor_scope_error(r.cur) != NULL)
        err_set(cause, "%s", tensor_scope_error(r.cur));
    else if (res == NULL)
        err_set(cause, "sampler %s failed", s->name);
    else
        out = tensor_copy_to(out_scope, res);
    tensor_scope_free(r.cur);
    tensor_scope_free(r.prev);
    return out;
}

struct tensor *
sampler_step_begin(struct sampler_run *r, int i, struct tensor *x)
{
    if (tensor_scope_error(r->cur) != NULL)
        return NULL;
    if (r->p.on_step != NULL && r->p.on_step(r->p.ctx, i, r->n - 1) != 0) {
        r->stopped = 1;
        return NULL;
    }
    struct tensor_scope *older = r->prev;
    r->prev = r->cur;
    r->cur = older;
    tensor_scope_reset(r->cur);
    denoiser_begin_step(r->d, i);
    return tensor_copy_to(r->cur, x);
}

struct tensor *
sampler_denoise(struct sampler_run *r, struct tensor *x, double sigma)
{
    return denoiser_eval(r->d, r->cur, x, sigma);
}

struct tensor *
sampler_noise(struct sampler_run *r, struct tensor *x)
{
    int64_t shape[TENSOR_MAX_DIMS];
    int nd = tensor_ndim(x);
    if (nd < 0)
        return NULL;
    for (int i = 0; i < nd; i++)
        shape[i] = tensor_dim(x, i);
    struct tensor *e = tensor_randn(r->cur, r->p.noise, nd, shape);
    return tensor_to(r->cur, e, tensor_dtype(x), tensor_device(x));
}

struct tensor *
sampler_keep(struct sampler_run *r, struct tensor *t)
{
    return tensor_copy_to(r->cur, t);
}

void
sampler_history_push(struct sampler_run *r, struct tensor **hist, int cap, int *count,
                     struct tensor *t)
{
    const int n = *count < cap ? *count + 1 : cap;
    for (int k = n - 1; k > 0; k--)
        hist[k] = sampler_keep(r, hist[k - 1]);
    hist[0] = t;
    *count = n;
}

struct tensor *
sampler_to_d(struct sampler_run *r, struct tensor *x, struct tensor *den, double sigma)
{
    return tensor_div_scalar(r->cur, tensor_sub(r->cur, x, den), sigma);
}

void
sampler_ancestral_step(double sigma_from, double sigma_to, double eta, double *sigma_down,
                       double *sigma_up)
{
    if (eta == 0) {
        *sigma_down = sigma_to;
        *sigma_up = 0;
        return;
    }
    double up = eta * sqrt(sigma_to * sigma_to * (sigma_from * sigma_from - sigma_to * sigma_to) /
                           (sigma_from * sigma_from));
    *sigma_up = fmin(sigma_to, up);
    *sigma_down = sqrt(sigma_to * sigma_to - *sigma_up * *sigma_up);
}

double
sampler_eta(const struct sampler_run *r, const struct sampler *s)
{
    return isnan(r->p.eta) ? s->default_eta : r->p.eta;
}

double
sampler_s_noise(const struct sampler_run *r)
{
    return isnan(r->p.s_noise) ? 1.0 : r->p.s_noise;
}

int
sampler_is_const(const struct sampler_run *r)
{
    return model_sampling_is_const(r->p.ms);
}

double
sampler_lambda(const struct sampler_run *r, double sigma)
{
    if (sampler_is_const(r))
        return log((1.0 - sigma) / sigma);      /* -logit(sigma) */
    return -log(sigma);
}

double
sampler_sigma_of_lambda(const struct sampler_run *r, double lambda)
{
    if (sampler_is_const(r))
        return 1.0 / (1.0 + exp(lambda));       /* sigmoid(-lambda) */
    return exp(-lambda);
}

double
sampler_offset_first_sigma(const struct sampler_run *r, double sigma0)
{
    /* ComfyUI writes it into its float32 sigmas tensor, hence the rounding. */
    if (sampler_is_const(r) && sigma0 >= 1.0)
        return (float)model_sampling_percent_to_sigma(r->p.ms, 1e-4);
    return sigma0;
}

double
sampler_rf_down(double sigma, double sigma_next, double eta)
{
    return sigma_next * (1.0 + (sigma_next / sigma - 1.0) * eta);
}

struct tensor *
sampler_rf_renoise(struct sampler_run *r, struct tensor *x, double sigma_next, double sigma_down)
{
    const double a_next = 1.0 - sigma_next, a_down = 1.0 - sigma_down;
    /* The clamp: the difference can round to -1 ulp (ComfyUI then takes sqrt of it: NaN). */
    const double renoise = sqrt(fmax(0.0, sigma_next * sigma_next - sigma_down * sigma_down *
                                              a_next * a_next / (a_down * a_down)));
    return tensor_axpby(r->cur, a_next / a_down, x, sampler_s_noise(r) * renoise,
                        sampler_noise(r, x));
}
