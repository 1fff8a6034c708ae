/*
 * model_dit.c - facebookresearch DiT (adaLN-Zero) over the tensor shim.
 *
 * Matches DiT's models.py: timm PatchEmbed conv, fixed 2-D sin-cos position
 * embedding (sin first, first half encodes the column), 256-frequency
 * timestep embedding (cos first), label table with a trailing null class,
 * adaLN-Zero blocks (shift, scale, gate for attention then MLP), final layer
 * (shift then scale) and unpatchify with the channel last in each patch.
 *
 * Dimension legend:
 *   B batch, C in_channels, Co out channels (2C with learn_sigma), I input size,
 *   p patch, g = I/p grid, T = g*g tokens, H hidden, nh heads, hd = H/nh,
 *   M = H*mlp_ratio MLP width, K num_classes (K+1 label rows).
 *
 * Each block's intermediates go to the model's work scope, which model.c
 * resets after the block; only the block's output lands in the caller's scope.
 */
#include "core/model_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

enum {
    DIT_FREQ_DIM = 256,     /* timestep frequency embedding size */
    DIT_HEAD_PARAMS = 8,    /* params before the blocks */
    DIT_BLOCK_PARAMS = 10,  /* five weight/bias pairs per block */
    DIT_FINAL_PARAMS = 4,
};

struct dit_block {
    struct tensor *qkv_w, *qkv_b;       /* (3H, H), (3H) */
    struct tensor *proj_w, *proj_b;     /* (H, H), (H) */
    struct tensor *fc1_w, *fc1_b;       /* (M, H), (M) */
    struct tensor *fc2_w, *fc2_b;       /* (H, M), (H) */
    struct tensor *ada_w, *ada_b;       /* (6H, H), (6H) */
};

struct dit {
    struct model_config cfg;            /* copy of the scalars; names not owned */
    struct tensor *patch_w, *patch_b;   /* (H, C, p, p), (H) */
    struct tensor *pos_embed;           /* (1, T, H) */
    struct tensor *t_w0, *t_b0;         /* (H, 256), (H) */
    struct tensor *t_w2, *t_b2;         /* (H, H), (H) */
    struct tensor *label_table;         /* (K+1, H) */
    struct tensor *freqs;               /* (128) timestep frequencies, float32 in every dtype */
    struct dit_block *blocks;           /* depth */
    struct tensor *final_w, *final_b;   /* (p*p*Co, H), (p*p*Co) */
    struct tensor *final_ada_w, *final_ada_b;   /* (2H, H), (2H) */
};

static int
dit_mlp_width(const struct model_config *cfg)
{
    return (int)(cfg->hidden_size * cfg->mlp_ratio);
}

static int
dit_out_channels(const struct model_config *cfg)
{
    return cfg->learn_sigma ? 2 * cfg->in_channels : cfg->in_channels;
}

static int
dit_param_count(const struct model_config *cfg)
{
    return DIT_HEAD_PARAMS + DIT_BLOCK_PARAMS * cfg->depth + DIT_FINAL_PARAMS;
}

static void
dit_param_set(struct model_param *p, const char *name, double std, int ndim, int64_t d0,
              int64_t d1, int64_t d2, int64_t d3)
{
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->ndim = ndim;
    int64_t d[4] = {d0, d1, d2, d3};
    memcpy(p->shape, d, sizeof d);
    p->init_std = std;
}

/* Xavier-normal std for a (out, in) matrix. */
static double
dit_xavier(int64_t fan_out, int64_t fan_in)
{
    return sqrt(2.0 / (double)(fan_in + fan_out));
}

static void
dit_block_param(const struct model_config *cfg, int block, int j, struct model_param *p)
{
    static const char *const names[DIT_BLOCK_PARAMS / 2] = {
        "attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2", "adaLN_modulation.1",
    };
    const int64_t H = cfg->hidden_size, M = dit_mlp_width(cfg);
    const int64_t rows[DIT_BLOCK_PARAMS / 2] = {3 * H, H, M, H, 6 * H};
    const int64_t cols[DIT_BLOCK_PARAMS / 2] = {H, H, H, M, H};
    char name[MODEL_PARAM_NAME_MAX];
    int k = j / 2;
    snprintf(name, sizeof name, "blocks.%d.%s.%s", block, names[k], j % 2 ? "bias" : "weight");
    if (j % 2 == 0) {
        /* adaLN weights are drawn non-zero but small, so the gates open a little. */
        double std = k == 4 ? 0.5 / sqrt((double)H) : dit_xavier(rows[k], cols[k]);
        dit_param_set(p, name, std, 2, rows[k], cols[k], 0, 0);
    } else {
        dit_param_set(p, name, 0.02, 1, rows[k], 0, 0, 0);
    }
}

