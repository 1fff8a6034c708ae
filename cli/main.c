/*
 * main.c - fbw's entry point: the subcommand table and the top-level usage.  Each command
 * parses its own arguments with cli_parse (cli.h) against its entry.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/malloc_tune.h"
#include "util/err.h"

/* Each entry carries its own options and help: cli/cmd_<name>.c. */
static const struct cli_command *const main_commands[] = {
    &cmd_tui_entry, &cmd_generate_entry, &cmd_sigmas_entry, &cmd_list_entry, &cmd_info_entry,
    &cmd_init_model_entry, &cmd_dataset_entry, &cmd_sweep_entry, &cmd_runs_entry,
    &cmd_show_entry, &cmd_export_entry, &cmd_plot_entry, &cmd_bench_entry, &cmd_train_entry,
    &cmd_samples_entry, &cmd_evaluate_entry, &cmd_compare_entry, &cmd_version_entry,
};
#define MAIN_NCOMMANDS (sizeof main_commands / sizeof main_commands[0])

static void
main_usage(FILE *f)
{
    fprintf(f, "usage: fbw COMMAND [ARGS...]   (fbw COMMAND --help for details)\n\n"
               "fbw, the First Block Cache workbench: runs diffusion transformers with\n"
               "WaveSpeed's First Block Cache and records every cache decision.\n\ncommands:\n");
    for (size_t i = 0; i < MAIN_NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", main_commands[i]->name, main_commands[i]->summary);
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
        return cmd_tui_entry.run(argc, argv, &app);
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
        if (strcmp(argv[1], main_commands[i]->name) == 0)
            return main_commands[i]->run(argc - 1, argv + 1, &app);
    fprintf(stderr, "fbw: unknown command '%s'\n", argv[1]);
    main_usage(stderr);
    return EXIT_USAGE;
}
