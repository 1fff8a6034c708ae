/*
 * cmd_sigmas.c - `fbw sigmas`: the sigmas a ComfyUI scheduler gives for N steps on a model's
 * noise table, one per line - the checkpoint's own, an EPS beta schedule, or one of ComfyUI's
 * model samplings (including FLUX, which only this command and the tests reach).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/engine.h"
#include "core/model.h"
#include "core/scheduler.h"
#include "util/err.h"
#include "util/strdist.h"

enum {
    SIGMAS_OPT_SCHEDULER, SIGMAS_OPT_STEPS, SIGMAS_OPT_MODEL, SIGMAS_OPT_BETA, SIGMAS_OPT_SAMPLING,
    SIGMAS_OPT_SHIFT, SIGMAS_OPT_MULTIPLIER,
};

static const struct cli_option sigmas_options[] = {
    {"scheduler", "NAME", SIGMAS_OPT_SCHEDULER, CLI_REQUIRED, "a ComfyUI scheduler"},
    {"steps", "N", SIGMAS_OPT_STEPS, CLI_REQUIRED, "sampling steps"},
    {"model", "FILE", SIGMAS_OPT_MODEL, 0, "the checkpoint's own model sampling"},
    {"beta-schedule", "linear|scaled_linear", SIGMAS_OPT_BETA, 0,
     "an EPS table: `linear` is DiT's (betas 1e-4..0.02; the\n"
     "default), `scaled_linear` is Stable Diffusion's (what\n"
     "ComfyUI itself calls \"linear\"; fbw uses the diffusers names)"},
    {"model-sampling", "sd1|dit|flow|flux", SIGMAS_OPT_SAMPLING, 0,
     "a ComfyUI model sampling (below)"},
    {"shift", "F", SIGMAS_OPT_SHIFT, 0, "flow and flux only (below)"},
    {"multiplier", "F", SIGMAS_OPT_MULTIPLIER, 0, "flow only (below)"},
    {0},
};

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
        return cli_usage_error(&cmd_sigmas_entry, "give --model or --beta-schedule, "
                               "not both");
    if (a->kind != NULL && other != NULL)
        return cli_usage_error(&cmd_sigmas_entry, "give --model-sampling or %s, not both",
                               other);
    if (a->beta != NULL && model_sampling_beta_from_name(a->beta) < 0)
        return cli_usage_error(&cmd_sigmas_entry, "unknown --beta-schedule '%s' (linear "
                               "or scaled_linear)", a->beta);
    int k = *kind = a->kind != NULL ? sigmas_kind_from_name(a->kind) : -1;
    if (a->kind != NULL && k < 0)
        return cli_usage_error(&cmd_sigmas_entry, "unknown --model-sampling '%s' (did you "
                               "mean '%s'?)", a->kind,
                               strdist_closest(a->kind, sigmas_kind_names, SIGMAS_KIND_COUNT));
    if (a->shift != NULL && k != SIGMAS_FLOW && k != SIGMAS_FLUX)
        return cli_usage_error(&cmd_sigmas_entry, "--shift needs --model-sampling flow or "
                               "flux");
    if (a->multiplier != NULL && k == SIGMAS_FLUX)
        return cli_usage_error(&cmd_sigmas_entry, "--multiplier does not apply to "
                               "--model-sampling flux (its timestep is sigma)");
    if (a->multiplier != NULL && k != SIGMAS_FLOW)
        return cli_usage_error(&cmd_sigmas_entry, "--multiplier needs --model-sampling "
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

/* One option into a (a struct sigmas_args); nonzero on a bad value. */
static int
sigmas_option(void *ctx, int id, const char *flag, const char *v)
{
    struct sigmas_args *a = ctx;
    switch (id) {
    case SIGMAS_OPT_SCHEDULER: a->sched = v; return 0;
    case SIGMAS_OPT_STEPS: return cli_int(flag, v, 1, SCHEDULER_MAX_STEPS, &a->steps);
    case SIGMAS_OPT_MODEL: a->model = v; return 0;
    case SIGMAS_OPT_BETA: a->beta = v; return 0;
    case SIGMAS_OPT_SAMPLING: a->kind = v; return 0;
    case SIGMAS_OPT_SHIFT: a->shift = v; return 0;
    case SIGMAS_OPT_MULTIPLIER: a->multiplier = v; return 0;
    default: return -1;
    }
}

static int
cmd_sigmas(int argc, char **argv, struct app *app)
{
    (void)app;
    struct sigmas_args a = {0};
    int argi, rc = cli_parse(&cmd_sigmas_entry, argc, argv, sigmas_option, &a, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    if (scheduler_find(a.sched) == NULL)
        return cli_usage_error(&cmd_sigmas_entry, "unknown scheduler '%s' (did you mean "
                               "'%s'?)", a.sched, scheduler_closest(a.sched));
    int k = -1;
    rc = sigmas_check_source(&a, &k);
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

const struct cli_command cmd_sigmas_entry = {
    .name = "sigmas",
    .summary = "print a scheduler's sigmas, one per line",
    .options = sigmas_options,
    .help =
        "Prints the schedule ComfyUI's scheduler NAME gives for N steps on a model's\n"
        "noise table, one sigma per line: N+1 values ending in 0 (fewer for `beta`,\n"
        "more for `ddim_uniform`).  The table comes from at most one of --model,\n"
        "--beta-schedule (default DiT's linear) and --model-sampling KIND:\n"
        "      sd1   ModelSamplingDiscrete (EPS) with scaled_linear betas, SD1.x/SDXL\n"
        "      dit   ModelSamplingDiscrete (EPS) with linear betas, DiT\n"
        "      flow  ModelSamplingDiscreteFlow (SD3, AuraFlow, FLUX-schnell): 1000 sigmas\n"
        "            shift*t/(1+(shift-1)*t), timestep = sigma*multiplier; --shift F\n"
        "            (default 3, in [0.01, 100]) and --multiplier F (default 1000), the\n"
        "            ModelSamplingSD3 node's; FLUX-schnell is --shift 1 --multiplier 1,\n"
        "            AuraFlow --shift 1.73 --multiplier 1\n"
        "      flux  ModelSamplingFlux (FLUX.1-dev): 10000 sigmas e^shift/(e^shift+1/t-1),\n"
        "            timestep = sigma; --shift F (default 1.15, ComfyUI's value at\n"
        "            1024x1024, in [-50, 50]); no --multiplier\n",
    .run = cmd_sigmas,
};
