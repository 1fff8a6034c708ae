/*
 * cmd_model.c - the small read-only and setup commands: `fbw sigmas`,
 * `fbw list`, `fbw info` and `fbw init-model`.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/spec.h"
#include "cli/cli.h"
#include "core/cache.h"
#include "core/engine.h"
#include "core/model.h"
#include "core/sampler.h"
#include "core/scheduler.h"
#include "util/err.h"
#include "util/strdist.h"

static int
cmd_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return 1;
    return 0;
}

/* ---- sigmas --------------------------------------------------------------- */

#define SIGMAS_HELP USAGE_SIGMAS \
    "\nPrints the schedule ComfyUI's scheduler NAME gives for N steps on a model's\n" \
    "noise table, one sigma per line: N+1 values ending in 0 (fewer for `beta`,\n" \
    "more for `ddim_uniform`).  The table comes from one of:\n" \
    "  --model FILE           the checkpoint's own model sampling\n" \
    "  --beta-schedule NAME   an EPS table: `linear` is DiT's (betas 1e-4..0.02; the\n" \
    "                         default), `scaled_linear` is Stable Diffusion's (what\n" \
    "                         ComfyUI itself calls \"linear\"; fbw uses the diffusers names)\n" \
    "  --model-sampling KIND  a ComfyUI model sampling:\n" \
    "      sd1   ModelSamplingDiscrete (EPS) with scaled_linear betas, SD1.x/SDXL\n" \
    "      dit   ModelSamplingDiscrete (EPS) with linear betas, DiT\n" \
    "      flow  ModelSamplingDiscreteFlow (SD3, AuraFlow, FLUX-schnell): 1000 sigmas\n" \
    "            shift*t/(1+(shift-1)*t), timestep = sigma*multiplier; --shift F\n" \
    "            (default 3, in [0.01, 100]) and --multiplier F (default 1000), the\n" \
    "            ModelSamplingSD3 node's; FLUX-schnell is --shift 1 --multiplier 1,\n" \
    "            AuraFlow --shift 1.73 --multiplier 1\n" \
    "      flux  ModelSamplingFlux (FLUX.1-dev): 10000 sigmas e^shift/(e^shift+1/t-1),\n" \
    "            timestep = sigma; --shift F (default 1.15, ComfyUI's value at\n" \
    "            1024x1024, in [-50, 50]); no --multiplier\n"

/* --model-sampling names, in the order --help lists them. */
enum sigmas_kind { SIGMAS_SD1, SIGMAS_DIT, SIGMAS_FLOW, SIGMAS_FLUX, SIGMAS_KIND_COUNT };

static const char *const sigmas_kind_names[SIGMAS_KIND_COUNT] = { "sd1", "dit", "flow", "flux" };

/* The parsed flags of `fbw sigmas`; shift/multiplier are NULL when not given. */
struct sigmas_args {
    const char *sched, *model, *beta, *kind, *shift, *multiplier;
    int steps;
};

static int
sigmas_kind_from_name(const char *name)
{
    for (int k = 0; k < SIGMAS_KIND_COUNT; k++)
        if (strcmp(sigmas_kind_names[k], name) == 0)
            return k;
    return -1;
}

/*
 * The flag combinations: at most one table source, a known --model-sampling, and --shift /
 * --multiplier only where that model sampling has them.  Sets *kind (-1 when --model-sampling
 * is absent) and returns EXIT_OK, or prints a usage error and returns EXIT_USAGE.
 */
static int
sigmas_check_source(const struct sigmas_args *a, int *kind)
{
    const char *other = a->model != NULL ? "--model" : a->beta != NULL ? "--beta-schedule" : NULL;
    if (a->model != NULL && a->beta != NULL)
        return cli_usage_error("sigmas", USAGE_SIGMAS, "give --model or --beta-schedule, "
                               "not both");
    if (a->kind != NULL && other != NULL)
        return cli_usage_error("sigmas", USAGE_SIGMAS, "give --model-sampling or %s, not both",
                               other);
    if (a->beta != NULL && model_sampling_beta_from_name(a->beta) < 0)
        return cli_usage_error("sigmas", USAGE_SIGMAS, "unknown --beta-schedule '%s' (linear "
                               "or scaled_linear)", a->beta);
    int k = *kind = a->kind != NULL ? sigmas_kind_from_name(a->kind) : -1;
    if (a->kind != NULL && k < 0)
        return cli_usage_error("sigmas", USAGE_SIGMAS, "unknown --model-sampling '%s' (did you "
                               "mean '%s'?)", a->kind,
                               strdist_closest(a->kind, sigmas_kind_names, SIGMAS_KIND_COUNT));
    if (a->shift != NULL && k != SIGMAS_FLOW && k != SIGMAS_FLUX)
        return cli_usage_error("sigmas", USAGE_SIGMAS, "--shift needs --model-sampling flow or "
                               "flux");
    if (a->multiplier != NULL && k == SIGMAS_FLUX)
        return cli_usage_error("sigmas", USAGE_SIGMAS, "--multiplier does not apply to "
                               "--model-sampling flux (its timestep is sigma)");
    if (a->multiplier != NULL && k != SIGMAS_FLOW)
        return cli_usage_error("sigmas", USAGE_SIGMAS, "--multiplier needs --model-sampling "
                               "flow");
    return EXIT_OK;
}

