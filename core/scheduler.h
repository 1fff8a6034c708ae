/*
 * scheduler.h - the registry of noise schedules (ComfyUI's SCHEDULER_HANDLERS).
 *
 * A scheduler turns a model sampling (core/model_sampling.h) and a step count into the list of
 * sigmas a sampler walks: descending, normally steps + 1 values ending in 0.  Each one
 * reproduces the ComfyUI function of the same name (comfy/samplers.py and
 * comfy/k_diffusion/sampling.py), exceptions included:
 *
 *   ddim_uniform   may return more than steps + 1 values and does not start at sigma_max
 *   beta           may return fewer (repeated timesteps are dropped)
 *   normal         returns steps values with no final 0 when the table's sigma_min is ~0
 *
 * Values are computed in double and each is rounded to float32 at the end (ComfyUI's sigmas
 * are float32 tensors), then returned widened to double; on EPS tables normal's timestep
 * linspace and the table lookups are float32 as ComfyUI's (scheduler.c explains why).
 *
 * The registry is a const table: scheduler_registry[0 .. scheduler_count) in ComfyUI's order,
 * whose first entry ("simple") is what ComfyUI's KSampler falls back to for an unknown name.
 * Adding a scheduler is one compute function and one table line in scheduler.c.
 *
 *     const struct scheduler *s = scheduler_find("karras");
 *     if (s == NULL) printf("did you mean '%s'?\n", scheduler_closest("karras"));
 *     double *sig; int count; char *cause = NULL;
 *     if (scheduler_sigmas(s, &ms, 30, &sig, &count, &cause) == 0) { use(sig, count); free(sig); }
 */
#ifndef FBW_CORE_SCHEDULER_H
#define FBW_CORE_SCHEDULER_H

#include <stddef.h>

struct model_sampling;

/* The largest step count scheduler_sigmas accepts (ComfyUI's KSampler node allows 10000). */
#define SCHEDULER_MAX_STEPS 10000

struct scheduler {
    const char *name;       /* ComfyUI's name, e.g. "karras" */
    const char *summary;    /* one line for `list` and the TUI picker */
    /*
     * Write the schedule for 1 <= steps <= SCHEDULER_MAX_STEPS into out, which has room for
     * scheduler_capacity(ms, steps) values.  Returns the number written, or -1 with *cause
     * set (caller frees) when the schedule is undefined for these arguments.
     */
    int (*compute)(const struct model_sampling *ms, int steps, double *out, char **cause);
};

extern const struct scheduler scheduler_registry[];
extern const size_t scheduler_count;

/* The registry entry called name, or NULL when there is none (or name is NULL). */
const struct scheduler *scheduler_find(const char *name);

/* The registry name nearest to name in edit distance (for "did you mean"); never NULL. */
const char *scheduler_closest(const char *name);

/* How many values any scheduler may write for (ms, steps): steps + 2 + ms->n. */
size_t scheduler_capacity(const struct model_sampling *ms, int steps);

/*
 * Compute s's schedule for ms and steps into a newly allocated array *out of *count values,
 * which the caller frees.  Returns 0, or -1 with *cause set (caller frees) and *out = NULL,
 * *count = 0 when steps is outside [1, SCHEDULER_MAX_STEPS] or the schedule is undefined
 * (kl_optimal with 1 step, where ComfyUI divides by zero).
 */
int scheduler_sigmas(const struct scheduler *s, const struct model_sampling *ms, int steps,
                     double **out, int *count, char **cause);

#endif
