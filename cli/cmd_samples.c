/*
 * cmd_samples.c - `fbw samples`: a grid of generations of a trained model, one row per class,
 * seeds seed..seed+count-1 in each row.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/engine.h"
#include "core/image.h"
#include "train/dataset.h"
#include "util/err.h"

struct samples_opts {
    const char *model, *out;
    int count;
    struct engine_params p;
};

enum {
    SAMPLES_OPT_MODEL, SAMPLES_OPT_COUNT, SAMPLES_OPT_STEPS, SAMPLES_OPT_SAMPLER,
    SAMPLES_OPT_SCHEDULER, SAMPLES_OPT_CFG, SAMPLES_OPT_SEED, SAMPLES_OPT_OUT,
};

static const struct cli_option samples_options[] = {
    {"model", "FILE", SAMPLES_OPT_MODEL, 0, "the checkpoint (default: the default model)"},
    {"count", "K", SAMPLES_OPT_COUNT, 0, "samples per class, 1..64 (8)"},
    {"steps", "N", SAMPLES_OPT_STEPS, 0, "sampling steps (30)"},
    {"sampler", "NAME", SAMPLES_OPT_SAMPLER, 0, "a ComfyUI sampler (euler)"},
    {"scheduler", "NAME", SAMPLES_OPT_SCHEDULER, 0, "a ComfyUI scheduler (simple)"},
    {"cfg", "F", SAMPLES_OPT_CFG, 0, "classifier-free guidance scale (3)"},
    {"seed", "S", SAMPLES_OPT_SEED, 0, "the first noise seed (0)"},
    {"out", "GRID.png", SAMPLES_OPT_OUT, CLI_REQUIRED, "the PNG to write"},
    {0},
};

/* One option into o (a struct samples_opts); nonzero on a bad value. */
static int
samples_option(void *ctx, int id, const char *flag, const char *v)
{
    struct samples_opts *o = ctx;
    switch (id) {
    case SAMPLES_OPT_MODEL: o->model = v; return 0;
    case SAMPLES_OPT_OUT: o->out = v; return 0;
    case SAMPLES_OPT_COUNT: return cli_int(flag, v, 1, 64, &o->count);
    case SAMPLES_OPT_STEPS: return cli_int(flag, v, 1, 10000, &o->p.steps);
    case SAMPLES_OPT_SAMPLER: o->p.sampler = v; return 0;
    case SAMPLES_OPT_SCHEDULER: o->p.scheduler = v; return 0;
    case SAMPLES_OPT_CFG: return cli_double(flag, v, -1e6, 1e6, &o->p.cfg);
    case SAMPLES_OPT_SEED: return cli_u64(flag, v, &o->p.seed);
    default: return -1;
    }
}

static int
samples_run(struct model *m, struct samples_opts *o, char **cause)
{
    const struct model_config *cfg = model_config(m);
    const size_t per = (size_t)cfg->in_channels * cfg->input_size * cfg->input_size;
    const int n = cfg->num_classes * o->count;
    float *all = xmalloc((size_t)n * per * sizeof *all);
    const uint64_t seed0 = o->p.seed;
    int rc = 0;
    for (int k = 0; k < cfg->num_classes && rc == 0; k++) {
        for (int j = 0; j < o->count && rc == 0; j++) {
            fprintf(stderr, "\rsamples: %d/%d", k * o->count + j + 1, n);
            struct engine_result r;
            o->p.label = k;
            o->p.seed = seed0 + (uint64_t)j;
            rc = engine_generate(m, &o->p, &r, cause);
            if (rc == 0)
                memcpy(all + (size_t)(k * o->count + j) * per, r.x0, per * sizeof *all);
            engine_result_release(&r);
        }
    }
    fputc('\n', stderr);
    if (rc == 0 && (cfg->in_channels != 3 || cfg->input_size != DATASET_SIZE))
        rc = err_set(cause, "samples needs a %dx%d RGB model", DATASET_SIZE, DATASET_SIZE);
    struct image img = {0};
    if (rc == 0) {
        dataset_grid(all, n, o->count, &img);
        rc = image_write_png(&img, o->out, "parameters", o->model, cause);
    }
    image_release(&img);
    free(all);
    return rc;
}

static int
cmd_samples(int argc, char **argv, struct app *app)
{
    (void)app;
    struct samples_opts o = {.count = 8, .p = ENGINE_PARAMS_DEFAULT};
    o.p.steps = 30;
    o.p.cfg = 3.0;
    int argi, rc = cli_parse(&cmd_samples_entry, argc, argv, samples_option, &o, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    char *cause = NULL, *fallback = NULL;
    if (o.model == NULL && (o.model = fallback = cli_default_model(&cause)) == NULL) {
        rc = cli_usage_error(&cmd_samples_entry, "%s", cause);
        free(cause);
        return rc;
    }
    struct model *m = model_load(o.model, TENSOR_CPU, &cause);
    rc = EXIT_OK;
    if (m == NULL || engine_check_params(m, &o.p, &cause) < 0 || samples_run(m, &o, &cause) < 0)
        rc = cli_fail("%s", cause);
    model_free(m);
    free(cause);
    free(fallback);
    return rc;
}

const struct cli_command cmd_samples_entry = {
    .name = "samples",
    .summary = "a grid of generations, one row per class",
    .options = samples_options,
    .help =
        "Generates --count samples (default 8) of every class, seeds seed..seed+count-1,\n"
        "and tiles them into one PNG, a row per class. Defaults: euler, simple, 30 steps,\n"
        "cfg 3, seed 0, the default model.\n",
    .run = cmd_samples,
};
