/*
 * model_sampling.h - the noise-level table of a diffusion model (ComfyUI's model_sampling).
 *
 * A model sampling maps between the sampler's noise level sigma and the network's timestep,
 * and supplies the sigma range the schedulers walk down.  It reproduces ComfyUI
 * comfy/model_sampling.py; the kinds so far:
 *
 *   MODEL_SAMPLING_EPS   ModelSamplingDiscrete: a table of n sigmas from a beta schedule,
 *                        sigma = sqrt((1 - alphas_cumprod) / alphas_cumprod), ascending.
 *                        timestep() is the NEAREST table index (no interpolation).
 *   MODEL_SAMPLING_FLOW  ModelSamplingDiscreteFlow: sigma(t) = time_snr_shift(shift,
 *                        t / multiplier) = s t' / (1 + (s - 1) t'); table of 1000 at
 *                        t' = i/1000; timestep(sigma) = sigma * multiplier.
 *   MODEL_SAMPLING_FLUX  ModelSamplingFlux: sigma(t) = e^mu / (e^mu + 1/t - 1), mu = shift;
 *                        table of 10000 at t = i/10000; timestep(sigma) = sigma.
 *
 * For the flow kinds timestep() is NOT the inverse of sigma() (unless shift = 1), as in
 * ComfyUI; the normal scheduler's low end shows it (sampling.md A.3).
 *
 * Numbers: betas and their cumulative product are computed in double; sigmas and log_sigmas are
 * stored as float, as ComfyUI stores float32 buffers (log taken in double before the cast).
 * The flow tables are computed in float32 arithmetic, operation by operation, as ComfyUI's
 * torch code computes them, so they match its buffers bit for bit; their maps (timestep, sigma,
 * percent_to_sigma) are evaluated in double.  sigma_min and sigma_max are the float table
 * endpoints widened to double.
 *
 * Ownership: init fills caller storage and allocates the two tables; release frees them.  The
 * struct is public so callers may read the tables; only init writes them.
 *
 *     struct model_sampling ms;
 *     char *cause = NULL;
 *     if (model_sampling_init_discrete(&ms, MODEL_SAMPLING_BETA_SCALED_LINEAR, 0, 0, 1000,
 *                                      &cause) != 0) { report(cause); free(cause); }
 *     double t = model_sampling_timestep(&ms, 1.0);     -> 354
 *     model_sampling_release(&ms);
 */
#ifndef FBW_CORE_MODEL_SAMPLING_H
#define FBW_CORE_MODEL_SAMPLING_H

/*
 * Beta schedules, with diffusers' names.  LINEAR is DiT's (betas linear in beta, default
 * 1e-4 .. 0.02); SCALED_LINEAR is Stable Diffusion's (linear in sqrt(beta), default
 * 0.00085 .. 0.012), which ComfyUI's make_beta_schedule calls "linear".
 */
enum model_sampling_beta {
    MODEL_SAMPLING_BETA_LINEAR,
    MODEL_SAMPLING_BETA_SCALED_LINEAR,
    MODEL_SAMPLING_BETA_COUNT
};

/* The kind of model sampling: how sigma, timestep and the sampler's space relate. */
enum model_sampling_kind {
    MODEL_SAMPLING_EPS,     /* ComfyUI ModelSamplingDiscrete + EPS (variance exploding) */
    MODEL_SAMPLING_FLOW,    /* ModelSamplingDiscreteFlow + CONST (SD3, AuraFlow, ...) */
    MODEL_SAMPLING_FLUX,    /* ModelSamplingFlux + CONST (FLUX.1-dev) */
    MODEL_SAMPLING_KIND_COUNT
};

/* ComfyUI's percent_to_sigma result for percent <= 0 ("before the start"). */
#define MODEL_SAMPLING_SIGMA_BEFORE_START 999999999.9

