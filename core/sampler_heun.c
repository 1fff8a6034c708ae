/*
 * sampler_heun.c - Heun's second-order method (k-diffusion sample_heun,
 * s_churn = 0): an Euler predictor to sigma_{i+1}, then the average of the
 * two slopes; the last step (sigma_{i+1} = 0) is plain Euler.  2 model calls
 * per step, 2N - 1 in all.  The second call of step i and the first of step
 * i+1 share a sigma, which the cache sees as a follow-up chunk.
 */
#include "core/sampler_impl.h"

static struct tensor *
heun_sample(struct sampler_run *r, struct tensor *x)
{
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i], s_next = r->sigmas[i + 1], dt = s_next - s;
        x = sampler_step_begin(r, i, x);
        struct tensor *d = sampler_to_d(r, x, sampler_denoise(r, x, s), s);
        if (s_next == 0) {
            x = tensor_axpby(r->cur, 1.0, x, dt, d);
            continue;
        }
        struct tensor *x2 = tensor_axpby(r->cur, 1.0, x, dt, d);
        struct tensor *d2 = sampler_to_d(r, x2, sampler_denoise(r, x2, s_next), s_next);
        struct tensor *d_prime = tensor_div_scalar(r->cur, tensor_add(r->cur, d, d2), 2.0);
        x = tensor_axpby(r->cur, 1.0, x, dt, d_prime);
    }
    return x;
}

const struct sampler sampler_heun = {
    .name = "heun",
    .summary = "Heun's method (second-order ODE, 2 calls per step)",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 2,
    .sample = heun_sample,
};
