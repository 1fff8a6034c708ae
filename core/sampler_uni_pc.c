/*
 * sampler_uni_pc.c - UniPC, the unified predictor-corrector (matches ComfyUI
 * comfy/extra_samplers/uni_pc.py sample_unipc: predict_x0 = True, multistep,
 * order = min(3, len(sigmas) - 2), lower_order_final), the shared solver and
 * the uni_pc descriptor (variant bh1, B(h) = h); uni_pc_bh2 lives in
 * sampler_uni_pc_bh2.c.
 *
 * ComfyUI runs UniPC in VP form for every model, flow (CONST) ones included
 * (sample_unipc has no CONST branch): SigmaConvert reads each sigma as a VE
 * sigma, alpha = 1/sqrt(1 + s^2), std = s alpha, lambda = -log s (closed forms
 * here; ComfyUI reaches the same values through logs and exps).  x is divided
 * by sqrt(1 + s_0^2) at the start, the denoiser sees x sqrt(1 + s^2), and
 * ComfyUI's data prediction (x - std eps) / alpha, with eps from
 * predict_eps_sigma, is exactly D.  A final sigma of 0 is replaced by 0.001
 * (lambda must stay finite) and the result is x / alpha(last sigma): the
 * k-diffusion x at sigma 0.001, not D.  The change of variables is exact for
 * the k-diffusion ODE dx/dsigma = (x - D)/sigma, which flow models share, so
 * the VE reading is right for them too.
 *
 * Model calls: step 0 only evaluates D at sigma_0.  Step i >= 1 updates x to
 * sigma_i, at order i during warm-up and min(order, N + 1 - i) afterwards; its
 * corrector evaluates D at sigma_i on the predictor's x, and that value is
 * the history entry for sigma_i.  The last step also takes the first-order
 * update to sigma_N, which calls nothing.  N calls for N steps.
 *
 * State: up to 3 past data predictions, re-registered every step.  Sigma
 * arithmetic and the (at most 3x3) linear solves are host doubles.
 */
#include "core/sampler_uni_pc.h"

#include <math.h>

#include "util/err.h"

#define UNI_PC_MAX_ORDER 3
#define UNI_PC_FINAL_SIGMA 0.001    /* ComfyUI's stand-in for a final sigma of 0 */

/* The newest points of the run, oldest first. */
struct uni_pc_history {
    int len;
    double sigma[UNI_PC_MAX_ORDER];
    struct tensor *m[UNI_PC_MAX_ORDER];     /* like x: the data prediction at sigma[k] */
};

/* One update's host coefficients, from the newest history point (prev0) to sigma t. */
struct uni_pc_coeffs {
    double x_scale;                         /* std_t / std_prev0 */
    double m0_scale;                        /* alpha_t h phi_1(h) = alpha_t expm1(-h) */
    double res_scale;                       /* alpha_t B(h) */
    double rk[UNI_PC_MAX_ORDER];            /* (lambda_prev_k - lambda_prev0) / h, then 1 */
    double rho_p[UNI_PC_MAX_ORDER];         /* predictor weights of D1_1 .. D1_{p-1} */
    double rho_c[UNI_PC_MAX_ORDER];         /* corrector weights of D1_1 .. D1_{p-1}, D1_t */
};

static double
uni_pc_alpha(double sigma)
{
    return 1.0 / sqrt(1.0 + sigma * sigma);
}

static double
uni_pc_std(double sigma)
{
    return sigma / sqrt(1.0 + sigma * sigma);
}

/* sample_unipc's timesteps: the sigmas, with a final 0 replaced. */
static double
uni_pc_sigma(const struct sampler_run *r, int i)
{
    if (i == r->n - 1 && r->sigmas[i] == 0)
        return UNI_PC_FINAL_SIGMA;
    return r->sigmas[i];
}

/*
 * Solves a x = b for n <= 3 by Gaussian elimination with partial pivoting
 * (torch.linalg.solve is LU with partial pivoting too).  a and b are
 * overwritten.  Returns -1 when a is singular.
 */
