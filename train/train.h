/*
 * train.h - trains a class-conditional DiT as a rectified flow on the procedural data set.
 *
 * Rectified flow (FLUX/SD3 style): x_t = (1 - t) x0 + t eps, the network predicts the velocity
 * eps - x0 from x_t at timestep t * 1000, t logit-normal (sigmoid of a standard normal); 10% of
 * the labels are replaced by the null class so classifier-free guidance works.  AdamW with a
 * linear learning-rate warm-up, and an exponential moving average of the weights with a
 * warm-up (decay min(ema, (1 + step) / (10 + step))).  The checkpoint at `out` holds the EMA
 * weights with prediction "flow" (shift, multiplier 1000) and is what `fbw generate` loads;
 * beside it, `<out>.state.safetensors` (the raw weights, a loadable checkpoint too) and
 * `<out>.optim.safetensors` (AdamW moments and the EMA) make a run resumable.  Every step's
 * randomness derives from (seed, step), so a resumed run continues exactly where a continuous
 * one would have been.
 */
#ifndef FBW_TRAIN_TRAIN_H
#define FBW_TRAIN_TRAIN_H

#include <stdint.h>

#include "core/model.h"

struct train_params {
    const char *out;            /* checkpoint path */
    int resume;                 /* continue from out's state files */
    struct model_config cfg;    /* architecture of a fresh model (ignored on resume) */
    int steps;                  /* total optimisation steps (a resumed run continues to it) */
    int batch;
    double lr, weight_decay, ema_decay, label_dropout;
    int warmup;                 /* linear learning-rate warm-up steps */
    int decay_steps;            /* > 0: lr falls linearly to lr / 10 over the last decay_steps
                                 * steps before `steps` (an annealing sitting) */
    uint64_t seed;              /* init, data, noise and label dropout */
    int save_every;             /* steps between checkpoints (and at the end) */
    const char *log_csv;        /* step,loss,lr,seconds per logged step; NULL = none */
    enum tensor_device device;
    /* After every step; nonzero stops the run (after saving). */
    int (*on_step)(void *ctx, int step, int steps, double loss);
    void *ctx;
};

#define TRAIN_PARAMS_DEFAULT                                                                \
    { .steps = 4000, .batch = 64, .lr = 3e-4, .weight_decay = 0.0, .ema_decay = 0.999,       \
      .label_dropout = 0.1, .warmup = 200, .seed = 0, .save_every = 500,                     \
      .device = TENSOR_CPU }

struct train_result {
    int first_step, last_step;  /* steps run in this call: (first_step, last_step] */
    double final_loss;          /* mean loss over the last logged window */
    double seconds;
};

int train_run(const struct train_params *p, struct train_result *r, char **cause);

/* The learning rate of 1-based optimiser step k: warm-up, constant, then the optional decay. */
double train_lr(const struct train_params *p, int k);

/*
 * Held-out flow-matching loss of a model at fixed t (n levels), on `count` samples drawn with
 * data seed `seed` (unseen in training when it differs from the training seed), next to the
 * trivial predictor's (v = 0: loss = E|eps - x0|^2).  Writes model[i] and trivial[i].
 */
int train_eval(struct model *m, uint64_t seed, int count, const double *t, int n, double *model,
               double *trivial, char **cause);

#endif
