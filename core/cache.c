/*
 * cache.c - the policy registry, parameter checks and the uncached forward.
 */
#include "core/cache.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

extern const struct cache_policy cache_policy_fbcache;

const struct cache_policy *const cache_policies[] = {
    &cache_policy_fbcache,
};
const size_t cache_policy_count = sizeof cache_policies / sizeof cache_policies[0];

struct cache {
    const struct cache_policy *policy;
    struct cache_params params;
    int active;
    void *state;
};

const struct cache_policy *
cache_policy_find(const char *name)
{
    for (size_t i = 0; i < cache_policy_count; i++)
        if (strcmp(cache_policies[i]->name, name) == 0)
            return cache_policies[i];
    return NULL;
}

static int
cache_params_check(const struct cache_params *p, char **cause)
{
    if (isnan(p->residual_diff_threshold))
        return err_set(cause, "residual_diff_threshold must be a number");
    if (p->max_consecutive_cache_hits < -1)
        return err_set(cause, "max_consecutive_cache_hits must be -1 (unlimited), 0 (off) or "
                       "a positive count, not %d", p->max_consecutive_cache_hits);
    if (!(p->start >= 0 && p->start <= 1))
        return err_set(cause, "start must be in [0, 1], not %g", p->start);
    if (!(p->end >= 0 && p->end <= 1))
        return err_set(cause, "end must be in [0, 1], not %g", p->end);
    return 0;
}

struct cache *
cache_new(const struct cache_policy *policy, const struct cache_params *p,
          const struct model_sampling *ms, char **cause)
{
    CHECK(policy != NULL);
    if (cache_params_check(p, cause) < 0)
        return NULL;
    struct cache *c = xcalloc(1, sizeof *c);
    c->policy = policy;
    c->params = *p;
    c->active = policy->active(p);
    if (c->active)
        c->state = policy->state_new(p, ms);
    return c;
}

void
cache_free(struct cache *c)
{
    if (c == NULL)
        return;
    if (c->state != NULL)
        c->policy->state_free(c->state);
    free(c);
}

void
cache_reset(struct cache *c)
{
    if (c != NULL && c->state != NULL)
        c->policy->state_reset(c->state);
}

int
cache_active(const struct cache *c)
{
    return c != NULL && c->active;
}

struct tensor *
cache_forward_full(struct model *m, struct tensor_scope *s, const struct cache_input *in)
{
    struct model_state st;
    model_embed(m, s, in->x, in->timestep, in->y, &st);
    for (int i = 0; i < model_depth(m); i++)
        model_block(m, s, i, &st);
    return model_final(m, s, &st);
}

struct tensor *
cache_forward(struct cache *c, struct model *m, struct tensor_scope *s,
              const struct cache_input *in, struct trace_record *rec)
{
    if (!cache_active(c)) {
        rec->hit = 0;
        rec->reason = TRACE_OFF;
        return cache_forward_full(m, s, in);
    }
    return c->policy->forward(c->state, m, s, in, rec);
}
