/*
 * tensor_test.c - the libtorch shim (core/shim/tensor.h) against hand-computed values.
 *
 * Every expected number below is worked out by hand on a tiny input, with the arithmetic in a
 * comment beside it, so a test checks the shim's maths rather than libtorch against itself.
 * The one exception is the noise: tests/ref/randn_ref.txt, written by tests/ref/randn_ref.py
 * with Debian's torch (the libtorch fbw links), holds torch.randn draws from seeded CPU
 * generators, and tensor_randn must reproduce them bit for bit - the contract that a seed gives
 * the same noise as PyTorch and ComfyUI.
 *
 * Tolerances: 0 where float32 holds every intermediate exactly, F32_RTOL (one float32 ulp) for
 * one rounding, and about 1e-6 for libm functions and short float32 reductions.
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/shim/tensor.h"
#include "util/err.h"

#define REF_PATH "tests/ref/randn_ref.txt"
#define REF_MAGIC "fbw-ref randn 1"

#define F32_RTOL 1.2e-7
#define LN2 0.69314718055994531
#define LN3 1.0986122886681098
#define PI 3.14159265358979324

/* "ndim, shape" argument pair from a literal list: DIMS(2, 3) -> 2, (int64_t[]){2, 3}. */
#define DIMS(...)                                                                    \
    (int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (const int64_t[]){__VA_ARGS__}

/* A float32 CPU tensor from a literal: F32(s, DIMS(2, 3), 1, 2, 3, 4, 5, 6). */
#define F32(s, dims, ...) tensor_from_data((s), (const float[]){__VA_ARGS__}, TENSOR_F32, dims, \
                                           TENSOR_CPU)

/* Read t as float32 and compare with the literal list (numel must match). */
#define expect_values(s, t, rtol, atol, ...)                                            \
    tensor_test_expect((s), (t), (const double[]){__VA_ARGS__},                         \
                       sizeof((double[]){__VA_ARGS__}) / sizeof(double), (rtol), (atol),  \
                       #t, __FILE__, __LINE__)

#define expect_shape(t, dims) tensor_test_expect_shape((t), dims, #t, __FILE__, __LINE__)

static void
tensor_test_expect(struct tensor_scope *s, struct tensor *t, const double *want, size_t n,
                   double rtol, double atol, const char *expr, const char *file, int line)
{
    float got[256];
    if (t == NULL) {
        print_error("%s is NULL: %s\n", expr, tensor_scope_error(s));
        _fail(file, line);
    }
    if ((size_t)tensor_numel(t) != n || n > sizeof got / sizeof got[0]) {
        print_error("%s has %lld elements, want %zu\n", expr, (long long)tensor_numel(t), n);
        _fail(file, line);
    }
    if (tensor_read_f32(s, t, got, n) != 0) {
        print_error("reading %s: %s\n", expr, tensor_scope_error(s));
        _fail(file, line);
    }
    for (size_t i = 0; i < n; i++) {
        double tol = atol + rtol * fabs(want[i]);
        if (!(fabs((double)got[i] - want[i]) <= tol)) {
            print_error("%s[%zu] = %.9g, want %.9g (tol %.3g)\n", expr, i, (double)got[i],
                        want[i], tol);
            _fail(file, line);
        }
    }
}

static void
tensor_test_expect_shape(const struct tensor *t, int ndim, const int64_t *shape,
                         const char *expr, const char *file, int line)
{
    char buf[128];
    int ok = tensor_ndim(t) == ndim;
    for (int i = 0; ok && i < ndim; i++)
        ok = tensor_dim(t, i) == shape[i];
    if (!ok) {
        print_error("%s has shape %s, want %d dims\n", expr, tensor_describe(t, buf, sizeof buf),
                    ndim);
        _fail(file, line);
    }
}

/* Each test gets a fresh inference scope in *state. */
static int
setup(void **state)
{
    *state = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
    tensor_scope_free(*state);
    return 0;
}

/* The 2x3 matrix most tests start from: [[1, 2, 3], [4, 5, 6]]. */
static struct tensor *
mat23(struct tensor_scope *s)
{
    return F32(s, DIMS(2, 3), 1, 2, 3, 4, 5, 6);
}

/* ---- names, library, inspection ---------------------------------------------------------- */

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(tensor_dtype_name(TENSOR_F32), "f32");
    assert_string_equal(tensor_dtype_name(TENSOR_F16), "f16");
    assert_string_equal(tensor_dtype_name(TENSOR_BF16), "bf16");
    assert_string_equal(tensor_dtype_name(TENSOR_F64), "f64");
    assert_string_equal(tensor_dtype_name(TENSOR_I64), "i64");
    assert_string_equal(tensor_dtype_name(TENSOR_U8), "u8");
    assert_string_equal(tensor_device_name(TENSOR_CPU), "cpu");
    assert_string_equal(tensor_device_name(TENSOR_CUDA), "cuda");
    assert_int_equal(tensor_dtype_size(TENSOR_F32), 4);
    assert_int_equal(tensor_dtype_size(TENSOR_F16), 2);
    assert_int_equal(tensor_dtype_size(TENSOR_BF16), 2);
    assert_int_equal(tensor_dtype_size(TENSOR_F64), 8);
    assert_int_equal(tensor_dtype_size(TENSOR_I64), 8);
    assert_int_equal(tensor_dtype_size(TENSOR_U8), 1);

    const char *v = tensor_backend_version();
    assert_non_null(v);
    assert_non_null(strchr(v, '.'));
    assert_true(tensor_threads(0) >= 1);
    int cuda = tensor_cuda_available();
    assert_true(cuda == 0 || cuda == 1);
    tensor_synchronize(TENSOR_CPU);
}

static void
test_inspection(void **state)
{
    struct tensor_scope *s = *state;
    char buf[64];
    struct tensor *a = mat23(s);
    assert_non_null(a);
    assert_int_equal(tensor_ndim(a), 2);
    assert_int_equal(tensor_dim(a, 0), 2);
    assert_int_equal(tensor_dim(a, 1), 3);
    assert_int_equal(tensor_dim(a, -1), 3);
    assert_int_equal(tensor_dim(a, -2), 2);
    assert_int_equal(tensor_dim(a, 2), -1);
    assert_int_equal(tensor_dim(a, -3), -1);
    assert_int_equal(tensor_numel(a), 6);
    assert_int_equal(tensor_dtype(a), TENSOR_F32);
    assert_int_equal(tensor_device(a), TENSOR_CPU);
    assert_string_equal(tensor_describe(a, buf, sizeof buf), "(2, 3) f32 cpu");

    struct tensor *big = tensor_full(s, 0, TENSOR_F16, DIMS(2, 4, 32, 32), TENSOR_CPU);
    assert_string_equal(tensor_describe(big, buf, sizeof buf), "(2, 4, 32, 32) f16 cpu");
    /* A 0-d (scalar) tensor has no dims and one element. */
    struct tensor *sum = tensor_sum(s, a);
    assert_int_equal(tensor_ndim(sum), 0);
    assert_int_equal(tensor_numel(sum), 1);
    assert_string_equal(tensor_describe(sum, buf, sizeof buf), "() f32 cpu");
    /* describe truncates to the buffer. */
    char small[6];
    assert_string_equal(tensor_describe(a, small, sizeof small), "(2, 3");

    /* NULL handles: ndim -1, numel 0. */
    assert_int_equal(tensor_ndim(NULL), -1);
    assert_int_equal(tensor_numel(NULL), 0);
    assert_int_equal(tensor_dim(NULL, 0), -1);
    assert_string_equal(tensor_describe(NULL, buf, sizeof buf), "(null)");
}

