/*
 * sampler_heunpp2.c - Heun++ (matches ComfyUI comfy/k_diffusion/sampling.py sample_heunpp2,
 * from Carzit/sd-webui-samplers-scheduler).  Each step takes Euler predictors to the next
 * two sigmas and averages the three slopes with weights that depend on sigma_0:
 *     w2 = sigma_{i+1} / (3 sigma_0), w3 = sigma_{i+2} / (3 sigma_0), w1 = 1 - w2 - w3
 * (3 model calls).  The step whose next-but-one sigma is the last is Heun with
 * w2 = sigma_{i+1} / (2 sigma_0) (2 calls), and the step to the last sigma is Euler (1 call):
 * 3N - 3 calls for N >= 2 steps.  Once sigma << sigma_0 the weights make it nearly Euler.
 *
 * Noise: KSampler runs it with s_churn = 0, so gamma = 0 and sigma_hat = sigma_i.  ComfyUI
 * still evaluates torch.randn_like(x) every step (from torch's global generator, not the
 * sampler's seeded one) and never uses it; fbw draws nothing, so the run's noise stream
 * stays meaningful.  No CONST branch upstream.
 */
#include "core/sampler_impl.h"

/* The Heun step before the last: 2 calls. */
static struct tensor *
heunpp2_heun(struct sampler_run *r, struct tensor *x, struct tensor *d, int i)
{
    const double s = r->sigmas[i], s1 = r->sigmas[i + 1], dt = s1 - s;
    struct tensor *x2 = tensor_axpby(r->cur, 1.0, x, dt, d);
    struct tensor *d2 = sampler_to_d(r, x2, sampler_denoise(r, x2, s1), s1);
    const double w2 = s1 / (2.0 * r->sigmas[0]), w1 = 1.0 - w2;
    return tensor_axpby(r->cur, 1.0, x, dt, tensor_axpby(r->cur, w1, d, w2, d2));
}

/* The full Heun++ step: 3 calls, at sigma_i, sigma_{i+1} and sigma_{i+2}. */
static struct tensor *
heunpp2_full(struct sampler_run *r, struct tensor *x, struct tensor *d, int i)
{
    const double s = r->sigmas[i], s1 = r->sigmas[i + 1], s2 = r->sigmas[i + 2];
    const double dt = s1 - s;
    struct tensor *x2 = tensor_axpby(r->cur, 1.0, x, dt, d);
    struct tensor *d2 = sampler_to_d(r, x2, sampler_denoise(r, x2, s1), s1);
    struct tensor *x3 = tensor_axpby(r->cur, 1.0, x2, s2 - s1, d2);
    struct tensor *d3 = sampler_to_d(r, x3, sampler_denoise(r, x3, s2), s2);
    const double w = 3.0 * r->sigmas[0], w2 = s1 / w, w3 = s2 / w, w1 = 1.0 - w2 - w3;
    struct tensor *d_prime = tensor_axpby(r->cur, 1.0, tensor_axpby(r->cur, w1, d, w2, d2), w3,
                                          d3);
    return tensor_axpby(r->cur, 1.0, x, dt, d_prime);
}

static struct tensor *
heunpp2_sample(struct sampler_run *r, struct tensor *x)
{
    const double s_end = r->sigmas[r->n - 1];
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i], s1 = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        struct tensor *d = sampler_to_d(r, x, sampler_denoise(r, x, s), s);
        if (s1 == s_end)
            x = tensor_axpby(r->cur, 1.0, x, s1 - s, d);
        else if (r->sigmas[i + 2] == s_end)
            x = heunpp2_heun(r, x, d, i);
        else
            x = heunpp2_full(r, x, d, i);
    }
    return x;
}

const struct sampler sampler_heunpp2 = {
    .name = "heunpp2",
    .summary = "Heun++ (three slopes weighted by sigma / sigma_0, 3 calls per step)",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 3,
    .sample = heunpp2_sample,
};
