/*
 * cmd_train.c - `fbw train`: train (or resume training) the rectified-flow DiT on the
 * procedural data set, with a progress bar, a CSV loss log and Ctrl-C that saves and stops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "train/dataset.h"
#include "train/train.h"
#include "util/clock.h"
#include "util/err.h"

struct train_opts {
    struct train_params p;
    int threads, quiet;
    double t0;
    int first_step;     /* the step this process started from (-1 before the first) */
};

static int
train_progress(void *ctx, int step, int steps, double loss)
{
    struct train_opts *o = ctx;
    if (o->first_step < 0)
        o->first_step = step - 1;
    if (!o->quiet) {
        double per_step = (clock_now() - o->t0) / (step - o->first_step);
        fprintf(stderr, "\rstep %d/%d  loss %.4f  %.2f s/step  ETA %.0f min   ", step, steps,
                loss, per_step, per_step * (steps - step) / 60.0);
        fflush(stderr);
    }
    return cli_interrupted();
}

enum {
    TRAIN_OPT_OUT, TRAIN_OPT_RESUME, TRAIN_OPT_STEPS, TRAIN_OPT_BATCH, TRAIN_OPT_LR,
    TRAIN_OPT_WARMUP, TRAIN_OPT_DECAY_STEPS, TRAIN_OPT_EMA, TRAIN_OPT_WEIGHT_DECAY, TRAIN_OPT_SEED,
    TRAIN_OPT_SAVE_EVERY, TRAIN_OPT_LOG, TRAIN_OPT_HIDDEN_SIZE, TRAIN_OPT_DEPTH,
    TRAIN_OPT_NUM_HEADS, TRAIN_OPT_PATCH_SIZE, TRAIN_OPT_SHIFT, TRAIN_OPT_THREADS,
    TRAIN_OPT_DEVICE, TRAIN_OPT_QUIET,
};

static const struct cli_option train_options[] = {
    {"out", "FILE", TRAIN_OPT_OUT, CLI_REQUIRED, "the checkpoint (EMA weights) to write"},
    {"resume", NULL, TRAIN_OPT_RESUME, 0, "continue the run in OUT up to --steps"},
    {"steps", "N", TRAIN_OPT_STEPS, 0, "optimizer steps in all (4000)"},
    {"batch", "N", TRAIN_OPT_BATCH, 0, "images per step (64)"},
    {"lr", "F", TRAIN_OPT_LR, 0, "AdamW's learning rate (3e-4)"},
    {"warmup", "N", TRAIN_OPT_WARMUP, 0, "steps of linear learning-rate warm-up (200)"},
    {"decay-steps", "N", TRAIN_OPT_DECAY_STEPS, 0,
     "lower the learning rate linearly to lr/10 over the last N\n"
     "steps before --steps (an annealing sitting; 0 = constant)"},
    {"ema", "F", TRAIN_OPT_EMA, 0, "the weights' EMA decay (0.999)"},
    {"weight-decay", "F", TRAIN_OPT_WEIGHT_DECAY, 0, "AdamW's weight decay (0)"},
    {"seed", "S", TRAIN_OPT_SEED, 0, "init, data, noise and label dropout (0)"},
    {"save-every", "N", TRAIN_OPT_SAVE_EVERY, 0, "steps between checkpoints (500)"},
    {"log", "F.csv", TRAIN_OPT_LOG, 0, "the loss log: step, loss, lr, seconds per logged step"},
    {"hidden-size", "N", TRAIN_OPT_HIDDEN_SIZE, 0, "a fresh model's width (192)"},
    {"depth", "N", TRAIN_OPT_DEPTH, 0, "a fresh model's blocks (6)"},
    {"num-heads", "N", TRAIN_OPT_NUM_HEADS, 0, "a fresh model's attention heads (6)"},
    {"patch-size", "N", TRAIN_OPT_PATCH_SIZE, 0, "a fresh model's patch size (4)"},
    {"shift", "F", TRAIN_OPT_SHIFT, 0, "a fresh model's sampling shift (1)"},
    {"threads", "N", TRAIN_OPT_THREADS, 0, "ATen intra-op threads (default: libtorch's)"},
    {"device", "cpu|cuda", TRAIN_OPT_DEVICE, 0, "where it trains"},
    {"quiet", NULL, TRAIN_OPT_QUIET, 0, "no progress line"},
    {0},
};