/* ---- creation and casts -------------------------------------------------------------------- */

static void
test_from_data(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = mat23(s);
    expect_values(s, a, 0, 0, 1, 2, 3, 4, 5, 6);

    /* IEEE half: 0x3C00 = 1, 0xC000 = -2, 0x3800 = 0.5, 0x7BFF = 65504 (the largest half). */
    const uint16_t half[] = {0x3C00, 0xC000, 0x3800, 0x7BFF};
    struct tensor *h = tensor_from_data(s, half, TENSOR_F16, DIMS(2, 2), TENSOR_CPU);
    assert_int_equal(tensor_dtype(h), TENSOR_F16);
    expect_values(s, h, 0, 0, 1, -2, 0.5, 65504);
    uint16_t hb[4];
    assert_int_equal(tensor_read_bytes(s, h, hb, sizeof hb), 0);
    assert_memory_equal(hb, half, sizeof half);

    /* bfloat16 is the top half of a float32: 0x3F80 = 1, 0xC000 = -2, 0x3F00 = 0.5,
     * 0x4049 = 0x40490000 = 2 * (1 + 0x49/128) = 2 * 1.5703125 = 3.140625. */
    const uint16_t bf[] = {0x3F80, 0xC000, 0x3F00, 0x4049};
    struct tensor *b = tensor_from_data(s, bf, TENSOR_BF16, DIMS(4), TENSOR_CPU);
    assert_int_equal(tensor_dtype(b), TENSOR_BF16);
    expect_values(s, b, 0, 0, 1, -2, 0.5, 3.140625);

    /* int64 survives exactly, including 2^40 = 1099511627776 (a power of two: exact in f32). */
    const int64_t ids[] = {-3, 0, 7, (int64_t)1 << 40};
    struct tensor *i = tensor_from_data(s, ids, TENSOR_I64, DIMS(4), TENSOR_CPU);
    assert_int_equal(tensor_dtype(i), TENSOR_I64);
    int64_t ib[4];
    assert_int_equal(tensor_read_bytes(s, i, ib, sizeof ib), 0);
    assert_memory_equal(ib, ids, sizeof ids);
    expect_values(s, i, 0, 0, -3, 0, 7, 1099511627776.0);

    /* The data are copied: changing the source afterwards does not change the tensor. */
    float src[2] = {1, 2};
    struct tensor *c = tensor_from_data(s, src, TENSOR_F32, DIMS(2), TENSOR_CPU);
    src[0] = 99;
    expect_values(s, c, 0, 0, 1, 2);
    assert_null(tensor_scope_error(s));
}

static void
test_full_arange(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *f = tensor_full(s, 2.5, TENSOR_F32, DIMS(2, 2), TENSOR_CPU);
    expect_shape(f, DIMS(2, 2));
    expect_values(s, f, 0, 0, 2.5, 2.5, 2.5, 2.5);

    /* f64 keeps the double exactly. */
    struct tensor *d = tensor_full(s, 0.1, TENSOR_F64, DIMS(1), TENSOR_CPU);
    double dv = 0;
    assert_int_equal(tensor_read_bytes(s, d, &dv, sizeof dv), 0);
    assert_true(dv == 0.1);

    struct tensor *k = tensor_full(s, 7, TENSOR_I64, DIMS(3), TENSOR_CPU);
    int64_t kv[3];
    assert_int_equal(tensor_read_bytes(s, k, kv, sizeof kv), 0);
    assert_true(kv[0] == 7 && kv[1] == 7 && kv[2] == 7);

    struct tensor *r = tensor_arange(s, 5, TENSOR_F32, TENSOR_CPU);
    expect_shape(r, DIMS(5));
    expect_values(s, r, 0, 0, 0, 1, 2, 3, 4);
    struct tensor *ri = tensor_arange(s, 4, TENSOR_I64, TENSOR_CPU);
    assert_int_equal(tensor_dtype(ri), TENSOR_I64);
    int64_t rv[4];
    assert_int_equal(tensor_read_bytes(s, ri, rv, sizeof rv), 0);
    assert_true(rv[0] == 0 && rv[1] == 1 && rv[2] == 2 && rv[3] == 3);
    assert_null(tensor_scope_error(s));
}

static void
test_casts(void **state)
{
    struct tensor_scope *s = *state;
    /* 0.1 -> f16: 0.1 = 2^-4 * 1.6, mantissa round(0.6 * 1024) = round(614.4) = 614, so
     * 2^-4 * (1 + 614/1024) = 0.0625 * 1.599609375 = 0.0999755859375 (bits 0 01011 1001100110
     * = 0x2E66).  1/3 -> 2^-2 * (1 + 341/1024) = 0.333251953125 (0x3555). */
    struct tensor *x = F32(s, DIMS(3), 0.1f, 1.0f / 3.0f, -2.0f);
    struct tensor *h = tensor_to(s, x, TENSOR_F16, TENSOR_CPU);
    assert_int_equal(tensor_dtype(h), TENSOR_F16);
    uint16_t hb[3];
    assert_int_equal(tensor_read_bytes(s, h, hb, sizeof hb), 0);
    assert_int_equal(hb[0], 0x2E66);
    assert_int_equal(hb[1], 0x3555);
    assert_int_equal(hb[2], 0xC000);
    struct tensor *back = tensor_to(s, h, TENSOR_F32, TENSOR_CPU);
    assert_int_equal(tensor_dtype(back), TENSOR_F32);
    expect_values(s, back, 0, 0, 0.0999755859375, 0.333251953125, -2);

    /* 0.1f = 0x3DCCCCCD -> bf16 rounds the low half 0xCCCD up: 0x3DCD, i.e. 0x3DCD0000 =
     * 2^-4 * (1 + 0x4D/128) = 0.0625 * 1.6015625 = 0.10009765625.  1/3 = 0x3EAAAAAB rounds up
     * to 0x3EAB: 2^-2 * (1 + 0x2B/128) = 0.25 * 1.3359375 = 0.333984375. */
    struct tensor *bf = tensor_to(s, x, TENSOR_BF16, TENSOR_CPU);
    expect_values(s, bf, 0, 0, 0.10009765625, 0.333984375, -2);

    /* f32 -> f64 widens exactly: 0.1f is 0.100000001490116119384765625. */
    struct tensor *d = tensor_to(s, x, TENSOR_F64, TENSOR_CPU);
    double dv[3];
    assert_int_equal(tensor_read_bytes(s, d, dv, sizeof dv), 0);
    assert_true(dv[0] == 0.100000001490116119384765625);

    /* f32 -> i64 truncates toward zero: 2.7 -> 2, -2.7 -> -2. */
    struct tensor *i = tensor_to(s, F32(s, DIMS(2), 2.7f, -2.7f), TENSOR_I64, TENSOR_CPU);
    int64_t iv[2];
    assert_int_equal(tensor_read_bytes(s, i, iv, sizeof iv), 0);
    assert_true(iv[0] == 2 && iv[1] == -2);

    /* clone is a deep, equal copy. */
    expect_values(s, tensor_clone(s, x), 0, 0, 0.1f, 1.0f / 3.0f, -2);
    assert_null(tensor_scope_error(s));
}