static void
dit_head_param(const struct model_config *cfg, int i, struct model_param *p)
{
    const int64_t H = cfg->hidden_size, C = cfg->in_channels, P = cfg->patch_size;
    const int64_t T = (cfg->input_size / P) * (cfg->input_size / P);
    switch (i) {
    case 0: dit_param_set(p, "x_embedder.proj.weight", dit_xavier(H, C * P * P), 4, H, C, P, P);
            break;
    case 1: dit_param_set(p, "x_embedder.proj.bias", 0.02, 1, H, 0, 0, 0); break;
    case 2: dit_param_set(p, "pos_embed", 0, 3, 1, T, H, 0); p->fixed_init = 1; break;
    case 3: dit_param_set(p, "t_embedder.mlp.0.weight", dit_xavier(H, DIT_FREQ_DIM), 2,
                          H, DIT_FREQ_DIM, 0, 0); break;
    case 4: dit_param_set(p, "t_embedder.mlp.0.bias", 0.02, 1, H, 0, 0, 0); break;
    case 5: dit_param_set(p, "t_embedder.mlp.2.weight", dit_xavier(H, H), 2, H, H, 0, 0); break;
    case 6: dit_param_set(p, "t_embedder.mlp.2.bias", 0.02, 1, H, 0, 0, 0); break;
    default: dit_param_set(p, "y_embedder.embedding_table.weight", 0.5, 2,
                           cfg->num_classes + 1, H, 0, 0); break;
    }
}

static void
dit_final_param(const struct model_config *cfg, int i, struct model_param *p)
{
    const int64_t H = cfg->hidden_size, P = cfg->patch_size, Co = dit_out_channels(cfg);
    switch (i) {
    case 0: dit_param_set(p, "final_layer.linear.weight", dit_xavier(P * P * Co, H), 2,
                          P * P * Co, H, 0, 0); break;
    case 1: dit_param_set(p, "final_layer.linear.bias", 0.02, 1, P * P * Co, 0, 0, 0); break;
    case 2: dit_param_set(p, "final_layer.adaLN_modulation.1.weight", 0.5 / sqrt((double)H), 2,
                          2 * H, H, 0, 0); break;
    default: dit_param_set(p, "final_layer.adaLN_modulation.1.bias", 0.02, 1, 2 * H, 0, 0, 0);
             break;
    }
}

/* Params in checkpoint order: head, blocks 0..depth-1, final layer. */
static void
dit_param_at(const struct model_config *cfg, int i, struct model_param *p)
{
    int nb = DIT_BLOCK_PARAMS * cfg->depth;
    if (i < DIT_HEAD_PARAMS)
        dit_head_param(cfg, i, p);
    else if (i < DIT_HEAD_PARAMS + nb)
        dit_block_param(cfg, (i - DIT_HEAD_PARAMS) / DIT_BLOCK_PARAMS,
                        (i - DIT_HEAD_PARAMS) % DIT_BLOCK_PARAMS, p);
    else
        dit_final_param(cfg, i - DIT_HEAD_PARAMS - nb, p);
}

/*
 * DiT's get_2d_sincos_pos_embed: for token (row r, column c) the first H/2
 * values encode c and the rest r, each as [sin(pos*w_k), cos(pos*w_k)] with
 * w_k = 10000^(-k/(H/4)).  Computed in double and stored as float, as DiT
 * builds it in float64 numpy and casts.
 */
static void
dit_fixed_values(const struct model_config *cfg, const struct model_param *p, float *out)
{
    CHECK(strcmp(p->name, "pos_embed") == 0);
    const int H = cfg->hidden_size, g = cfg->input_size / cfg->patch_size;
    const int quarter = H / 4;
    for (int r = 0; r < g; r++) {
        for (int c = 0; c < g; c++) {
            float *row = out + (size_t)(r * g + c) * H;
            for (int half = 0; half < 2; half++) {
                double pos = half == 0 ? c : r;
                float *e = row + half * (H / 2);
                for (int k = 0; k < quarter; k++) {
                    double w = 1.0 / pow(10000.0, (double)k / quarter);
                    e[k] = (float)sin(pos * w);
                    e[quarter + k] = (float)cos(pos * w);
                }
            }
        }
    }
}

