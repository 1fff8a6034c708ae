/*
 * scheduler.c - ComfyUI's noise schedules, one compute function each, listed in one table.
 *
 * Concept: a schedule is the descending list of sigmas a sampler visits.  Some schedules are
 * closed formulas between the model's sigma_min and sigma_max (karras, exponential,
 * kl_optimal, and linear_quadratic from sigma_max alone); the others walk the model's own
 * table (simple, ddim_uniform, beta) or its timestep axis (normal, sgm_uniform).  Each function
 * names the ComfyUI code it matches; the quirks are kept on purpose, since the point is to get
 * ComfyUI's numbers.
 *
 * Precision: ComfyUI mixes float32 torch arithmetic with float64 Python arithmetic.  Here
 * everything is double and each value is rounded to float32 once, at the end
 * (scheduler_round), which lands within ~1e-6 relative of ComfyUI's float32 results - except
 * where float32 decides a discrete choice: on an EPS table, normal's timesteps are torch's
 * float32 linspace and sigma(t)/timestep(sigma) are float32 (model_sampling.c), because a
 * half-integer timestep ties between two table entries and only float32 breaks the tie as
 * ComfyUI does.
 *
 * Ownership: compute functions write into caller storage; scheduler_sigmas allocates.
 * No global mutable state.
 */
#include "core/scheduler.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/model_sampling.h"
#include "util/err.h"
#include "util/strdist.h"

/* Round out[0..count) to float32 values, as ComfyUI returns float32 tensors; returns count. */
static int
scheduler_round(double *out, int count)
{
    for (int i = 0; i < count; i++)
        out[i] = (float)out[i];
    return count;
}

/* Element i of numpy.linspace(a, b, n) (float64): a + i * ((b - a) / (n - 1)), last = b. */
static double
scheduler_linspace(double a, double b, int n, int i)
{
    if (n == 1)
        return a;
    if (i == n - 1)
        return b;
    return a + i * ((b - a) / (n - 1));
}

/*
 * Element i of torch.linspace(a, b, n) in float32, as its CPU kernel computes it element by
 * element: a float32 step, the first half counted up from a, the second half back from b.
 * (For 16 points or more torch's vectorised loop computes some elements as base + j*step
 * instead, which can differ in the last bit; those points are not half-integers, where the
 * bit would matter.)
 */
static double
scheduler_linspace_f32(double a, double b, int n, int i)
{
    const float fa = (float)a, fb = (float)b;
    if (n == 1)
        return fa;
    const float step = (fb - fa) / (float)(n - 1);
    return i < n / 2 ? fa + step * (float)i : fb - step * (float)(n - i - 1);
}

/* The table-walking schedulers need the model's float table. */
static void
scheduler_check_table(const struct model_sampling *ms)
{
    CHECK(ms->n >= 2 && ms->sigmas != NULL);
}

/* Matches k-diffusion get_sigmas_karras (rho = 7) with ComfyUI's table endpoints. */
static int
scheduler_karras(const struct model_sampling *ms, int steps, double *out, char **cause)
{
    (void)cause;
    const double rho = 7.0;
    double lo = pow(ms->sigma_min, 1.0 / rho);
    double hi = pow(ms->sigma_max, 1.0 / rho);
    for (int i = 0; i < steps; i++)
        out[i] = pow(hi + scheduler_linspace(0.0, 1.0, steps, i) * (lo - hi), rho);
    out[steps] = 0.0;
    return scheduler_round(out, steps + 1);
}

/* Matches k-diffusion get_sigmas_exponential: uniform in log sigma from sigma_max down. */
static int
scheduler_exponential(const struct model_sampling *ms, int steps, double *out, char **cause)
{
    (void)cause;
    double a = log(ms->sigma_max);
    double b = log(ms->sigma_min);
    for (int i = 0; i < steps; i++)
        out[i] = exp(scheduler_linspace(a, b, steps, i));
    out[steps] = 0.0;
    return scheduler_round(out, steps + 1);
}