/* ---- elementwise --------------------------------------------------------------------------- */

static void
test_binary_broadcast(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = mat23(s);                            /* (2, 3) [[1,2,3],[4,5,6]] */
    struct tensor *row = F32(s, DIMS(3), 10, 20, 30);       /* (3) broadcasts over rows */
    struct tensor *col = F32(s, DIMS(2, 1), 2, 4);          /* (2, 1) broadcasts over columns */

    /* [[1+10, 2+20, 3+30], [4+10, 5+20, 6+30]] */
    struct tensor *add = tensor_add(s, a, row);
    expect_shape(add, DIMS(2, 3));
    expect_values(s, add, 0, 0, 11, 22, 33, 14, 25, 36);
    /* [[1-10, 2-20, 3-30], [4-10, 5-20, 6-30]] */
    expect_values(s, tensor_sub(s, a, row), 0, 0, -9, -18, -27, -6, -15, -24);
    /* [[1*10, 2*20, 3*30], [4*10, 5*20, 6*30]] */
    expect_values(s, tensor_mul(s, a, row), 0, 0, 10, 40, 90, 40, 100, 180);
    /* [[1/10, 2/20, 3/30], [4/10, 5/20, 6/30]] */
    expect_values(s, tensor_div(s, a, row), F32_RTOL, 0, 0.1, 0.1, 0.1, 0.4, 0.25, 0.2);
    /* [[1*2, 2*2, 3*2], [4*4, 5*4, 6*4]] */
    expect_values(s, tensor_mul(s, a, col), 0, 0, 2, 4, 6, 16, 20, 24);
    /* (2, 1) + (3) -> (2, 3): [[2+10, 2+20, 2+30], [4+10, 4+20, 4+30]] */
    struct tensor *outer = tensor_add(s, col, row);
    expect_shape(outer, DIMS(2, 3));
    expect_values(s, outer, 0, 0, 12, 22, 32, 14, 24, 34);

    /* Inputs are never written. */
    expect_values(s, a, 0, 0, 1, 2, 3, 4, 5, 6);
    expect_values(s, row, 0, 0, 10, 20, 30);

    /* f16 in, f16 out: 1 + 0.5 = 1.5, -2 + 0.5 = -1.5. */
    struct tensor *h = tensor_to(s, F32(s, DIMS(2), 1, -2), TENSOR_F16, TENSOR_CPU);
    struct tensor *hh = tensor_add_scalar(s, h, 0.5);
    assert_int_equal(tensor_dtype(hh), TENSOR_F16);
    expect_values(s, hh, 0, 0, 1.5, -1.5);
    assert_null(tensor_scope_error(s));
}

static void
test_scalar_ops(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = mat23(s);
    struct tensor *row = F32(s, DIMS(3), 10, 20, 30);

    /* 2*a - 0.5*row = [[2-5, 4-10, 6-15], [8-5, 10-10, 12-15]] */
    struct tensor *ab = tensor_axpby(s, 2.0, a, -0.5, row);
    expect_shape(ab, DIMS(2, 3));
    expect_values(s, ab, 0, 0, -3, -6, -9, 3, 0, -3);
    /* 0*a + 1*a = a */
    expect_values(s, tensor_axpby(s, 0.0, a, 1.0, a), 0, 0, 1, 2, 3, 4, 5, 6);
    /* a*3 */
    expect_values(s, tensor_mul_scalar(s, a, 3), 0, 0, 3, 6, 9, 12, 15, 18);
    /* a/4 */
    expect_values(s, tensor_div_scalar(s, a, 4), 0, 0, 0.25, 0.5, 0.75, 1, 1.25, 1.5);
    /* a + (-1.5) */
    expect_values(s, tensor_add_scalar(s, a, -1.5), 0, 0, -0.5, 0.5, 1.5, 2.5, 3.5, 4.5);
    expect_values(s, tensor_neg(s, a), 0, 0, -1, -2, -3, -4, -5, -6);
    assert_null(tensor_scope_error(s));
}

static void
test_unary_math(void **state)
{
    struct tensor_scope *s = *state;
    expect_values(s, tensor_abs(s, F32(s, DIMS(4), -2, -0.5f, 0, 3)), 0, 0, 2, 0.5, 0, 3);
    /* e^0 = 1, e^1 = 2.718281828, e^-1 = 0.367879441, e^ln2 = 2 */
    expect_values(s, tensor_exp(s, F32(s, DIMS(4), 0, 1, -1, (float)LN2)), 1e-6, 0,
                  1, 2.718281828459045, 0.36787944117144233, 2);
    /* sqrt: 0, 1, 2, 1.5 (2.25 = 1.5^2) */
    expect_values(s, tensor_sqrt(s, F32(s, DIMS(4), 0, 1, 4, 2.25f)), 0, 0, 0, 1, 2, 1.5);
    /* sin 0 = 0, sin pi/6 = 1/2, sin pi/2 = 1, sin -pi/2 = -1 */
    expect_values(s, tensor_sin(s, F32(s, DIMS(4), 0, (float)(PI / 6), (float)(PI / 2),
                                       (float)(-PI / 2))), 0, 1e-6, 0, 0.5, 1, -1);
    /* cos 0 = 1, cos pi/3 = 1/2, cos pi = -1, cos pi/2 = 0 */
    expect_values(s, tensor_cos(s, F32(s, DIMS(4), 0, (float)(PI / 3), (float)PI,
                                       (float)(PI / 2))), 0, 1e-6, 1, 0.5, -1, 0);
    /* silu x = x / (1 + e^-x): 0 -> 0; 1 -> 1/1.367879441 = 0.731058579;
     * -1 -> -1/(1 + 2.718281828) = -0.268941421; 2 -> 2/(1 + 0.135335283) = 1.761594156 */
    expect_values(s, tensor_silu(s, F32(s, DIMS(4), 0, 1, -1, 2)), 1e-6, 1e-7,
                  0, 0.7310585786300049, -0.2689414213699951, 1.7615941559557646);
    /* clamp to [-1, 1] */
    expect_values(s, tensor_clamp(s, F32(s, DIMS(4), -2, -0.5f, 0.5f, 2), -1, 1), 0, 0,
                  -1, -0.5, 0.5, 1);
    assert_null(tensor_scope_error(s));
}

/* GELU, tanh form: 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), sqrt(2/pi) =
 * 0.7978845608.  Not the erf form: at x = 1 erf gives 0.841344746, tanh gives 0.841191991. */
