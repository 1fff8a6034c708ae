/*
 * tensor.h - libtorch behind a plain C API: the only door to tensors in fbw.
 *
 * The rule: every tensor belongs to the scope it was created in, and freeing or
 * resetting that scope frees it.  A `struct tensor *` is a non-owning handle;
 * no single tensor is ever freed.  Tensors are immutable through this API (no
 * op writes into its inputs), so a handle registered in two scopes is safe.
 *
 * Two lifetimes have names: a *persistent* scope (model weights, cache
 * buffers) and a *step* scope (everything one sampler step computes, reset at
 * the end of the step).  Moving a tensor to a longer-lived scope is explicit:
 * tensor_copy_to(dst, t).
 *
 * Errors are sticky per scope, as in cairo: the first failing op records its
 * message in the scope it was asked to allocate into, returns NULL, and every
 * later op on that scope (or given a NULL input) does nothing and returns
 * NULL.  Callers write model code as straight-line maths and check
 * tensor_scope_error() once per step.  No C++ exception ever crosses this
 * header; the last message is also readable per thread (tensor_last_error).
 *
 * Inference runs with autograd off (c10::InferenceMode); a scope created with
 * TENSOR_SCOPE_GRAD records gradients instead (the trainer's).
 *
 * Example:
 *     struct tensor_scope *step = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
 *     struct tensor *y = tensor_add(step, tensor_mul_scalar(step, x, 2.0), b);
 *     if (tensor_scope_error(step) != NULL) { report it; }
 *     tensor_scope_reset(step);
 */
#ifndef FBW_CORE_SHIM_TENSOR_H
#define FBW_CORE_SHIM_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TENSOR_MAX_DIMS 8

struct tensor;
struct tensor_scope;
struct tensor_gen;

enum tensor_dtype {
    TENSOR_F32,
    TENSOR_F16,
    TENSOR_BF16,
    TENSOR_F64,
    TENSOR_I64,
    TENSOR_U8,
    TENSOR_DTYPE_COUNT
};

enum tensor_device {
    TENSOR_CPU,
    TENSOR_CUDA,    /* cuda:0; only when built against a CUDA libtorch */
    TENSOR_DEVICE_COUNT
};

enum tensor_scope_mode {
    TENSOR_SCOPE_INFERENCE,   /* ops run under InferenceMode (the default) */
    TENSOR_SCOPE_GRAD,        /* ops record autograd history */
};

/* "f32", "f16", ... and "cpu", "cuda"; tables indexed by the enums. */
const char *tensor_dtype_name(enum tensor_dtype dtype);
const char *tensor_device_name(enum tensor_device device);
/* Bytes per element of dtype. */
size_t tensor_dtype_size(enum tensor_dtype dtype);

/* ---- library ---------------------------------------------------------- */

/* The message of this thread's last failed op ("" if none). Valid until the next op. */
const char *tensor_last_error(void);
/* libtorch's version string, e.g. "2.13.0". Static storage. */
const char *tensor_backend_version(void);
/* The CPU kernels' BLAS and threading as libtorch reports them, e.g. "MKL, OpenMP". Static. */
const char *tensor_backend_blas(void);
/* 1 when fbw was built against a CUDA build of libtorch (FBW_CUDA), with or without a GPU. */
int tensor_cuda_built(void);
/* 1 when a CUDA device can be used. */
int tensor_cuda_available(void);
/* "cpu", or "cuda:0 NAME, MEM MiB, sm_XY" for the GPU; written into buf, which is returned. */
char *tensor_device_info(enum tensor_device device, char *buf, size_t size);
/*
 * The device memory high-water mark in bytes since the last reset (the caching allocator's
 * peak of allocated bytes); reset nonzero starts a new window.  -1 where it is not measured
 * (the CPU).
 */
int64_t tensor_device_peak_bytes(enum tensor_device device, int reset);
/*
 * The thread policy: n > 0 sets ATen's intra-op thread count, which PyTorch's builds pass on to
 * OpenMP and MKL (the BLAS), so one number governs every pool; the first call also fixes the
 * inter-op pool at one thread (fbw never runs independent ops side by side).  n <= 0 changes
 * nothing.  Returns the intra-op count in force.
 */
