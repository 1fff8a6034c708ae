/*
 * model_impl.h - what an architecture provides to core/model.c.
 *
 * model.c owns the generic parts (config, safetensors, the weight scope) and
 * dispatches embed/block/final through a const struct model_arch.  Each
 * architecture lists the tensors it expects (name and shape) so loading and
 * the random-weights writer share one source of truth.
 */
#ifndef FBW_CORE_MODEL_IMPL_H
#define FBW_CORE_MODEL_IMPL_H

#include "core/model.h"

#define MODEL_PARAM_NAME_MAX 96

/* One expected weight: its checkpoint key, its shape and how to draw it at random. */
struct model_param {
    char name[MODEL_PARAM_NAME_MAX];
    int ndim;
    int64_t shape[4];
    double init_std;    /* std of the random init (0: fixed values, see fixed_init) */
    int fixed_init;     /* 1: filled by the arch (e.g. the sin-cos pos_embed) */
};

struct model_arch {
    const char *name;
    /* Number of params for cfg, and the i-th of them. */
    int (*param_count)(const struct model_config *cfg);
    void (*param_at)(const struct model_config *cfg, int i, struct model_param *p);
    /* Values of a fixed_init param (float32, numel of p). */
    void (*fixed_values)(const struct model_config *cfg, const struct model_param *p, float *out);
    /* Build the arch's private state from the loaded weights (in order of param_at). */
    void *(*init)(const struct model_config *cfg, struct tensor **weights,
                  struct tensor_scope *persistent, char **cause);
    void (*release)(void *impl);
    void (*embed)(void *impl, struct tensor_scope *s, struct tensor *x, struct tensor *timestep,
                  struct tensor *y, struct model_state *st);
    /* Block i's output tokens and the final output, allocated in the work scope. */
    struct tensor *(*block)(void *impl, struct tensor_scope *work, int i,
                            const struct model_state *st);
    struct tensor *(*final)(void *impl, struct tensor_scope *work, const struct model_state *st);
};

extern const struct model_arch model_arch_dit;

/*
 * A model over an architecture that brings its own state instead of a
 * checkpoint (scripted models in tests).  cfg is copied (class_names must be
 * NULL); impl is released with arch->release when the model is freed.
 */
struct model *model_new_custom(const struct model_arch *arch, const struct model_config *cfg,
                               void *impl, enum tensor_device device);

#endif
