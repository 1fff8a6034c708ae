/*
 * cmd_init_model.c - `fbw init-model`: writes a DiT checkpoint with random weights (adaLN gates
 * drawn non-zero so every block contributes) for tests, demos and benchmarks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/model.h"
#include "util/err.h"

/* The parsed flags: the config to write, where, and the weights' seed. */
struct init_model_opts {
    struct model_config cfg;
    const char *out;
    uint64_t seed;
};

enum {
    INIT_MODEL_OPT_OUT, INIT_MODEL_OPT_INPUT_SIZE, INIT_MODEL_OPT_PATCH_SIZE,
    INIT_MODEL_OPT_IN_CHANNELS, INIT_MODEL_OPT_HIDDEN_SIZE, INIT_MODEL_OPT_DEPTH,
    INIT_MODEL_OPT_NUM_HEADS, INIT_MODEL_OPT_MLP_RATIO, INIT_MODEL_OPT_NUM_CLASSES,
    INIT_MODEL_OPT_LEARN_SIGMA, INIT_MODEL_OPT_BETA, INIT_MODEL_OPT_SEED,
    INIT_MODEL_OPT_PREDICTION, INIT_MODEL_OPT_SHIFT, INIT_MODEL_OPT_MULTIPLIER,
};

static const struct cli_option init_model_options[] = {
    {"out", "FILE", INIT_MODEL_OPT_OUT, CLI_REQUIRED, "the checkpoint to write"},
    {"input-size", "N", INIT_MODEL_OPT_INPUT_SIZE, 0, "latent height and width (16)"},
    {"patch-size", "N", INIT_MODEL_OPT_PATCH_SIZE, 0, "patch size (2)"},
    {"in-channels", "N", INIT_MODEL_OPT_IN_CHANNELS, 0, "latent channels (4)"},
    {"hidden-size", "N", INIT_MODEL_OPT_HIDDEN_SIZE, 0, "transformer width (64)"},
    {"depth", "N", INIT_MODEL_OPT_DEPTH, 0, "transformer blocks (4)"},
    {"num-heads", "N", INIT_MODEL_OPT_NUM_HEADS, 0, "attention heads (4)"},
    {"mlp-ratio", "F", INIT_MODEL_OPT_MLP_RATIO, 0, "MLP width over hidden size (4)"},
    {"num-classes", "N", INIT_MODEL_OPT_NUM_CLASSES, 0, "class labels, the null class apart (10)"},
    {"learn-sigma", NULL, INIT_MODEL_OPT_LEARN_SIGMA, 0, "also predict the variance, as DiT does"},
    {"beta-schedule", "NAME", INIT_MODEL_OPT_BETA, 0, "eps: the betas (DiT's linear)"},
    {"seed", "S", INIT_MODEL_OPT_SEED, 0, "the weights' seed (0)"},
    {"prediction", "eps|flow", INIT_MODEL_OPT_PREDICTION, 0, "what the network predicts (eps)"},
    {"shift", "F", INIT_MODEL_OPT_SHIFT, 0, "flow: the sampling shift (3)"},
    {"multiplier", "F", INIT_MODEL_OPT_MULTIPLIER, 0, "flow: the timestep multiplier (1000)"},
    {0},
};

/* --prediction: eps or flow. */
static int
init_model_prediction(const char *v, struct model_config *cfg)
{
    if (strcmp(v, "eps") != 0 && strcmp(v, "flow") != 0)
        return cli_usage_error(&cmd_init_model_entry, "--prediction must be eps or flow, not "
                               "'%s'", v);
    snprintf(cfg->prediction, sizeof cfg->prediction, "%s", v);
    return 0;
}

/* One option into o (a struct init_model_opts); nonzero on a bad value. */
static int
init_model_option(void *ctx, int id, const char *flag, const char *v)
{
    struct init_model_opts *o = ctx;
    struct model_config *cfg = &o->cfg;
    switch (id) {
    case INIT_MODEL_OPT_OUT: o->out = v; return 0;
    case INIT_MODEL_OPT_INPUT_SIZE: return cli_int(flag, v, 1, 4096, &cfg->input_size);
    case INIT_MODEL_OPT_PATCH_SIZE: return cli_int(flag, v, 1, 64, &cfg->patch_size);
    case INIT_MODEL_OPT_IN_CHANNELS: return cli_int(flag, v, 1, 64, &cfg->in_channels);
    case INIT_MODEL_OPT_HIDDEN_SIZE: return cli_int(flag, v, 4, 16384, &cfg->hidden_size);
    case INIT_MODEL_OPT_DEPTH: return cli_int(flag, v, 1, 1024, &cfg->depth);
    case INIT_MODEL_OPT_NUM_HEADS: return cli_int(flag, v, 1, 1024, &cfg->num_heads);
    case INIT_MODEL_OPT_MLP_RATIO: return cli_double(flag, v, 0.01, 64, &cfg->mlp_ratio);
    case INIT_MODEL_OPT_NUM_CLASSES:
        return cli_int(flag, v, 1, MODEL_MAX_CLASSES, &cfg->num_classes);
    case INIT_MODEL_OPT_LEARN_SIGMA: cfg->learn_sigma = 1; return 0;
    case INIT_MODEL_OPT_BETA:
        snprintf(cfg->beta_schedule, sizeof cfg->beta_schedule, "%s", v);
        return 0;
    case INIT_MODEL_OPT_SEED: return cli_u64(flag, v, &o->seed);
    case INIT_MODEL_OPT_PREDICTION: return init_model_prediction(v, cfg);
    case INIT_MODEL_OPT_SHIFT: return cli_double(flag, v, 0.01, 100, &cfg->shift);
    case INIT_MODEL_OPT_MULTIPLIER: return cli_double(flag, v, 1e-6, 1e6, &cfg->multiplier);
    default: return -1;
    }
}

static int
cmd_init_model(int argc, char **argv, struct app *app)
{
    (void)app;
    struct init_model_opts o = {.cfg = {
        .arch = "dit", .input_size = 16, .patch_size = 2, .in_channels = 4, .hidden_size = 64,
        .depth = 4, .num_heads = 4, .mlp_ratio = 4.0, .num_classes = 10, .prediction = "eps",
        .beta_schedule = "linear", .num_timesteps = 1000, .shift = 3.0, .multiplier = 1000.0,
    }};
    int argi, rc = cli_parse(&cmd_init_model_entry, argc, argv, init_model_option, &o, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    char *cause = NULL;
    if (model_write_random(&o.cfg, o.seed, o.out, &cause) < 0) {
        rc = cli_fail("%s", cause);
        free(cause);
        return rc;
    }
    return EXIT_OK;
}

const struct cli_command cmd_init_model_entry = {
    .name = "init-model",
    .summary = "write a DiT checkpoint with random weights (tests, benchmarks)",
    .options = init_model_options,
    .help =
        "Writes a DiT checkpoint with random weights (adaLN gates drawn non-zero so\n"
        "every block contributes) for tests, demos and benchmarks.  Defaults: input 16,\n"
        "patch 2, 4 channels, hidden 64, depth 4, 4 heads, 10 classes, DiT's linear betas.\n"
        "--prediction flow makes a flow-matching (rectified flow) DiT sampled through\n"
        "ComfyUI's ModelSamplingDiscreteFlow with --shift (3) and --multiplier (1000).\n",
    .run = cmd_init_model,
};
