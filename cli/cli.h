/*
 * cli.h - what the subcommands share: the app context, the command table
 * entry, and strict parsers for flag values.
 *
 * Each subcommand is `int cmd_<name>(int argc, char **argv, struct app *)`
 * returning an exit code (util/err.h).  Usage errors print the short usage
 * to stderr and return EXIT_USAGE; --help prints to stdout and returns 0.
 */
#ifndef FBW_CLI_CLI_H
#define FBW_CLI_CLI_H

#include <stdint.h>

#include "core/shim/tensor.h"

struct app {
    const char *argv0;
    int threads;                /* ATen intra-op threads in force */
};

struct cli_command {
    const char *name;
    const char *summary;
    const char *usage;
    int (*fn)(int argc, char **argv, struct app *app);
};

/* Strict number parsing: the whole text must be a number in range.  On
 * failure they print "fbw: invalid value 'v' for --flag: ..." and return -1. */
int cli_double(const char *flag, const char *text, double lo, double hi, double *out);
int cli_int(const char *flag, const char *text, long lo, long hi, int *out);
int cli_u64(const char *flag, const char *text, uint64_t *out);
int cli_device(const char *flag, const char *text, enum tensor_device *out);

/* Print "fbw CMD: msg" plus the usage to stderr; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Print "fbw: msg" to stderr; returns EXIT_RUNTIME. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Ctrl-C: after cli_catch_interrupt(), SIGINT/SIGTERM only set a flag that
 * long work polls (cli_interrupted) so it can stop between steps and leave
 * no half-written file.  A second Ctrl-C kills the process as usual.
 */
void cli_catch_interrupt(void);
int cli_interrupted(void);
#define EXIT_INTERRUPTED 130

/*
 * The default model: models/default.safetensors beside the fbw binary, else in the current
 * directory.  Returns an allocated path, or NULL with *cause saying where it looked.
 */
char *cli_default_model(char **cause);

/* Applies --threads (0 = leave libtorch's default) and records it in app. */
void cli_set_threads(struct app *app, int threads);

#define USAGE_GENERATE \
    "usage: fbw generate [--model FILE] [--class N] [--seed S] [--steps N] [--sampler NAME]\n" \
    "                    [--scheduler NAME] [--cfg F] [--residual-diff-threshold F]\n" \
    "                    [--max-consecutive-cache-hits N] [--start F] [--end F] --out IMG.png\n" \
    "                    [--denoise F] [--eta F] [--s-noise F] [--trace FILE.jsonl]\n" \
    "                    [--latent-out FILE.safetensors] [--threads N]\n" \
    "                    [--device cpu|cuda] [--dtype f32|bf16|f16] [--quiet]\n"
#define USAGE_SIGMAS \
    "usage: fbw sigmas --scheduler NAME --steps N\n" \
    "                  [--model FILE | --beta-schedule linear|scaled_linear |\n" \
    "                   --model-sampling sd1|dit|flow|flux [--shift F] [--multiplier F]]\n"
#define USAGE_INFO "usage: fbw info MODEL.safetensors\n"
#define USAGE_LIST "usage: fbw list samplers|schedulers|knobs\n"
#define USAGE_INIT_MODEL \
    "usage: fbw init-model --out FILE [--input-size N] [--patch-size N] [--in-channels N]\n" \
    "                      [--hidden-size N] [--depth N] [--num-heads N] [--mlp-ratio F]\n" \
    "                      [--num-classes N] [--learn-sigma] [--beta-schedule NAME] [--seed S]\n" \
    "                      [--prediction eps|flow] [--shift F] [--multiplier F]\n"
#define USAGE_TRAIN \
    "usage: fbw train --out FILE [--resume] [--steps N] [--batch N] [--lr F] [--warmup N]\n" \
    "                 [--decay-steps N] [--ema F] [--weight-decay F] [--seed S] [--save-every N] [--log F.csv]\n" \
    "                 [--hidden-size N] [--depth N] [--num-heads N] [--patch-size N]\n" \
    "                 [--shift F] [--threads N] [--device cpu|cuda] [--quiet]\n"
#define USAGE_DATASET \
    "usage: fbw dataset [--class NAME|N] [--count K] [--seed S] [--cols C] --out GRID.png\n" \
    "       fbw dataset --list\n"
#define USAGE_SAMPLES \
    "usage: fbw samples [--model FILE] [--count K] [--steps N] [--sampler NAME]\n" \
    "                   [--scheduler NAME] [--cfg F] [--seed S] --out GRID.png\n"
#define USAGE_EVALUATE "usage: fbw evaluate [MODEL.safetensors]\n"
#define USAGE_COMPARE "usage: fbw compare A.safetensors B.safetensors\n"
#define USAGE_VERSION "usage: fbw version\n"
#define USAGE_BENCH \
    "usage: fbw bench [--hidden-size N] [--depth N] [--num-heads N] [--patch-size N]\n" \
    "                 [--input-size N] [--in-channels N] [--steps N] [--repeat N]\n" \
    "                 [--threads N[,N...]] [--model FILE]\n"

#define USAGE_SWEEP \
    "usage: fbw sweep [SPEC.json] [--x KNOB=VALUES] [--y KNOB=VALUES] [--z KNOB=VALUES]\n" \
    "                 [--KNOB VALUE ...] [--repeat R] [--warmup W] [--budget SECONDS]\n" \
    "                 [--db FILE] [--name NAME] [--dry-run] [--threads N]\n" \
    "                 [--device cpu|cuda] [--quiet]\n"

#define USAGE_TUI "usage: fbw tui [--db FILE] [--model FILE] [--starter] [SPEC.json]\n"

#define USAGE_RUNS "usage: fbw runs [--db FILE] [--sweep NAME|ID]\n"
#define USAGE_SHOW "usage: fbw show RUN [--db FILE]\n"
#define USAGE_EXPORT \
    "usage: fbw export [--db FILE] [--sweep NAME|ID] [--format csv|json|md] [--out FILE]\n"
#define USAGE_PLOT \
    "usage: fbw plot grid|lines|heatmap|pareto|trace [--db FILE] [--sweep NAME|ID]\n" \
    "                [--metric M] [--runs ID,...] [--diff] [--vs step|sigma]\n" \
    "                [--out FILE.png|FILE.svg|FILE.txt] [--term png|svg|dumb] [--size WxH]\n" \
    "                [--mono]\n"

int cmd_sweep(int argc, char **argv, struct app *app);
int cmd_tui(int argc, char **argv, struct app *app);
int cmd_runs(int argc, char **argv, struct app *app);
int cmd_show(int argc, char **argv, struct app *app);
int cmd_export(int argc, char **argv, struct app *app);
int cmd_plot(int argc, char **argv, struct app *app);
int cmd_generate(int argc, char **argv, struct app *app);
int cmd_sigmas(int argc, char **argv, struct app *app);
int cmd_info(int argc, char **argv, struct app *app);
int cmd_list(int argc, char **argv, struct app *app);
int cmd_init_model(int argc, char **argv, struct app *app);
int cmd_dataset(int argc, char **argv, struct app *app);
int cmd_bench(int argc, char **argv, struct app *app);
int cmd_train(int argc, char **argv, struct app *app);
int cmd_samples(int argc, char **argv, struct app *app);
int cmd_evaluate(int argc, char **argv, struct app *app);
int cmd_compare(int argc, char **argv, struct app *app);
int cmd_version(int argc, char **argv, struct app *app);

#endif
