/*
 * sampler_euler_ancestral.c - Euler ancestral (k-diffusion
 * sample_euler_ancestral, eta = 1, s_noise = 1, VE branch): an Euler step down
 * to sigma_down, then fresh noise of size sigma_up; the last step (sigma_down
 * = 0) returns D.  1 model call and 1 noise draw per step.
 */
#include "core/sampler.h"

static struct tensor *
euler_ancestral_sample(struct sampler_run *r, struct tensor *x)
{
    const double eta = 1.0, s_noise = 1.0;
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, s);
        double down, up;
        sampler_ancestral_step(s, s_next, eta, &down, &up);
        if (down == 0) {
            x = den;
            continue;
        }
        struct tensor *d = sampler_to_d(r, x, den, s);
        x = tensor_axpby(r->cur, 1.0, x, down - s, d);
        x = tensor_axpby(r->cur, 1.0, x, s_noise * up, sampler_noise(r, x));
    }
    return x;
}

const struct sampler sampler_euler_ancestral = {
    .name = "euler_ancestral",
    .summary = "Euler with ancestral noise (eta 1)",
    .family = SAMPLER_ANCESTRAL,
    .calls_per_step = 1,
    .sample = euler_ancestral_sample,
};