static int
uni_pc_solve(int n, double a[][UNI_PC_MAX_ORDER], double *b, double *x)
{
    for (int col = 0; col < n; col++) {
        int piv = col;
        for (int row = col + 1; row < n; row++)
            if (fabs(a[row][col]) > fabs(a[piv][col]))
                piv = row;
        if (a[piv][col] == 0)
            return -1;
        for (int k = 0; k < n; k++) {
            double t = a[col][k];
            a[col][k] = a[piv][k];
            a[piv][k] = t;
        }
        double t = b[col];
        b[col] = b[piv];
        b[piv] = t;
        for (int row = col + 1; row < n; row++) {
            double f = a[row][col] / a[col][col];
            for (int k = col; k < n; k++)
                a[row][k] -= f * a[col][k];
            b[row] -= f * b[col];
        }
    }
    for (int row = n - 1; row >= 0; row--) {
        double s = b[row];
        for (int k = row + 1; k < n; k++)
            s -= a[row][k] * x[k];
        x[row] = s / a[row][row];
    }
    return 0;
}

/*
 * The rho weights of an order-p update (multistep_uni_pc_bh_update): R has
 * rows rk^(i-1) and b_i = h phi_{i+1}(h) i! / B(h), with hh = -h.  Order 2's
 * predictor and order 1's corrector use the fixed weight 1/2.  0 or -1.
 */
static int
uni_pc_rhos(struct uni_pc_coeffs *c, int p, double hh, double b_h)
{
    double R[UNI_PC_MAX_ORDER][UNI_PC_MAX_ORDER], b[UNI_PC_MAX_ORDER];
    double h_phi_k = expm1(hh) / hh - 1.0, fact = 1.0;
    for (int i = 0; i < p; i++) {
        for (int k = 0; k < p; k++)
            R[i][k] = i == 0 ? 1.0 : R[i - 1][k] * c->rk[k];
        b[i] = h_phi_k * fact / b_h;
        fact *= i + 2;
        h_phi_k = h_phi_k / hh - 1.0 / fact;
    }
    if (p == 2) {
        c->rho_p[0] = 0.5;
    } else if (p > 2) {
        double Rp[UNI_PC_MAX_ORDER][UNI_PC_MAX_ORDER], bp[UNI_PC_MAX_ORDER];
        for (int i = 0; i < p - 1; i++) {
            for (int k = 0; k < p - 1; k++)
                Rp[i][k] = R[i][k];
            bp[i] = b[i];
        }
        if (uni_pc_solve(p - 1, Rp, bp, c->rho_p) != 0)
            return -1;
    }
    if (p == 1) {
        c->rho_c[0] = 0.5;
        return 0;
    }
    return uni_pc_solve(p, R, b, c->rho_c);
}

/* Coefficients of an order-p update from h's newest point to sigma t.  0 or -1 (singular). */
static int
uni_pc_coeffs(enum sampler_uni_pc_variant variant, const struct uni_pc_history *h, double t,
              int p, struct uni_pc_coeffs *c)
{
    const double s0 = h->sigma[h->len - 1], lambda0 = -log(s0);
    const double step = -log(t) - lambda0, hh = -step;
    for (int k = 1; k < p; k++)
        c->rk[k - 1] = (-log(h->sigma[h->len - 1 - k]) - lambda0) / step;
    c->rk[p - 1] = 1.0;
    const double b_h = variant == SAMPLER_UNI_PC_BH1 ? hh : expm1(hh);
    c->x_scale = uni_pc_std(t) / uni_pc_std(s0);
    c->m0_scale = uni_pc_alpha(t) * expm1(hh);
    c->res_scale = uni_pc_alpha(t) * b_h;
    return uni_pc_rhos(c, p, hh, b_h);
}

/* ComfyUI's data prediction at VP x and sigma: D(x sqrt(1 + sigma^2), sigma). */
static struct tensor *
uni_pc_model(struct sampler_run *r, struct tensor *x, double sigma)
{
    return sampler_denoise(r, tensor_mul_scalar(r->cur, x, sqrt(sigma * sigma + 1.0)), sigma);
}

/* sum_k w[k] t[k], n >= 1, left to right. */
static struct tensor *
uni_pc_weighted(struct sampler_run *r, const double *w, struct tensor *const *t, int n)
{
    struct tensor *acc = tensor_mul_scalar(r->cur, t[0], w[0]);
    for (int k = 1; k < n; k++)
        acc = tensor_axpby(r->cur, 1.0, acc, w[k], t[k]);
    return acc;
}

/*
 * One order-p update of VP x to sigma t.  With corrector, *m_t gets the data
 * prediction at the predictor's x (one model call); without, no call.
 */
