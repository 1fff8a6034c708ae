/*
 * tensor_torch.cpp - the one C++ file: libtorch behind core/shim/tensor.h.
 *
 * A scope owns its tensors in a std::deque (handles stay valid as it grows;
 * reset clears it).  Every extern "C" entry point runs inside OP_BEGIN/OP_END,
 * which refuses to work on a scope that already failed (sticky error), turns
 * every C++ exception into a message in the scope and in a thread-local, and
 * returns NULL or -1.  Nothing C++ escapes: no exception, type or allocation.
 */
#include "core/shim/tensor.h"

#include <torch/torch.h>
#include <torch/version.h>

#ifdef FBW_CUDA     /* set by the Makefile when the libtorch is a CUDA build */
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAEvent.h>
#endif

#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

struct tensor {
    at::Tensor t;
};

struct tensor_scope {
    std::deque<tensor> tensors;
    enum tensor_scope_mode mode;
    bool failed;
    std::string error;
};

struct tensor_gen {
    at::Generator gen;
    enum tensor_device device;
};

static thread_local std::string tensor_error_tls;

static const char *const tensor_dtype_names[] = {
    "f32", "f16", "bf16", "f64", "i64", "u8",
};
static_assert(sizeof tensor_dtype_names / sizeof tensor_dtype_names[0] == TENSOR_DTYPE_COUNT,
              "tensor_dtype_names must name every value");
static const char *const tensor_device_names[] = {"cpu", "cuda"};
static_assert(sizeof tensor_device_names / sizeof tensor_device_names[0] == TENSOR_DEVICE_COUNT,
              "tensor_device_names must name every value");

/* ---- helpers ----------------------------------------------------------- */

static at::ScalarType
tensor_scalar_type(enum tensor_dtype dtype)
{
    switch (dtype) {
    case TENSOR_F32: return at::kFloat;
    case TENSOR_F16: return at::kHalf;
    case TENSOR_BF16: return at::kBFloat16;
    case TENSOR_F64: return at::kDouble;
    case TENSOR_I64: return at::kLong;
    case TENSOR_U8: return at::kByte;
    default: throw std::invalid_argument("unknown dtype " + std::to_string((int)dtype));
    }
}

static enum tensor_dtype
tensor_dtype_of(at::ScalarType st)
{
    switch (st) {
    case at::kFloat: return TENSOR_F32;
    case at::kHalf: return TENSOR_F16;
    case at::kBFloat16: return TENSOR_BF16;
    case at::kDouble: return TENSOR_F64;
    case at::kLong: return TENSOR_I64;
    case at::kByte: return TENSOR_U8;
    default: return TENSOR_DTYPE_COUNT;
    }
}

static at::Device
tensor_torch_device(enum tensor_device device)
{
    switch (device) {
    case TENSOR_CPU: return at::Device(at::kCPU);
    case TENSOR_CUDA: return at::Device(at::kCUDA, 0);
    default: throw std::invalid_argument("unknown device " + std::to_string((int)device));
    }
}

static std::vector<int64_t>
tensor_shape_vec(int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > TENSOR_MAX_DIMS)
        throw std::invalid_argument("bad ndim " + std::to_string(ndim));
    if (ndim > 0 && shape == nullptr)
        throw std::invalid_argument("NULL shape");
    return std::vector<int64_t>(shape, shape + ndim);
}

static void
tensor_scope_fail(struct tensor_scope *s, const char *op, const char *msg)
{
    std::string m = std::string(op) + ": " + msg;
    /* c10 messages can run to several lines; the first says what went wrong. */
    size_t nl = m.find('\n');
    if (nl != std::string::npos)
        m.resize(nl);
    tensor_error_tls = m;
    if (s != nullptr && !s->failed) {
        s->failed = true;
        s->error = m;
    }
}

static struct tensor *
tensor_wrap(struct tensor_scope *s, at::Tensor t)
{
    s->tensors.push_back(tensor{std::move(t)});
    return &s->tensors.back();
}

/* What a failed op returns, whatever its return type: NULL, NaN or -1. */
struct tensor_op_failed {
    operator struct tensor *() const { return nullptr; }
    operator double() const { return NAN; }
    operator int() const { return -1; }
};

/*
 * OP_BEGIN/OP_END bracket every entry point that allocates into a scope.  A
 * failed scope makes the op a no-op; any exception becomes the scope's error.
 */
