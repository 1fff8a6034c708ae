/*
 * cmd_train.c - `fbw train`: train (or resume training) the rectified-flow DiT on the
 * procedural data set, with a progress bar, a CSV loss log and Ctrl-C that saves and stops.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "train/dataset.h"
#include "train/train.h"
#include "util/clock.h"
#include "util/err.h"

#define TRAIN_HELP USAGE_TRAIN \
    "\nTrains a class-conditional DiT as a rectified flow (x_t = (1-t) x0 + t eps, the\n" \
    "network predicts eps - x0 at timestep 1000 t, t logit-normal, 10% null labels for\n" \
    "CFG) on fbw's procedural 32x32 data set, with AdamW and an EMA of the weights.\n" \
    "OUT gets the EMA weights (what `fbw generate --model OUT` uses); OUT.state.safetensors\n" \
    "and OUT.optim.safetensors hold what --resume needs.  Every --save-every steps and\n" \
    "at the end all three are written (to temporary names, then renamed); Ctrl-C saves\n" \
    "and stops.  Defaults: --steps 4000 --batch 64 --lr 3e-4 --warmup 200 --ema 0.999\n" \
    "--save-every 500 --seed 0; a fresh model is hidden 192, depth 6, 6 heads, patch 4,\n" \
    "mlp_ratio 4, shift 1 (change with --hidden-size, --depth, --num-heads,\n" \
    "--patch-size, --shift).  --resume continues the run in OUT up to --steps.\n" \
    "--decay-steps N lowers the learning rate linearly to lr/10 over the last N steps\n" \
    "before --steps (an annealing sitting; 0 = constant after the warm-up).\n"

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

static int
train_parse_opt(struct train_opts *o, int c, const char *v)
{
    struct train_params *p = &o->p;
    switch (c) {
    case 'o': p->out = v; return 0;
    case 'R': p->resume = 1; return 0;
    case 'n': return cli_int("--steps", v, 1, 100000000, &p->steps);
    case 'b': return cli_int("--batch", v, 1, 65536, &p->batch);
    case 'l': return cli_double("--lr", v, 1e-9, 1, &p->lr);
    case 'w': return cli_int("--warmup", v, 0, 100000000, &p->warmup);
    case 'y': return cli_int("--decay-steps", v, 0, 100000000, &p->decay_steps);
    case 'e': return cli_double("--ema", v, 0, 0.999999, &p->ema_decay);
    case 'W': return cli_double("--weight-decay", v, 0, 1, &p->weight_decay);
    case 's': return cli_u64("--seed", v, &p->seed);
    case 'S': return cli_int("--save-every", v, 1, 100000000, &p->save_every);
    case 'L': p->log_csv = v; return 0;
    case 'H': return cli_int("--hidden-size", v, 4, 16384, &p->cfg.hidden_size);
    case 'd': return cli_int("--depth", v, 1, 1024, &p->cfg.depth);
    case 'h': return cli_int("--num-heads", v, 1, 1024, &p->cfg.num_heads);
    case 'P': return cli_int("--patch-size", v, 1, 32, &p->cfg.patch_size);
    case 'f': return cli_double("--shift", v, 0.01, 100, &p->cfg.shift);
    case 't': return cli_int("--threads", v, 0, 1024, &o->threads);
    case 'D': return cli_device("--device", v, &p->device);
    case 'q': o->quiet = 1; return 0;
    default: return -1;
    }
}

static int
train_parse(int argc, char **argv, struct train_opts *o)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"resume", no_argument, NULL, 'R'},
        {"steps", required_argument, NULL, 'n'}, {"batch", required_argument, NULL, 'b'},
        {"lr", required_argument, NULL, 'l'}, {"warmup", required_argument, NULL, 'w'},
        {"decay-steps", required_argument, NULL, 'y'},
        {"ema", required_argument, NULL, 'e'}, {"weight-decay", required_argument, NULL, 'W'},
        {"seed", required_argument, NULL, 's'}, {"save-every", required_argument, NULL, 'S'},
        {"log", required_argument, NULL, 'L'}, {"hidden-size", required_argument, NULL, 'H'},
        {"depth", required_argument, NULL, 'd'}, {"num-heads", required_argument, NULL, 'h'},
        {"patch-size", required_argument, NULL, 'P'}, {"shift", required_argument, NULL, 'f'},
        {"threads", required_argument, NULL, 't'}, {"device", required_argument, NULL, 'D'},
        {"quiet", no_argument, NULL, 'q'}, {"help", no_argument, NULL, '?' + 256},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == '?' + 256) {
            fputs(TRAIN_HELP, stdout);
            return -1;
        }
        if (c == '?')
            return cli_usage_error("train", USAGE_TRAIN, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        if (train_parse_opt(o, c, optarg) < 0)
            return EXIT_USAGE;
    }
    if (optind < argc)
        return cli_usage_error("train", USAGE_TRAIN, "unexpected argument '%s'", argv[optind]);
    if (o->p.out == NULL)
        return cli_usage_error("train", USAGE_TRAIN, "--out is required");
    return 0;
}

int
cmd_train(int argc, char **argv, struct app *app)
{
    struct train_opts o = {.p = TRAIN_PARAMS_DEFAULT, .first_step = -1};
    o.p.cfg = (struct model_config){
        .arch = "dit", .input_size = DATASET_SIZE, .patch_size = 4, .in_channels = 3,
        .hidden_size = 192, .depth = 6, .num_heads = 6, .mlp_ratio = 4.0,
        .num_classes = dataset_class_count(), .prediction = "flow", .num_timesteps = 1000,
        .shift = 1.0, .multiplier = 1000.0, .beta_schedule = "linear",
    };
    int rc = train_parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? EXIT_OK : rc;
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
