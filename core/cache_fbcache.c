/*
 * cache_fbcache.c - First Block Cache with Comfy-WaveSpeed's exact semantics
 * (chengzeyi/Comfy-WaveSpeed fbcache_nodes.py + first_block_cache.py;
 * shared/reference/fbcache.md section 1).
 *
 * Per model call at sigma (the float32 value, as the wrapper reads it):
 *   - bookkeeping: a new run (first call, input shape past the batch changed,
 *     or sigma went up) starts a fresh context; the same sigma as the last
 *     call is a follow-up chunk (seq + 1); a lower sigma starts seq 0.
 *   - embed, block 0; the indicator is block 0's residual h1 - h0.
 *   - slot seq has no reference: miss (reason "first").
 *   - seq > 0: no metric; the call follows seq 0's decision at this sigma
 *     (AND the shapes match).
 *   - seq 0: hit iff mean|prev - cur| / mean|prev| < threshold (strict, NaN
 *     misses), sigma within [end_sigma, start_sigma], and fewer than
 *     max_consecutive_cache_hits hits in a row; the counter resets on a miss.
 *   - hit: h = h1 + stored residual of blocks 1..n-1.  miss: run blocks
 *     1..n-1, then store the indicator and that residual in slot seq (the
 *     reference changes only on a miss).  embed and final always run.
 *
 * Invariant: a slot's buffers live in the slot's own scope, replaced whole on
 * a miss, so memory stays at two hidden-state tensors per slot.
 */
#include "core/cache.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* ComfyUI splits a call in at most a few chunks; heun-like samplers use two slots. */
#define FBCACHE_MAX_SLOTS 8

struct fbcache_slot {
    struct tensor_scope *scope;     /* owns the two buffers below */
    struct tensor *indicator;       /* (B, T, H) block-0 residual of the last computed call */
    struct tensor *residual;        /* (B, T, H) blocks 1..n-1 residual of that call */
};

struct fbcache {
    double threshold;
    int max_hits;
    double start_sigma, end_sigma;  /* computed once from start/end, as the node does */
    int have_prev;
    float prev_sigma;
    int64_t prev_shape[4];          /* model input dims 1..3 */
    int seq;                        /* calls at this same sigma before the current one */
    int use_cache;                  /* the decision of the current sigma's calls */
    enum trace_reason use_reason;
    int consecutive;                /* hits in a row (seq-0 decisions) */
    struct fbcache_slot slots[FBCACHE_MAX_SLOTS];
};

static int
fbcache_active(const struct cache_params *p)
{
    /* The node returns the model untouched for these values. */
    return p->residual_diff_threshold > 0 && p->max_consecutive_cache_hits != 0;
}

static void
fbcache_reset(void *state)
{
    struct fbcache *f = state;
    for (int i = 0; i < FBCACHE_MAX_SLOTS; i++) {
        tensor_scope_reset(f->slots[i].scope);
        f->slots[i].indicator = f->slots[i].residual = NULL;
    }
    f->have_prev = 0;
    f->seq = 0;
    f->use_cache = 0;
    f->use_reason = TRACE_FIRST;
    f->consecutive = 0;
}

static void *
fbcache_new(const struct cache_params *p, const struct model_sampling *ms)
{
    struct fbcache *f = xcalloc(1, sizeof *f);
    f->threshold = p->residual_diff_threshold;
    f->max_hits = p->max_consecutive_cache_hits;
    f->start_sigma = model_sampling_percent_to_sigma(ms, p->start);
    f->end_sigma = model_sampling_percent_to_sigma(ms, p->end);
    for (int i = 0; i < FBCACHE_MAX_SLOTS; i++)
        f->slots[i].scope = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    fbcache_reset(f);
    return f;
}

static void
fbcache_free(void *state)
{
    struct fbcache *f = state;
    for (int i = 0; i < FBCACHE_MAX_SLOTS; i++)
        tensor_scope_free(f->slots[i].scope);
    free(f);
}

/* WaveSpeed's ensure_cache_state: reset, follow-up chunk or next sigma. */
static void
fbcache_track_sigma(struct fbcache *f, const struct cache_input *in, float sigma)
{
    int64_t shape[4] = {0};
    for (int d = 1; d < 4; d++)
        shape[d] = tensor_dim(in->x, d);
    int reset = !f->have_prev || memcmp(shape, f->prev_shape, sizeof shape) != 0 ||
                sigma > f->prev_sigma;
    if (reset)
        fbcache_reset(f);
    else if (sigma == f->prev_sigma)
        f->seq++;
    else
        f->seq = 0;
    memcpy(f->prev_shape, shape, sizeof shape);
}

