/*
 * sampler_dpmpp_2m.c - DPM-Solver++(2M) (k-diffusion sample_dpmpp_2m): a
 * multistep exponential integrator in t = -log sigma that reuses the previous
 * step's D; the first step and the step to sigma = 0 are first order.
 * 1 model call per step.
 */
#include "core/sampler_impl.h"

#include <math.h>

static struct tensor *
dpmpp_2m_sample(struct sampler_run *r, struct tensor *x)
{
    struct tensor *old_den = NULL;
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, s);
        const double t = -log(s), t_next = -log(s_next), h = t_next - t;
        /* sigma_fn(t_next) / sigma_fn(t), and -expm1(-h); both finite when s_next = 0. */
        const double ratio = exp(-t_next) / exp(-t), k = -expm1(-h);
        struct tensor *den_d = den;
        if (old_den != NULL && s_next != 0) {
            const double h_last = t - (-log(r->sigmas[i - 1])), rr = h_last / h;
            den_d = tensor_axpby(r->cur, 1.0 + 1.0 / (2.0 * rr), den, -1.0 / (2.0 * rr),
                                 old_den);
        }
        x = tensor_axpby(r->cur, ratio, x, k, den_d);
        old_den = den;
    }
    return x;
}

const struct sampler sampler_dpmpp_2m = {
    .name = "dpmpp_2m",
    .summary = "DPM-Solver++(2M), second-order multistep",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 1,
    .sample = dpmpp_2m_sample,
};