int tensor_threads(int n);
/* The inter-op thread count in force. */
int tensor_interop_threads(void);
/* Wait for queued device work (no-op on CPU); call before reading a clock. */
void tensor_synchronize(enum tensor_device device);

/* ---- timers -------------------------------------------------------------- */

/*
 * A timer for device work.  On CUDA, timing-enabled CUDA events recorded on the current stream
 * at start and stop; stop waits for the stop event, so the result is the GPU time between the
 * two points of the stream.  On the CPU, the host's monotonic clock.  One timer measures one
 * interval at a time.
 */
struct tensor_timer;
struct tensor_timer *tensor_timer_new(enum tensor_device device, char **cause);
void tensor_timer_free(struct tensor_timer *t);     /* NULL-safe */
/* "cuda-events" or "host-clock". Static storage. */
const char *tensor_timer_kind(const struct tensor_timer *t);
void tensor_timer_start(struct tensor_timer *t);
/* Milliseconds since tensor_timer_start, after the device has finished the work queued since. */
double tensor_timer_stop(struct tensor_timer *t);

/* ---- scopes ------------------------------------------------------------ */

struct tensor_scope *tensor_scope_new(enum tensor_scope_mode mode);
/* Drops every tensor of the scope and clears its error. */
void tensor_scope_reset(struct tensor_scope *scope);
/* NULL-safe. */
void tensor_scope_free(struct tensor_scope *scope);
/* The first error recorded since the last reset, or NULL. Owned by the scope. */
const char *tensor_scope_error(const struct tensor_scope *scope);
/* Record msg as the scope's error unless it already has one (sticky). */
void tensor_scope_set_error(struct tensor_scope *scope, const char *msg);
/* Number of tensors the scope holds (for tests and leak checks). */
size_t tensor_scope_count(const struct tensor_scope *scope);

/* ---- generators ------------------------------------------------------ */

/* A random generator seeded with seed on device (CPU generators match torch.Generator). */
struct tensor_gen *tensor_gen_new(uint64_t seed, enum tensor_device device, char **cause);
void tensor_gen_free(struct tensor_gen *gen);

/* ---- inspection (NULL-safe: a NULL tensor has ndim -1, numel 0) --------- */

int tensor_ndim(const struct tensor *t);
int64_t tensor_dim(const struct tensor *t, int i);     /* negative i counts from the end */
int64_t tensor_numel(const struct tensor *t);
enum tensor_dtype tensor_dtype(const struct tensor *t);
enum tensor_device tensor_device(const struct tensor *t);
/* Writes "(2, 4, 32, 32) f32 cpu" into buf; returns buf. */
char *tensor_describe(const struct tensor *t, char *buf, size_t size);

/* ---- creation ---------------------------------------------------------- */

/* Copies n = prod(shape) elements of dtype from host memory into a new tensor on device. */
struct tensor *tensor_from_data(struct tensor_scope *s, const void *data, enum tensor_dtype dtype,
                                int ndim, const int64_t *shape, enum tensor_device device);
struct tensor *tensor_full(struct tensor_scope *s, double value, enum tensor_dtype dtype,
                           int ndim, const int64_t *shape, enum tensor_device device);
/* 0, 1, ..., n-1 as dtype. */
struct tensor *tensor_arange(struct tensor_scope *s, int64_t n, enum tensor_dtype dtype,
                             enum tensor_device device);
/* Standard normal float32 draws from gen, on gen's device: torch.randn(shape, generator=gen). */
struct tensor *tensor_randn(struct tensor_scope *s, struct tensor_gen *gen, int ndim,
                            const int64_t *shape);
/* A new handle for t in dst (shares storage; tensors are immutable). */
struct tensor *tensor_copy_to(struct tensor_scope *dst, struct tensor *t);
/* A deep copy (new storage), contiguous. */
struct tensor *tensor_clone(struct tensor_scope *s, struct tensor *t);
/* Cast and/or move. */
struct tensor *tensor_to(struct tensor_scope *s, struct tensor *t, enum tensor_dtype dtype,
                         enum tensor_device device);

