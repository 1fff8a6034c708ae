/*
 * model.h - a diffusion transformer seen as embed / block i / final.
 *
 * The cache policies and the denoiser only ever call these four entry points,
 * so a new architecture (MMDiT, a UNet split at its first block) plugs in
 * without touching them.  The first architecture is facebookresearch DiT
 * (model_dit.c), loaded from safetensors with DiT's key names and a JSON
 * config in __metadata__["fbw.config"].
 *
 * Ownership: struct model owns its weights (a persistent tensor scope on the
 * model's device, in its compute dtype) and a private work scope that holds a block's
 * intermediates only while the block runs.  Tensors returned by
 * model_embed/model_block/model_final live in the scope the caller passes.
 * A model is not thread-safe (the work scope is shared by its calls).
 *
 * Example:
 *     struct model *m = model_load_as("dit.safetensors", TENSOR_CPU, TENSOR_BF16, &cause);
 *     struct model_state st;
 *     model_embed(m, s, x, t, y, &st);
 *     for (int i = 0; i < model_depth(m); i++) model_block(m, s, i, &st);
 *     struct tensor *out = model_final(m, s, &st);   (B, C_out, H, W)
 */
#ifndef FBW_CORE_MODEL_H
#define FBW_CORE_MODEL_H

#include <stdint.h>

#include "core/shim/tensor.h"

#define MODEL_MAX_CLASSES 4096

/* The checkpoint's __metadata__["fbw.config"], validated. */
struct model_config {
    char arch[16];              /* "dit" */
    int input_size;             /* H = W of the model's input */
    int patch_size;
    int in_channels;
    int hidden_size;
    int depth;
    int num_heads;
    double mlp_ratio;
    int num_classes;            /* the label table has num_classes + 1 rows (null class last) */
    int learn_sigma;            /* output has 2*in_channels channels, the first half is eps */
    char prediction[8];         /* "eps" or "flow" */
    char beta_schedule[16];     /* "linear" (DiT) or "scaled_linear" (SD) */
    double beta_start, beta_end;    /* 0 = the schedule's default */
    int num_timesteps;
    double shift, multiplier;   /* flow models */
    char **class_names;         /* num_classes strings, or NULL */
};

/* What the blocks pass along: the token stream and the conditioning. */
struct model_state {
    struct tensor *h;           /* (B, T, H) hidden tokens */
    struct tensor *c;           /* (B, H) conditioning t_emb + y_emb */
    struct tensor *c_act;       /* (B, H) silu(c), shared by every adaLN */
};

struct model;

/*
 * Compute dtypes.  A model runs in one of these: its weights are converted to it once, on load,
 * from whatever the file holds (F32, F16 or BF16: one rounding, never two), and every block
 * computes in it.  The sampler's maths stays float32 (as ComfyUI): the denoiser casts the model
 * input to the compute dtype and the model output back to float32.  FBCache's indicator and
 * rel-L1 are computed on the model's tensors, in its dtype (as WaveSpeed).
 */
#define MODEL_DTYPE_COUNT 3
/* f32 (the default), bf16, f16, in that order. */
extern const enum tensor_dtype model_dtypes[MODEL_DTYPE_COUNT];
/* The compute dtype called name ("f32", "bf16", "f16"): 0 and *out, or -1. */
int model_dtype_find(const char *name, enum tensor_dtype *out);
/* The compute dtype name closest to name (for "did you mean"). Static storage. */
const char *model_dtype_closest(const char *name);

/*
 * Load and validate a checkpoint; weights become float32 on device.  Returns
 * NULL and an allocated *cause naming the file and the problem on failure.
 */
struct model *model_load(const char *path, enum tensor_device device, char **cause);
/* The same with the weights converted to dtype, one of model_dtypes[] (a programmer error
 * otherwise). */
struct model *model_load_as(const char *path, enum tensor_device device, enum tensor_dtype dtype,
                            char **cause);
/* NULL-safe. */
void model_free(struct model *m);

const struct model_config *model_config(const struct model *m);
int model_depth(const struct model *m);
int64_t model_param_count(const struct model *m);
enum tensor_device model_device(const struct model *m);
/* The compute dtype: the weights' and the blocks' (TENSOR_F32 unless loaded otherwise). */
enum tensor_dtype model_dtype(const struct model *m);
const char *model_path(const struct model *m);
/*
 * The model FLOPs of one forward pass of config c over a batch, by part (a multiply-add counts
 * 2; matrix products, attention's two products and the adaLN projections; elementwise work
 * is left out): embed (patch, timestep and label embeddings), one block, final layer.  A full
 * call computes embed + depth x block + final; a First Block Cache hit embed + block + final.
 */
struct model_flops {
    double embed, block, final;
};
struct model_flops model_flops(const struct model_config *c, int batch);

/* Number of output channels that are the prediction (in_channels). */
int model_out_channels(const struct model *m);

/*
 * x (B, C, H, W) model input in the model's dtype, timestep (B) float32, y (B) int64 labels
 * (num_classes = the null class).  Fills st with tensors in s, in the model's dtype.
 */
void model_embed(struct model *m, struct tensor_scope *s, struct tensor *x,
                 struct tensor *timestep, struct tensor *y, struct model_state *st);
/* Runs block i on st->h, replacing it with the block's output (in s). */
void model_block(struct model *m, struct tensor_scope *s, int i, struct model_state *st);
/* Final layer and unpatchify: (B, C_out, H, W) in s. */
struct tensor *model_final(struct model *m, struct tensor_scope *s, struct model_state *st);

/* ---- configs and checkpoints ---------------------------------------------- */

/* Parse and validate a config JSON text; fills cfg (release with model_config_release). */
int model_config_parse(struct model_config *cfg, const char *json, char **cause);
void model_config_release(struct model_config *cfg);
/* The config as compact JSON (caller frees). */
char *model_config_to_json(const struct model_config *cfg);

/*
 * Write a DiT checkpoint with random weights drawn from seed: xavier-like
 * linear weights, small random biases, and adaLN modulation weights drawn
 * non-zero (not DiT's zero init) so every block contributes.  For tests,
 * demos and benchmarks until trained weights exist.
 */
int model_write_random(const struct model_config *cfg, uint64_t seed, const char *path,
                       char **cause);
/* The same with DiT's adaLN-Zero init (modulation and final linear zero): where training starts. */
int model_write_init(const struct model_config *cfg, uint64_t seed, const char *path,
                     char **cause);

/* ---- training ------------------------------------------------------------- */

/*
 * Load a checkpoint for training: every weight except the fixed ones (DiT's pos_embed) is a
 * float32 leaf parameter that records gradients, and the forward pass builds the autograd
 * graph (the scopes passed to embed/block/final must be TENSOR_SCOPE_GRAD).
 */
struct model *model_load_trainable(const char *path, enum tensor_device device, char **cause);
/* Number of weights, and weight i: its checkpoint name, its tensor, whether it is trained. */
int model_weight_count(const struct model *m);
struct tensor *model_weight(const struct model *m, int i, const char **name, int *trainable);
/*
 * Write the model as a checkpoint (F32, config in __metadata__, plus extra metadata pairs
 * key[i]=value[i]).  override, when non-NULL, supplies weight i's values instead (NULL entries
 * keep the model's own), e.g. the EMA weights.  Written to path.tmp and renamed.
 */
int model_save(const struct model *m, struct tensor *const *override, const char *const *keys,
               const char *const *values, int nextra, const char *path, char **cause);

#endif