static void *
dit_init(const struct model_config *cfg, struct tensor **w, struct tensor_scope *persistent,
         char **cause)
{
    if (cfg->hidden_size % cfg->num_heads != 0 || cfg->hidden_size % 4 != 0) {
        err_set(cause, "hidden_size %d must be a multiple of 4 and of num_heads %d",
                cfg->hidden_size, cfg->num_heads);
        return NULL;
    }
    struct dit *d = xcalloc(1, sizeof *d);
    d->cfg = *cfg;
    d->patch_w = w[0], d->patch_b = w[1], d->pos_embed = w[2];
    d->t_w0 = w[3], d->t_b0 = w[4], d->t_w2 = w[5], d->t_b2 = w[6];
    d->label_table = w[7];
    d->blocks = xcalloc((size_t)cfg->depth, sizeof *d->blocks);
    for (int i = 0; i < cfg->depth; i++) {
        struct tensor **b = w + DIT_HEAD_PARAMS + DIT_BLOCK_PARAMS * i;
        d->blocks[i] = (struct dit_block){
            .qkv_w = b[0], .qkv_b = b[1], .proj_w = b[2], .proj_b = b[3],
            .fc1_w = b[4], .fc1_b = b[5], .fc2_w = b[6], .fc2_b = b[7],
            .ada_w = b[8], .ada_b = b[9],
        };
    }
    struct tensor **f = w + DIT_HEAD_PARAMS + DIT_BLOCK_PARAMS * cfg->depth;
    d->final_w = f[0], d->final_b = f[1], d->final_ada_w = f[2], d->final_ada_b = f[3];
    /* DiT: exp(-ln(10000) * arange(half) / half), all in float32. */
    const int half = DIT_FREQ_DIM / 2;
    struct tensor *k = tensor_arange(persistent, half, TENSOR_F32, tensor_device(w[0]));
    d->freqs = tensor_exp(persistent, tensor_mul_scalar(persistent,
                          tensor_mul_scalar(persistent, k, -log(10000.0)), 1.0 / half));
    if (tensor_scope_error(persistent) != NULL) {
        err_set(cause, "%s", tensor_scope_error(persistent));
        free(d->blocks);
        free(d);
        return NULL;
    }
    return d;
}

static void
dit_release(void *impl)
{
    struct dit *d = impl;
    if (d != NULL)
        free(d->blocks);
    free(d);
}

static void
dit_embed(void *impl, struct tensor_scope *s, struct tensor *x, struct tensor *timestep,
          struct tensor *y, struct model_state *st)
{
    struct dit *d = impl;
    const int64_t B = tensor_dim(x, 0), H = d->cfg.hidden_size;
    /* Patch embed: (B, C, I, I) -> (B, H, g, g) -> (B, T, H), plus the fixed grid. */
    struct tensor *p = tensor_conv2d(s, x, d->patch_w, d->patch_b, d->cfg.patch_size, 0);
    p = tensor_transpose(s, tensor_reshape(s, p, 3, (int64_t[]){B, H, -1}), 1, 2);
    st->h = tensor_add(s, p, d->pos_embed);
    /* Timestep: cat[cos, sin](t * freqs) -> Linear -> SiLU -> Linear.  (B, 256) -> (B, H)
     * The frequencies are float32 whatever the model's dtype, and the embedding is cast to the
     * weights' dtype before the first linear (ComfyUI: timestep_embedding(...).to(dtype)). */
    struct tensor *args = tensor_mul(s, tensor_unsqueeze(s, timestep, 1),
                                     tensor_unsqueeze(s, d->freqs, 0));
    struct tensor *cs[2] = {tensor_cos(s, args), tensor_sin(s, args)};
    struct tensor *tfreq = tensor_to(s, tensor_cat(s, cs, 2, 1), tensor_dtype(d->t_w0),
                                     tensor_device(d->t_w0));
    struct tensor *temb = tensor_linear(s, tfreq, d->t_w0, d->t_b0);
    temb = tensor_linear(s, tensor_silu(s, temb), d->t_w2, d->t_b2);
    /* c = t_emb + y_emb (B, H); every adaLN reads silu(c). */
    st->c = tensor_add(s, temb, tensor_embedding(s, d->label_table, y));
    st->c_act = tensor_silu(s, st->c);
}

