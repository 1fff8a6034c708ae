/*
 * train_test.c - the rectified-flow trainer: AdamW and EMA against their formulas, learning on
 * the procedural data, exact resumption, and the errors a user can cause.
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/dataset.h"
#include "train/train.h"
#include "util/err.h"

/* A tiny flow DiT: 16 tokens of width 32. */
static struct train_params
tiny(const char *out, int steps)
{
    struct train_params p = TRAIN_PARAMS_DEFAULT;
    p.out = out;
    p.steps = steps;
    p.batch = 8;
    p.lr = 1e-3;
    p.warmup = 10;
    p.save_every = 1000;
    p.seed = 3;
    p.cfg = (struct model_config){
        .arch = "dit", .input_size = DATASET_SIZE, .patch_size = 8, .in_channels = 3,
        .hidden_size = 32, .depth = 2, .num_heads = 2, .mlp_ratio = 2.0,
        .num_classes = dataset_class_count(), .prediction = "flow", .num_timesteps = 1000,
        .shift = 1.0, .multiplier = 1000.0, .beta_schedule = "linear",
    };
    return p;
}

static void
run_ok(const struct train_params *p, struct train_result *r)
{
    char *cause = NULL;
    if (train_run(p, r, &cause) != 0)
        fail_msg("%s", cause);
}

static unsigned char *
slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    rewind(f);
    unsigned char *b = xmalloc(*n);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

static void
assert_same_file(const char *a, const char *b)
{
    size_t na, nb;
    unsigned char *x = slurp(a, &na), *y = slurp(b, &nb);
    assert_int_equal(na, nb);
    assert_memory_equal(x, y, na);
    free(x);
    free(y);
}

/* torch.optim.AdamW's update, by hand, on p = [1, -2] with grad d(sum(p^2 * [1, 3]))/dp. */
static void
test_adamw_and_ema_formulas(void **state)
{
    (void)state;
    struct tensor_scope *s = tensor_scope_new(TENSOR_SCOPE_GRAD);
    const float p0[2] = {1.0f, -2.0f}, k[2] = {1.0f, 3.0f};
    struct tensor *p = tensor_param(s, tensor_from_data(s, p0, TENSOR_F32, 1, (int64_t[]){2},
                                                        TENSOR_CPU));
    struct tensor *kk = tensor_from_data(s, k, TENSOR_F32, 1, (int64_t[]){2}, TENSOR_CPU);
    struct tensor *m = tensor_full(s, 0, TENSOR_F32, 1, (int64_t[]){2}, TENSOR_CPU);
    struct tensor *v = tensor_full(s, 0, TENSOR_F32, 1, (int64_t[]){2}, TENSOR_CPU);
    struct tensor *ema = tensor_full(s, 0.5, TENSOR_F32, 1, (int64_t[]){2}, TENSOR_CPU);
    double want[2] = {p0[0], p0[1]}, wm[2] = {0, 0}, wv[2] = {0, 0}, we[2] = {0.5, 0.5};
    const double lr = 0.1, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;
    for (int step = 1; step <= 3; step++) {
        struct tensor *loss = tensor_sum(s, tensor_mul(s, tensor_mul(s, p, p), kk));
        assert_int_equal(tensor_backward(s, loss), 0);
        assert_int_equal(tensor_adamw_step(s, p, m, v, step, lr, b1, b2, eps, wd), 0);
        assert_int_equal(tensor_ema_update(s, ema, p, 0.75), 0);
        for (int i = 0; i < 2; i++) {
            double g = 2.0 * k[i] * want[i];
            want[i] *= 1.0 - lr * wd;
            wm[i] = b1 * wm[i] + (1 - b1) * g;
            wv[i] = b2 * wv[i] + (1 - b2) * g * g;
            double mhat = wm[i] / (1 - pow(b1, step)), vhat = wv[i] / (1 - pow(b2, step));
            want[i] -= lr * mhat / (sqrt(vhat) + eps);
            we[i] = 0.75 * we[i] + 0.25 * want[i];
        }
    }
    float got[2], gotema[2];
    assert_int_equal(tensor_read_f32(s, p, got, 2), 0);
    assert_int_equal(tensor_read_f32(s, ema, gotema, 2), 0);
    for (int i = 0; i < 2; i++) {
        assert_close(got[i], want[i], 1e-5, 1e-6);
        assert_close(gotema[i], we[i], 1e-5, 1e-6);
    }
    /* The step cleared the gradient; a parameter needs a GRAD scope. */
    assert_null(tensor_grad(s, p));
    tensor_scope_free(s);
    struct tensor_scope *inf = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    assert_null(tensor_param(inf, tensor_full(inf, 1, TENSOR_F32, 0, NULL, TENSOR_CPU)));
    assert_non_null(strstr(tensor_scope_error(inf), "TENSOR_SCOPE_GRAD"));
    tensor_scope_free(inf);
}

