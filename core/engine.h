/*
 * engine.h - one generation: model + sampler + scheduler + cache -> sample + trace.
 *
 * The engine knows nothing of sweeps, SQLite, gnuplot or curses.  It follows
 * ComfyUI's KSampler: sigmas from the scheduler on the model's table (for
 * dpm_2, dpm_2_ancestral, uni_pc and uni_pc_bh2 one step more, then the
 * penultimate dropped; with denoise < 1 the last steps+1 of int(steps /
 * denoise)), initial noise randn(1, C, H, W) from a CPU generator seeded with
 * seed, scaled as ComfyUI's noise_scaling (EPS: sqrt(1 + sigma_0^2) on a full
 * denoise, else sigma_0; CONST: sigma_0), per-step noise from a second CPU
 * generator with the same seed, a fresh cache state, and for CONST the final
 * division by (1 - sigma_last).  With the same inputs the output is
 * bit-identical.  The model runs in its compute dtype (model_load_as); the
 * noise, the sampler's state and the output are float32 in every dtype.
 *
 * Ownership: engine_generate fills caller storage (struct engine_result) that
 * engine_result_release frees; the model is borrowed.
 */
#ifndef FBW_CORE_ENGINE_H
#define FBW_CORE_ENGINE_H

#include <math.h>
#include <stdint.h>

#include "core/cache.h"
#include "core/model.h"
#include "core/model_sampling.h"
#include "core/trace.h"
#include "util/usage.h"

struct engine_params {
    const char *sampler;            /* ComfyUI name */
    const char *scheduler;
    int steps;
    double denoise;                 /* (0, 1]; 0 is taken as 1 (a full denoise) */
    double eta, s_noise;            /* NAN: the sampler's defaults */
    double cfg;
    uint64_t seed;
    int64_t label;                  /* class index */
    const char *cache_policy;       /* NULL = "fbcache" */
    struct cache_params cache;
    /* Called before every step; nonzero stops the run (engine_generate then fails with
     * "stopped"). */
    int (*on_step)(void *ctx, int step, int steps);
    void *ctx;
};

/* Start every engine_params from this (ComfyUI KSampler's defaults; eta/s_noise unset). */
#define ENGINE_PARAMS_DEFAULT                                                               \
    { .sampler = "euler", .scheduler = "simple", .steps = 20, .denoise = 1.0, .eta = NAN,   \
      .s_noise = NAN, .cfg = 8.0, .seed = 0, .label = 0, .cache = CACHE_PARAMS_DEFAULT }

struct engine_result {
    float *x0;                      /* (1, C, H, W) float32 output, host memory */
    int64_t shape[4];
    double *sigmas;                 /* the schedule actually sampled */
    int nsigmas;
    struct trace trace;             /* one record per model call */
    double wall_seconds;            /* the whole generation, noise to host copy */
    double call_seconds;            /* sum of the model calls' times */
    const char *timer;              /* how calls were timed: "cuda-events" or "host-clock" */
    int calls;
    enum tensor_dtype dtype;        /* the model's compute dtype (also trace.dtype) */
    struct usage usage;             /* the process's CPU time, context switches and page
                                     * faults over the generation (util/usage.h) */
    int64_t peak_device_bytes;      /* device memory high-water mark of the generation;
                                     * -1 = not measured (the CPU) */
};

/* The number of float32 values in r->x0 (the product of r->shape). */
size_t engine_result_numel(const struct engine_result *r);

/* Build the model sampling a model's config asks for; -1 + cause if unsupported. */
int engine_model_sampling(const struct model_config *cfg, struct model_sampling *ms,
                          char **cause);

/* Check names and ranges without running anything (for usage errors up front). */
int engine_check_params(const struct model *m, const struct engine_params *p, char **cause);

int engine_generate(struct model *m, const struct engine_params *p, struct engine_result *out,
                    char **cause);
void engine_result_release(struct engine_result *r);

#endif