#define OP_BEGIN(s)                                                             \
    if ((s) == nullptr) {                                                       \
        tensor_error_tls = std::string(__func__) + ": NULL scope";              \
        return tensor_op_failed{};                                                              \
    }                                                                           \
    if ((s)->failed)                                                            \
        return tensor_op_failed{};                                                              \
    try {                                                                       \
        c10::InferenceMode tensor_guard_((s)->mode == TENSOR_SCOPE_INFERENCE);

#define OP_END(s)                                                               \
    } catch (const c10::Error &e) {                                             \
        tensor_scope_fail((s), __func__, e.what_without_backtrace());           \
    } catch (const std::exception &e) {                                         \
        tensor_scope_fail((s), __func__, e.what());                             \
    } catch (...) {                                                             \
        tensor_scope_fail((s), __func__, "unknown C++ exception");              \
    }                                                                           \
    return tensor_op_failed{};

/* A NULL input means an earlier op failed (in this or another scope). */
#define NEED(s, x)                                                              \
    if ((x) == nullptr) {                                                       \
        tensor_scope_fail((s), __func__, "input '" #x "' is NULL");             \
        return tensor_op_failed{};                                                              \
    }

#define UNARY(name, expr)                                                       \
    extern "C" struct tensor *name(struct tensor_scope *s, struct tensor *t)    \
    {                                                                           \
        OP_BEGIN(s) NEED(s, t)                                                  \
        const at::Tensor &x = t->t;                                             \
        return tensor_wrap(s, (expr));                                          \
        OP_END(s)                                                               \
    }

/* Ops on one tensor and one scalar k. */
#define UNARY_K(name, expr)                                                     \
    extern "C" struct tensor *name(struct tensor_scope *s, struct tensor *t,    \
                                   double k)                                    \
    {                                                                           \
        OP_BEGIN(s) NEED(s, t)                                                  \
        const at::Tensor &x = t->t;                                             \
        return tensor_wrap(s, (expr));                                          \
        OP_END(s)                                                               \
    }

#define BINARY(name, expr)                                                      \
    extern "C" struct tensor *name(struct tensor_scope *s, struct tensor *a,    \
                                   struct tensor *b)                            \
    {                                                                           \
        OP_BEGIN(s) NEED(s, a) NEED(s, b)                                       \
        const at::Tensor &x = a->t, &y = b->t;                                  \
        return tensor_wrap(s, (expr));                                          \
        OP_END(s)                                                               \
    }

/* ---- names and library ---------------------------------------------------- */

extern "C" const char *
tensor_dtype_name(enum tensor_dtype dtype)
{
    return (unsigned)dtype < TENSOR_DTYPE_COUNT ? tensor_dtype_names[dtype] : "?";
}

extern "C" const char *
tensor_device_name(enum tensor_device device)
{
    return (unsigned)device < TENSOR_DEVICE_COUNT ? tensor_device_names[device] : "?";
}

extern "C" size_t
tensor_dtype_size(enum tensor_dtype dtype)
{
    static const size_t sizes[] = {4, 2, 2, 8, 8, 1};
    static_assert(sizeof sizes / sizeof sizes[0] == TENSOR_DTYPE_COUNT, "a size per dtype");
    return (unsigned)dtype < TENSOR_DTYPE_COUNT ? sizes[dtype] : 0;
}

extern "C" const char *
tensor_last_error(void)
{
    return tensor_error_tls.c_str();
}

extern "C" const char *
tensor_backend_version(void)
{
    static const std::string v = std::to_string(TORCH_VERSION_MAJOR) + "." +
                                 std::to_string(TORCH_VERSION_MINOR) + "." +
                                 std::to_string(TORCH_VERSION_PATCH);
    return v.c_str();
}

extern "C" const char *
tensor_backend_blas(void)
{
    static std::string v;
    if (v.empty()) {
        try {
            auto &ctx = at::globalContext();
            v = ctx.hasMKL() ? "MKL" : ctx.hasLAPACK() ? "BLAS/LAPACK" : "no BLAS";
            v += ctx.hasOpenMP() ? ", OpenMP" : ", native threads";
            if (ctx.hasMKLDNN())
                v += ", oneDNN";
        } catch (...) {
            v = "unknown";
        }
    }
    return v.c_str();
}

extern "C" int
tensor_cuda_built(void)
{
#ifdef FBW_CUDA
    return 1;
#else
    return 0;
#endif
}

extern "C" int
tensor_cuda_available(void)
{
    try {
        return torch::cuda::is_available() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

extern "C" char *
tensor_device_info(enum tensor_device device, char *buf, size_t size)
{
    std::string d = tensor_device_name(device);
    try {
#ifdef FBW_CUDA
        if (device == TENSOR_CUDA && tensor_cuda_available()) {
            const cudaDeviceProp *p = at::cuda::getDeviceProperties(0);
            d = std::string("cuda:0 ") + p->name + ", " +
                std::to_string(p->totalGlobalMem >> 20) + " MiB, sm_" +
                std::to_string(p->major) + std::to_string(p->minor);
        }
#endif
    } catch (...) {
    }
    snprintf(buf, size, "%s", d.c_str());
    return buf;
}

extern "C" int64_t
tensor_device_peak_bytes(enum tensor_device device, int reset)
{
    try {
#ifdef FBW_CUDA
        if (device == TENSOR_CUDA) {
            namespace alloc = c10::cuda::CUDACachingAllocator;
            const auto agg = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
            int64_t peak = alloc::getDeviceStats(0).allocated_bytes[agg].peak;
            if (reset)
                alloc::resetPeakStats(0);
            return peak;
        }
#endif
        (void)reset;
        return -1;
    } catch (...) {
        return -1;
    }
}

extern "C" int
tensor_threads(int n)
{
    try {
        /* fbw never runs independent ops side by side: one inter-op thread, set once, before
         * any parallel work (ATen refuses it later, which the catch below absorbs). */
        static bool interop_set = false;
        if (!interop_set) {
            interop_set = true;
            try {
                at::set_num_interop_threads(1);
            } catch (...) {
            }
        }
        /* In PyTorch's builds this also sets OpenMP's and MKL's thread counts. */
        if (n > 0)
            at::set_num_threads(n);
        return at::get_num_threads();
    } catch (...) {
        return -1;
    }
}

extern "C" int
tensor_interop_threads(void)
{
    try {
        return at::get_num_interop_threads();
    } catch (...) {
        return -1;
    }
}

extern "C" void
tensor_synchronize(enum tensor_device device)
{
    try {
        if (device == TENSOR_CUDA)
            torch::cuda::synchronize();
    } catch (...) {
    }
}

/* ---- timers ------------------------------------------------------------------ */

struct tensor_timer {
    enum tensor_device device;
    std::chrono::steady_clock::time_point t0;
#ifdef FBW_CUDA
    /* Timing-enabled events (c10's default disables timing). */
    c10::cuda::CUDAEvent start{cudaEventDefault}, stop{cudaEventDefault};
#endif
};

extern "C" struct tensor_timer *
tensor_timer_new(enum tensor_device device, char **cause)
{
    try {
        if (device == TENSOR_CUDA && !tensor_cuda_available())
            throw std::invalid_argument("no CUDA device to time");
        return new tensor_timer{device, {}};
    } catch (const std::exception &e) {
        tensor_error_tls = std::string("tensor_timer_new: ") + e.what();
    } catch (...) {
        tensor_error_tls = "tensor_timer_new: unknown C++ exception";
    }
    if (cause != nullptr)
        *cause = strdup(tensor_error_tls.c_str());
    return nullptr;
}

extern "C" void
tensor_timer_free(struct tensor_timer *t)
{
    delete t;
}

extern "C" const char *
tensor_timer_kind(const struct tensor_timer *t)
{
    return t != nullptr && t->device == TENSOR_CUDA ? "cuda-events" : "host-clock";
}

extern "C" void
tensor_timer_start(struct tensor_timer *t)
{
    try {
#ifdef FBW_CUDA
        if (t->device == TENSOR_CUDA) {
            t->start.record();      /* on the current stream, behind the work queued so far */
            return;
        }
#endif
        t->t0 = std::chrono::steady_clock::now();
    } catch (...) {
    }
}

extern "C" double
tensor_timer_stop(struct tensor_timer *t)
{
    try {
#ifdef FBW_CUDA
        if (t->device == TENSOR_CUDA) {
            t->stop.record();
            t->stop.synchronize();  /* the host waits until the GPU has passed the stop event */
            return t->start.elapsed_time(t->stop);
        }
#endif
        std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - t->t0;
        return ms.count();
    } catch (...) {
        return NAN;
    }
}

/* ---- scopes and generators ------------------------------------------------ */

extern "C" struct tensor_scope *
tensor_scope_new(enum tensor_scope_mode mode)
{
    try {
        struct tensor_scope *s = new tensor_scope;
        s->mode = mode;
        s->failed = false;
        return s;
    } catch (...) {
        tensor_error_tls = "tensor_scope_new: out of memory";
        return nullptr;
    }
}

extern "C" void
tensor_scope_reset(struct tensor_scope *s)
{
    if (s == nullptr)
        return;
    s->tensors.clear();
    s->failed = false;
    s->error.clear();
}

extern "C" void
tensor_scope_free(struct tensor_scope *s)
{
    delete s;
}

extern "C" const char *
tensor_scope_error(const struct tensor_scope *s)
{
    if (s == nullptr)
        return "NULL scope";
    return s->failed ? s->error.c_str() : nullptr;
}

extern "C" void
tensor_scope_set_error(struct tensor_scope *s, const char *msg)
{
    if (s != nullptr && !s->failed) {
        s->failed = true;
        s->error = msg ? msg : "unknown error";
    }
}

extern "C" size_t
tensor_scope_count(const struct tensor_scope *s)
{
    return s ? s->tensors.size() : 0;
}

extern "C" struct tensor_gen *
tensor_gen_new(uint64_t seed, enum tensor_device device, char **cause)
{
    try {
        if (device != TENSOR_CPU)
            throw std::invalid_argument("only CPU generators are supported (fbw draws all "
                                        "noise on the CPU so runs are bit-reproducible)");
        struct tensor_gen *g = new tensor_gen{at::make_generator<at::CPUGeneratorImpl>(seed),
                                              device};
        return g;
    } catch (const std::exception &e) {
        tensor_error_tls = std::string("tensor_gen_new: ") + e.what();
    } catch (...) {
        tensor_error_tls = "tensor_gen_new: unknown C++ exception";
    }
    if (cause != nullptr)
        *cause = strdup(tensor_error_tls.c_str());
    return nullptr;
}

extern "C" void
tensor_gen_free(struct tensor_gen *g)
{
    delete g;
}

/* ---- inspection ------------------------------------------------------------ */

extern "C" int
tensor_ndim(const struct tensor *t)
{
    return t ? (int)t->t.dim() : -1;
}

extern "C" int64_t
tensor_dim(const struct tensor *t, int i)
{
    if (t == nullptr)
        return -1;
    int nd = (int)t->t.dim();
    if (i < 0)
        i += nd;
    return (i >= 0 && i < nd) ? t->t.size(i) : -1;
}

extern "C" int64_t
tensor_numel(const struct tensor *t)
{
    return t ? t->t.numel() : 0;
}

extern "C" enum tensor_dtype
tensor_dtype(const struct tensor *t)
{
    return t ? tensor_dtype_of(t->t.scalar_type()) : TENSOR_DTYPE_COUNT;
}

extern "C" enum tensor_device
tensor_device(const struct tensor *t)
{
    return (t && t->t.is_cuda()) ? TENSOR_CUDA : TENSOR_CPU;
}

extern "C" char *
tensor_describe(const struct tensor *t, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    if (t == nullptr) {
        snprintf(buf, size, "(null)");
        return buf;
    }
    std::string d = "(";
    for (int i = 0; i < (int)t->t.dim(); i++)
        d += (i ? ", " : "") + std::to_string(t->t.size(i));
    d += ") ";
    d += tensor_dtype_name(tensor_dtype(t));
    d += " ";
    d += tensor_device_name(tensor_device(t));
    snprintf(buf, size, "%s", d.c_str());
    return buf;
}

/* ---- creation --------------------------------------------------------------- */

extern "C" struct tensor *
tensor_from_data(struct tensor_scope *s, const void *data, enum tensor_dtype dtype, int ndim,
                 const int64_t *shape, enum tensor_device device)
{
    OP_BEGIN(s)
    if (data == nullptr)
        throw std::invalid_argument("NULL data");
    auto opts = at::TensorOptions().dtype(tensor_scalar_type(dtype));
    at::Tensor host = at::from_blob(const_cast<void *>(data), tensor_shape_vec(ndim, shape), opts);
    return tensor_wrap(s, host.to(tensor_torch_device(device), /*non_blocking=*/false,
                                  /*copy=*/true));
    OP_END(s)
}

extern "C" struct tensor *
tensor_full(struct tensor_scope *s, double value, enum tensor_dtype dtype, int ndim,
            const int64_t *shape, enum tensor_device device)
{
    OP_BEGIN(s)
    auto opts = at::TensorOptions().dtype(tensor_scalar_type(dtype))
                    .device(tensor_torch_device(device));
    return tensor_wrap(s, at::full(tensor_shape_vec(ndim, shape), value, opts));
    OP_END(s)
}

extern "C" struct tensor *
tensor_arange(struct tensor_scope *s, int64_t n, enum tensor_dtype dtype,
              enum tensor_device device)
{
    OP_BEGIN(s)
    auto opts = at::TensorOptions().dtype(tensor_scalar_type(dtype))
                    .device(tensor_torch_device(device));
    return tensor_wrap(s, at::arange(n, opts));
    OP_END(s)
}

extern "C" struct tensor *
tensor_randn(struct tensor_scope *s, struct tensor_gen *gen, int ndim, const int64_t *shape)
{
    OP_BEGIN(s)
    if (gen == nullptr)
        throw std::invalid_argument("NULL generator");
    auto opts = at::TensorOptions().dtype(at::kFloat).device(tensor_torch_device(gen->device));
    return tensor_wrap(s, at::randn(tensor_shape_vec(ndim, shape), gen->gen, opts));
    OP_END(s)
}

extern "C" struct tensor *
tensor_copy_to(struct tensor_scope *s, struct tensor *t)
{
    OP_BEGIN(s) NEED(s, t)
    return tensor_wrap(s, t->t);
    OP_END(s)
}

UNARY(tensor_clone, x.clone(at::MemoryFormat::Contiguous))

extern "C" struct tensor *
tensor_to(struct tensor_scope *s, struct tensor *t, enum tensor_dtype dtype,
          enum tensor_device device)
{
    OP_BEGIN(s) NEED(s, t)
    return tensor_wrap(s, t->t.to(tensor_torch_device(device), tensor_scalar_type(dtype)));
    OP_END(s)
}

/* ---- elementwise -------------------------------------------------------------- */

BINARY(tensor_add, x + y)
BINARY(tensor_sub, x - y)
BINARY(tensor_mul, x * y)
BINARY(tensor_div, x / y)
UNARY(tensor_neg, -x)
UNARY(tensor_abs, x.abs())
UNARY(tensor_exp, x.exp())
UNARY(tensor_sqrt, x.sqrt())
UNARY(tensor_sin, x.sin())
UNARY(tensor_cos, x.cos())
UNARY(tensor_silu, at::silu(x))
UNARY(tensor_gelu_tanh, at::gelu(x, "tanh"))
UNARY(tensor_contiguous, x.contiguous())
UNARY(tensor_sum, x.sum())
UNARY(tensor_mean, x.mean())

extern "C" struct tensor *
tensor_axpby(struct tensor_scope *s, double a, struct tensor *x, double b, struct tensor *y)
{
    OP_BEGIN(s) NEED(s, x) NEED(s, y)
    /* a*x + b*y; at::add's alpha fuses the second product into the addition. */
    return tensor_wrap(s, at::add(x->t * a, y->t, b));
    OP_END(s)
}

UNARY_K(tensor_mul_scalar, x * k)

UNARY_K(tensor_div_scalar, x / k)

UNARY_K(tensor_add_scalar, x + k)

extern "C" struct tensor *
tensor_clamp(struct tensor_scope *s, struct tensor *t, double lo, double hi)
{
    OP_BEGIN(s) NEED(s, t)
    return tensor_wrap(s, t->t.clamp(lo, hi));
    OP_END(s)
}

extern "C" struct tensor *
tensor_addcmul(struct tensor_scope *s, struct tensor *a, struct tensor *b, struct tensor *c)
{
    OP_BEGIN(s) NEED(s, a) NEED(s, b) NEED(s, c)
    return tensor_wrap(s, at::addcmul(a->t, b->t, c->t));
    OP_END(s)
}

extern "C" struct tensor *
tensor_modulate(struct tensor_scope *s, struct tensor *x, struct tensor *shift,
                struct tensor *scale)
{
    OP_BEGIN(s) NEED(s, x) NEED(s, shift) NEED(s, scale)
    /* DiT's modulate: shift and scale are (B, H), x is (B, T, H). */
    at::Tensor sc = scale->t.unsqueeze(1), sh = shift->t.unsqueeze(1);
    return tensor_wrap(s, at::addcmul(x->t + sh, x->t, sc));
    OP_END(s)
}

/* ---- reductions ---------------------------------------------------------------- */

extern "C" struct tensor *
tensor_mean_dim(struct tensor_scope *s, struct tensor *t, int dim)
{
    OP_BEGIN(s) NEED(s, t)
    return tensor_wrap(s, t->t.mean(dim));
    OP_END(s)
}

extern "C" double
tensor_item(struct tensor_scope *s, struct tensor *t)
{
    OP_BEGIN(s) NEED(s, t)
    return t->t.item<double>();
    OP_END(s)
}

extern "C" double
tensor_rel_l1(struct tensor_scope *s, struct tensor *a, struct tensor *b)
{
    if (s == nullptr || s->failed)
        return NAN;
    if (a == nullptr || b == nullptr) {
        tensor_scope_fail(s, __func__, "input is NULL");
        return NAN;
    }
    try {
        c10::InferenceMode guard(s->mode == TENSOR_SCOPE_INFERENCE);
        if (!a->t.sizes().equals(b->t.sizes()))
            throw std::invalid_argument("shapes differ");
        at::Tensor num = (a->t - b->t).abs().mean();
        at::Tensor den = a->t.abs().mean();
        return (num / den).item<double>();
    } catch (const c10::Error &e) {
        tensor_scope_fail(s, __func__, e.what_without_backtrace());
    } catch (const std::exception &e) {
        tensor_scope_fail(s, __func__, e.what());
    } catch (...) {
        tensor_scope_fail(s, __func__, "unknown C++ exception");
    }
    return NAN;
}

/* ---- linear algebra and layers --------------------------------------------------- */

BINARY(tensor_matmul, at::matmul(x, y))

extern "C" struct tensor *
tensor_linear(struct tensor_scope *s, struct tensor *x, struct tensor *w, struct tensor *b)
{
    OP_BEGIN(s) NEED(s, x) NEED(s, w)
    return tensor_wrap(s, b ? at::linear(x->t, w->t, b->t) : at::linear(x->t, w->t));
    OP_END(s)
}

extern "C" struct tensor *
tensor_layer_norm(struct tensor_scope *s, struct tensor *x, double eps)
{
    OP_BEGIN(s) NEED(s, x)
    return tensor_wrap(s, at::layer_norm(x->t, {x->t.size(-1)}, {}, {}, eps));
    OP_END(s)
}

extern "C" struct tensor *
tensor_softmax(struct tensor_scope *s, struct tensor *x, int dim)
{
    OP_BEGIN(s) NEED(s, x)
    return tensor_wrap(s, at::softmax(x->t, dim));
    OP_END(s)
}

extern "C" struct tensor *
tensor_attention(struct tensor_scope *s, struct tensor *q, struct tensor *k, struct tensor *v,
                 double scale)
{
    OP_BEGIN(s) NEED(s, q) NEED(s, k) NEED(s, v)
    if (scale <= 0)
        scale = 1.0 / std::sqrt((double)q->t.size(-1));
    /* timm's Attention, softmax((q * scale) @ k^T) @ v, as libtorch's fused kernel (on the CPU
     * a flash-attention loop that never materialises the (L, L) score matrix). */
    return tensor_wrap(s, at::scaled_dot_product_attention(q->t, k->t, v->t, {}, 0.0, false,
                                                           scale));
    OP_END(s)
}

extern "C" struct tensor *
tensor_conv2d(struct tensor_scope *s, struct tensor *x, struct tensor *w, struct tensor *b,
              int stride, int padding)
{
    OP_BEGIN(s) NEED(s, x) NEED(s, w)
    c10::optional<at::Tensor> bias;
    if (b != nullptr)
        bias = b->t;
    return tensor_wrap(s, at::conv2d(x->t, w->t, bias, {stride, stride}, {padding, padding}));
    OP_END(s)
}

extern "C" struct tensor *
tensor_embedding(struct tensor_scope *s, struct tensor *table, struct tensor *ids)
{
    OP_BEGIN(s) NEED(s, table) NEED(s, ids)
    return tensor_wrap(s, at::embedding(table->t, ids->t));
    OP_END(s)
}

/* ---- shape ------------------------------------------------------------------------- */

extern "C" struct tensor *
tensor_reshape(struct tensor_scope *s, struct tensor *t, int ndim, const int64_t *shape)
{
    OP_BEGIN(s) NEED(s, t)
    return tensor_wrap(s, t->t.reshape(tensor_shape_vec(ndim, shape)));
    OP_END(s)
}

extern "C" struct tensor *
tensor_permute(struct tensor_scope *s, struct tensor *t, int ndim, const int *dims)
{
    OP_BEGIN(s) NEED(s, t)
    if (ndim < 0 || ndim > TENSOR_MAX_DIMS || (ndim > 0 && dims == nullptr))
        throw std::invalid_argument("bad dims");
    std::vector<int64_t> d(dims, dims + ndim);
    return tensor_wrap(s, t->t.permute(d));
    OP_END(s)
}

extern "C" struct tensor *
tensor_transpose(struct tensor_scope *s, struct tensor *t, int d0, int d1)
{
    OP_BEGIN(s) NEED(s, t)
    return tensor_wrap(s, t->t.transpose(d0, d1));
    OP_END(s)
}

extern "C" struct tensor *
tensor_unsqueeze(struct tensor_scope *s, struct tensor *t, int dim)
{
    OP_BEGIN(s) NEED(s, t)
    return tensor_wrap(s, t->t.unsqueeze(dim));
    OP_END(s)
}

extern "C" struct tensor *
tensor_cat(struct tensor_scope *s, struct tensor *const *ts, int n, int dim)
{
    OP_BEGIN(s)
    if (n > 0 && ts == nullptr)
        throw std::invalid_argument("NULL tensor list");
    std::vector<at::Tensor> v;
    for (int i = 0; i < n; i++) {
        if (ts[i] == nullptr)
            throw std::invalid_argument("input " + std::to_string(i) + " is NULL");
        v.push_back(ts[i]->t);
    }
    return tensor_wrap(s, at::cat(v, dim));
    OP_END(s)
}

extern "C" int
tensor_chunk(struct tensor_scope *s, struct tensor *t, int n, int dim, struct tensor **out)
{
    if (out == nullptr) {
        tensor_scope_fail(s, __func__, "NULL output array");
        return -1;
    }
    for (int i = 0; i < n; i++)
        out[i] = nullptr;
    if (s == nullptr || s->failed)
        return -1;
    if (t == nullptr) {
        tensor_scope_fail(s, __func__, "input 't' is NULL");
        return -1;
    }
    try {
        c10::InferenceMode guard(s->mode == TENSOR_SCOPE_INFERENCE);
        if (n <= 0 || t->t.size(dim) % n != 0)
            throw std::invalid_argument("dim of size " + std::to_string(t->t.size(dim)) +
                                        " does not split into " + std::to_string(n));
        std::vector<at::Tensor> parts = t->t.chunk(n, dim);
        for (int i = 0; i < n; i++)
            out[i] = tensor_wrap(s, parts[i]);
        return 0;
    } catch (const c10::Error &e) {
        tensor_scope_fail(s, __func__, e.what_without_backtrace());
    } catch (const std::exception &e) {
        tensor_scope_fail(s, __func__, e.what());
    } catch (...) {
        tensor_scope_fail(s, __func__, "unknown C++ exception");
    }
    return -1;
}

extern "C" struct tensor *
tensor_narrow(struct tensor_scope *s, struct tensor *t, int dim, int64_t start, int64_t length)
{
    OP_BEGIN(s) NEED(s, t)
    return tensor_wrap(s, t->t.narrow(dim, start, length));
    OP_END(s)
}

/* ---- training (autograd) ------------------------------------------------------------- */

UNARY(tensor_sigmoid, at::sigmoid(x))

extern "C" struct tensor *
tensor_param(struct tensor_scope *s, struct tensor *t)
{
    OP_BEGIN(s) NEED(s, t)
    if (s->mode != TENSOR_SCOPE_GRAD)
        throw std::invalid_argument("parameters need a TENSOR_SCOPE_GRAD scope");
    at::Tensor p = t->t.detach().to(at::kFloat).clone();
    return tensor_wrap(s, p.set_requires_grad(true));
    OP_END(s)
}

extern "C" int
tensor_backward(struct tensor_scope *s, struct tensor *loss)
{
    OP_BEGIN(s) NEED(s, loss)
    loss->t.backward();
    return 0;
    OP_END(s)
}

extern "C" struct tensor *
tensor_grad(struct tensor_scope *s, struct tensor *param)
{
    OP_BEGIN(s) NEED(s, param)
    const at::Tensor &g = param->t.grad();
    if (!g.defined())
        return tensor_op_failed{};
    return tensor_wrap(s, g);
    OP_END(s)
}

extern "C" int
tensor_adamw_step(struct tensor_scope *s, struct tensor *param, struct tensor *m,
                  struct tensor *v, int64_t step, double lr, double beta1, double beta2,
                  double eps, double weight_decay)
{
    OP_BEGIN(s) NEED(s, param) NEED(s, m) NEED(s, v)
    at::NoGradGuard no_grad;
    at::Tensor &p = param->t;
    at::Tensor g = p.grad();
    if (!g.defined())
        throw std::invalid_argument("parameter has no gradient");
    p.mul_(1.0 - lr * weight_decay);
    m->t.mul_(beta1).add_(g, 1.0 - beta1);
    v->t.mul_(beta2).addcmul_(g, g, 1.0 - beta2);
    const double bc1 = 1.0 - std::pow(beta1, (double)step);
    const double bc2 = 1.0 - std::pow(beta2, (double)step);
    at::Tensor denom = (v->t.sqrt() / std::sqrt(bc2)).add_(eps);
    p.addcdiv_(m->t, denom, -lr / bc1);
    p.mutable_grad() = at::Tensor();
    return 0;
    OP_END(s)
}

extern "C" int
tensor_ema_update(struct tensor_scope *s, struct tensor *ema, struct tensor *param, double decay)
{
    OP_BEGIN(s) NEED(s, ema) NEED(s, param)
    at::NoGradGuard no_grad;
    ema->t.mul_(decay).add_(param->t.detach(), 1.0 - decay);
    return 0;
    OP_END(s)
}

extern "C" int
tensor_assign(struct tensor_scope *s, struct tensor *dst, struct tensor *src)
{
    OP_BEGIN(s) NEED(s, dst) NEED(s, src)
    at::NoGradGuard no_grad;
    dst->t.copy_(src->t);
    return 0;
    OP_END(s)
}

/* ---- host access --------------------------------------------------------------------- */

static int
tensor_read_impl(struct tensor_scope *s, struct tensor *t, void *dst, size_t n, bool as_f32)
{
    if (s == nullptr || s->failed)
        return -1;
    if (t == nullptr) {
        tensor_scope_fail(s, "tensor_read", "input 't' is NULL");
        return -1;
    }
    try {
        c10::InferenceMode guard(true);
        at::Tensor h = t->t.detach().to(at::kCPU);
        if (as_f32)
            h = h.to(at::kFloat);
        h = h.contiguous();
        size_t bytes = h.numel() * h.element_size();
        size_t room = as_f32 ? n * sizeof(float) : n;
        if (bytes > room)
            throw std::invalid_argument("destination holds " + std::to_string(room) +
                                        " bytes, tensor needs " + std::to_string(bytes));
        if (bytes > 0)
            memcpy(dst, h.data_ptr(), bytes);
        return 0;
    } catch (const c10::Error &e) {
        tensor_scope_fail(s, "tensor_read", e.what_without_backtrace());
    } catch (const std::exception &e) {
        tensor_scope_fail(s, "tensor_read", e.what());
    } catch (...) {
        tensor_scope_fail(s, "tensor_read", "unknown C++ exception");
    }
    return -1;
}

extern "C" int
tensor_read_f32(struct tensor_scope *s, struct tensor *t, float *dst, size_t n)
{
    return tensor_read_impl(s, t, dst, n, true);
}

extern "C" int
tensor_read_bytes(struct tensor_scope *s, struct tensor *t, void *dst, size_t n)
{
    return tensor_read_impl(s, t, dst, n, false);
}
