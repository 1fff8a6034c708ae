/*
 * sampler_lms.c - linear multistep, order 4 (matches ComfyUI comfy/k_diffusion/sampling.py
 * sample_lms): x += sum_j c_j d_{i-j} over the last o = min(i + 1, 4) slopes, where c_j is
 * the integral over [sigma_i, sigma_{i+1}] of the Lagrange basis polynomial through
 * sigma_i, ..., sigma_{i-o+1} that is 1 at sigma_{i-j}.  ComfyUI integrates with
 * scipy.integrate.quad; the integrand is a polynomial of degree <= 3, so 3-point
 * Gauss-Legendre gives the same integral exactly.  The step to sigma = 0 returns D.
 * 1 model call per step, no noise; the older slopes are re-registered in each step scope.
 */
#include "core/sampler_impl.h"

#define LMS_ORDER 4

/* 3-point Gauss-Legendre on [-1, 1]: nodes 0, +-sqrt(3/5), weights 8/9, 5/9. */
static const double lms_gl_node[3] = {-0.77459666924148337704, 0.0, 0.77459666924148337704};
static const double lms_gl_weight[3] = {5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0};

/* k-diffusion linear_multistep_coeff(order, sigmas, i, j). */
static double
lms_coeff(const double *sigmas, int i, int order, int j)
{
    const double a = sigmas[i], b = sigmas[i + 1], half = 0.5 * (b - a), mid = 0.5 * (a + b);
    double sum = 0.0;
    for (int q = 0; q < 3; q++) {
        const double tau = mid + half * lms_gl_node[q];
        double p = 1.0;
        for (int k = 0; k < order; k++)
            if (k != j)
                p *= (tau - sigmas[i - k]) / (sigmas[i - j] - sigmas[i - k]);
        sum += lms_gl_weight[q] * p;
    }
    return half * sum;
}

/* x + sum_j c_j ds[j], j < order. */
static struct tensor *
lms_update(struct sampler_run *r, struct tensor *x, struct tensor **ds, int i, int order)
{
    struct tensor *sum = tensor_mul_scalar(r->cur, ds[0], lms_coeff(r->sigmas, i, order, 0));
    for (int j = 1; j < order; j++)
        sum = tensor_axpby(r->cur, 1.0, sum, lms_coeff(r->sigmas, i, order, j), ds[j]);
    return tensor_add(r->cur, x, sum);
}

static struct tensor *
lms_sample(struct sampler_run *r, struct tensor *x)
{
    struct tensor *ds[LMS_ORDER];   /* like x: slopes d_i, d_{i-1}, ... */
    int count = 0;
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i];
        x = sampler_step_begin(r, i, x);
        struct tensor *den = sampler_denoise(r, x, s);
        sampler_history_push(r, ds, LMS_ORDER, &count, sampler_to_d(r, x, den, s));
        if (r->sigmas[i + 1] == 0)
            x = den;
        else
            x = lms_update(r, x, ds, i, count);
    }
    return x;
}

const struct sampler sampler_lms = {
    .name = "lms",
    .summary = "linear multistep, order 4 (Lagrange-integrated coefficients in sigma)",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 1,
    .sample = lms_sample,
};
