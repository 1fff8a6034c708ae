/*
 * main.c - fbw's entry point: the subcommand table and the top-level usage.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/malloc_tune.h"
#include "util/err.h"

static const struct cli_command main_commands[] = {
    {"tui", "the terminal workbench (also `fbw` alone on a terminal)", USAGE_TUI, cmd_tui},
    {"generate", "one generation: image, trace and summary", USAGE_GENERATE, cmd_generate},
    {"sigmas", "print a scheduler's sigmas, one per line", USAGE_SIGMAS, cmd_sigmas},
    {"list", "list samplers, schedulers or cache knobs", USAGE_LIST, cmd_list},
    {"info", "print a model's config and parameter count", USAGE_INFO, cmd_info},
    {"init-model", "write a DiT checkpoint with random weights (tests, benchmarks)",
     USAGE_INIT_MODEL, cmd_init_model},
    {"dataset", "render the procedural training images as a grid PNG", USAGE_DATASET,
     cmd_dataset},
    {"sweep", "run or resume an X/Y/Z sweep of settings into the store", USAGE_SWEEP,
     cmd_sweep},
    {"runs", "list the store's sweeps, or one sweep's cells with their results", USAGE_RUNS,
     cmd_runs},
    {"show", "one run in full: timing statistics, speed-up, cache decisions, image diff",
     USAGE_SHOW, cmd_show},
    {"export", "a sweep as CSV, JSON or Markdown", USAGE_EXPORT, cmd_export},
    {"plot", "a sweep drawn by gnuplot: image grid, lines, heatmap, pareto, trace",
     USAGE_PLOT, cmd_plot},
    {"bench", "measure model-call cost, overhead and cache-hit cost", USAGE_BENCH, cmd_bench},
    {"train", "train the rectified-flow DiT on the procedural data set", USAGE_TRAIN,
     cmd_train},
    {"samples", "a grid of generations, one row per class", USAGE_SAMPLES, cmd_samples},
    {"evaluate", "held-out loss per noise level against the trivial predictor", USAGE_EVALUATE,
     cmd_evaluate},
    {"compare", "PSNR and MAE between two raw outputs (--latent-out files)", USAGE_COMPARE,
     cmd_compare},
    {"version", "the libtorch, GPU, BLAS, threads and malloc tuning fbw runs on",
     USAGE_VERSION, cmd_version},
};
#define MAIN_NCOMMANDS (sizeof main_commands / sizeof main_commands[0])

static void
main_usage(FILE *f)
{
    fprintf(f, "usage: fbw COMMAND [ARGS...]   (fbw COMMAND --help for details)\n\n"
               "fbw, the First Block Cache workbench: runs diffusion transformers with\n"
               "WaveSpeed's First Block Cache and records every cache decision.\n\ncommands:\n");
    for (size_t i = 0; i < MAIN_NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", main_commands[i].name, main_commands[i].summary);
    fprintf(f, "\nexit status: 0 success, 1 failure while running, 2 usage error\n");
}

int
main(int argc, char **argv)
{
    /* Before libtorch allocates anything: the allocator, then one thread count for every pool
     * (ATen's intra-op pool, OpenMP, MKL), libtorch's default until --threads says otherwise. */
    malloc_tune_apply(NULL);
    struct app app = {.argv0 = argv[0], .threads = tensor_threads(tensor_threads(0))};
    if (argc < 2 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
        return cmd_tui(argc, argv, &app);
    if (argc < 2) {
        main_usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        main_usage(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < MAIN_NCOMMANDS; i++)
        if (strcmp(argv[1], main_commands[i].name) == 0)
            return main_commands[i].fn(argc - 1, argv + 1, &app);
    fprintf(stderr, "fbw: unknown command '%s'\n", argv[1]);
    main_usage(stderr);
    return EXIT_USAGE;
}