static void
test_gelu_tanh(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *x = F32(s, DIMS(6), 0, 1, -1, 2, -3, 0.5f);
    expect_values(s, tensor_gelu_tanh(s, x), 1e-6, 1e-7,
                  /* x=0: 0 */
                  0,
                  /* x=1: u = 0.7978845608 * 1.044715 = 0.8335619689, tanh u = 0.6823839813,
                   * 0.5 * 1 * 1.6823839813 = 0.8411919906 */
                  0.8411919906082768,
                  /* x=-1: u = -0.8335619689, 0.5 * -1 * (1 - 0.6823839813) = -0.1588080094 */
                  -0.15880800939172324,
                  /* x=2: u = 0.7978845608 * (2 + 0.35772) = 1.8811883867, tanh u = 0.9545976941,
                   * 0.5 * 2 * 1.9545976941 = 1.9545976941 */
                  1.954597694087775,
                  /* x=-3: u = 0.7978845608 * (-3 - 1.207305) = -3.3569437021,
                   * tanh u = -0.9975750720, 0.5 * -3 * 0.0024249280 = -0.0036373921 */
                  -0.0036373920817729943,
                  /* x=0.5: u = 0.7978845608 * (0.5 + 0.005589375) = 0.4034019565,
                   * tanh u = 0.3828560393, 0.25 * 1.3828560393 = 0.3457140098 */
                  0.34571400982514394);
}

/* adaLN modulate on x (B=2, T=2, H=2), shift and scale (B, H): x * (1 + scale) + shift. */
static void
test_modulate(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *x = F32(s, DIMS(2, 2, 2), 1, 2, 3, 4, 5, 6, 7, 8);
    struct tensor *shift = F32(s, DIMS(2, 2), 10, 20, 30, 40);
    struct tensor *scale = F32(s, DIMS(2, 2), 0, 1, -1, 0.5f);
    struct tensor *y = tensor_modulate(s, x, shift, scale);
    expect_shape(y, DIMS(2, 2, 2));
    expect_values(s, y, 0, 0,
                  /* b=0, scale (0, 1), shift (10, 20): t0 (1*1+10, 2*2+20), t1 (3*1+10, 4*2+20) */
                  11, 24, 13, 28,
                  /* b=1, scale (-1, .5), shift (30, 40): t0 (5*0+30, 6*1.5+40), t1 (7*0+30,
                   * 8*1.5+40) */
                  30, 49, 30, 52);
}

/* ---- reductions ---------------------------------------------------------------------------- */

static void
test_reductions(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = mat23(s);
    /* 1+2+3+4+5+6 = 21, 21/6 = 3.5 */
    assert_close(tensor_item(s, tensor_sum(s, a)), 21, 0, 0);
    assert_close(tensor_item(s, tensor_mean(s, a)), 3.5, 0, 0);
    /* columns: (1+4)/2, (2+5)/2, (3+6)/2; rows: (1+2+3)/3, (4+5+6)/3 */
    struct tensor *m0 = tensor_mean_dim(s, a, 0);
    expect_shape(m0, DIMS(3));
    expect_values(s, m0, 0, 0, 2.5, 3.5, 4.5);
    struct tensor *m1 = tensor_mean_dim(s, a, 1);
    expect_shape(m1, DIMS(2));
    expect_values(s, m1, 0, 0, 2, 5);
    expect_values(s, tensor_mean_dim(s, a, -1), 0, 0, 2, 5);
    /* item of a one-element tensor of any rank, and of an integer tensor. */
    assert_close(tensor_item(s, F32(s, DIMS(1, 1), -0.25f)), -0.25, 0, 0);
    assert_close(tensor_item(s, tensor_arange(s, 1, TENSOR_I64, TENSOR_CPU)), 0, 0, 0);
    assert_null(tensor_scope_error(s));
}

/* tensor_item's contract: NaN (and a scope error) on failure. */
static void
test_item_failure(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = mat23(s);
    assert_true(isnan(tensor_item(s, NULL)));
    assert_non_null(tensor_scope_error(s));
    tensor_scope_reset(s);
    /* Six elements are not one. */
    a = mat23(s);
    assert_true(isnan(tensor_item(s, a)));
    assert_non_null(tensor_scope_error(s));
    assert_non_null(strstr(tensor_scope_error(s), "tensor_item"));
    /* A failed scope answers NaN too. */
    assert_true(isnan(tensor_item(s, a)));
}

static void
test_rel_l1(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = F32(s, DIMS(2, 2), 1, -2, 3, -4);
    struct tensor *b = F32(s, DIMS(2, 2), 1.5f, -2, 2, -4);
    /* |a-b| = (0.5, 0, 1, 0), mean 1.5/4 = 0.375; mean|a| = 10/4 = 2.5; 0.375/2.5 = 0.15 */
    assert_close(tensor_rel_l1(s, a, b), 0.15, 1e-6, 0);
    assert_close(tensor_rel_l1(s, a, a), 0, 0, 0);
    /* Not symmetric: mean|b| = 9.5/4 = 2.375, 0.375/2.375 = 0.157894737 */
    assert_close(tensor_rel_l1(s, b, a), 0.375 / 2.375, 1e-6, 0);
    /* Two zero tensors: 0/0 is NaN, and that is not an error. */
    struct tensor *z = tensor_full(s, 0, TENSOR_F32, DIMS(3), TENSOR_CPU);
    assert_true(isnan(tensor_rel_l1(s, z, z)));
    assert_null(tensor_scope_error(s));
    /* A NULL input gives NaN without crashing. */
    assert_true(isnan(tensor_rel_l1(s, NULL, a)));
    /* Different shapes fail. */
    assert_true(isnan(tensor_rel_l1(s, a, z)));
    assert_non_null(tensor_scope_error(s));
    assert_non_null(strstr(tensor_scope_error(s), "tensor_rel_l1"));
}

/* ---- linear algebra and layers ------------------------------------------------------------- */

static void
test_matmul_linear(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = mat23(s);                                          /* (2, 3) */
    struct tensor *b = F32(s, DIMS(3, 2), 7, 8, 9, 10, 11, 12);           /* (3, 2) */
    struct tensor *c = tensor_matmul(s, a, b);
    expect_shape(c, DIMS(2, 2));
    expect_values(s, c, 0, 0,
                  58, 64,     /* 1*7+2*9+3*11 = 7+18+33, 1*8+2*10+3*12 = 8+20+36 */
                  139, 154);  /* 4*7+5*9+6*11 = 28+45+66, 4*8+5*10+6*12 = 32+50+72 */

    struct tensor *w = F32(s, DIMS(2, 3), 1, 0, -1, 0.5f, 0.5f, 0.5f);    /* (out=2, in=3) */
    struct tensor *bias = F32(s, DIMS(2), 10, -10);
    struct tensor *y = tensor_linear(s, a, w, NULL);
    expect_shape(y, DIMS(2, 2));
    /* row 0: 1-3 = -2, 0.5*(1+2+3) = 3; row 1: 4-6 = -2, 0.5*(4+5+6) = 7.5 */
    expect_values(s, y, 0, 0, -2, 3, -2, 7.5);
    /* + (10, -10) */
    expect_values(s, tensor_linear(s, a, w, bias), 0, 0, 8, -7, 8, -2.5);
    /* Leading dims pass through: (1, 2, 3) -> (1, 2, 2). */
    struct tensor *y3 = tensor_linear(s, tensor_unsqueeze(s, a, 0), w, bias);
    expect_shape(y3, DIMS(1, 2, 2));
    expect_values(s, y3, 0, 0, 8, -7, 8, -2.5);
    assert_null(tensor_scope_error(s));
}

