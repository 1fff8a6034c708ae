/*
 * sampler_ipndm_v.c - improved PNDM with variable-step coefficients (matches ComfyUI
 * comfy/k_diffusion/sampling.py sample_ipndm_v, max_order 4, from zju-pi/diff-sampler):
 *     x += (sigma_{i+1} - sigma_i) sum_j c_j d_{i-j},  o = min(i + 1, 4),
 * with c_j from the step sizes h_n = sigma_{i+1} - sigma_i, h_{n-1} = sigma_i - sigma_{i-1},
 * ... as upstream writes them.  On uniform steps orders 2 and 3 are Adams-Bashforth, but
 * order 4 gives (57, -65, 43, -11)/24; and upstream's coeff4 ends in h_{n-1}/h_{n-2} where
 * the divided difference needs h_{n-2}/h_{n-3}, so on uneven steps the order-4 weights do
 * not sum to 1.  fbw reproduces the formula as ComfyUI has it.  The step to sigma = 0
 * returns D.  1 model call per step, no noise; the older slopes are re-registered in each
 * step scope.
 */
#include "core/sampler_impl.h"

#define IPNDM_V_MAX_ORDER 4

/* The order-3 and order-4 correction weights (upstream's temp1 and temp2). */
static double
ipndm_v_temp1(double hn, double h1, double h2)
{
    return (1.0 - hn / (3.0 * (hn + h1)) * (hn * (hn + h1)) / (h1 * (h1 + h2))) / 2.0;
}

static double
ipndm_v_temp2(double hn, double h1, double h2, double h3)
{
    return ((1.0 - hn / (3.0 * (hn + h1))) / 2.0
            + (1.0 - hn / (2.0 * (hn + h1))) * hn / (6.0 * (hn + h1 + h2)))
           * (hn * (hn + h1) * (hn + h1 + h2)) / (h1 * (h1 + h2) * (h1 + h2 + h3));
}

/* The weights c[0..order-1] of step i (sample_ipndm_v's coeff1..coeff4). */
static void
ipndm_v_coeffs(const double *sg, int i, int order, double *c)
{
    if (order == 1) {
        c[0] = 1.0;
        return;
    }
    const double hn = sg[i + 1] - sg[i], h1 = sg[i] - sg[i - 1];
    c[0] = (2.0 + hn / h1) / 2.0;
    c[1] = -(hn / h1) / 2.0;
    if (order == 2)
        return;
    const double h2 = sg[i - 1] - sg[i - 2], t1 = ipndm_v_temp1(hn, h1, h2);
    c[0] += t1;
    c[1] -= (1.0 + h1 / h2) * t1;
    c[2] = t1 * h1 / h2;
    if (order == 3)
        return;
    const double h3 = sg[i - 2] - sg[i - 3], t2 = ipndm_v_temp2(hn, h1, h2, h3);
    const double q = h1 * (h1 + h2) / (h2 * (h2 + h3));
    c[0] += t2;
    c[1] -= (1.0 + h1 / h2 + q) * t2;
    c[2] += (h1 / h2 + q * (1.0 + h2 / h3)) * t2;
    c[3] = -t2 * q * h1 / h2;
}

static struct tensor *
ipndm_v_update(struct sampler_run *r, struct tensor *x, struct tensor **ds, int i, int order)
{
    double c[IPNDM_V_MAX_ORDER];
    ipndm_v_coeffs(r->sigmas, i, order, c);
    struct tensor *sum = tensor_mul_scalar(r->cur, ds[0], c[0]);
    for (int j = 1; j < order; j++)
        sum = tensor_axpby(r->cur, 1.0, sum, c[j], ds[j]);
    return tensor_axpby(r->cur, 1.0, x, r->sigmas[i + 1] - r->sigmas[i], sum);
}

static struct tensor *
ipndm_v_sample(struct sampler_run *r, struct tensor *x)
{
    struct tensor *ds[IPNDM_V_MAX_ORDER];   /* like x: slopes d_i, d_{i-1}, ... */
    int count = 0;
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i];
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, s);
        sampler_history_push(r, ds, IPNDM_V_MAX_ORDER, &count, sampler_to_d(r, x, den, s));
        if (r->sigmas[i + 1] == 0)
            x = den;
        else
            x = ipndm_v_update(r, x, ds, i, count);
    }
    return x;
}

const struct sampler sampler_ipndm_v = {
    .name = "ipndm_v",
    .summary = "improved PNDM with variable-step coefficients (order 4)",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 1,
    .sample = ipndm_v_sample,
};