/* ---- elementwise (broadcasting as torch) -------------------------------- */

struct tensor *tensor_add(struct tensor_scope *s, struct tensor *a, struct tensor *b);
struct tensor *tensor_sub(struct tensor_scope *s, struct tensor *a, struct tensor *b);
struct tensor *tensor_mul(struct tensor_scope *s, struct tensor *a, struct tensor *b);
struct tensor *tensor_div(struct tensor_scope *s, struct tensor *a, struct tensor *b);
/* a*x + b*y in one pass (the samplers' workhorse). */
struct tensor *tensor_axpby(struct tensor_scope *s, double a, struct tensor *x, double b,
                            struct tensor *y);
struct tensor *tensor_mul_scalar(struct tensor_scope *s, struct tensor *t, double k);
struct tensor *tensor_div_scalar(struct tensor_scope *s, struct tensor *t, double k);
struct tensor *tensor_add_scalar(struct tensor_scope *s, struct tensor *t, double k);
struct tensor *tensor_neg(struct tensor_scope *s, struct tensor *t);
struct tensor *tensor_abs(struct tensor_scope *s, struct tensor *t);
struct tensor *tensor_exp(struct tensor_scope *s, struct tensor *t);
struct tensor *tensor_sqrt(struct tensor_scope *s, struct tensor *t);
struct tensor *tensor_sin(struct tensor_scope *s, struct tensor *t);
struct tensor *tensor_cos(struct tensor_scope *s, struct tensor *t);
struct tensor *tensor_silu(struct tensor_scope *s, struct tensor *t);
/* GELU with the tanh approximation (DiT's MLP). */
struct tensor *tensor_gelu_tanh(struct tensor_scope *s, struct tensor *t);
struct tensor *tensor_clamp(struct tensor_scope *s, struct tensor *t, double lo, double hi);
/* a + b*c in one pass (broadcasting), e.g. DiT's gated residual h + gate*y. */
struct tensor *tensor_addcmul(struct tensor_scope *s, struct tensor *a, struct tensor *b,
                              struct tensor *c);
/* x*(1+scale) + shift, the adaLN modulation, in one call. */
struct tensor *tensor_modulate(struct tensor_scope *s, struct tensor *x, struct tensor *shift,
                               struct tensor *scale);

/* ---- reductions ---------------------------------------------------------- */

/* Scalar (0-d) results. */
struct tensor *tensor_sum(struct tensor_scope *s, struct tensor *t);
struct tensor *tensor_mean(struct tensor_scope *s, struct tensor *t);
/* Along one dim, keepdim false. */
struct tensor *tensor_mean_dim(struct tensor_scope *s, struct tensor *t, int dim);
/* The value of a one-element tensor; NaN (and a scope error) on failure. */
double tensor_item(struct tensor_scope *s, struct tensor *t);
/* mean|a-b| / mean|a| over every element, read back to the host (FBCache's metric). */
double tensor_rel_l1(struct tensor_scope *s, struct tensor *a, struct tensor *b);

/* ---- linear algebra and layers ------------------------------------------ */

struct tensor *tensor_matmul(struct tensor_scope *s, struct tensor *a, struct tensor *b);
/* x @ w^T + b, w (out, in), b (out) or NULL. */
struct tensor *tensor_linear(struct tensor_scope *s, struct tensor *x, struct tensor *w,
                             struct tensor *b);
/* LayerNorm over the last dim without affine parameters. */
struct tensor *tensor_layer_norm(struct tensor_scope *s, struct tensor *x, double eps);
struct tensor *tensor_softmax(struct tensor_scope *s, struct tensor *x, int dim);
/* softmax(q k^T * scale) v over the last two dims; q,k,v (..., L, D). scale <= 0 means 1/sqrt(D).
 * libtorch's fused scaled_dot_product_attention. */
struct tensor *tensor_attention(struct tensor_scope *s, struct tensor *q, struct tensor *k,
                                struct tensor *v, double scale);