static void
test_layer_norm_softmax(void **state)
{
    struct tensor_scope *s = *state;
    /* Row 0: mean 2.5, biased var (2.25+0.25+0.25+2.25)/4 = 1.25, so (x - 2.5)/sqrt(1.25 + 1e-5)
     *   = (-1.5, -0.5, 0.5, 1.5) / 1.118038455 = (-1.341635420, -0.447211807, ...).
     * Row 1: constant, x - mean = 0 everywhere.
     * Row 2: (0, 0.002, 0, 0.002): mean 0.001, var 1e-6, 0.001/sqrt(1e-6 + 1e-5) = 0.301511345
     *   (without eps it would be 1: this row checks eps is applied inside the sqrt). */
    struct tensor *x = F32(s, DIMS(3, 4), 1, 2, 3, 4, 2, 2, 2, 2, 0, 0.002f, 0, 0.002f);
    struct tensor *y = tensor_layer_norm(s, x, 1e-5);
    expect_shape(y, DIMS(3, 4));
    expect_values(s, y, 1e-5, 1e-6,
                  -1.3416354199689269, -0.447211806656309, 0.447211806656309,
                  1.3416354199689269,
                  0, 0, 0, 0,
                  -0.3015113445777636, 0.3015113445777636, -0.3015113445777636,
                  0.3015113445777636);

    /* softmax of (0, 0) = (1/2, 1/2); of (0, ln3) = (1, 3)/(1+3) = (1/4, 3/4). */
    struct tensor *z = F32(s, DIMS(2, 2), 0, 0, 0, (float)LN3);
    expect_values(s, tensor_softmax(s, z, -1), 1e-6, 0, 0.5, 0.5, 0.25, 0.75);
    expect_values(s, tensor_softmax(s, z, 1), 1e-6, 0, 0.5, 0.5, 0.25, 0.75);
    /* Over dim 0 the columns are (0, 0) and (0, ln3). */
    expect_values(s, tensor_softmax(s, z, 0), 1e-6, 0, 0.5, 0.25, 0.5, 0.75);
    assert_null(tensor_scope_error(s));
}

/* One head, L = 2, D = 4, so the default scale is 1/sqrt(4) = 1/2. */
static void
test_attention(void **state)
{
    struct tensor_scope *s = *state;
    const float l3 = (float)(2 * LN3);
    struct tensor *q = F32(s, DIMS(1, 1, 2, 4), 1, 0, 0, 0, 0, 1, 0, 0);
    struct tensor *k = F32(s, DIMS(1, 1, 2, 4), 0, 0, 0, 0, l3, 0, 0, 0);
    struct tensor *v = F32(s, DIMS(1, 1, 2, 4), 1, 2, 3, 4, 5, 6, 7, 8);
    struct tensor *o = tensor_attention(s, q, k, v, 0);
    expect_shape(o, DIMS(1, 1, 2, 4));
    /* q0 k^T = (0, 2 ln3), times 1/2 = (0, ln3): weights (1/4, 3/4),
     *   out0 = v0/4 + 3 v1/4 = (0.25+3.75, 0.5+4.5, 0.75+5.25, 1+6).
     * q1 k^T = (0, 0): weights (1/2, 1/2), out1 = (v0 + v1)/2 = (3, 4, 5, 6). */
    expect_values(s, o, 1e-6, 1e-6, 4, 5, 6, 7, 3, 4, 5, 6);
    /* scale 1: q0 scores (0, 2 ln3), weights (1, 9)/10, out0 = 0.1 v0 + 0.9 v1
     *   = (0.1+4.5, 0.2+5.4, 0.3+6.3, 0.4+7.2); q1 unchanged. */
    expect_values(s, tensor_attention(s, q, k, v, 1.0), 1e-6, 1e-6,
                  4.6, 5.6, 6.6, 7.6, 3, 4, 5, 6);
    assert_null(tensor_scope_error(s));
}

/* x (1, 1, 4, 4) = [[0,1,2,3],[4,5,6,7],[8,9,10,11],[12,13,14,15]],
 * w (1, 1, 2, 2) = [[1,2],[3,4]]. */
static void
test_conv2d(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *x = tensor_reshape(s, tensor_arange(s, 16, TENSOR_F32, TENSOR_CPU),
                                      DIMS(1, 1, 4, 4));
    struct tensor *w = F32(s, DIMS(1, 1, 2, 2), 1, 2, 3, 4);
    struct tensor *b = F32(s, DIMS(1), 0.5f);
    struct tensor *y = tensor_conv2d(s, x, w, b, 2, 0);
    expect_shape(y, DIMS(1, 1, 2, 2));
    expect_values(s, y, 0, 0,
                  34.5,    /* [[0,1],[4,5]]:     0*1 + 1*2 + 4*3 + 5*4 = 34, + 0.5 */
                  54.5,    /* [[2,3],[6,7]]:     2 + 6 + 18 + 28 = 54 */
                  114.5,   /* [[8,9],[12,13]]:   8 + 18 + 36 + 52 = 114 */
                  134.5);  /* [[10,11],[14,15]]: 10 + 22 + 42 + 60 = 134 */

    /* Padding 1, no bias: 6x6 padded input, windows at rows/cols -1, 1, 3 -> (1, 1, 3, 3). */
    struct tensor *p = tensor_conv2d(s, x, w, NULL, 2, 1);
    expect_shape(p, DIMS(1, 1, 3, 3));
    expect_values(s, p, 0, 0,
                  0,      /* [[_,_],[_,0]]:    4*0 */
                  11,     /* [[_,_],[1,2]]:    3*1 + 4*2 */
                  9,      /* [[_,_],[3,_]]:    3*3 */
                  40,     /* [[_,4],[_,8]]:    2*4 + 4*8 */
                  84,     /* [[5,6],[9,10]]:   5 + 12 + 27 + 40 */
                  40,     /* [[7,_],[11,_]]:   7 + 3*11 */
                  24,     /* [[_,12],[_,_]]:   2*12 */
                  41,     /* [[13,14],[_,_]]:  13 + 2*14 */
                  15);    /* [[15,_],[_,_]]:   15 */
    assert_null(tensor_scope_error(s));
}

static void
test_embedding(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *table = F32(s, DIMS(3, 2), 1, 2, 3, 4, 5, 6);   /* rows (1,2) (3,4) (5,6) */
    const int64_t ids[] = {2, 0, 1, 2};
    struct tensor *i = tensor_from_data(s, ids, TENSOR_I64, DIMS(2, 2), TENSOR_CPU);
    struct tensor *e = tensor_embedding(s, table, i);
    expect_shape(e, DIMS(2, 2, 2));
    /* rows 2, 0 / 1, 2 */
    expect_values(s, e, 0, 0, 5, 6, 1, 2, 3, 4, 5, 6);
    /* Id 3 is out of range for 3 rows: an error, not a crash. */
    const int64_t bad[] = {3};
    assert_null(tensor_embedding(s, table,
                                 tensor_from_data(s, bad, TENSOR_I64, DIMS(1), TENSOR_CPU)));
    assert_non_null(tensor_scope_error(s));
}

/* ---- shape --------------------------------------------------------------------------------- */

