/*
 * cmd_eval.c - looking at a trained model: `fbw samples` (a grid of generations, one row per
 * class), `fbw evaluate` (held-out flow-matching loss per noise level against the trivial
 * predictor) and `fbw compare` (PSNR/MAE between two raw outputs written by --latent-out).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "train/dataset.h"
#include "core/engine.h"
#include "core/image.h"
#include "core/metrics.h"
#include "core/safetensors.h"
#include "train/train.h"
#include "util/err.h"

/* ---- samples ---------------------------------------------------------------------- */

struct samples_opts {
    const char *model, *out;
    int count;
    struct engine_params p;
};

static int
samples_parse(int argc, char **argv, struct samples_opts *o)
{
    static const struct option opts[] = {
        {"model", required_argument, NULL, 'm'}, {"out", required_argument, NULL, 'o'},
        {"count", required_argument, NULL, 'n'}, {"steps", required_argument, NULL, 's'},
        {"sampler", required_argument, NULL, 'S'}, {"scheduler", required_argument, NULL, 'C'},
        {"cfg", required_argument, NULL, 'c'}, {"seed", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c, bad = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1 && !bad) {
        switch (c) {
        case 'm': o->model = optarg; break;
        case 'o': o->out = optarg; break;
        case 'n': bad = cli_int("--count", optarg, 1, 64, &o->count); break;
        case 's': bad = cli_int("--steps", optarg, 1, 10000, &o->p.steps); break;
        case 'S': o->p.sampler = optarg; break;
        case 'C': o->p.scheduler = optarg; break;
        case 'c': bad = cli_double("--cfg", optarg, -1e6, 1e6, &o->p.cfg); break;
        case 'e': bad = cli_u64("--seed", optarg, &o->p.seed); break;
        case 'h':
            fputs(USAGE_SAMPLES "\nGenerates --count samples (default 8) of every class, seeds "
                  "seed..seed+count-1,\nand tiles them into one PNG, a row per class. Defaults: "
                  "euler, simple, 30 steps,\ncfg 3, seed 0, the default model.\n", stdout);
            return -1;
        default:
            return cli_usage_error("samples", USAGE_SAMPLES, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (bad)
        return EXIT_USAGE;
    if (o->out == NULL)
        return cli_usage_error("samples", USAGE_SAMPLES, "--out is required");
    return 0;
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

int
cmd_samples(int argc, char **argv, struct app *app)
{
    (void)app;
    struct samples_opts o = {.count = 8, .p = ENGINE_PARAMS_DEFAULT};
    o.p.steps = 30;
    o.p.cfg = 3.0;
    int rc = samples_parse(argc, argv, &o);
    if (rc != 0)
        return rc < 0 ? EXIT_OK : rc;
    char *cause = NULL, *fallback = NULL;
    if (o.model == NULL && (o.model = fallback = cli_default_model(&cause)) == NULL) {
        rc = cli_usage_error("samples", USAGE_SAMPLES, "%s", cause);
        free(cause);
        return rc;
    }
    struct model *m = model_load(o.model, TENSOR_CPU, &cause);
    if (m == NULL || engine_check_params(m, &o.p, &cause) < 0 || samples_run(m, &o, &cause) < 0)
        rc = cli_fail("%s", cause);
    model_free(m);
    free(cause);
    free(fallback);
    return rc;
}

/* ---- evaluate ----------------------------------------------------------------------- */

int
cmd_evaluate(int argc, char **argv, struct app *app)
{
    (void)app;
    static const double levels[] = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
    const int n = (int)(sizeof levels / sizeof levels[0]);
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        fputs(USAGE_EVALUATE "\nHeld-out flow-matching loss E|v - (eps - x0)|^2 of a flow model "
              "at fixed t, on\n256 samples of the procedural data set drawn with a seed the "
              "trainer never uses,\nnext to the trivial predictor v = 0.  Prints a Markdown "
              "table.\n", stdout);
        return EXIT_OK;
    }
    if (argc > 2)
        return cli_usage_error("evaluate", USAGE_EVALUATE, "expected at most one model file");
    char *cause = NULL, *path = argc == 2 ? xstrdup(argv[1]) : cli_default_model(&cause);
    if (path == NULL) {
        int urc = cli_usage_error("evaluate", USAGE_EVALUATE, "%s", cause);
        free(cause);
        return urc;
    }
    struct model *m = model_load(path, TENSOR_CPU, &cause);
    free(path);
    double model[16], trivial[16];
    int rc = EXIT_OK;
    /* 0xE7A1 is never a training seed fbw picks by default, so these samples are unseen. */
    if (m == NULL || train_eval(m, 0xE7A1, 256, levels, n, model, trivial, &cause) < 0) {
        rc = cli_fail("%s", cause);
    } else {
        printf("| t | model loss | trivial (v = 0) | ratio |\n|---|---|---|---|\n");
        for (int i = 0; i < n; i++)
            printf("| %.2f | %.4f | %.4f | %.3f |\n", levels[i], model[i], trivial[i],
                   model[i] / trivial[i]);
    }
    model_free(m);
    free(cause);
    return rc;
}

/* ---- compare ------------------------------------------------------------------------- */

int
cmd_compare(int argc, char **argv, struct app *app)
{
    (void)app;
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        fputs(USAGE_COMPARE "\nCompares two raw outputs written by `fbw generate --latent-out` "
              "(tensor x0),\nmapped from [-1, 1] to [0, 1]: PSNR in dB (capped at 100 for "
              "identical\nimages), mean and maximum absolute difference.\n", stdout);
        return EXIT_OK;
    }
    if (argc != 3)
        return cli_usage_error("compare", USAGE_COMPARE, "expected two files");
    char *cause = NULL;
    struct safetensors *a = safetensors_open(argv[1], &cause);
    struct safetensors *b = a ? safetensors_open(argv[2], &cause) : NULL;
    const struct safetensors_tensor *ta = a ? safetensors_find(a, "x0") : NULL;
    const struct safetensors_tensor *tb = b ? safetensors_find(b, "x0") : NULL;
    int rc = EXIT_OK;
    if (b == NULL) {
        rc = cli_fail("%s", cause);
    } else if (ta == NULL || tb == NULL || ta->dtype != SAFETENSORS_F32 ||
               tb->dtype != SAFETENSORS_F32 || ta->nbytes != tb->nbytes) {
        rc = cli_fail("'%s' and '%s' must both hold an F32 tensor 'x0' of the same size",
                      argv[1], argv[2]);
    } else {
        struct metrics_diff d = metrics_compare(ta->data, tb->data, ta->nbytes / sizeof(float));
        printf("psnr %.2f dB, mae %.5f, max %.5f\n", d.psnr, d.mae, d.max_abs);
    }
    safetensors_free(a);
    safetensors_free(b);
    free(cause);
    return rc;
}
