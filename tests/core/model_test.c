/*
 * model_test.c - the DiT forward pass against an independent reference.
 *
 * tests/ref/make_dit_fixture.py (plain PyTorch, written from DiT's models.py,
 * sharing no code with fbw) wrote a tiny DiT in F32, F16 and BF16 and the
 * activations it computes for three inputs.  Here the C model loads each
 * checkpoint and must reproduce embed, every block and the final output.
 * Loading in a compute dtype (model_load_as) must round each weight once from
 * the file's values, and the forward pass must then run in that dtype.
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "core/safetensors.h"
#include "util/err.h"

#define FIXTURE_DIR "tests/fixtures/dit/"

struct fixture {
    struct safetensors *io;
    struct tensor_scope *s;
};

static const struct safetensors_tensor *
fixture_get(struct fixture *f, const char *name)
{
    const struct safetensors_tensor *t = safetensors_find(f->io, name);
    if (t == NULL)
        fail_msg("fixture tensor '%s' missing", name);
    return t;
}

static struct tensor *
fixture_tensor(struct fixture *f, const char *name)
{
    const struct safetensors_tensor *t = fixture_get(f, name);
    enum tensor_dtype dt = t->dtype == SAFETENSORS_I64 ? TENSOR_I64 : TENSOR_F32;
    return tensor_from_data(f->s, t->data, dt, t->ndim, t->shape, TENSOR_CPU);
}

/* Compare a tensor with a fixture array: max abs diff and normalised MSE. */
static void
expect_tensor(struct fixture *f, struct tensor *got, const char *name, double max_tol)
{
    const struct safetensors_tensor *want = fixture_get(f, name);
    size_t n = want->nbytes / sizeof(float);
    assert_int_equal(tensor_numel(got), (int64_t)n);
    for (int d = 0; d < want->ndim; d++)
        assert_int_equal(tensor_dim(got, d), want->shape[d]);
    float *buf = xmalloc(n * sizeof *buf);
    assert_int_equal(tensor_read_f32(f->s, got, buf, n), 0);
    const float *w = want->data;
    double maxdiff = 0, err = 0, ref = 0;
    for (size_t i = 0; i < n; i++) {
        double dlt = fabs((double)buf[i] - w[i]);
        maxdiff = fmax(maxdiff, dlt);
        err += dlt * dlt;
        ref += (double)w[i] * w[i];
    }
    printf("  %-10s maxdiff %.3g nmse %.3g (first %g vs %g)\n", name, maxdiff, err / ref,
           buf[0], w[0]);
    free(buf);
    if (!(maxdiff <= max_tol))
        fail_msg("%s: maxdiff %g exceeds %g", name, maxdiff, max_tol);
}

static void
run_forward(const char *weights, const char *out_name, double tol, int check_layers)
{
    char *cause = NULL;
    struct fixture f = {.io = safetensors_open(FIXTURE_DIR "dit_tiny_io.safetensors", &cause),
                        .s = tensor_scope_new(TENSOR_SCOPE_INFERENCE)};
    if (f.io == NULL)
        fail_msg("%s", cause);
    struct model *m = model_load(weights, TENSOR_CPU, &cause);
    if (m == NULL)
        fail_msg("%s", cause);
    struct tensor *t = fixture_tensor(&f, "t");
    struct model_state st;
    model_embed(m, f.s, fixture_tensor(&f, "x"), t, fixture_tensor(&f, "y"), &st);
    if (check_layers) {
        expect_tensor(&f, st.h, "embed_x", 1e-5);
        expect_tensor(&f, st.c, "embed_c", 1e-4);
    }
    for (int i = 0; i < model_depth(m); i++) {
        model_block(m, f.s, i, &st);
        char name[32];
        snprintf(name, sizeof name, "block_%d", i);
        if (check_layers)
            expect_tensor(&f, st.h, name, 1e-4);
    }
    expect_tensor(&f, model_final(m, f.s, &st), out_name, tol);
    assert_null(tensor_scope_error(f.s));
    model_free(m);
    tensor_scope_free(f.s);
    safetensors_free(f.io);
}

static void
test_dit_f32(void **state)
{
    (void)state;
    run_forward(FIXTURE_DIR "dit_tiny_f32.safetensors", "out", 1e-4, 1);
}