/* 2-D convolution, x (N,C,H,W), w (O,C,kh,kw), b (O) or NULL. */
struct tensor *tensor_conv2d(struct tensor_scope *s, struct tensor *x, struct tensor *w,
                             struct tensor *b, int stride, int padding);
/* Rows of table (V, D) picked by integer ids (...): (..., D). */
struct tensor *tensor_embedding(struct tensor_scope *s, struct tensor *table, struct tensor *ids);

/* ---- shape ---------------------------------------------------------------- */

/* One dim of shape may be -1. */
struct tensor *tensor_reshape(struct tensor_scope *s, struct tensor *t, int ndim,
                              const int64_t *shape);
struct tensor *tensor_permute(struct tensor_scope *s, struct tensor *t, int ndim,
                              const int *dims);
struct tensor *tensor_transpose(struct tensor_scope *s, struct tensor *t, int d0, int d1);
struct tensor *tensor_unsqueeze(struct tensor_scope *s, struct tensor *t, int dim);
struct tensor *tensor_contiguous(struct tensor_scope *s, struct tensor *t);
struct tensor *tensor_cat(struct tensor_scope *s, struct tensor *const *ts, int n, int dim);
/* Splits t into n equal chunks along dim, writing n handles to out. Returns 0 or -1. */
int tensor_chunk(struct tensor_scope *s, struct tensor *t, int n, int dim, struct tensor **out);
struct tensor *tensor_narrow(struct tensor_scope *s, struct tensor *t, int dim, int64_t start,
                             int64_t length);

/* ---- training (autograd) ------------------------------------------------------ */

/*
 * Everything here is for the trainer.  A parameter is a leaf tensor that records gradients; it
 * lives in a TENSOR_SCOPE_GRAD scope, and ops on it in such a scope build the autograd graph.
 * The in-place updates below are the documented exception to immutability: they change
 * parameters and optimiser state that the trainer owns, never a tensor another module holds.
 */

/* A float32 copy of t, detached, that requires grad (a leaf). */
struct tensor *tensor_param(struct tensor_scope *s, struct tensor *t);
/* Back-propagates from the scalar loss into every leaf parameter's gradient. 0 or -1. */
int tensor_backward(struct tensor_scope *s, struct tensor *loss);
/* The accumulated gradient of a parameter (a handle in s), or NULL if it has none. */
struct tensor *tensor_grad(struct tensor_scope *s, struct tensor *param);
/*
 * One AdamW step (Loshchilov & Hutter; torch.optim.AdamW's update): decoupled weight decay
 * p *= 1 - lr*wd, then m, v moments with bias correction for 1-based step, p -= lr*mhat /
 * (sqrt(vhat) + eps).  m and v are updated in place, the gradient is cleared.  0 or -1.
 */
int tensor_adamw_step(struct tensor_scope *s, struct tensor *param, struct tensor *m,
                      struct tensor *v, int64_t step, double lr, double beta1, double beta2,
                      double eps, double weight_decay);
/* ema = decay*ema + (1 - decay)*param, in place, without recording gradients. 0 or -1. */
int tensor_ema_update(struct tensor_scope *s, struct tensor *ema, struct tensor *param,
                      double decay);
/* dst <- src in place (same shape), without recording gradients. 0 or -1. */
int tensor_assign(struct tensor_scope *s, struct tensor *dst, struct tensor *src);
/* 1 / (1 + exp(-t)). */
struct tensor *tensor_sigmoid(struct tensor_scope *s, struct tensor *t);

/* ---- host access ---------------------------------------------------------- */

/* Converts to float32 on the CPU and copies numel values into dst (room for n). 0 or -1. */
int tensor_read_f32(struct tensor_scope *s, struct tensor *t, float *dst, size_t n);
/* Raw bytes of t in its own dtype (contiguous, CPU) into dst (room for n bytes). 0 or -1. */
int tensor_read_bytes(struct tensor_scope *s, struct tensor *t, void *dst, size_t n);

#ifdef __cplusplus
}
#endif

#endif