static void
test_reshape_permute(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = mat23(s);
    struct tensor *r = tensor_reshape(s, a, DIMS(3, -1));
    expect_shape(r, DIMS(3, 2));
    expect_values(s, r, 0, 0, 1, 2, 3, 4, 5, 6);
    expect_shape(tensor_reshape(s, a, DIMS(-1)), DIMS(6));

    /* transpose: [[1,4],[2,5],[3,6]], read back row-major. */
    struct tensor *t = tensor_transpose(s, a, 0, 1);
    expect_shape(t, DIMS(3, 2));
    expect_values(s, t, 0, 0, 1, 4, 2, 5, 3, 6);
    struct tensor *tc = tensor_contiguous(s, t);
    expect_values(s, tc, 0, 0, 1, 4, 2, 5, 3, 6);
    /* reshape of a non-contiguous view: rows of the transpose, flattened. */
    expect_values(s, tensor_reshape(s, t, DIMS(6)), 0, 0, 1, 4, 2, 5, 3, 6);

    /* (1, 2, 3) permuted by (2, 0, 1) -> (3, 1, 2) with out[k][0][j] = a[j][k]. */
    struct tensor *a3 = tensor_unsqueeze(s, a, 0);
    expect_shape(a3, DIMS(1, 2, 3));
    struct tensor *p = tensor_permute(s, a3, 3, (const int[]){2, 0, 1});
    expect_shape(p, DIMS(3, 1, 2));
    expect_values(s, p, 0, 0, 1, 4, 2, 5, 3, 6);
    expect_shape(tensor_unsqueeze(s, a, -1), DIMS(2, 3, 1));

    /* 6 elements do not make (4, 2). */
    assert_null(tensor_reshape(s, a, DIMS(4, 2)));
    assert_non_null(strstr(tensor_scope_error(s), "tensor_reshape"));
}

static void
test_cat_chunk_narrow(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = mat23(s);
    struct tensor *b = tensor_mul_scalar(s, a, 10);
    struct tensor *ab[2] = {a, b};
    struct tensor *c0 = tensor_cat(s, ab, 2, 0);
    expect_shape(c0, DIMS(4, 3));
    expect_values(s, c0, 0, 0, 1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60);
    struct tensor *c1 = tensor_cat(s, ab, 2, 1);
    expect_shape(c1, DIMS(2, 6));
    expect_values(s, c1, 0, 0, 1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60);

    /* Three (2, 1) columns: (1, 4), (2, 5), (3, 6). */
    struct tensor *parts[3];
    assert_int_equal(tensor_chunk(s, a, 3, 1, parts), 0);
    expect_shape(parts[0], DIMS(2, 1));
    expect_values(s, parts[0], 0, 0, 1, 4);
    expect_values(s, parts[1], 0, 0, 2, 5);
    expect_values(s, parts[2], 0, 0, 3, 6);
    /* Rows: (1, 2, 3), (4, 5, 6). */
    assert_int_equal(tensor_chunk(s, a, 2, 0, parts), 0);
    expect_values(s, parts[1], 0, 0, 4, 5, 6);

    /* narrow(dim 1, start 1, length 2): [[2, 3], [5, 6]]. */
    struct tensor *n = tensor_narrow(s, a, 1, 1, 2);
    expect_shape(n, DIMS(2, 2));
    expect_values(s, n, 0, 0, 2, 3, 5, 6);
    assert_null(tensor_scope_error(s));

    /* 3 columns do not split in 2: -1, every out NULL, and the scope says why. */
    struct tensor *two[2] = {a, a};
    assert_int_equal(tensor_chunk(s, a, 2, 1, two), -1);
    assert_null(two[0]);
    assert_null(two[1]);
    assert_non_null(strstr(tensor_scope_error(s), "tensor_chunk"));
}

static void
test_cat_null_input(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *ts[2] = {mat23(s), NULL};
    assert_null(tensor_cat(s, ts, 2, 0));
    assert_non_null(strstr(tensor_scope_error(s), "tensor_cat"));
}

/* ---- host access ---------------------------------------------------------------------------- */

static void
test_read(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = mat23(s);
    float f[6];
    assert_int_equal(tensor_read_f32(s, a, f, 6), 0);
    assert_true(f[0] == 1 && f[5] == 6);
    /* Raw bytes of a transposed view come back contiguous: 1, 4, 2, 5, 3, 6. */
    float tb[6];
    assert_int_equal(tensor_read_bytes(s, tensor_transpose(s, a, 0, 1), tb, sizeof tb), 0);
    assert_true(tb[0] == 1 && tb[1] == 4 && tb[2] == 2 && tb[5] == 6);
    /* A 0-element tensor reads fine into no room. */
    assert_int_equal(tensor_read_f32(s, tensor_arange(s, 0, TENSOR_F32, TENSOR_CPU), f, 0), 0);
    assert_null(tensor_scope_error(s));

    /* Too small for 24 bytes: -1 and an error naming the problem. */
    assert_int_equal(tensor_read_bytes(s, a, f, sizeof f - 1), -1);
    assert_non_null(tensor_scope_error(s));
    assert_non_null(strstr(tensor_scope_error(s), "destination"));
    tensor_scope_reset(s);

    a = mat23(s);
    assert_int_equal(tensor_read_f32(s, a, f, 5), -1);
    assert_non_null(strstr(tensor_scope_error(s), "tensor_read"));
    /* The scope is failed now: even a good read refuses. */
    assert_int_equal(tensor_read_f32(s, a, f, 6), -1);
    tensor_scope_reset(s);

    assert_int_equal(tensor_read_f32(s, NULL, f, 6), -1);
    assert_non_null(tensor_scope_error(s));
    assert_int_equal(tensor_read_f32(NULL, a, f, 6), -1);
}

/* ---- scopes --------------------------------------------------------------------------------- */

static void
test_sticky_error(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = mat23(s);
    assert_null(tensor_scope_error(s));
    /* (2, 3) @ (2, 3): the inner dims 3 and 2 differ. */
    assert_null(tensor_matmul(s, a, a));
    const char *err = tensor_scope_error(s);
    assert_non_null(err);
    assert_non_null(strstr(err, "tensor_matmul"));
    assert_non_null(strstr(err, "2x3"));
    assert_null(strchr(err, '\n'));
    assert_string_equal(tensor_last_error(), err);
    char *first = xstrdup(err);
    size_t count = tensor_scope_count(s);

    /* Every later op is a no-op that returns NULL; the first error stays. */
    assert_null(tensor_add(s, a, a));
    assert_null(tensor_from_data(s, (const float[]){1}, TENSOR_F32, DIMS(1), TENSOR_CPU));
    assert_null(tensor_copy_to(s, a));
    assert_true(isnan(tensor_rel_l1(s, a, a)));
    struct tensor *parts[2];
    assert_int_equal(tensor_chunk(s, a, 2, 0, parts), -1);
    assert_null(parts[0]);
    assert_int_equal(tensor_scope_count(s), count);
    assert_string_equal(tensor_scope_error(s), first);
    free(first);

    /* Reset clears the error and the tensors; the scope works again. */
    tensor_scope_reset(s);
    assert_null(tensor_scope_error(s));
    assert_int_equal(tensor_scope_count(s), 0);
    expect_values(s, tensor_add(s, mat23(s), mat23(s)), 0, 0, 2, 4, 6, 8, 10, 12);
}