/*
 * Matches ComfyUI simple_scheduler: a strided walk down the table,
 * sigma_x = sigmas[-(1 + int(x * n / steps))] with float division, then 0.
 */
static int
scheduler_simple(const struct model_sampling *ms, int steps, double *out, char **cause)
{
    (void)cause;
    scheduler_check_table(ms);
    double stride = (double)ms->n / steps;
    for (int x = 0; x < steps; x++) {
        int back = (int)(x * stride);
        CHECK(back >= 0 && back < ms->n);
        out[x] = ms->sigmas[ms->n - 1 - back];
    }
    out[steps] = 0.0;
    return scheduler_round(out, steps + 1);
}

/*
 * Matches ComfyUI ddim_scheduler: sigmas[1], sigmas[1 + ss], ... with ss = max(n // steps, 1),
 * reversed, after a 0 unless sigmas[1] is ~0 (then steps + 1 and no 0).  It does not start at
 * sigma_max, and gives more than steps + 1 values when ss * steps < n - ss (e.g. 30 steps:
 * ss = 33, 31 table values + 0).
 */
static int
scheduler_ddim_uniform(const struct model_sampling *ms, int steps, double *out, char **cause)
{
    (void)cause;
    scheduler_check_table(ms);
    int append_zero = !(fabs(ms->sigmas[1]) <= 1e-5);
    if (!append_zero)
        steps++;
    int stride = ms->n / steps > 1 ? ms->n / steps : 1;
    int picked = 0;
    for (int x = 1; x < ms->n; x += stride)
        picked++;
    int count = 0;
    for (int k = picked - 1; k >= 0; k--)
        out[count++] = ms->sigmas[1 + k * stride];
    if (append_zero)
        out[count++] = 0.0;
    return scheduler_round(out, count);
}

/*
 * Matches ComfyUI normal_scheduler: uniform in the model's timestep between
 * timestep(sigma_max) and timestep(sigma_min), mapped back through sigma(t).  sgm (sgm_uniform)
 * takes steps + 1 points and drops the last; plain normal takes steps points, or steps + 1 with
 * no final 0 when sigma(end) is ~0.
 */
static int
scheduler_normal_impl(const struct model_sampling *ms, int steps, double *out, int sgm)
{
    double start = model_sampling_timestep(ms, ms->sigma_max);
    double end = model_sampling_timestep(ms, ms->sigma_min);
    int append_zero = 1;
    int points = steps;
    if (sgm) {
        points = steps + 1;
    } else if (fabs(model_sampling_sigma(ms, end)) <= 1e-5) {
        points = steps + 1;
        append_zero = 0;
    }
    int count = sgm ? points - 1 : points;
    /* ComfyUI's torch.linspace of the timesteps is float32; on an EPS table its half-integer
     * points decide table ties (model_sampling_discrete_timestep), so it is reproduced.  The
     * flow maps stay in double, within 1e-5 of torch (tests/ref/schedulers.py checks). */
    const int f32 = !model_sampling_is_const(ms);
    for (int i = 0; i < count; i++)
        out[i] = model_sampling_sigma(ms, f32 ? scheduler_linspace_f32(start, end, points, i)
                                              : scheduler_linspace(start, end, points, i));
    if (append_zero)
        out[count++] = 0.0;
    return scheduler_round(out, count);
}

static int
scheduler_normal(const struct model_sampling *ms, int steps, double *out, char **cause)
{
    (void)cause;
    return scheduler_normal_impl(ms, steps, out, 0);
}

static int
scheduler_sgm_uniform(const struct model_sampling *ms, int steps, double *out, char **cause)
{
    (void)cause;
    return scheduler_normal_impl(ms, steps, out, 1);
}

/*
 * The continued fraction of the regularized incomplete beta function (modified Lentz), which
 * converges quickly for x < (a + 1) / (a + b + 2).  Returns the fraction's value F with
 * I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * F.
 */
