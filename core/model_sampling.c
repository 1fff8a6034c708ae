/*
 * model_sampling.c - sigma tables and the sigma <-> timestep maps of ComfyUI's model samplings.
 *
 * Concept: a diffusion model is trained on a discrete ladder of noise levels.  ComfyUI's
 * ModelSamplingDiscrete (comfy/model_sampling.py) turns a beta schedule into that ladder,
 * sigma_i = sqrt((1 - prod_{j<=i}(1 - beta_j)) / prod_{j<=i}(1 - beta_j)), stores it as float32,
 * and answers three questions the schedulers and samplers ask: which timestep does a sigma map
 * to (nearest index in log sigma), which sigma sits at a fractional timestep (log-linear
 * interpolation), and which sigma marks a given fraction of the run (percent_to_sigma).
 *
 * Each kind answers those questions through one row of model_sampling_kinds[], so a new kind
 * is one init function plus one table row.  The flow kinds (ModelSamplingDiscreteFlow,
 * ModelSamplingFlux) build their table from a time shift in float32 arithmetic, as ComfyUI
 * does, and answer the three questions with the closed-form shift in double; their timestep()
 * is sigma * multiplier, which is not the inverse of their sigma() unless shift = 1.
 *
 * Invariants: after init, n >= 2 and sigmas[] is ascending and positive (strictly for EPS; a
 * Flux table with a large shift repeats float values near 1), so sigma_min = sigmas[0] and
 * sigma_max = sigmas[n-1].  Nothing here keeps global state.
 * Workload: init is a single pass over n (1000, or 10000 for Flux) entries; the EPS timestep()
 * scans the table once per call (a few calls per sampling step).
 */
#include "core/model_sampling.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* One beta schedule: its name, default range, and whether it is linear in sqrt(beta). */
struct model_sampling_beta_def {
    const char *name;
    double start;
    double end;
    int sqrt_space;
};

static const struct model_sampling_beta_def model_sampling_betas[] = {
    /* facebookresearch/DiT diffusion/gaussian_diffusion.py get_beta_schedule("linear") */
    [MODEL_SAMPLING_BETA_LINEAR] = { "linear", 1e-4, 0.02, 0 },
    /* ComfyUI make_beta_schedule("linear") = diffusers "scaled_linear" (SD1.x/SDXL) */
    [MODEL_SAMPLING_BETA_SCALED_LINEAR] = { "scaled_linear", 0.00085, 0.012, 1 },
};
NAME_TABLE_CHECK(model_sampling_betas, MODEL_SAMPLING_BETA_COUNT);

/* The per-kind answers to "timestep of sigma", "sigma of timestep", "sigma of percent". */
struct model_sampling_kind_def {
    const char *name;
    double (*timestep)(const struct model_sampling *ms, double sigma);
    double (*sigma)(const struct model_sampling *ms, double t);
    double (*percent_to_sigma)(const struct model_sampling *ms, double p);
};

static double model_sampling_discrete_timestep(const struct model_sampling *ms, double sigma);
static double model_sampling_discrete_sigma(const struct model_sampling *ms, double t);
static double model_sampling_discrete_percent(const struct model_sampling *ms, double p);
static double model_sampling_flow_timestep(const struct model_sampling *ms, double sigma);
static double model_sampling_flow_sigma(const struct model_sampling *ms, double t);
static double model_sampling_flow_percent(const struct model_sampling *ms, double p);
static double model_sampling_flux_timestep(const struct model_sampling *ms, double sigma);
static double model_sampling_flux_sigma(const struct model_sampling *ms, double t);
static double model_sampling_flux_percent(const struct model_sampling *ms, double p);

static const struct model_sampling_kind_def model_sampling_kinds[] = {
    [MODEL_SAMPLING_EPS] = { "eps", model_sampling_discrete_timestep,
                             model_sampling_discrete_sigma, model_sampling_discrete_percent },
    [MODEL_SAMPLING_FLOW] = { "flow", model_sampling_flow_timestep, model_sampling_flow_sigma,
                              model_sampling_flow_percent },
    [MODEL_SAMPLING_FLUX] = { "flux", model_sampling_flux_timestep, model_sampling_flux_sigma,
                              model_sampling_flux_percent },
};
NAME_TABLE_CHECK(model_sampling_kinds, MODEL_SAMPLING_KIND_COUNT);