static void
test_null_inputs(void **state)
{
    struct tensor_scope *s = *state;
    struct tensor *a = mat23(s);
    assert_null(tensor_add(s, NULL, a));
    assert_non_null(strstr(tensor_scope_error(s), "tensor_add"));
    assert_non_null(strstr(tensor_scope_error(s), "NULL"));
    tensor_scope_reset(s);
    a = mat23(s);
    assert_null(tensor_exp(s, NULL));
    assert_non_null(strstr(tensor_scope_error(s), "tensor_exp"));
    tensor_scope_reset(s);
    a = mat23(s);
    assert_null(tensor_linear(s, a, NULL, NULL));
    assert_non_null(tensor_scope_error(s));
    tensor_scope_reset(s);
    a = mat23(s);
    assert_null(tensor_randn(s, NULL, DIMS(2)));
    assert_non_null(strstr(tensor_scope_error(s), "generator"));
    tensor_scope_reset(s);

    /* A NULL scope: NULL back and a thread error, no crash. */
    assert_null(tensor_add(NULL, a, a));
    assert_non_null(strstr(tensor_last_error(), "NULL scope"));
    assert_non_null(tensor_scope_error(NULL));
    assert_int_equal(tensor_scope_count(NULL), 0);
    tensor_scope_reset(NULL);
    tensor_scope_set_error(NULL, "ignored");
    tensor_scope_free(NULL);

    /* A device this build lacks is an error, not a crash. */
    if (!tensor_cuda_available()) {
        assert_null(tensor_full(s, 1, TENSOR_F32, DIMS(2), TENSOR_CUDA));
        assert_non_null(tensor_scope_error(s));
    }
}

static void
test_count_and_copy(void **state)
{
    struct tensor_scope *s = *state;
    assert_int_equal(tensor_scope_count(s), 0);
    struct tensor *a = mat23(s);
    assert_int_equal(tensor_scope_count(s), 1);
    struct tensor *b = tensor_add(s, a, a);
    assert_int_equal(tensor_scope_count(s), 2);
    struct tensor *parts[3];
    assert_int_equal(tensor_chunk(s, b, 3, 1, parts), 0);
    assert_int_equal(tensor_scope_count(s), 5);

    /* copy_to shares the data and outlives the source scope's reset. */
    struct tensor_scope *keep = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    struct tensor *k = tensor_copy_to(keep, b);
    assert_int_equal(tensor_scope_count(keep), 1);
    assert_int_equal(tensor_scope_count(s), 5);
    tensor_scope_reset(s);
    assert_int_equal(tensor_scope_count(s), 0);
    expect_values(keep, k, 0, 0, 2, 4, 6, 8, 10, 12);
    /* Ops in the long-lived scope work on the copied handle. */
    expect_values(keep, tensor_sum(keep, k), 0, 0, 42);
    tensor_scope_free(keep);
}

static void
test_set_error(void **state)
{
    struct tensor_scope *s = *state;
    tensor_scope_set_error(s, "first");
    tensor_scope_set_error(s, "second");
    assert_string_equal(tensor_scope_error(s), "first");
    assert_null(mat23(s));
    /* An op failure does not replace it either. */
    tensor_scope_reset(s);
    assert_null(tensor_scope_error(s));
    struct tensor *a = mat23(s);
    assert_null(tensor_matmul(s, a, a));
    tensor_scope_set_error(s, "later");
    assert_non_null(strstr(tensor_scope_error(s), "tensor_matmul"));
}

static void
test_grad_scope(void **state)
{
    (void)state;
    struct tensor_scope *g = tensor_scope_new(TENSOR_SCOPE_GRAD);
    struct tensor *a = mat23(g);
    /* sum(a * 2) = 2 * 21 */
    assert_close(tensor_item(g, tensor_sum(g, tensor_mul_scalar(g, a, 2))), 42, 0, 0);
    assert_null(tensor_scope_error(g));
    tensor_scope_free(g);
}

/* ---- generators and the PyTorch noise contract ---------------------------------------------- */

static void
test_generators(void **state)
{
    struct tensor_scope *s = *state;
    float x[20], y[20], z[20];
    char *cause = NULL;
    struct tensor_gen *g1 = tensor_gen_new(123, TENSOR_CPU, &cause);
    struct tensor_gen *g2 = tensor_gen_new(123, TENSOR_CPU, &cause);
    struct tensor_gen *g3 = tensor_gen_new(124, TENSOR_CPU, &cause);
    assert_non_null(g1);
    assert_non_null(g2);
    assert_non_null(g3);
    assert_null(cause);
    struct tensor *t = tensor_randn(s, g1, DIMS(4, 5));
    expect_shape(t, DIMS(4, 5));
    assert_int_equal(tensor_dtype(t), TENSOR_F32);
    assert_int_equal(tensor_device(t), TENSOR_CPU);
    assert_int_equal(tensor_read_f32(s, t, x, 20), 0);
    assert_int_equal(tensor_read_f32(s, tensor_randn(s, g2, DIMS(4, 5)), y, 20), 0);
    assert_int_equal(tensor_read_f32(s, tensor_randn(s, g3, DIMS(4, 5)), z, 20), 0);
    assert_memory_equal(x, y, sizeof x);
    assert_memory_not_equal(x, z, sizeof x);
    /* The generator advances: a second draw differs from the first. */
    assert_int_equal(tensor_read_f32(s, tensor_randn(s, g1, DIMS(4, 5)), y, 20), 0);
    assert_memory_not_equal(x, y, sizeof x);
    tensor_gen_free(g1);
    tensor_gen_free(g2);
    tensor_gen_free(g3);
    tensor_gen_free(NULL);

    /* Noise is always drawn on the CPU; a CUDA generator is refused with a cause. */
    struct tensor_gen *gc = tensor_gen_new(0, TENSOR_CUDA, &cause);
    assert_null(gc);
    assert_non_null(cause);
    assert_non_null(strstr(cause, "tensor_gen_new"));
    free(cause);
    assert_null(tensor_gen_new(0, TENSOR_CUDA, NULL));
}

/* Parse one number token; fails the test on junk. */
static double
ref_double(const char *tok, int line)
{
    char *end = NULL;
    if (tok == NULL)
        fail_msg("%s:%d: missing number", REF_PATH, line);
    double v = strtod(tok, &end);
    if (end == tok || *end != '\0')
        fail_msg("%s:%d: bad number '%s'", REF_PATH, line, tok);
    return v;
}

static long long
ref_int(const char *tok, int line)
{
    double v = ref_double(tok, line);
    if (v != floor(v))
        fail_msg("%s:%d: '%s' is not an integer", REF_PATH, line, tok);
    return (long long)v;
}