static void
test_dit_f16(void **state)
{
    (void)state;
    run_forward(FIXTURE_DIR "dit_tiny_f16.safetensors", "out_f16", 1e-4, 0);
}

static void
test_dit_bf16(void **state)
{
    (void)state;
    run_forward(FIXTURE_DIR "dit_tiny_bf16.safetensors", "out_bf16", 1e-4, 0);
}

static void
test_config_and_load_errors(void **state)
{
    (void)state;
    struct model_config cfg;
    char *cause = NULL;
    assert_int_equal(model_config_parse(&cfg, "{\"arch\":\"dit\"}", &cause), -1);
    assert_non_null(strstr(cause, "input_size"));
    free(cause);
    cause = NULL;
    const char *bad_patch = "{\"arch\":\"dit\",\"input_size\":10,\"patch_size\":4,"
                            "\"in_channels\":4,\"hidden_size\":64,\"depth\":2,\"num_heads\":4,"
                            "\"num_classes\":10}";
    assert_int_equal(model_config_parse(&cfg, bad_patch, &cause), -1);
    assert_non_null(strstr(cause, "patch_size"));
    free(cause);
    cause = NULL;
    /* A checkpoint without the config names the file and the missing key. */
    char *path = test_tmppath("noconfig.safetensors");
    struct safetensors_writer *w = safetensors_writer_new();
    float one = 1;
    assert_int_equal(safetensors_writer_add(w, "a", SAFETENSORS_F32, 0, NULL, &one, 4, &cause), 0);
    assert_int_equal(safetensors_writer_write(w, path, &cause), 0);
    safetensors_writer_free(w);
    assert_null(model_load(path, TENSOR_CPU, &cause));
    assert_non_null(strstr(cause, path));
    assert_non_null(strstr(cause, "fbw.config"));
    free(cause);
    free(path);
}

/* A random checkpoint with a missing block fails naming the tensor. */
static void
test_missing_and_extra_tensor(void **state)
{
    (void)state;
    char *cause = NULL;
    struct model_config cfg = {
        .arch = "dit", .input_size = 8, .patch_size = 2, .in_channels = 4, .hidden_size = 32,
        .depth = 2, .num_heads = 4, .mlp_ratio = 4.0, .num_classes = 10, .prediction = "eps",
        .beta_schedule = "linear", .num_timesteps = 1000,
    };
    char *good = test_tmppath("good.safetensors");
    assert_int_equal(model_write_random(&cfg, 3, good, &cause), 0);
    struct model *m = model_load(good, TENSOR_CPU, &cause);
    assert_non_null(m);
    assert_int_equal(model_depth(m), 2);
    model_free(m);
    /* Same file, config claiming depth 3: blocks.2.* are missing. */
    struct safetensors *st = safetensors_open(good, &cause);
    struct safetensors_writer *w = safetensors_writer_new();
    for (size_t i = 0; i < safetensors_count(st); i++) {
        const struct safetensors_tensor *t = safetensors_at(st, i);
        assert_int_equal(safetensors_writer_add(w, t->name, t->dtype, t->ndim, t->shape, t->data,
                                                t->nbytes, &cause), 0);
    }
    cfg.depth = 3;
    char *json = model_config_to_json(&cfg);
    assert_int_equal(safetensors_writer_set_metadata(w, "fbw.config", json, &cause), 0);
    char *bad = test_tmppath("deeper.safetensors");
    assert_int_equal(safetensors_writer_write(w, bad, &cause), 0);
    assert_null(model_load(bad, TENSOR_CPU, &cause));
    assert_non_null(strstr(cause, "missing tensor 'blocks.2."));
    free(cause);
    cause = NULL;
    /* Config claiming depth 1: blocks.1.* are unexpected. */
    cfg.depth = 1;
    free(json);
    json = model_config_to_json(&cfg);
    assert_int_equal(safetensors_writer_set_metadata(w, "fbw.config", json, &cause), 0);
    assert_int_equal(safetensors_writer_write(w, bad, &cause), 0);
    assert_null(model_load(bad, TENSOR_CPU, &cause));
    assert_non_null(strstr(cause, "unexpected tensor 'blocks.1."));
    free(cause);
    free(json);
    safetensors_writer_free(w);
    safetensors_free(st);
    free(good);
    free(bad);
}