/* One option into o (a struct train_opts); nonzero on a bad value. */
static int
train_option(void *ctx, int id, const char *flag, const char *v)
{
    struct train_opts *o = ctx;
    struct train_params *p = &o->p;
    switch (id) {
    case TRAIN_OPT_OUT: p->out = v; return 0;
    case TRAIN_OPT_RESUME: p->resume = 1; return 0;
    case TRAIN_OPT_STEPS: return cli_int(flag, v, 1, 100000000, &p->steps);
    case TRAIN_OPT_BATCH: return cli_int(flag, v, 1, 65536, &p->batch);
    case TRAIN_OPT_LR: return cli_double(flag, v, 1e-9, 1, &p->lr);
    case TRAIN_OPT_WARMUP: return cli_int(flag, v, 0, 100000000, &p->warmup);
    case TRAIN_OPT_DECAY_STEPS: return cli_int(flag, v, 0, 100000000, &p->decay_steps);
    case TRAIN_OPT_EMA: return cli_double(flag, v, 0, 0.999999, &p->ema_decay);
    case TRAIN_OPT_WEIGHT_DECAY: return cli_double(flag, v, 0, 1, &p->weight_decay);
    case TRAIN_OPT_SEED: return cli_u64(flag, v, &p->seed);
    case TRAIN_OPT_SAVE_EVERY: return cli_int(flag, v, 1, 100000000, &p->save_every);
    case TRAIN_OPT_LOG: p->log_csv = v; return 0;
    case TRAIN_OPT_HIDDEN_SIZE: return cli_int(flag, v, 4, 16384, &p->cfg.hidden_size);
    case TRAIN_OPT_DEPTH: return cli_int(flag, v, 1, 1024, &p->cfg.depth);
    case TRAIN_OPT_NUM_HEADS: return cli_int(flag, v, 1, 1024, &p->cfg.num_heads);
    case TRAIN_OPT_PATCH_SIZE: return cli_int(flag, v, 1, 32, &p->cfg.patch_size);
    case TRAIN_OPT_SHIFT: return cli_double(flag, v, 0.01, 100, &p->cfg.shift);
    case TRAIN_OPT_THREADS: return cli_int(flag, v, 0, 1024, &o->threads);
    case TRAIN_OPT_DEVICE: return cli_device(flag, v, &p->device);
    case TRAIN_OPT_QUIET: o->quiet = 1; return 0;
    default: return -1;
    }
}

static int
cmd_train(int argc, char **argv, struct app *app)
{
    struct train_opts o = {.p = TRAIN_PARAMS_DEFAULT, .first_step = -1};
    o.p.cfg = (struct model_config){
        .arch = "dit", .input_size = DATASET_SIZE, .patch_size = 4, .in_channels = 3,
        .hidden_size = 192, .depth = 6, .num_heads = 6, .mlp_ratio = 4.0,
        .num_classes = dataset_class_count(), .prediction = "flow", .num_timesteps = 1000,
        .shift = 1.0, .multiplier = 1000.0, .beta_schedule = "linear",
    };
    int argi, rc = cli_parse(&cmd_train_entry, argc, argv, train_option, &o, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    o.quiet |= !isatty(STDERR_FILENO);
    cli_set_threads(app, o.threads);
    cli_catch_interrupt();
    o.p.on_step = train_progress;
    o.p.ctx = &o;
    o.t0 = clock_now();
    char *cause = NULL;
    struct train_result r;
    if (train_run(&o.p, &r, &cause) < 0) {
        if (!o.quiet)
            fputc('\n', stderr);
        rc = cli_fail("train: %s", cause);
        free(cause);
        return rc;
    }
    if (!o.quiet)
        fputc('\n', stderr);
    printf("steps %d..%d, final loss %.5f, %.1f s (%.3f s/step), checkpoint %s\n", r.first_step,
           r.last_step, r.final_loss, r.seconds,
           r.last_step > r.first_step ? r.seconds / (r.last_step - r.first_step) : 0.0, o.p.out);
    return cli_interrupted() ? EXIT_INTERRUPTED : EXIT_OK;
}

const struct cli_command cmd_train_entry = {
    .name = "train",
    .summary = "train the rectified-flow DiT on the procedural data set",
    .options = train_options,
    .help =
        "Trains a class-conditional DiT as a rectified flow (x_t = (1-t) x0 + t eps, the\n"
        "network predicts eps - x0 at timestep 1000 t, t logit-normal, 10% null labels for\n"
        "CFG) on fbw's procedural 32x32 data set, with AdamW and an EMA of the weights.\n"
        "OUT gets the EMA weights (what `fbw generate --model OUT` uses); OUT.state.safetensors\n"
        "and OUT.optim.safetensors hold what --resume needs.  Every --save-every steps and\n"
        "at the end all three are written (to temporary names, then renamed); Ctrl-C saves\n"
        "and stops.  A fresh model is mlp_ratio 4 and otherwise as below.\n",
    .run = cmd_train,
};