static int
fbcache_same_shape(const struct tensor *a, const struct tensor *b)
{
    if (tensor_ndim(a) != tensor_ndim(b))
        return 0;
    for (int d = 0; d < tensor_ndim(a); d++)
        if (tensor_dim(a, d) != tensor_dim(b, d))
            return 0;
    return 1;
}

/* The seq-0 decision: metric, then WaveSpeed's validator (window, max hits). */
static enum trace_reason
fbcache_judge(struct fbcache *f, struct tensor_scope *s, const struct fbcache_slot *slot,
              struct tensor *indicator, float sigma, double *rel_l1)
{
    enum trace_reason r;
    *rel_l1 = NAN;
    if (!fbcache_same_shape(slot->indicator, indicator)) {
        r = TRACE_THRESHOLD;    /* WaveSpeed: a shape mismatch is "not similar" */
    } else {
        *rel_l1 = tensor_rel_l1(s, slot->indicator, indicator);
        if (!(*rel_l1 < f->threshold))          /* strict; NaN misses */
            r = TRACE_THRESHOLD;
        else if (!(f->end_sigma <= sigma && sigma <= f->start_sigma))
            r = TRACE_WINDOW;
        else if (f->max_hits >= 0 && f->consecutive >= f->max_hits)
            r = TRACE_MAX_HITS;
        else
            r = TRACE_HIT;
    }
    f->consecutive = r == TRACE_HIT ? f->consecutive + 1 : 0;
    f->use_cache = r == TRACE_HIT;
    f->use_reason = r;
    return r;
}

static enum trace_reason
fbcache_decide(struct fbcache *f, struct tensor_scope *s, const struct fbcache_slot *slot,
               struct tensor *indicator, float sigma, double *rel_l1)
{
    *rel_l1 = NAN;
    if (slot == NULL || slot->indicator == NULL)
        return TRACE_FIRST;     /* WaveSpeed returns before touching use_cache */
    if (f->seq > 0) {
        f->use_cache = f->use_cache && fbcache_same_shape(slot->indicator, indicator);
        return f->use_cache ? TRACE_HIT : f->use_reason;
    }
    return fbcache_judge(f, s, slot, indicator, sigma, rel_l1);
}

static struct tensor *
fbcache_forward(void *state, struct model *m, struct tensor_scope *s,
                const struct cache_input *in, struct trace_record *rec)
{
    struct fbcache *f = state;
    const float sigma = (float)in->sigma;
    fbcache_track_sigma(f, in, sigma);
    struct fbcache_slot *slot = f->seq < FBCACHE_MAX_SLOTS ? &f->slots[f->seq] : NULL;

    struct model_state st;
    model_embed(m, s, in->x, in->timestep, in->y, &st);
    struct tensor *h0 = st.h;                           /* (B, T, H) */
    model_block(m, s, 0, &st);
    struct tensor *h1 = st.h;
    struct tensor *indicator = tensor_sub(s, h1, h0);   /* block 0's residual */

    rec->seq = f->seq;
    rec->reason = fbcache_decide(f, s, slot, indicator, sigma, &rec->rel_l1);
    rec->hit = rec->reason == TRACE_HIT;
    if (rec->hit) {
        st.h = tensor_add(s, h1, slot->residual);
    } else {
        for (int i = 1; i < model_depth(m); i++)
            model_block(m, s, i, &st);
        if (slot != NULL && tensor_scope_error(s) == NULL) {
            tensor_scope_reset(slot->scope);
            slot->indicator = tensor_copy_to(slot->scope, indicator);
            slot->residual = tensor_copy_to(slot->scope, tensor_sub(s, st.h, h1));
        }
    }
    f->prev_sigma = sigma;
    f->have_prev = 1;
    return model_final(m, s, &st);
}

const struct cache_policy cache_policy_fbcache = {
    .name = "fbcache",
    .summary = "First Block Cache (Comfy-WaveSpeed): skip blocks 1..n-1 while block 0's "
               "residual stays within residual_diff_threshold",
    .active = fbcache_active,
    .state_new = fbcache_new,
    .state_reset = fbcache_reset,
    .state_free = fbcache_free,
    .forward = fbcache_forward,
};