/* float32 -> bfloat16 with round-to-nearest-even, on the bits (no NaN in weights). */
static uint16_t
bf16_rne(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

/*
 * Every weight of path loaded as bf16 equals the C round-to-nearest-even of its float32 value
 * (the file's values, exactly: F16 and BF16 widen to float32 without loss), and as f16 equals
 * libtorch's direct float32 -> f16 cast: one rounding each, never through another dtype
 * (f32 -> f16 -> bf16 flushes small weights that bf16 keeps).  Returns the weights compared.
 */
static size_t
expect_single_rounding(const char *path)
{
    char *cause = NULL;
    struct model *m32 = model_load(path, TENSOR_CPU, &cause);
    struct model *mb = model_load_as(path, TENSOR_CPU, TENSOR_BF16, &cause);
    struct model *mh = model_load_as(path, TENSOR_CPU, TENSOR_F16, &cause);
    if (m32 == NULL || mb == NULL || mh == NULL)
        fail_msg("%s", cause);
    assert_int_equal(model_dtype(m32), TENSOR_F32);
    assert_int_equal(model_dtype(mb), TENSOR_BF16);
    assert_int_equal(model_dtype(mh), TENSOR_F16);
    assert_int_equal(model_weight_count(mb), model_weight_count(m32));
    struct tensor_scope *s = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    size_t total = 0;
    for (int i = 0; i < model_weight_count(m32); i++) {
        const char *name;
        struct tensor *w32 = model_weight(m32, i, &name, NULL);
        struct tensor *wb = model_weight(mb, i, NULL, NULL), *wh = model_weight(mh, i, NULL, NULL);
        assert_int_equal(tensor_dtype(wb), TENSOR_BF16);
        assert_int_equal(tensor_dtype(wh), TENSOR_F16);
        size_t n = (size_t)tensor_numel(w32);
        float *f = xmalloc(n * sizeof *f);
        uint16_t *b = xmalloc(n * sizeof *b), *h = xmalloc(n * sizeof *h);
        uint16_t *hwant = xmalloc(n * sizeof *hwant);
        assert_int_equal(tensor_read_f32(s, w32, f, n), 0);
        assert_int_equal(tensor_read_bytes(s, wb, b, n * sizeof *b), 0);
        assert_int_equal(tensor_read_bytes(s, wh, h, n * sizeof *h), 0);
        struct tensor *direct = tensor_to(s, w32, TENSOR_F16, TENSOR_CPU);
        assert_int_equal(tensor_read_bytes(s, direct, hwant, n * sizeof *hwant), 0);
        for (size_t j = 0; j < n; j++)
            if (b[j] != bf16_rne(f[j]))
                fail_msg("%s: %s[%zu] = %.9g reads as bf16 0x%04x, not 0x%04x", path, name, j,
                         f[j], b[j], bf16_rne(f[j]));
        assert_memory_equal(h, hwant, n * sizeof *h);
        total += n;
        free(f);
        free(b);
        free(h);
        free(hwant);
        tensor_scope_reset(s);
    }
    tensor_scope_free(s);
    model_free(m32);
    model_free(mb);
    model_free(mh);
    return total;
}

/* The tiny DiT in bf16 and f16: the blocks compute in that dtype, close to float32. */
static void
expect_forward_in(enum tensor_dtype dtype, double tol)
{
    char *cause = NULL;
    struct fixture f = {.io = safetensors_open(FIXTURE_DIR "dit_tiny_io.safetensors", &cause),
                        .s = tensor_scope_new(TENSOR_SCOPE_INFERENCE)};
    struct model *m = model_load_as(FIXTURE_DIR "dit_tiny_f32.safetensors", TENSOR_CPU, dtype,
                                    &cause);
    if (f.io == NULL || m == NULL)
        fail_msg("%s", cause);
    struct tensor *x = tensor_to(f.s, fixture_tensor(&f, "x"), dtype, TENSOR_CPU);
    struct model_state st;
    model_embed(m, f.s, x, fixture_tensor(&f, "t"), fixture_tensor(&f, "y"), &st);
    assert_int_equal(tensor_dtype(st.h), dtype);
    assert_int_equal(tensor_dtype(st.c), dtype);
    for (int i = 0; i < model_depth(m); i++)
        model_block(m, f.s, i, &st);
    struct tensor *out = model_final(m, f.s, &st);
    assert_null(tensor_scope_error(f.s));
    assert_int_equal(tensor_dtype(out), dtype);
    printf("  %s forward:\n", tensor_dtype_name(dtype));
    expect_tensor(&f, out, "out", tol);
    model_free(m);
    tensor_scope_free(f.s);
    safetensors_free(f.io);
}

static void
test_load_as_dtype(void **state)
{
    (void)state;
    char *cause = NULL;
    /* Xavier-scale random weights: thousands of them below f16's normal range. */
    struct model_config cfg = {
        .arch = "dit", .input_size = 8, .patch_size = 2, .in_channels = 4, .hidden_size = 64,
        .depth = 2, .num_heads = 4, .mlp_ratio = 4.0, .num_classes = 10, .prediction = "eps",
        .beta_schedule = "linear", .num_timesteps = 1000,
    };
    char *path = test_tmppath("rounding.safetensors");
    assert_int_equal(model_write_random(&cfg, 8, path, &cause), 0);
    assert_true(expect_single_rounding(path) > 100000);
    free(path);
    expect_single_rounding(FIXTURE_DIR "dit_tiny_f32.safetensors");
    expect_single_rounding(FIXTURE_DIR "dit_tiny_f16.safetensors");
    expect_single_rounding(FIXTURE_DIR "dit_tiny_bf16.safetensors");
    expect_forward_in(TENSOR_BF16, 0.1);
    expect_forward_in(TENSOR_F16, 0.01);

    enum tensor_dtype dt;
    assert_int_equal(model_dtype_find("bf16", &dt), 0);
    assert_int_equal(dt, TENSOR_BF16);
    assert_int_equal(model_dtype_find("f16", &dt), 0);
    assert_int_equal(dt, TENSOR_F16);
    assert_int_equal(model_dtype_find("f32", &dt), 0);
    assert_int_equal(dt, TENSOR_F32);
    assert_int_equal(model_dtype_find("f64", &dt), -1);     /* a tensor dtype, not a compute one */
    assert_int_equal(model_dtype_find("bfloat16", &dt), -1);
    assert_string_equal(model_dtype_closest("bf61"), "bf16");
    assert_string_equal(model_dtype_closest("fp16"), "f16");
    assert_string_equal(model_dtype_closest("float32"), "f32");
}

/* model_flops against a count made layer by layer for a small DiT (hidden 64, depth 3, patch 2,
 * 16x16x3 input: 64 tokens, MLP 256, no learn_sigma), multiply-adds x 2, batch 1 and 2. */
static void
test_flops_by_hand(void **state)
{
    (void)state;
    struct model_config c = {.arch = "dit", .input_size = 16, .patch_size = 2, .in_channels = 3,
                             .hidden_size = 64, .depth = 3, .num_heads = 4, .mlp_ratio = 4.0};
    /* embed: patch conv 64 tokens x (12 -> 64) = 49152; timestep MLP 256x64 + 64x64 = 20480 */
    const double embed = 2.0 * (49152 + 16384 + 4096);
    /* block: adaLN 64 -> 384 = 24576; qkv 64x64x192 = 786432; proj 64x64x64 = 262144;
     * MLP 2 x 64x64x256 = 2097152; QK^T and AV 2 x 64x64x64 = 524288 */
    const double block = 2.0 * (24576 + 786432 + 262144 + 2097152 + 524288);
    /* final: adaLN 64 -> 128 = 8192; linear 64 tokens x (64 -> 12) = 49152 */
    const double final = 2.0 * (8192 + 49152);
    struct model_flops f = model_flops(&c, 1);
    assert_true(f.embed == embed && f.block == block && f.final == final);
    struct model_flops f2 = model_flops(&c, 2);
    assert_true(f2.embed == 2 * embed && f2.block == 2 * block && f2.final == 2 * final);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dit_f32),
        cmocka_unit_test(test_dit_f16),
        cmocka_unit_test(test_dit_bf16),
        cmocka_unit_test(test_config_and_load_errors),
        cmocka_unit_test(test_missing_and_extra_tensor),
        cmocka_unit_test(test_load_as_dtype),
        cmocka_unit_test(test_flops_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
