/*
 * engine.h - one generation: model + sampler + scheduler + cache -> sample + trace.
 *
 * The engine knows nothing of sweeps, SQLite, gnuplot or curses.  It follows
 * ComfyUI's KSampler: sigmas from the scheduler on the model's table (the
 * penultimate dropped for the samplers that ask), initial noise randn(1, C,
 * H, W) from a CPU generator seeded with seed scaled by sqrt(1 + sigma_0^2)
 * for a full denoise (sigma_0 at the model's sigma_max), per-step noise from
 * a second CPU generator with the same seed, and a fresh cache state.  With
 * the same inputs the output is bit-identical.
 *
 * Ownership: engine_generate fills caller storage (struct engine_result) that
 * engine_result_release frees; the model is borrowed.
 */
#ifndef FBW_CORE_ENGINE_H
#define FBW_CORE_ENGINE_H

#include <stdint.h>

#include "core/cache.h"
#include "core/model.h"
#include "core/model_sampling.h"
#include "core/trace.h"

struct engine_params {
    const char *sampler;            /* ComfyUI name */
    const char *scheduler;
    int steps;
    double cfg;
    uint64_t seed;
    int64_t label;                  /* class index */
    const char *cache_policy;       /* NULL = "fbcache" */
    struct cache_params cache;
    /* Called before every step; nonzero stops the run (engine_generate then fails with "stopped"). */
    int (*on_step)(void *ctx, int step, int steps);
    void *ctx;
};

struct engine_result {
    float *x0;                      /* (1, C, H, W) float32 output, host memory */
    int64_t shape[4];
    double *sigmas;                 /* the schedule actually sampled */
    int nsigmas;
    struct trace trace;             /* one record per model call */
    double wall_seconds;            /* the whole generation, noise to host copy */
    double call_seconds;            /* sum of the model calls' wall times */
    int calls;
};

/* Build the model sampling a model's config asks for; -1 + cause if unsupported. */
int engine_model_sampling(const struct model_config *cfg, struct model_sampling *ms,
                          char **cause);

/* Check names and ranges without running anything (for usage errors up front). */
int engine_check_params(const struct model *m, const struct engine_params *p, char **cause);

int engine_generate(struct model *m, const struct engine_params *p, struct engine_result *out,
                    char **cause);
void engine_result_release(struct engine_result *r);

#endif