static double
scheduler_ibeta_fraction(double a, double b, double x)
{
    const double tiny = 1e-300;
    double f = tiny, c = tiny, d = 0.0;
    for (int j = 1; j <= 1000; j++) {
        double num;
        if (j == 1) {
            num = 1.0;
        } else if (j % 2 == 0) {        /* d_{2m+1}, m = (j - 2) / 2 */
            double m = (j - 2) / 2;
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        } else {                        /* d_{2m}, m = (j - 1) / 2 */
            double m = (j - 1) / 2;
            num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));
        }
        d = 1.0 + num * d;
        d = fabs(d) < tiny ? 1.0 / tiny : 1.0 / d;
        c = 1.0 + num / c;
        c = fabs(c) < tiny ? tiny : c;
        double delta = c * d;
        f *= delta;
        if (fabs(delta - 1.0) < 1e-15)
            break;
    }
    return f;
}

/* The regularized incomplete beta function I_x(a, b), the Beta(a, b) CDF at x. */
static double
scheduler_ibeta(double a, double b, double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    double log_front = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    double front = exp(log_front);
    if (x < (a + 1.0) / (a + b + 2.0))
        return front * scheduler_ibeta_fraction(a, b, x) / a;
    return 1.0 - front * scheduler_ibeta_fraction(b, a, 1.0 - x) / b;
}

/*
 * The Beta(a, b) quantile at q (scipy.stats.beta.ppf), by bisection to the last bit.  The
 * symmetric median is exactly 0.5 (scipy gives 0.5000000000000001): with 999 table steps
 * both round to timestep 500, while a value a hair below 0.5 would round to 499.
 */
static double
scheduler_beta_ppf(double q, double a, double b)
{
    if (q <= 0.0)
        return 0.0;
    if (q >= 1.0)
        return 1.0;
    if (a == b && q == 0.5)
        return 0.5;
    double lo = 0.0, hi = 1.0;
    for (;;) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            return mid;
        if (scheduler_ibeta(a, b, mid) < q)
            lo = mid;
        else
            hi = mid;
    }
}

/*
 * Matches ComfyUI beta_scheduler (arXiv 2407.12173, alpha = beta = 0.6): timesteps
 * rint(ppf(1 - i/steps) * (n - 1)) (round half to even), consecutive repeats dropped, table
 * sigmas at those timesteps, then 0.  Can return fewer than steps + 1 values.
 */
static int
scheduler_beta(const struct model_sampling *ms, int steps, double *out, char **cause)
{
    (void)cause;
    const double alpha = 0.6, beta = 0.6;
    scheduler_check_table(ms);
    double total = ms->n - 1;
    double last = -1.0;
    int count = 0;
    for (int i = 0; i < steps; i++) {
        double q = 1.0 - i * (1.0 / steps);
        double t = rint(scheduler_beta_ppf(q, alpha, beta) * total);
        CHECK(t >= 0 && t <= total);
        if (t != last)
            out[count++] = ms->sigmas[(int)t];
        last = t;
    }
    out[count++] = 0.0;
    return scheduler_round(out, count);
}

/*
 * Matches ComfyUI linear_quadratic_schedule (from genmoai Mochi, threshold_noise 0.025,
 * linear_steps = steps // 2): linear then quadratic in 1 - sigma/sigma_max, scaled by
 * sigma_max only (meant for flow models, where sigma_max = 1).  One step gives [sigma_max, 0].
 */
static int
scheduler_linear_quadratic(const struct model_sampling *ms, int steps, double *out, char **cause)
{
    (void)cause;
    const double thr = 0.025;
    if (steps == 1) {
        out[0] = ms->sigma_max;
        out[1] = 0.0;
        return scheduler_round(out, 2);
    }
    int lin = steps / 2;
    int quad = steps - lin;
    double diff = lin - thr * steps;
    double qc = diff / (lin * ((double)quad * quad));
    double lc = thr / lin - 2 * diff / ((double)quad * quad);
    double c = qc * ((double)lin * lin);
    for (int i = 0; i < steps; i++) {
        double v = i < lin ? i * thr / lin : qc * ((double)i * i) + lc * i + c;
        out[i] = (1.0 - v) * ms->sigma_max;
    }
    out[steps] = 0.0;
    return scheduler_round(out, steps + 1);
}