const char *
model_sampling_beta_name(enum model_sampling_beta beta)
{
    CHECK((int)beta >= 0 && beta < MODEL_SAMPLING_BETA_COUNT);
    return model_sampling_betas[beta].name;
}

int
model_sampling_beta_from_name(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < MODEL_SAMPLING_BETA_COUNT; i++) {
        if (strcmp(model_sampling_betas[i].name, name) == 0)
            return i;
    }
    return -1;
}

const char *
model_sampling_kind_name(enum model_sampling_kind kind)
{
    CHECK((int)kind >= 0 && kind < MODEL_SAMPLING_KIND_COUNT);
    return model_sampling_kinds[kind].name;
}

/* Element i of numpy.linspace(a, b, n) (float64): a + i * ((b - a) / (n - 1)), last = b. */
static double
model_sampling_linspace(double a, double b, int n, int i)
{
    if (i == n - 1)
        return b;
    return a + i * ((b - a) / (n - 1));
}

/*
 * Fill the float tables from the betas, matching ComfyUI ModelSamplingDiscrete._register_schedule
 * (make_beta_schedule, cumprod and sqrt in float64, then set_sigmas' float32 casts).
 */
static void
model_sampling_fill_discrete(struct model_sampling *ms, const struct model_sampling_beta_def *def,
                             double start, double end)
{
    double lo = def->sqrt_space ? sqrt(start) : start;
    double hi = def->sqrt_space ? sqrt(end) : end;
    double alphas_cumprod = 1.0;
    for (int i = 0; i < ms->n; i++) {
        double v = model_sampling_linspace(lo, hi, ms->n, i);
        double beta = def->sqrt_space ? v * v : v;
        alphas_cumprod *= 1.0 - beta;
        double sigma = sqrt((1.0 - alphas_cumprod) / alphas_cumprod);
        ms->sigmas[i] = (float)sigma;
        ms->log_sigmas[i] = (float)log(sigma);
    }
    ms->sigma_min = ms->sigmas[0];
    ms->sigma_max = ms->sigmas[ms->n - 1];
}

int
model_sampling_init_discrete(struct model_sampling *ms, enum model_sampling_beta beta,
                             double beta_start, double beta_end, int timesteps, char **cause)
{
    CHECK(ms != NULL);
    CHECK((int)beta >= 0 && beta < MODEL_SAMPLING_BETA_COUNT);
    memset(ms, 0, sizeof *ms);

    const struct model_sampling_beta_def *def = &model_sampling_betas[beta];
    double start = beta_start <= 0 ? def->start : beta_start;
    double end = beta_end <= 0 ? def->end : beta_end;
    if (timesteps < 2)
        return err_set(cause, "model sampling needs at least 2 timesteps, got %d", timesteps);
    /* Linear in beta or in sqrt(beta): every beta lies between the endpoints. */
    if (!(start < 1.0 && end < 1.0))
        return err_set(cause, "%s betas %g..%g must lie in (0, 1)", def->name, start, end);

    ms->kind = MODEL_SAMPLING_EPS;
    ms->n = timesteps;
    ms->sigmas = xmalloc((size_t)timesteps * sizeof *ms->sigmas);
    ms->log_sigmas = xmalloc((size_t)timesteps * sizeof *ms->log_sigmas);
    model_sampling_fill_discrete(ms, def, start, end);
    return 0;
}

void
model_sampling_release(struct model_sampling *ms)
{
    if (ms == NULL)
        return;
    free(ms->sigmas);
    free(ms->log_sigmas);
    memset(ms, 0, sizeof *ms);
}

static const struct model_sampling_kind_def *
model_sampling_kind_of(const struct model_sampling *ms)
{
    CHECK(ms != NULL);
    CHECK((int)ms->kind >= 0 && ms->kind < MODEL_SAMPLING_KIND_COUNT);
    return &model_sampling_kinds[ms->kind];
}

double
model_sampling_timestep(const struct model_sampling *ms, double sigma)
{
    return model_sampling_kind_of(ms)->timestep(ms, sigma);
}