/* After a short run the held-out loss is well below the trivial predictor's. */
static void
test_learns(void **state)
{
    (void)state;
    char *out = test_tmppath("learn.safetensors"), *cause = NULL;
    struct train_params p = tiny(out, 400);
    struct train_result r;
    run_ok(&p, &r);
    assert_int_equal(r.first_step, 0);
    assert_int_equal(r.last_step, 400);
    struct model *m = model_load(out, TENSOR_CPU, &cause);
    assert_non_null(m);
    assert_string_equal(model_config(m)->prediction, "flow");
    const double t[3] = {0.2, 0.5, 0.8};
    double loss[3], trivial[3];
    assert_int_equal(train_eval(m, 999, 64, t, 3, loss, trivial, &cause), 0);
    for (int i = 0; i < 3; i++) {
        printf("  t %.1f: held-out loss %.4f, trivial %.4f\n", t[i], loss[i], trivial[i]);
        assert_true(loss[i] < 0.85 * trivial[i]);
    }
    model_free(m);
    free(out);
}

/* 20 steps in one go and 10 + 10 with --resume give the same bytes. */
static void
test_resume_is_exact(void **state)
{
    (void)state;
    char *a = test_tmppath("a.safetensors"), *b = test_tmppath("b.safetensors");
    struct train_params pa = tiny(a, 20), pb = tiny(b, 10);
    struct train_result r;
    run_ok(&pa, &r);
    run_ok(&pb, &r);
    pb.steps = 20;
    pb.resume = 1;
    run_ok(&pb, &r);
    assert_int_equal(r.first_step, 10);
    assert_int_equal(r.last_step, 20);
    assert_same_file(a, b);
    char *sa = xasprintf("%s.optim.safetensors", a), *sb = xasprintf("%s.optim.safetensors", b);
    assert_same_file(sa, sb);
    /* Without the optimiser file the run still resumes, from the state's step. */
    assert_int_equal(unlink(sb), 0);
    pb.steps = 25;
    run_ok(&pb, &r);
    assert_int_equal(r.first_step, 20);
    assert_int_equal(r.last_step, 25);
    free(sa);
    free(sb);
    free(a);
    free(b);
}

static void
test_learning_rate_schedule(void **state)
{
    (void)state;
    struct train_params p = TRAIN_PARAMS_DEFAULT;
    p.lr = 1e-3;
    p.warmup = 10;
    p.steps = 100;
    /* Warm-up: k / warmup of lr; then constant. */
    assert_close(train_lr(&p, 1), 1e-4, 1e-12, 0);
    assert_close(train_lr(&p, 5), 5e-4, 1e-12, 0);
    assert_close(train_lr(&p, 10), 1e-3, 1e-12, 0);
    assert_close(train_lr(&p, 100), 1e-3, 1e-12, 0);
    /* Decay over the last 40 steps (61..100) to lr / 10: at k = 60 still lr, at 80 halfway
     * (1 - 0.9 * 20/40 = 0.55), at 100 one tenth. */
    p.decay_steps = 40;
    assert_close(train_lr(&p, 60), 1e-3, 1e-12, 0);
    assert_close(train_lr(&p, 80), 0.55e-3, 1e-12, 0);
    assert_close(train_lr(&p, 100), 1e-4, 1e-12, 0);
}

static void
test_errors(void **state)
{
    (void)state;
    char *out = test_tmppath("bad.safetensors"), *cause = NULL;
    struct train_params p = tiny(out, 5);
    struct train_result r;
    p.cfg.in_channels = 4;
    assert_int_equal(train_run(&p, &r, &cause), -1);
    assert_non_null(strstr(cause, "in_channels 3"));
    free(cause);
    p = tiny(test_tmppath("never-trained.safetensors"), 5);
    p.resume = 1;
    assert_int_equal(train_run(&p, &r, &cause), -1);
    assert_non_null(strstr(cause, "never-trained.safetensors.state.safetensors"));
    free(cause);
    free((char *)p.out);
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adamw_and_ema_formulas),
        cmocka_unit_test(test_learns),
        cmocka_unit_test(test_resume_is_exact),
        cmocka_unit_test(test_learning_rate_schedule),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