struct model_sampling {
    enum model_sampling_kind kind;
    int n;                  /* number of table entries (the model's training timesteps) */
    float *sigmas;          /* [n] ascending; sigmas[0] = sigma_min, sigmas[n-1] = sigma_max */
    float *log_sigmas;      /* [n] (float)log(sigma computed in double) */
    double sigma_min;       /* (double)sigmas[0] */
    double sigma_max;       /* (double)sigmas[n-1] */
    double shift;           /* flow kinds: the time shift (FLOW: alpha, FLUX: mu) */
    double multiplier;      /* FLOW: timestep = sigma * multiplier (1 for FLUX) */
};

/* 1 for the flow-matching (CONST) kinds: x = (1 - sigma) x0 + sigma eps, sigma in [0, 1]. */
int model_sampling_is_const(const struct model_sampling *ms);

/* The schedule's name ("linear", "scaled_linear"); beta must be valid. Static storage. */
const char *model_sampling_beta_name(enum model_sampling_beta beta);

/* The schedule called name, or -1 when name is unknown (or NULL). */
int model_sampling_beta_from_name(const char *name);

/* The kind's name ("eps"); kind must be valid. Static storage. */
const char *model_sampling_kind_name(enum model_sampling_kind kind);

/*
 * Fill ms as ComfyUI ModelSamplingDiscrete (EPS) with `timesteps` entries from the given beta
 * schedule.  beta_start/beta_end <= 0 select the schedule's default.  Returns 0, or -1 with
 * *cause set (caller frees) when timesteps < 2 or the betas leave (0, 1).  beta must be valid.
 * On failure ms owns nothing; on success call model_sampling_release.
 */
int model_sampling_init_discrete(struct model_sampling *ms, enum model_sampling_beta beta,
                                 double beta_start, double beta_end, int timesteps,
                                 char **cause);

/*
 * ComfyUI ModelSamplingDiscreteFlow: a table of `timesteps` (1000) sigmas
 * time_snr_shift(shift, i/timesteps), i = 1..timesteps; timestep = sigma * multiplier.
 * Returns -1 with *cause for shift <= 0 or multiplier <= 0.
 */
int model_sampling_init_flow(struct model_sampling *ms, double shift, double multiplier,
                             int timesteps, char **cause);

/*
 * ComfyUI ModelSamplingFlux: 10000 sigmas flux_time_shift(shift, 1, i/10000); timestep = sigma
 * (the network multiplies by 1000 itself).  Default shift 1.15.
 */
int model_sampling_init_flux(struct model_sampling *ms, double shift, char **cause);

/* Free the tables and zero ms.  NULL-safe, and safe on a zeroed struct. */
void model_sampling_release(struct model_sampling *ms);

/*
 * The network timestep for sigma > 0.  EPS: the table index whose log sigma is nearest to
 * log(sigma), the first on ties (matches ComfyUI ModelSamplingDiscrete.timestep, torch argmin).
 * FLOW: sigma * multiplier.  FLUX: sigma.
 */
double model_sampling_timestep(const struct model_sampling *ms, double sigma);

/*
 * The sigma at timestep t.  EPS: t clamped to [0, n-1], then log-linear interpolation between
 * the two neighbouring table entries (matches ComfyUI ModelSamplingDiscrete.sigma).  FLOW:
 * time_snr_shift(shift, t / multiplier); FLUX: flux_time_shift(shift, 1, t), 0 at t = 0.
 * Neither flow kind clamps t.
 */
double model_sampling_sigma(const struct model_sampling *ms, double t);

/*
 * The sigma at which a fraction p of sampling has elapsed: p <= 0 gives
 * MODEL_SAMPLING_SIGMA_BEFORE_START (1 for the flow kinds), p >= 1 gives 0, otherwise EPS gives
 * sigma((1 - p)(n - 1)) (matches ComfyUI ModelSamplingDiscrete.percent_to_sigma, whose 999 is
 * n - 1 for n = 1000) and the flow kinds give their shift at 1 - p, whatever the multiplier.
 */
double model_sampling_percent_to_sigma(const struct model_sampling *ms, double p);

#endif
