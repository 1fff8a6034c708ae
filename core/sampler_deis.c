/*
 * sampler_deis.c - DEIS, 'tab' mode, order 3 (matches ComfyUI comfy/k_diffusion/sampling.py
 * sample_deis with comfy/k_diffusion/deis.py get_deis_coeff_list, from zju-pi/diff-sampler):
 * an Adams-type multistep on the slopes d = (x - D)/sigma in a VP time t:
 *     x += sum_j c_j d_{i-j},  o = min(i + 1, 3),
 *     c_j = integral over [t_i, t_{i+1}] of dsigma/dtau * L_j(tau),
 * where L_j is the Lagrange basis through t_i, ..., t_{i-o+1} and, with
 * alpha(tau) = exp(-beta_d tau^2 / 2 - beta_min tau) (so sigma^2 = 1/alpha - 1),
 *     dsigma/dtau = -(1/2) dlog(alpha)/dtau / sqrt(alpha (1 - alpha)).
 * deis.py's edm2t maps sigma to t with a VP schedule fitted to sigma_min 0.002, sigma_max 80,
 * epsilon_s 1e-3, hard-coded whatever the model (flow models included).  ComfyUI does not
 * integrate exactly: it sums the integrand at torch.linspace(t_i, t_{i+1}, 10000) (both ends
 * included) times (t_{i+1} - t_i)/10000, and fbw makes the same sum (ComfyUI's in float32,
 * fbw's in double).  Order 1, and every step to sigma <= 0, is Euler.  1 model call per step,
 * no noise; the coefficients cost 10000 points per step on the host.
 */
#include "core/sampler_impl.h"

#include <math.h>

#define DEIS_MAX_ORDER 3
#define DEIS_POINTS 10000       /* get_deis_coeff_list's N */

/* edm2t's VP schedule: vp_beta_min (beta_0) and vp_beta_d (beta_1 - beta_0). */
struct deis_vp {
    double beta_min, beta_d;
};

static struct deis_vp
deis_vp_edm(void)
{
    const double eps_s = 1e-3, sigma_min = 0.002, sigma_max = 80.0;
    const double l_min = log(sigma_min * sigma_min + 1.0), l_max = log(sigma_max * sigma_max + 1.0);
    struct deis_vp vp = {.beta_d = 2.0 * (l_min / eps_s - l_max) / (eps_s - 1.0)};
    vp.beta_min = l_max - 0.5 * vp.beta_d;
    return vp;
}

/* edm2t: the t whose VP sigma sqrt(exp(beta_d t^2/2 + beta_min t) - 1) is sigma. */
static double
deis_t(const struct deis_vp *vp, double sigma)
{
    const double b = vp->beta_min;
    return (sqrt(b * b + 2.0 * vp->beta_d * log(sigma * sigma + 1.0)) - b) / vp->beta_d;
}

/* cal_intergrand: dsigma/dtau at tau. */
static double
deis_integrand(const struct deis_vp *vp, double tau)
{
    const double alpha = exp(-0.5 * tau * tau * vp->beta_d - tau * vp->beta_min);
    const double dlog_alpha = -tau * vp->beta_d - vp->beta_min;
    return -0.5 * dlog_alpha / sqrt(alpha * (1.0 - alpha));
}

/* cal_poly: the Lagrange basis through t[0..order-1] that is 1 at t[j], at tau. */
static double
deis_lagrange(const double *t, int order, int j, double tau)
{
    double p = 1.0;
    for (int k = 0; k < order; k++)
        if (k != j)
            p *= (tau - t[k]) / (t[j] - t[k]);
    return p;
}

/* The weights c[0..order-1] of step i (get_deis_coeff_list's C[i]). */
static void
deis_coeffs(const struct deis_vp *vp, const double *sigmas, int i, int order, double *c)
{
    double t[DEIS_MAX_ORDER];
    for (int k = 0; k < order; k++)
        t[k] = deis_t(vp, sigmas[i - k]);
    const double t_next = deis_t(vp, sigmas[i + 1]);
    const double step = (t_next - t[0]) / (DEIS_POINTS - 1);
    for (int j = 0; j < order; j++)
        c[j] = 0.0;
    for (int q = 0; q < DEIS_POINTS; q++) {
        /* torch.linspace counts the first half from the start, the second from the end. */
        const double tau = q < DEIS_POINTS / 2 ? t[0] + q * step
                                               : t_next - (DEIS_POINTS - 1 - q) * step;
        const double f = deis_integrand(vp, tau);
        for (int j = 0; j < order; j++)
            c[j] += f * deis_lagrange(t, order, j, tau);
    }
    for (int j = 0; j < order; j++)
        c[j] *= (t_next - t[0]) / DEIS_POINTS;
}

static struct tensor *
deis_update(struct sampler_run *r, const struct deis_vp *vp, struct tensor *x,
            struct tensor **ds, int i, int order)
{
    double c[DEIS_MAX_ORDER];
    deis_coeffs(vp, r->sigmas, i, order, c);
    for (int j = 0; j < order; j++)
        x = tensor_axpby(r->cur, 1.0, x, c[j], ds[j]);
    return x;
}

static struct tensor *
deis_sample(struct sampler_run *r, struct tensor *x)
{
    const struct deis_vp vp = deis_vp_edm();
    struct tensor *ds[DEIS_MAX_ORDER];      /* like x: slopes d_i, d_{i-1}, ... */
    int count = 0;
    for (int i = 0; i + 1 < r->n && x != NULL; i++) {
        const double s = r->sigmas[i], s_next = r->sigmas[i + 1];
        x = sampler_step_begin(r, i, x);
        struct tensor *d = sampler_to_d(r, x, sampler_denoise(r, x, s), s);
        sampler_history_push(r, ds, DEIS_MAX_ORDER, &count, d);
        if (count == 1 || s_next <= 0)
            x = tensor_axpby(r->cur, 1.0, x, s_next - s, ds[0]);
        else
            x = deis_update(r, &vp, x, ds, i, count);
    }
    return x;
}

const struct sampler sampler_deis = {
    .name = "deis",
    .summary = "DEIS (tab, order 3): multistep with integrated Lagrange weights in VP time",
    .family = SAMPLER_DETERMINISTIC,
    .calls_per_step = 1,
    .sample = deis_sample,
};