/* One draw record "<ndim> <dims> <sum> <count> <values>" from gen; bit-exact values. */
static void
ref_check_draw(struct tensor_scope *s, struct tensor_gen *gen, char **save, int line)
{
    int64_t shape[TENSOR_MAX_DIMS];
    int ndim = (int)ref_int(strtok_r(NULL, " \t\n", save), line);
    assert_in_range(ndim, 0, TENSOR_MAX_DIMS);
    for (int i = 0; i < ndim; i++)
        shape[i] = ref_int(strtok_r(NULL, " \t\n", save), line);
    double want_sum = ref_double(strtok_r(NULL, " \t\n", save), line);
    int count = (int)ref_int(strtok_r(NULL, " \t\n", save), line);

    struct tensor *t = tensor_randn(s, gen, ndim, shape);
    if (t == NULL)
        fail_msg("%s:%d: tensor_randn: %s", REF_PATH, line, tensor_scope_error(s));
    size_t n = (size_t)tensor_numel(t);
    assert_true((size_t)count <= n);
    float *got = xmalloc(n * sizeof *got);
    assert_int_equal(tensor_read_f32(s, t, got, n), 0);
    for (int i = 0; i < count; i++) {
        float want = (float)ref_double(strtok_r(NULL, " \t\n", save), line);
        uint32_t gb, wb;
        memcpy(&gb, &got[i], sizeof gb);
        memcpy(&wb, &want, sizeof wb);
        if (gb != wb)
            fail_msg("%s:%d: value %d is %.9g (0x%08x), torch drew %.9g (0x%08x)", REF_PATH,
                     line, i, (double)got[i], gb, (double)want, wb);
    }
    assert_null(strtok_r(NULL, " \t\n", save));
    /* The float64 sum covers the values not printed; order of summation costs ~1e-13. */
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += got[i];
    assert_close(sum, want_sum, 0, 1e-9);
    free(got);
    tensor_scope_reset(s);
}

static void
test_randn_matches_torch(void **state)
{
    struct tensor_scope *s = *state;
    FILE *fp = fopen(REF_PATH, "r");
    if (fp == NULL)
        fail_msg("cannot open %s (run the tests from the repository root)", REF_PATH);
    char *buf = NULL;
    size_t cap = 0;
    int line = 0, records = 0;
    struct tensor_gen *gen = NULL;
    while (getline(&buf, &cap, fp) >= 0) {
        line++;
        if (line == 1) {
            buf[strcspn(buf, "\n")] = '\0';
            if (strcmp(buf, REF_MAGIC) != 0)
                fail_msg("%s: first line '%s', want '%s'", REF_PATH, buf, REF_MAGIC);
            continue;
        }
        char *save = NULL;
        const char *kind = strtok_r(buf, " \t\n", &save);
        if (kind == NULL || kind[0] == '#')
            continue;
        if (strcmp(kind, "randn") == 0) {
            const char *tok = strtok_r(NULL, " \t\n", &save);
            char *end = NULL;
            uint64_t seed = strtoull(tok ? tok : "", &end, 10);
            if (tok == NULL || *end != '\0')
                fail_msg("%s:%d: bad seed", REF_PATH, line);
            tensor_gen_free(gen);
            char *cause = NULL;
            gen = tensor_gen_new(seed, TENSOR_CPU, &cause);
            if (gen == NULL)
                fail_msg("%s:%d: %s", REF_PATH, line, cause);
        } else if (strcmp(kind, "next") != 0 || gen == NULL) {
            fail_msg("%s:%d: unexpected record '%s'", REF_PATH, line, kind);
        }
        ref_check_draw(s, gen, &save, line);
        records++;
    }
    tensor_gen_free(gen);
    free(buf);
    fclose(fp);
    /* 4 seeds x (3 shapes + 2 consecutive draws). */
    assert_true(records >= 20);
}

/* The runtime facts fbw records with every sweep, and the timers. */
static void
test_runtime_and_timers(void **state)
{
    struct tensor_scope *s = *state;
    char buf[256];
    /* One thread policy: setting the intra-op count also pins the inter-op pool at one. */
    const int n = tensor_threads(0);
    assert_int_equal(tensor_threads(n), n);
    assert_int_equal(tensor_interop_threads(), 1);
    assert_true(strlen(tensor_backend_blas()) > 0);
    assert_string_equal(tensor_device_info(TENSOR_CPU, buf, sizeof buf), "cpu");
    assert_true(tensor_cuda_built() || !tensor_cuda_available());
    assert_int_equal(tensor_device_peak_bytes(TENSOR_CPU, 1), -1);

    /* The host-clock timer measures at least a known sleep, and not wildly more. */
    struct tensor_timer *t = tensor_timer_new(TENSOR_CPU, NULL);
    assert_non_null(t);
    assert_string_equal(tensor_timer_kind(t), "host-clock");
    tensor_timer_start(t);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    double ms = tensor_timer_stop(t);
    assert_true(ms >= 20.0 && ms < 5000.0);
    tensor_timer_free(t);
    tensor_timer_free(NULL);
    assert_string_equal(tensor_timer_kind(NULL), "host-clock");

    if (!tensor_cuda_available()) {
        char *cause = NULL;
        assert_null(tensor_timer_new(TENSOR_CUDA, &cause));
        assert_non_null(cause);
        assert_non_null(strstr(cause, "no CUDA device"));
        free(cause);
        fprintf(stderr, "SKIP: CUDA-event timer and device peak memory on a GPU: no CUDA device "
                "(%s build)\n", tensor_cuda_built() ? "CUDA" : "CPU-only");
        return;
    }
    /* On a GPU: a 2048^3 matmul timed by events takes a positive time, and the peak memory
     * window sees at least its three 16 MiB matrices. */
    t = tensor_timer_new(TENSOR_CUDA, NULL);
    assert_non_null(t);
    assert_string_equal(tensor_timer_kind(t), "cuda-events");
    const int64_t shape[2] = {2048, 2048};
    tensor_device_peak_bytes(TENSOR_CUDA, 1);
    struct tensor *a = tensor_full(s, 1.0, TENSOR_F32, 2, shape, TENSOR_CUDA);
    tensor_timer_start(t);
    struct tensor *c = tensor_matmul(s, a, a);
    ms = tensor_timer_stop(t);
    assert_non_null(c);
    assert_true(ms > 0.0 && ms < 5000.0);
    assert_true(tensor_device_peak_bytes(TENSOR_CUDA, 0) >= 3 * 2048 * 2048 * 4);
    tensor_timer_free(t);
    printf("  %s: 2048^3 f32 matmul %.3f ms by CUDA events\n",
           tensor_device_info(TENSOR_CUDA, buf, sizeof buf), ms);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_names),
        T(test_inspection),
        T(test_from_data),
        T(test_full_arange),
        T(test_casts),
        T(test_binary_broadcast),
        T(test_scalar_ops),
        T(test_unary_math),
        T(test_gelu_tanh),
        T(test_modulate),
        T(test_reductions),
        T(test_item_failure),
        T(test_rel_l1),
        T(test_matmul_linear),
        T(test_layer_norm_softmax),
        T(test_attention),
        T(test_conv2d),
        T(test_embedding),
        T(test_reshape_permute),
        T(test_cat_chunk_narrow),
        T(test_cat_null_input),
        T(test_read),
        T(test_sticky_error),
        T(test_null_inputs),
        T(test_count_and_copy),
        T(test_set_error),
        T(test_grad_scope),
        T(test_generators),
        T(test_randn_matches_torch),
        T(test_runtime_and_timers),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
