/*
 * cache.h - step-cache policies over the model interface (First Block Cache first).
 *
 * A policy decides, per model call, whether the model's blocks after the
 * first may be skipped and a stored residual reused.  It only sees
 * model_embed / model_block / model_final, so it never knows the
 * architecture.  Policies are const descriptors listed in cache_policies[]
 * (cache.c); a new policy is one new file and one table line.
 *
 * A struct cache is one policy's live state for one sampling run; call
 * cache_reset before every generation (WaveSpeed makes a fresh context per
 * run).  It owns the buffers it keeps between calls (a persistent scope).
 * Every call fills the decision fields of a trace record (rel_l1, hit,
 * reason, seq).
 *
 *     struct cache_params p = CACHE_PARAMS_DEFAULT;
 *     p.residual_diff_threshold = 0.1;
 *     struct cache *c = cache_new(cache_policy_find("fbcache"), &p, &ms, &cause);
 *     cache_reset(c);
 *     out = cache_forward(c, model, scope, &in, &rec);   per model call
 *     cache_free(c);
 */
#ifndef FBW_CORE_CACHE_H
#define FBW_CORE_CACHE_H

#include <stddef.h>

#include "core/model.h"
#include "core/model_sampling.h"
#include "core/trace.h"

/* WaveSpeed's knobs, with its defaults. */
struct cache_params {
    double residual_diff_threshold;     /* <= 0: cache off */
    int max_consecutive_cache_hits;     /* -1 unlimited, 0 cache off, N at most N hits in a row */
    double start, end;                  /* percents of sampling, via percent_to_sigma */
};

#define CACHE_PARAMS_DEFAULT \
    { .residual_diff_threshold = 0.0, .max_consecutive_cache_hits = -1, .start = 0.0, .end = 1.0 }

/* One model call's inputs: x (B, C, H, W) model input, timestep (B), y (B) labels. */
struct cache_input {
    struct tensor *x;
    struct tensor *timestep;
    struct tensor *y;
    double sigma;           /* the sampler's sigma for this call */
};

struct cache_policy {
    const char *name;
    const char *summary;
    /* 1 when params switch the policy on (else every call is computed, reason "off"). */
    int (*active)(const struct cache_params *p);
    void *(*state_new)(const struct cache_params *p, const struct model_sampling *ms);
    void (*state_reset)(void *state);
    void (*state_free)(void *state);
    struct tensor *(*forward)(void *state, struct model *m, struct tensor_scope *s,
                              const struct cache_input *in, struct trace_record *rec);
};

extern const struct cache_policy *const cache_policies[];
extern const size_t cache_policy_count;

/* The policy called name, or NULL. */
const struct cache_policy *cache_policy_find(const char *name);

struct cache;

/* Params are checked (ranges) here; -1 style NULL + cause on bad values. */
struct cache *cache_new(const struct cache_policy *policy, const struct cache_params *p,
                        const struct model_sampling *ms, char **cause);
void cache_free(struct cache *c);
/* Forget everything: the next call is a generation's first. */
void cache_reset(struct cache *c);
/* 1 when the cache may skip anything with its params. */
int cache_active(const struct cache *c);

/*
 * The model's output for in (B, C_out, H, W) in s.  c may be NULL (no
 * cache).  Fills rec's rel_l1, hit, reason and seq.
 */
struct tensor *cache_forward(struct cache *c, struct model *m, struct tensor_scope *s,
                             const struct cache_input *in, struct trace_record *rec);

/* The uncached forward: embed, every block, final. For policies and the "none" path. */
struct tensor *cache_forward_full(struct model *m, struct tensor_scope *s,
                                  const struct cache_input *in);

#endif