double
model_sampling_sigma(const struct model_sampling *ms, double t)
{
    return model_sampling_kind_of(ms)->sigma(ms, t);
}

double
model_sampling_percent_to_sigma(const struct model_sampling *ms, double p)
{
    return model_sampling_kind_of(ms)->percent_to_sigma(ms, p);
}

/*
 * Matches ComfyUI ModelSamplingDiscrete.timestep: argmin_i |log sigma - log_sigmas[i]|, the
 * first index on ties (torch.argmin).  A sigma <= 0 makes every distance infinite: index 0.
 */
static double
model_sampling_discrete_timestep(const struct model_sampling *ms, double sigma)
{
    CHECK(ms->n >= 1 && ms->log_sigmas != NULL);
    /* In float32, as ComfyUI's tensors are: at the half-integer timesteps that normal's
     * linspace produces, sigma(t) lies halfway between two entries; the two distances tie
     * exactly in float32 (argmin then takes the first) but not in double. */
    const float log_sigma = logf((float)sigma);
    int best = 0;
    float best_dist = fabsf(log_sigma - ms->log_sigmas[0]);
    for (int i = 1; i < ms->n; i++) {
        float dist = fabsf(log_sigma - ms->log_sigmas[i]);
        if (dist < best_dist) {
            best = i;
            best_dist = dist;
        }
    }
    return best;
}

/*
 * Matches ComfyUI ModelSamplingDiscrete.sigma: clamp t to [0, n-1], interpolate log sigma
 * linearly between floor(t) and ceil(t) with weight frac(t), exponentiate; every operation in
 * float32 as ComfyUI's tensors (a double result rounded once can land one float32 step away,
 * on the other side of a tie that model_sampling_discrete_timestep then decides).
 */
static double
model_sampling_discrete_sigma(const struct model_sampling *ms, double t)
{
    CHECK(ms->n >= 1 && ms->log_sigmas != NULL);
    CHECK(!isnan(t));
    const float top = (float)(ms->n - 1);
    float tf = (float)t;
    tf = tf < 0.0f ? 0.0f : tf > top ? top : tf;
    const float lo = floorf(tf);
    const float w = tf - lo;
    const float log_sigma = (1.0f - w) * ms->log_sigmas[(int)lo] +
                            w * ms->log_sigmas[(int)ceilf(tf)];
    return expf(log_sigma);
}

/* Matches ComfyUI ModelSamplingDiscrete.percent_to_sigma (its 999.0 is n - 1). */
static double
model_sampling_discrete_percent(const struct model_sampling *ms, double p)
{
    if (p <= 0.0)
        return MODEL_SAMPLING_SIGMA_BEFORE_START;
    if (p >= 1.0)
        return 0.0;
    return model_sampling_discrete_sigma(ms, (1.0 - p) * (ms->n - 1));
}

/* ---- flow matching (CONST) ------------------------------------------------ */

int
model_sampling_is_const(const struct model_sampling *ms)
{
    return ms->kind == MODEL_SAMPLING_FLOW || ms->kind == MODEL_SAMPLING_FLUX;
}

/* ComfyUI comfy/model_sampling.py time_snr_shift. */
static double
model_sampling_time_snr_shift(double alpha, double t)
{
    if (alpha == 1.0)
        return t;
    return alpha * t / (1.0 + (alpha - 1.0) * t);
}

/* ComfyUI comfy/model_sampling.py flux_time_shift(mu, sigma = 1, t). */
static double
model_sampling_flux_time_shift(double mu, double t)
{
    return exp(mu) / (exp(mu) + (1.0 / t - 1.0));
}

/*
 * Entry i (1-based) of a flow kind's table, computed as ComfyUI's set_parameters computes it:
 * float32 torch arithmetic with one rounding per operation and the Python constants rounded to
 * float32.  DiscreteFlow: t = arange / n, then sigma(t * multiplier) = shift(t * m / m).
 * Flux: flux_time_shift(mu, 1, t), where `1 / t` and `exp(mu) / d` are torch's
 * Tensor.__rtruediv__, i.e. reciprocal() times the scalar.  Evaluating the formula in double
 * and rounding once differs from ComfyUI's buffer by an ulp in over half the entries, which
 * simple, beta and ddim_uniform would hand to the sampler verbatim.  Each operation is its own
 * statement, since clang contracts a * b + c within an expression by default (GCC under the
 * Makefile's -std=c11 does not contract at all).
 */