static struct tensor *
uni_pc_update(struct sampler_run *r, enum sampler_uni_pc_variant variant,
              const struct uni_pc_history *h, struct tensor *x, double t, int p,
              struct tensor **m_t)
{
    struct uni_pc_coeffs c;
    if (uni_pc_coeffs(variant, h, t, p, &c) != 0) {
        tensor_scope_set_error(r->cur, "uni_pc: singular system (repeated sigmas?)");
        return NULL;
    }
    struct tensor *m0 = h->m[h->len - 1];
    struct tensor *d1[UNI_PC_MAX_ORDER];    /* like x: (m_prev_k - m0) / rk, then m_t - m0 */
    for (int k = 1; k < p; k++)
        d1[k - 1] = tensor_div_scalar(r->cur, tensor_sub(r->cur, h->m[h->len - 1 - k], m0),
                                      c.rk[k - 1]);
    struct tensor *x_lin = tensor_axpby(r->cur, c.x_scale, x, -c.m0_scale, m0);
    struct tensor *x_pred = x_lin;
    if (p > 1)
        x_pred = tensor_axpby(r->cur, 1.0, x_lin, -c.res_scale,
                              uni_pc_weighted(r, c.rho_p, d1, p - 1));
    if (m_t == NULL)
        return x_pred;
    *m_t = uni_pc_model(r, x_pred, t);
    d1[p - 1] = tensor_sub(r->cur, *m_t, m0);
    return tensor_axpby(r->cur, 1.0, x_lin, -c.res_scale, uni_pc_weighted(r, c.rho_c, d1, p));
}

/* Appends (sigma, m), dropping the oldest point once cap are held. */
static void
uni_pc_push(struct uni_pc_history *h, int cap, double sigma, struct tensor *m)
{
    if (h->len == cap) {
        for (int k = 0; k + 1 < h->len; k++) {
            h->sigma[k] = h->sigma[k + 1];
            h->m[k] = h->m[k + 1];
        }
        h->len--;
    }
    h->sigma[h->len] = sigma;
    h->m[h->len] = m;
    h->len++;
}

/* Step i of N (UniPC.sample's step_index) at the given order; returns the new VP x. */
static struct tensor *
uni_pc_step(struct sampler_run *r, enum sampler_uni_pc_variant variant,
            struct uni_pc_history *h, struct tensor *x, int i, int order)
{
    const int steps = r->n - 1, cap = order < 1 ? 1 : order;
    const double t = uni_pc_sigma(r, i);
    struct tensor *m = NULL;
    if (i == 0) {
        uni_pc_push(h, cap, t, uni_pc_model(r, x, t));
        return x;
    }
    int p = i < order ? i : (steps + 1 - i < order ? steps + 1 - i : order);
    x = uni_pc_update(r, variant, h, x, t, p, &m);
    uni_pc_push(h, cap, t, m);
    if (i == steps - 1)     /* lower_order_final: order 1, no corrector, no call */
        x = uni_pc_update(r, variant, h, x, uni_pc_sigma(r, steps), 1, NULL);
    return x;
}

struct tensor *
sampler_uni_pc_sample(struct sampler_run *r, struct tensor *x,
                      enum sampler_uni_pc_variant variant)
{
    CHECK((unsigned)variant < SAMPLER_UNI_PC_VARIANT_COUNT);
    if (r->n < 1)
        return x;
    const int steps = r->n - 1, order = r->n - 2 < UNI_PC_MAX_ORDER ? r->n - 2 : UNI_PC_MAX_ORDER;
    const double s_first = uni_pc_sigma(r, 0), s_last = uni_pc_sigma(r, steps);
    struct uni_pc_history h = {0};
    x = tensor_div_scalar(r->cur, x, sqrt(1.0 + s_first * s_first));
    for (int i = 0; i < steps && x != NULL; i++) {
        x = sampler_step_begin(r, i, x);
        if (x == NULL)
            break;
        for (int k = 0; k < h.len; k++)
            h.m[k] = sampler_keep(r, h.m[k]);
        x = uni_pc_step(r, variant, &h, x, i, order);
    }
    if (x == NULL)
        return NULL;
    return tensor_div_scalar(r->cur, x, uni_pc_alpha(s_last));
}

static struct tensor *
uni_pc_bh1_sample(struct sampler_run *r, struct tensor *x)
{
    return sampler_uni_pc_sample(r, x, SAMPLER_UNI_PC_BH1);
}

const struct sampler sampler_uni_pc = {
    .name = "uni_pc",
    .summary = "UniPC multistep predictor-corrector (bh1), up to third order",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 1,
    .discard_penultimate = 1,
    .final_sigma_floor = 0.001,
    .sample = uni_pc_bh1_sample,
};