/*
 * Build the table for kind k (-1: from --model or --beta-schedule, default DiT's linear).
 * Returns 0, 1 after a runtime error, or 2 after a usage error (a --shift or --multiplier
 * out of range) - the exit code to return when nonzero.
 */
static int
sigmas_table(const struct sigmas_args *a, int k, struct model_sampling *ms)
{
    char *cause = NULL;
    int rc = 0;
    /* Defaults: ComfyUI's ModelSamplingSD3 node (shift 3, multiplier 1000) and FLUX.1-dev. */
    double shift = k == SIGMAS_FLUX ? 1.15 : 3.0, mult = 1000.0;
    double lo = k == SIGMAS_FLUX ? -50 : 0.01, hi = k == SIGMAS_FLUX ? 50 : 100;
    if (a->shift != NULL && cli_double("--shift", a->shift, lo, hi, &shift) < 0)
        return EXIT_USAGE;
    if (a->multiplier != NULL && cli_double("--multiplier", a->multiplier, 1e-3, 1e6, &mult) < 0)
        return EXIT_USAGE;
    if (a->model != NULL) {
        struct model *m = model_load(a->model, TENSOR_CPU, &cause);
        rc = m == NULL ? -1 : engine_model_sampling(model_config(m), ms, &cause);
        model_free(m);
    } else if (k == SIGMAS_FLOW) {
        rc = model_sampling_init_flow(ms, shift, mult, 1000, &cause);
    } else if (k == SIGMAS_FLUX) {
        rc = model_sampling_init_flux(ms, shift, &cause);
    } else {
        int b = k == SIGMAS_SD1 ? MODEL_SAMPLING_BETA_SCALED_LINEAR
              : k == SIGMAS_DIT ? MODEL_SAMPLING_BETA_LINEAR
              : model_sampling_beta_from_name(a->beta != NULL ? a->beta : "linear");
        CHECK(b >= 0);
        rc = model_sampling_init_discrete(ms, (enum model_sampling_beta)b, 0, 0, 1000, &cause);
    }
    if (rc < 0) {
        cli_fail("%s", cause);
        free(cause);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

int
cmd_sigmas(int argc, char **argv, struct app *app)
{
    (void)app;
    static const struct option opts[] = {
        {"scheduler", required_argument, NULL, 's'}, {"steps", required_argument, NULL, 'n'},
        {"model", required_argument, NULL, 'm'}, {"beta-schedule", required_argument, NULL, 'b'},
        {"model-sampling", required_argument, NULL, 'k'},
        {"shift", required_argument, NULL, 'S'}, {"multiplier", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    struct sigmas_args a = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 's': a.sched = optarg; break;
        case 'm': a.model = optarg; break;
        case 'b': a.beta = optarg; break;
        case 'k': a.kind = optarg; break;
        case 'S': a.shift = optarg; break;
        case 'M': a.multiplier = optarg; break;
        case 'n':
            if (cli_int("--steps", optarg, 1, SCHEDULER_MAX_STEPS, &a.steps) < 0)
                return EXIT_USAGE;
            break;
        case 'h': fputs(SIGMAS_HELP, stdout); return EXIT_OK;
        default:
            return cli_usage_error("sigmas", USAGE_SIGMAS, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (a.sched == NULL || a.steps == 0)
        return cli_usage_error("sigmas", USAGE_SIGMAS, "--scheduler and --steps are required");
    if (scheduler_find(a.sched) == NULL)
        return cli_usage_error("sigmas", USAGE_SIGMAS, "unknown scheduler '%s' (did you mean "
                               "'%s'?)", a.sched, scheduler_closest(a.sched));
    int k = -1;
    int rc = sigmas_check_source(&a, &k);
    struct model_sampling ms;
    if (rc == EXIT_OK)
        rc = sigmas_table(&a, k, &ms);
    if (rc != EXIT_OK)
        return rc;
    double *sig = NULL;
    int n = 0;
    char *cause = NULL;
    if (scheduler_sigmas(scheduler_find(a.sched), &ms, a.steps, &sig, &n, &cause) < 0) {
        rc = cli_fail("%s", cause);
        free(cause);
    }
    for (int i = 0; i < n; i++)
        printf("%.9g\n", sig[i]);
    free(sig);
    model_sampling_release(&ms);
    return rc;
}

/* ---- list ------------------------------------------------------------------ */

int
cmd_list(int argc, char **argv, struct app *app)
{
    (void)app;
    if (cmd_wants_help(argc, argv)) {
        fputs(USAGE_LIST "\nPrints a registry: samplers (name, family, model calls per step),\n"
              "schedulers, or the knobs a sweep can vary (with their defaults).\n", stdout);
        return EXIT_OK;
    }
    if (argc != 2)
        return cli_usage_error("list", USAGE_LIST, "expected one of samplers, schedulers, knobs");
    if (strcmp(argv[1], "samplers") == 0) {
        printf("%-24s %-14s %s\n", "name", "family", "calls/step");
        for (size_t i = 0; i < sampler_count; i++)
            printf("%-24s %-14s %d\n", sampler_registry[i]->name,
                   sampler_family_name(sampler_registry[i]->family),
                   sampler_registry[i]->calls_per_step);
    } else if (strcmp(argv[1], "schedulers") == 0) {
        for (size_t i = 0; i < scheduler_count; i++)
            printf("%-18s %s\n", scheduler_registry[i].name, scheduler_registry[i].summary);
    } else if (strcmp(argv[1], "knobs") == 0) {
        printf("%-40s %-8s %s\n", "knob (alias)", "default", "meaning");
        for (int k = 0; k < SWEEP_KNOB_COUNT; k++) {
            const struct sweep_knob_info *info = sweep_knob_info(k);
            char *name = info->alias ? xasprintf("%s (%s)", info->name, info->alias)
                                     : xstrdup(info->name);
            printf("%-40s %-8s %s\n", name, info->default_text[0] ? info->default_text : "-",
                   info->help);
            free(name);
        }
    } else {
        static const char *const lists[] = {"samplers", "schedulers", "knobs"};
        return cli_usage_error("list", USAGE_LIST, "unknown list '%s' (did you mean '%s'?)",
                               argv[1], strdist_closest(argv[1], lists, 3));
    }
    return EXIT_OK;
}

/* ---- info ------------------------------------------------------------------- */

int
cmd_info(int argc, char **argv, struct app *app)
{
    (void)app;
    if (cmd_wants_help(argc, argv)) {
        fputs(USAGE_INFO "\nLoads and validates a checkpoint (safetensors with DiT key names\n"
              "and a JSON config in __metadata__[\"fbw.config\"]) and prints its config\n"
              "and parameter count.\n", stdout);
        return EXIT_OK;
    }
    if (argc != 2)
        return cli_usage_error("info", USAGE_INFO, "expected one model file");
    char *cause = NULL;
    struct model *m = model_load(argv[1], TENSOR_CPU, &cause);
    if (m == NULL) {
        int rc = cli_fail("%s", cause);
        free(cause);
        return rc;
    }
    const struct model_config *c = model_config(m);
    char *json = model_config_to_json(c);
    printf("model:       %s\narch:        %s\nparameters:  %lld\n", argv[1], c->arch,
           (long long)model_param_count(m));
    printf("input:       %d x %d x %d, patch %d (%d tokens)\n", c->in_channels, c->input_size,
           c->input_size, c->patch_size,
           (c->input_size / c->patch_size) * (c->input_size / c->patch_size));
    printf("transformer: hidden %d, depth %d, heads %d, mlp_ratio %g\n", c->hidden_size,
           c->depth, c->num_heads, c->mlp_ratio);
    printf("classes:     %d (+1 null), learn_sigma %s\n", c->num_classes,
           c->learn_sigma ? "true" : "false");
    if (strcmp(c->prediction, "flow") == 0)
        printf("prediction:  flow (rectified flow), shift %g, multiplier %g\n", c->shift,
               c->multiplier);
    else
        printf("prediction:  eps, beta_schedule %s, %d timesteps\n", c->beta_schedule,
               c->num_timesteps);
    printf("config:      %s\n", json);
    free(json);
    model_free(m);
    return EXIT_OK;
}

/* ---- init-model ---------------------------------------------------------------- */

int
cmd_init_model(int argc, char **argv, struct app *app)
{
    (void)app;
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"input-size", required_argument, NULL, 'i'},
        {"patch-size", required_argument, NULL, 'p'}, {"in-channels", required_argument, NULL, 'c'},
        {"hidden-size", required_argument, NULL, 'H'}, {"depth", required_argument, NULL, 'd'},
        {"num-heads", required_argument, NULL, 'n'}, {"mlp-ratio", required_argument, NULL, 'r'},
        {"num-classes", required_argument, NULL, 'k'}, {"learn-sigma", no_argument, NULL, 'l'},
        {"beta-schedule", required_argument, NULL, 'b'}, {"seed", required_argument, NULL, 's'},
        {"prediction", required_argument, NULL, 'P'}, {"shift", required_argument, NULL, 'S'},
        {"multiplier", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    struct model_config cfg = {
        .arch = "dit", .input_size = 16, .patch_size = 2, .in_channels = 4, .hidden_size = 64,
        .depth = 4, .num_heads = 4, .mlp_ratio = 4.0, .num_classes = 10, .prediction = "eps",
        .beta_schedule = "linear", .num_timesteps = 1000, .shift = 3.0, .multiplier = 1000.0,
    };
    const char *out = NULL;
    uint64_t seed = 0;
    int c, bad = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1 && !bad) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'i': bad = cli_int("--input-size", optarg, 1, 4096, &cfg.input_size); break;
        case 'p': bad = cli_int("--patch-size", optarg, 1, 64, &cfg.patch_size); break;
        case 'c': bad = cli_int("--in-channels", optarg, 1, 64, &cfg.in_channels); break;
        case 'H': bad = cli_int("--hidden-size", optarg, 4, 16384, &cfg.hidden_size); break;
        case 'd': bad = cli_int("--depth", optarg, 1, 1024, &cfg.depth); break;
        case 'n': bad = cli_int("--num-heads", optarg, 1, 1024, &cfg.num_heads); break;
        case 'r': bad = cli_double("--mlp-ratio", optarg, 0.01, 64, &cfg.mlp_ratio); break;
        case 'k': bad = cli_int("--num-classes", optarg, 1, MODEL_MAX_CLASSES, &cfg.num_classes);
                  break;
        case 'l': cfg.learn_sigma = 1; break;
        case 'b': snprintf(cfg.beta_schedule, sizeof cfg.beta_schedule, "%s", optarg); break;
        case 's': bad = cli_u64("--seed", optarg, &seed); break;
        case 'P':
            if (strcmp(optarg, "eps") != 0 && strcmp(optarg, "flow") != 0)
                return cli_usage_error("init-model", USAGE_INIT_MODEL, "--prediction must be "
                                       "eps or flow, not '%s'", optarg);
            snprintf(cfg.prediction, sizeof cfg.prediction, "%s", optarg);
            break;
        case 'S': bad = cli_double("--shift", optarg, 0.01, 100, &cfg.shift); break;
        case 'M': bad = cli_double("--multiplier", optarg, 1e-6, 1e6, &cfg.multiplier); break;
        case 'h':
            fputs(USAGE_INIT_MODEL "\nWrites a DiT checkpoint with random weights (adaLN gates "
                  "drawn non-zero so\nevery block contributes) for tests, demos and benchmarks. "
                  "Defaults: input 16,\npatch 2, 4 channels, hidden 64, depth 4, 4 heads, 10 "
                  "classes, DiT's linear betas.\n--prediction flow makes a flow-matching "
                  "(rectified flow) DiT sampled through\nComfyUI's ModelSamplingDiscreteFlow with "
                  "--shift (3) and --multiplier (1000).\n", stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("init-model", USAGE_INIT_MODEL,
                                   "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (bad)
        return EXIT_USAGE;
    if (out == NULL)
        return cli_usage_error("init-model", USAGE_INIT_MODEL, "--out is required");
    char *cause = NULL;
    if (model_write_random(&cfg, seed, out, &cause) < 0) {
        int rc = cli_fail("%s", cause);
        free(cause);
        return rc;
    }
    return EXIT_OK;
}