/*
 * Matches ComfyUI kl_optimal_scheduler (A1111 PR 15608): sigma_i = tan(a_i atan(sigma_min) +
 * (1 - a_i) atan(sigma_max)), a_i = i / (steps - 1), then 0.  One step divides by zero in
 * ComfyUI (a NaN sigma); here it is an error rather than a silent NaN.
 */
static int
scheduler_kl_optimal(const struct model_sampling *ms, int steps, double *out, char **cause)
{
    if (steps < 2)
        return err_set(cause, "kl_optimal needs at least 2 steps, got %d", steps);
    double lo = atan(ms->sigma_min);
    double hi = atan(ms->sigma_max);
    for (int i = 0; i < steps; i++) {
        double a = (double)i / (steps - 1);
        out[i] = tan(a * lo + (1.0 - a) * hi);
    }
    out[steps] = 0.0;
    return scheduler_round(out, steps + 1);
}

/* ComfyUI's SCHEDULER_HANDLERS order; the first is its fallback for unknown names. */
const struct scheduler scheduler_registry[] = {
    { "simple", "strided walk down the model's sigma table", scheduler_simple },
    { "sgm_uniform", "uniform in timestep, steps+1 points, last dropped", scheduler_sgm_uniform },
    { "karras", "Karras et al. rho=7 between sigma_min and sigma_max", scheduler_karras },
    { "exponential", "uniform in log sigma", scheduler_exponential },
    { "ddim_uniform", "every (n/steps)-th table sigma from index 1", scheduler_ddim_uniform },
    { "beta", "table sigmas at Beta(0.6, 0.6) quantiles of the timesteps", scheduler_beta },
    { "normal", "uniform in timestep between the table endpoints", scheduler_normal },
    { "linear_quadratic", "Mochi's linear-then-quadratic, scaled by sigma_max",
      scheduler_linear_quadratic },
    { "kl_optimal", "uniform in atan(sigma) (A1111 PR 15608)", scheduler_kl_optimal },
};

#define SCHEDULER_N (sizeof scheduler_registry / sizeof scheduler_registry[0])

const size_t scheduler_count = SCHEDULER_N;

const struct scheduler *
scheduler_find(const char *name)
{
    if (name == NULL)
        return NULL;
    for (size_t i = 0; i < SCHEDULER_N; i++) {
        if (strcmp(scheduler_registry[i].name, name) == 0)
            return &scheduler_registry[i];
    }
    return NULL;
}

const char *
scheduler_closest(const char *name)
{
    const char *names[SCHEDULER_N];
    for (size_t i = 0; i < SCHEDULER_N; i++)
        names[i] = scheduler_registry[i].name;
    return strdist_closest(name != NULL ? name : "", names, SCHEDULER_N);
}

size_t
scheduler_capacity(const struct model_sampling *ms, int steps)
{
    CHECK(ms != NULL && steps >= 0 && ms->n >= 0);
    return (size_t)steps + 2 + (size_t)ms->n;
}

int
scheduler_sigmas(const struct scheduler *s, const struct model_sampling *ms, int steps,
                 double **out, int *count, char **cause)
{
    CHECK(s != NULL && ms != NULL && out != NULL && count != NULL);
    *out = NULL;
    *count = 0;
    if (steps < 1 || steps > SCHEDULER_MAX_STEPS)
        return err_set(cause, "%s: steps must be between 1 and %d, got %d", s->name,
                       SCHEDULER_MAX_STEPS, steps);
    size_t cap = scheduler_capacity(ms, steps);
    double *buf = xmalloc(cap * sizeof *buf);
    int n = s->compute(ms, steps, buf, cause);
    if (n < 0) {
        free(buf);
        return -1;
    }
    CHECK((size_t)n <= cap);
    *out = buf;
    *count = n;
    return 0;
}
