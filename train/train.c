/*
 * train.c - the rectified-flow trainer (see train.h).
 *
 * Ownership: a run owns its model (loaded trainable from the state file), a GRAD scope with the
 * optimiser state (AdamW moments m, v and the EMA, one each per trained weight) and a step
 * scope reset after every step.  Workload: one forward and backward pass of a batch per step;
 * everything else (data, labels, schedules) is computed on the host from (seed, step).
 */
#include "train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "train/dataset.h"
#include "core/safetensors.h"
#include "util/clock.h"
#include "util/err.h"

#define TRAIN_STATE_SUFFIX ".state.safetensors"
#define TRAIN_OPTIM_SUFFIX ".optim.safetensors"
#define TRAIN_LOG_EVERY 10

struct train_run {
    const struct train_params *p;
    struct model *m;
    struct tensor_scope *state;     /* GRAD mode: m, v, ema (never require grad) */
    struct tensor **mom, **var, **ema;
    int nw, step;
    float *x;                       /* host batch (B, 3, 32, 32) */
    int64_t *labels;
    FILE *log;
};

/* splitmix64: the host-side randomness (label dropout, noise seeds). */
static uint64_t
train_mix(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static char *
train_path(const char *out, const char *suffix)
{
    return xasprintf("%s%s", out, suffix);
}

/* m, v zero and the EMA a copy of the weights, for every trained weight. */
static int
train_state_init(struct train_run *r, char **cause)
{
    r->nw = model_weight_count(r->m);
    r->mom = xcalloc((size_t)r->nw, sizeof *r->mom);
    r->var = xcalloc((size_t)r->nw, sizeof *r->var);
    r->ema = xcalloc((size_t)r->nw, sizeof *r->ema);
    for (int i = 0; i < r->nw; i++) {
        int trained;
        struct tensor *w = model_weight(r->m, i, NULL, &trained);
        if (!trained)
            continue;
        int64_t shape[TENSOR_MAX_DIMS];
        for (int d = 0; d < tensor_ndim(w); d++)
            shape[d] = tensor_dim(w, d);
        r->mom[i] = tensor_full(r->state, 0, TENSOR_F32, tensor_ndim(w), shape, tensor_device(w));
        r->var[i] = tensor_full(r->state, 0, TENSOR_F32, tensor_ndim(w), shape, tensor_device(w));
        r->ema[i] = tensor_full(r->state, 0, TENSOR_F32, tensor_ndim(w), shape, tensor_device(w));
        tensor_assign(r->state, r->ema[i], w);
    }
    if (tensor_scope_error(r->state) != NULL)
        return err_set(cause, "%s", tensor_scope_error(r->state));
    return 0;
}

/* Resume: the moments and EMA saved beside the checkpoint. */
static int
train_state_load(struct train_run *r, const char *path, char **cause)
{
    struct safetensors *st = safetensors_open(path, cause);
    if (st == NULL)
        return -1;
    const char *step = safetensors_metadata(st, "fbw.step");
    int rc = step == NULL ? err_set(cause, "'%s': no fbw.step in __metadata__", path) : 0;
    if (rc == 0)
        r->step = atoi(step);
    static const char *const kinds[3] = {"m.", "v.", "ema."};
    for (int i = 0; i < r->nw && rc == 0; i++) {
        const char *name;
        int trained;
        model_weight(r->m, i, &name, &trained);
        struct tensor *dst[3] = {r->mom[i], r->var[i], r->ema[i]};
        for (int k = 0; k < 3 && trained && rc == 0; k++) {
            char key[160];
            snprintf(key, sizeof key, "%s%s", kinds[k], name);
            const struct safetensors_tensor *t = safetensors_find(st, key);
            if (t == NULL || t->dtype != SAFETENSORS_F32 ||
                (int64_t)(t->nbytes / 4) != tensor_numel(dst[k])) {
                rc = err_set(cause, "'%s': missing or misshapen '%s'", path, key);
                break;
            }
            struct tensor *src = tensor_from_data(r->state, t->data, TENSOR_F32, t->ndim, t->shape,
                                                  TENSOR_CPU);
            tensor_assign(r->state, dst[k], src);
        }
    }
    if (rc == 0 && tensor_scope_error(r->state) != NULL)
        rc = err_set(cause, "%s", tensor_scope_error(r->state));
    safetensors_free(st);
    return rc;
}

static int
train_add_f32(struct safetensors_writer *w, const char *key, struct tensor *t,
              struct tensor_scope *s, char **cause)
{
    size_t n = (size_t)tensor_numel(t);
    float *buf = xmalloc(n * sizeof *buf);
    int64_t shape[TENSOR_MAX_DIMS];
    for (int d = 0; d < tensor_ndim(t); d++)
        shape[d] = tensor_dim(t, d);
    int rc = tensor_read_f32(s, t, buf, n) == 0
                 ? safetensors_writer_add(w, key, SAFETENSORS_F32, tensor_ndim(t), shape, buf,
                                          n * sizeof *buf, cause)
                 : err_set(cause, "%s", tensor_scope_error(s));
    free(buf);
    return rc;
}

static int
train_save_optim(struct train_run *r, const char *path, char **cause)
{
    struct safetensors_writer *w = safetensors_writer_new();
    char step[32];
    snprintf(step, sizeof step, "%d", r->step);
    int rc = safetensors_writer_set_metadata(w, "fbw.step", step, cause);
    static const char *const kinds[3] = {"m.", "v.", "ema."};
    for (int i = 0; i < r->nw && rc == 0; i++) {
        const char *name;
        int trained;
        model_weight(r->m, i, &name, &trained);
        struct tensor *src[3] = {r->mom[i], r->var[i], r->ema[i]};
        for (int k = 0; k < 3 && trained && rc == 0; k++) {
            char key[160];
            snprintf(key, sizeof key, "%s%s", kinds[k], name);
            rc = train_add_f32(w, key, src[k], r->state, cause);
        }
    }
    if (rc == 0)
        rc = safetensors_writer_write(w, path, cause);
    safetensors_writer_free(w);
    return rc;
}

/* The EMA checkpoint (what generate loads), the raw-weight state and the optimiser state. */
static int
train_save(struct train_run *r, char **cause)
{
    char step[32], *state = train_path(r->p->out, TRAIN_STATE_SUFFIX);
    char *optim = train_path(r->p->out, TRAIN_OPTIM_SUFFIX);
    snprintf(step, sizeof step, "%d", r->step);
    const char *keys[] = {"fbw.step", "fbw.weights"};
    const char *ema_vals[] = {step, "ema"}, *raw_vals[] = {step, "raw"};
    int rc = train_save_optim(r, optim, cause);
    if (rc == 0)
        rc = model_save(r->m, NULL, keys, raw_vals, 2, state, cause);
    if (rc == 0)
        rc = model_save(r->m, r->ema, keys, ema_vals, 2, r->p->out, cause);
    free(state);
    free(optim);
    return rc;
}

/* The batch's labels with label_dropout of them replaced by the null class. */
static void
train_drop_labels(struct train_run *r, int B)
{
    const int null_class = model_config(r->m)->num_classes;
    for (int i = 0; i < B; i++) {
        uint64_t h = train_mix(train_mix(r->p->seed ^ 0x5EED) + (uint64_t)r->step * 1000003u + i);
        if ((double)(h >> 11) * 0x1.0p-53 < r->p->label_dropout)
            r->labels[i] = null_class;
    }
}

/* One optimisation step; returns the batch loss (NaN on failure, with the scope's error). */
static double
train_step(struct train_run *r, struct tensor_scope *s, char **cause)
{
    const struct train_params *p = r->p;
    const int B = p->batch, C = model_config(r->m)->in_channels;
    const enum tensor_device dev = p->device;
    dataset_batch(p->seed, (uint64_t)r->step, B, NULL, r->x, r->labels);
    train_drop_labels(r, B);
    struct tensor_gen *g = tensor_gen_new(train_mix(p->seed * 0x100000001B3ull + r->step),
                                          TENSOR_CPU, cause);
    if (g == NULL)
        return NAN;
    const int64_t shape[4] = {B, C, DATASET_SIZE, DATASET_SIZE}, nb = B;
    struct tensor *x0 = tensor_from_data(s, r->x, TENSOR_F32, 4, shape, dev);
    struct tensor *eps = tensor_to(s, tensor_randn(s, g, 4, shape), TENSOR_F32, dev);
    struct tensor *t = tensor_to(s, tensor_sigmoid(s, tensor_randn(s, g, 1, &nb)), TENSOR_F32,
                                 dev);      /* logit-normal */
    tensor_gen_free(g);
    struct tensor *t4 = tensor_reshape(s, t, 4, (int64_t[]){B, 1, 1, 1});
    struct tensor *xt = tensor_add(s, x0, tensor_mul(s, t4, tensor_sub(s, eps, x0)));
    struct model_state st;
    model_embed(r->m, s, xt, tensor_mul_scalar(s, t, model_config(r->m)->multiplier),
                tensor_from_data(s, r->labels, TENSOR_I64, 1, &nb, dev), &st);
    for (int i = 0; i < model_depth(r->m); i++)
        model_block(r->m, s, i, &st);
    struct tensor *v = tensor_narrow(s, model_final(r->m, s, &st), 1, 0, C);
    struct tensor *err = tensor_sub(s, v, tensor_sub(s, eps, x0));
    struct tensor *loss = tensor_mean(s, tensor_mul(s, err, err));
    if (tensor_backward(s, loss) != 0)
        return NAN;
    return tensor_item(s, loss);
}

double
train_lr(const struct train_params *p, int k)
{
    double lr = p->lr * fmin(1.0, (double)k / fmax(1, p->warmup));
    const int from = p->steps - p->decay_steps;
    if (p->decay_steps > 0 && k > from)
        lr *= 1.0 - 0.9 * fmin(1.0, (double)(k - from) / p->decay_steps);
    return lr;
}

/* AdamW with linear warm-up, then the EMA with its warm-up. */
static int
train_update(struct train_run *r, struct tensor_scope *s)
{
    const struct train_params *p = r->p;
    const int k = r->step + 1;      /* 1-based optimiser step */
    const double lr = train_lr(p, k);
    const double decay = fmin(p->ema_decay, (1.0 + r->step) / (10.0 + r->step));
    for (int i = 0; i < r->nw; i++) {
        int trained;
        struct tensor *w = model_weight(r->m, i, NULL, &trained);
        if (!trained)
            continue;
        if (tensor_adamw_step(s, w, r->mom[i], r->var[i], k, lr, 0.9, 0.999, 1e-8,
                              p->weight_decay) != 0 ||
            tensor_ema_update(s, r->ema[i], w, decay) != 0)
            return -1;
    }
    return 0;
}

/*
 * Resume without the optimiser file (it is large, so a repository may ship only the two
 * checkpoints): the step comes from the state file, the EMA from `out`, and AdamW's moments
 * restart at zero.  The run continues, but not bit-identically to an uninterrupted one.
 */
static int
train_warm_resume(struct train_run *r, const char *state, char **cause)
{
    struct safetensors *st = safetensors_open(state, cause);
    const char *step = st ? safetensors_metadata(st, "fbw.step") : NULL;
    int rc = st == NULL ? -1 : step == NULL ? err_set(cause, "'%s': no fbw.step", state) : 0;
    if (rc == 0)
        r->step = atoi(step);
    safetensors_free(st);
    struct model *ema = rc == 0 ? model_load(r->p->out, r->p->device, cause) : NULL;
    if (rc == 0 && ema == NULL)
        rc = -1;
    for (int i = 0; i < r->nw && rc == 0; i++)
        if (r->ema[i] != NULL)
            tensor_assign(r->state, r->ema[i], model_weight(ema, i, NULL, NULL));
    if (rc == 0 && tensor_scope_error(r->state) != NULL)
        rc = err_set(cause, "%s", tensor_scope_error(r->state));
    model_free(ema);
    return rc;
}

static int
train_open(struct train_run *r, const struct train_params *p, char **cause)
{
    char *state = train_path(p->out, TRAIN_STATE_SUFFIX);
    char *optim = train_path(p->out, TRAIN_OPTIM_SUFFIX);
    int rc = 0;
    if (!p->resume)
        rc = model_write_init(&p->cfg, p->seed, state, cause);
    if (rc == 0 && (r->m = model_load_trainable(state, p->device, cause)) == NULL)
        rc = -1;
    if (rc == 0 && model_config(r->m)->in_channels != 3)
        rc = err_set(cause, "the data set is RGB: the model needs in_channels 3, not %d",
                     model_config(r->m)->in_channels);
    if (rc == 0 && strcmp(model_config(r->m)->prediction, "flow") != 0)
        rc = err_set(cause, "the trainer trains rectified flow: prediction must be \"flow\"");
    if (rc == 0)
        rc = train_state_init(r, cause);
    if (rc == 0 && p->resume)
        rc = access(optim, R_OK) == 0 ? train_state_load(r, optim, cause)
                                      : train_warm_resume(r, state, cause);
    free(state);
    free(optim);
    return rc;
}

static void
train_close(struct train_run *r)
{
    if (r->log != NULL)
        fclose(r->log);
    free(r->x);
    free(r->labels);
    free(r->mom);
    free(r->var);
    free(r->ema);
    tensor_scope_free(r->state);
    model_free(r->m);
}

static int
train_loop(struct train_run *r, struct train_result *res, char **cause)
{
    const struct train_params *p = r->p;
    struct tensor_scope *s = tensor_scope_new(TENSOR_SCOPE_GRAD);
    const double t0 = clock_now();
    double window = 0;
    int in_window = 0, rc = 0, stop = 0;
    while (r->step < p->steps && !stop && rc == 0) {
        double loss = train_step(r, s, cause);
        if (isnan(loss) || train_update(r, s) != 0) {
            rc = tensor_scope_error(s) ? err_set(cause, "step %d: %s", r->step,
                                                 tensor_scope_error(s))
                                       : err_set(cause, "step %d: the loss is NaN", r->step);
            break;
        }
        tensor_scope_reset(s);
        r->step++;
        window += loss;
        in_window++;
        if (r->step % TRAIN_LOG_EVERY == 0 || r->step == p->steps) {
            res->final_loss = window / in_window;
            if (r->log != NULL)
                fprintf(r->log, "%d,%.6f,%.3g,%.1f\n", r->step, res->final_loss,
                        train_lr(p, r->step),
                        clock_now() - t0), fflush(r->log);
            window = 0;
            in_window = 0;
        }
        stop = p->on_step != NULL && p->on_step(p->ctx, r->step, p->steps, loss) != 0;
        if (r->step % p->save_every == 0 || r->step == p->steps || stop)
            rc = train_save(r, cause);
    }
    res->last_step = r->step;
    res->seconds = clock_now() - t0;
    tensor_scope_free(s);
    return rc;
}

int
train_run(const struct train_params *p, struct train_result *res, char **cause)
{
    memset(res, 0, sizeof *res);
    if (p->batch < 1 || p->steps < 1 || p->save_every < 1)
        return err_set(cause, "batch, steps and save_every must be positive");
    struct train_run r = {.p = p, .state = tensor_scope_new(TENSOR_SCOPE_GRAD)};
    r.x = xmalloc((size_t)p->batch * 3 * DATASET_SIZE * DATASET_SIZE * sizeof *r.x);
    r.labels = xmalloc((size_t)p->batch * sizeof *r.labels);
    int rc = train_open(&r, p, cause);
    if (rc == 0 && p->log_csv != NULL) {
        r.log = fopen(p->log_csv, p->resume ? "a" : "w");
        if (r.log == NULL)
            rc = err_set(cause, "cannot write loss log '%s'", p->log_csv);
        else if (!p->resume)
            fprintf(r.log, "step,loss,lr,seconds\n");
    }
    res->first_step = r.step;
    if (rc == 0)
        rc = train_loop(&r, res, cause);
    train_close(&r);
    return rc;
}

int
train_eval(struct model *m, uint64_t seed, int count, const double *t, int n, double *model,
           double *trivial, char **cause)
{
    const int C = model_config(m)->in_channels;
    const int64_t shape[4] = {count, C, DATASET_SIZE, DATASET_SIZE}, nb = count;
    float *x = xmalloc((size_t)count * C * DATASET_SIZE * DATASET_SIZE * sizeof *x);
    int64_t *labels = xmalloc((size_t)count * sizeof *labels);
    dataset_batch(seed, 0, count, NULL, x, labels);
    struct tensor_scope *s = tensor_scope_new(TENSOR_SCOPE_INFERENCE);
    struct tensor_gen *g = tensor_gen_new(seed, TENSOR_CPU, cause);
    int rc = g == NULL ? -1 : 0;
    struct tensor *x0 = tensor_from_data(s, x, TENSOR_F32, 4, shape, model_device(m));
    struct tensor *y = tensor_from_data(s, labels, TENSOR_I64, 1, &nb, model_device(m));
    for (int i = 0; i < n && rc == 0; i++) {
        struct tensor *eps = tensor_to(s, tensor_randn(s, g, 4, shape), TENSOR_F32,
                                       model_device(m));
        struct tensor *xt = tensor_axpby(s, 1.0 - t[i], x0, t[i], eps);
        struct tensor *ts = tensor_full(s, t[i] * model_config(m)->multiplier, TENSOR_F32, 1,
                                        &nb, model_device(m));
        struct model_state st;
        model_embed(m, s, xt, ts, y, &st);
        for (int b = 0; b < model_depth(m); b++)
            model_block(m, s, b, &st);
        struct tensor *target = tensor_sub(s, eps, x0);
        struct tensor *e = tensor_sub(s, tensor_narrow(s, model_final(m, s, &st), 1, 0, C),
                                      target);
        model[i] = tensor_item(s, tensor_mean(s, tensor_mul(s, e, e)));
        trivial[i] = tensor_item(s, tensor_mean(s, tensor_mul(s, target, target)));
        if (tensor_scope_error(s) != NULL)
            rc = err_set(cause, "%s", tensor_scope_error(s));
    }
    tensor_gen_free(g);
    tensor_scope_free(s);
    free(x);
    free(labels);
    return rc;
}