/* timm Attention on the modulated tokens xm (B, T, H) -> (B, T, H). */
static struct tensor *
dit_attention(const struct dit *d, const struct dit_block *b, struct tensor_scope *w,
              struct tensor *xm)
{
    const int64_t B = tensor_dim(xm, 0), T = tensor_dim(xm, 1), H = d->cfg.hidden_size;
    const int64_t nh = d->cfg.num_heads, hd = H / nh;
    struct tensor *qkv = tensor_linear(w, xm, b->qkv_w, b->qkv_b);     /* (B, T, 3H) */
    qkv = tensor_reshape(w, qkv, 5, (int64_t[]){B, T, 3, nh, hd});
    qkv = tensor_permute(w, qkv, 5, (int[]){2, 0, 3, 1, 4});          /* (3, B, nh, T, hd) */
    struct tensor *q[3];
    tensor_chunk(w, qkv, 3, 0, q);                                     /* each (1, B, nh, T, hd) */
    struct tensor *o = tensor_attention(w, q[0], q[1], q[2], 0);
    o = tensor_reshape(w, tensor_permute(w, o, 5, (int[]){0, 1, 3, 2, 4}), 3,
                       (int64_t[]){B, T, H});
    return tensor_linear(w, o, b->proj_w, b->proj_b);
}

/* h + gate[:, None] * y, with gate (B, H) and h, y (B, T, H). */
static struct tensor *
dit_gated_add(struct tensor_scope *s, struct tensor *h, struct tensor *gate, struct tensor *y)
{
    return tensor_addcmul(s, h, tensor_unsqueeze(s, gate, 1), y);
}

static struct tensor *
dit_block(void *impl, struct tensor_scope *w, int i, const struct model_state *st)
{
    struct dit *d = impl;
    const struct dit_block *b = &d->blocks[i];
    /* (shift, scale, gate) for attention, then for the MLP; each (B, H). */
    struct tensor *m[6];
    tensor_chunk(w, tensor_linear(w, st->c_act, b->ada_w, b->ada_b), 6, 1, m);
    struct tensor *x = st->h;
    struct tensor *xm = tensor_modulate(w, tensor_layer_norm(w, x, 1e-6), m[0], m[1]);
    x = dit_gated_add(w, x, m[2], dit_attention(d, b, w, xm));
    xm = tensor_modulate(w, tensor_layer_norm(w, x, 1e-6), m[3], m[4]);
    struct tensor *f = tensor_gelu_tanh(w, tensor_linear(w, xm, b->fc1_w, b->fc1_b));
    return dit_gated_add(w, x, m[5], tensor_linear(w, f, b->fc2_w, b->fc2_b));
}

static struct tensor *
dit_final(void *impl, struct tensor_scope *w, const struct model_state *st)
{
    struct dit *d = impl;
    const int64_t B = tensor_dim(st->h, 0), P = d->cfg.patch_size;
    const int64_t g = d->cfg.input_size / P, Co = dit_out_channels(&d->cfg);
    struct tensor *m[2];    /* shift, scale */
    tensor_chunk(w, tensor_linear(w, st->c_act, d->final_ada_w, d->final_ada_b), 2, 1, m);
    struct tensor *x = tensor_modulate(w, tensor_layer_norm(w, st->h, 1e-6), m[0], m[1]);
    x = tensor_linear(w, x, d->final_w, d->final_b);                   /* (B, T, p*p*Co) */
    /* unpatchify "nhwpqc -> nchpwq": (B, g, g, p, p, Co) -> (B, Co, g*p, g*p) */
    x = tensor_reshape(w, x, 6, (int64_t[]){B, g, g, P, P, Co});
    x = tensor_permute(w, x, 6, (int[]){0, 5, 1, 3, 2, 4});
    return tensor_reshape(w, x, 4, (int64_t[]){B, Co, g * P, g * P});
}

const struct model_arch model_arch_dit = {
    .name = "dit",
    .param_count = dit_param_count,
    .param_at = dit_param_at,
    .fixed_values = dit_fixed_values,
    .init = dit_init,
    .release = dit_release,
    .embed = dit_embed,
    .block = dit_block,
    .final = dit_final,
};
