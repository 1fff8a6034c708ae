/*
 * sampler_ipndm.c - improved PNDM (matches ComfyUI comfy/k_diffusion/sampling.py
 * sample_ipndm, max_order 4, from zju-pi/diff-sampler): Adams-Bashforth in sigma with the
 * fixed coefficients of uniform steps whatever the schedule,
 *     x += (sigma_{i+1} - sigma_i) sum_j c_j d_{i-j},  o = min(i + 1, 4):
 *     o = 1: 1;  2: (3, -1)/2;  3: (23, -16, 5)/12;  4: (55, -59, 37, -9)/24.
 * The step to sigma = 0 returns D.  1 model call per step, no noise; the older slopes are
 * re-registered in each step scope.
 */
#include "core/sampler_impl.h"

#define IPNDM_MAX_ORDER 4

/* Numerators by order (row o - 1) and their common denominators. */
static const double ipndm_num[IPNDM_MAX_ORDER][IPNDM_MAX_ORDER] = {
    {1.0}, {3.0, -1.0}, {23.0, -16.0, 5.0}, {55.0, -59.0, 37.0, -9.0},
};
static const double ipndm_den[IPNDM_MAX_ORDER] = {1.0, 2.0, 12.0, 24.0};

static struct tensor *
ipndm_update(struct sampler_run *r, struct tensor *x, struct tensor **ds, int i, int order)
{
    const double *num = ipndm_num[order - 1];
    struct tensor *sum = tensor_mul_scalar(r->cur, ds[0], num[0]);
    for (int j = 1; j < order; j++)
        sum = tensor_axpby(r->cur, 1.0, sum, num[j], ds[j]);
    const double dt = r->sigmas[i + 1] - r->sigmas[i];
    return tensor_axpby(r->cur, 1.0, x, dt / ipndm_den[order - 1], sum);
}

static struct tensor *
ipndm_sample(struct sampler_run *r, struct tensor *x)
{
    struct tensor *ds[IPNDM_MAX_ORDER];     /* like x: slopes d_i, d_{i-1}, ... */
    int count = 0;
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i];
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, s);
        sampler_history_push(r, ds, IPNDM_MAX_ORDER, &count, sampler_to_d(r, x, den, s));
        if (r->sigmas[i + 1] == 0)
            x = den;
        else
            x = ipndm_update(r, x, ds, i, count);
    }
    return x;
}

const struct sampler sampler_ipndm = {
    .name = "ipndm",
    .summary = "improved PNDM: 4th-order Adams-Bashforth in sigma (fixed coefficients)",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 1,
    .sample = ipndm_sample,
};