static float
model_sampling_flow_entry(const struct model_sampling *ms, int i)
{
    float t = (float)i / (float)ms->n;
    if (ms->kind == MODEL_SAMPLING_FLUX) {
        float e = (float)exp(ms->shift);
        float inv = 1.0f / t;
        float d = inv - 1.0f;
        d = d + e;
        float r = 1.0f / d;
        return r * e;
    }
    float m = (float)ms->multiplier;
    t = t * m;
    t = t / m;
    if (ms->shift == 1.0)
        return t;
    float num = (float)ms->shift * t;
    float den = (float)(ms->shift - 1.0) * t;
    den = 1.0f + den;
    return num / den;
}

/* A flow kind's table; ComfyUI keeps no log table, fbw's holds the logs of the float entries. */
static void
model_sampling_fill_flow(struct model_sampling *ms, int n)
{
    ms->n = n;
    ms->sigmas = xmalloc((size_t)n * sizeof *ms->sigmas);
    ms->log_sigmas = xmalloc((size_t)n * sizeof *ms->log_sigmas);
    for (int i = 0; i < n; i++) {
        ms->sigmas[i] = model_sampling_flow_entry(ms, i + 1);
        ms->log_sigmas[i] = (float)log((double)ms->sigmas[i]);
    }
    ms->sigma_min = ms->sigmas[0];
    ms->sigma_max = ms->sigmas[n - 1];
}

int
model_sampling_init_flow(struct model_sampling *ms, double shift, double multiplier,
                         int timesteps, char **cause)
{
    memset(ms, 0, sizeof *ms);
    if (!(shift > 0) || !(multiplier > 0))
        return err_set(cause, "flow model sampling needs shift > 0 and multiplier > 0 "
                       "(got %g, %g)", shift, multiplier);
    if (timesteps < 2)
        return err_set(cause, "model sampling needs at least 2 timesteps, got %d", timesteps);
    ms->kind = MODEL_SAMPLING_FLOW;
    ms->shift = shift;
    ms->multiplier = multiplier;
    model_sampling_fill_flow(ms, timesteps);
    return 0;
}

int
model_sampling_init_flux(struct model_sampling *ms, double shift, char **cause)
{
    memset(ms, 0, sizeof *ms);
    if (!isfinite(shift))
        return err_set(cause, "flux model sampling needs a finite shift, got %g", shift);
    ms->kind = MODEL_SAMPLING_FLUX;
    ms->shift = shift;
    ms->multiplier = 1.0;
    model_sampling_fill_flow(ms, 10000);
    return 0;
}

/* ModelSamplingDiscreteFlow.timestep: sigma * multiplier (NOT the inverse of sigma()). */
static double
model_sampling_flow_timestep(const struct model_sampling *ms, double sigma)
{
    return sigma * ms->multiplier;
}

static double
model_sampling_flow_sigma(const struct model_sampling *ms, double t)
{
    return model_sampling_time_snr_shift(ms->shift, t / ms->multiplier);
}

static double
model_sampling_flow_percent(const struct model_sampling *ms, double p)
{
    if (p <= 0.0)
        return 1.0;
    if (p >= 1.0)
        return 0.0;
    return model_sampling_time_snr_shift(ms->shift, 1.0 - p);
}

static double
model_sampling_flux_timestep(const struct model_sampling *ms, double sigma)
{
    (void)ms;
    return sigma;
}

static double
model_sampling_flux_sigma(const struct model_sampling *ms, double t)
{
    return model_sampling_flux_time_shift(ms->shift, t);
}

static double
model_sampling_flux_percent(const struct model_sampling *ms, double p)
{
    if (p <= 0.0)
        return 1.0;
    if (p >= 1.0)
        return 0.0;
    return model_sampling_flux_time_shift(ms->shift, 1.0 - p);
}
