/*
 * cmd_tui.c - `fbw tui` (and `fbw` with no arguments on a terminal): the curses workbench on a
 * store, with the starter sweep (or a saved spec) in its editor.  tui/ does the work; this
 * file parses the flags and finds the default model.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "db/store.h"
#include "tui/tui.h"
#include "util/err.h"

#define TUI_HELP USAGE_TUI \
    "\nThe terminal workbench: plan an X/Y(/Z) sweep (F2: the same value grammar as `fbw\n" \
    "sweep`, checked as you type, with the cell count and an estimated time), run it in\n" \
    "the background and watch every step's cache decisions (F3: pause, resume, cancel;\n" \
    "complete cells are always kept), browse and compare the cells (F4: sort, filter with\n" \
    "/, Enter opens a cell with its statistics, trace and images) and plot them (F5).\n" \
    "F1 or ? lists every key; F10 or q quits.\n\n" \
    "  --db FILE         the store (default fbw.db; the first sweep creates it)\n" \
    "  --model FILE      the model for the sweep (default: models/default.safetensors)\n" \
    "  --starter         open on the editor with the starter sweep: residual_diff_threshold\n" \
    "                    0.05, 0.1, 0.2 x scheduler simple, karras, 30 steps, cfg 3, 2 repeats\n" \
    "  SPEC.json         load a saved spec into the editor instead\n\n" \
    "The sweep runs as `fbw sweep --progress-fd 3` (FBW_TUI_EXE names another fbw binary).\n" \
    "Colours follow the terminal: FBW_TUI_COLOR=mono|8|256|truecolor or NO_COLOR override.\n"

enum { TUI_OPT_DB = 256, TUI_OPT_MODEL, TUI_OPT_STARTER, TUI_OPT_HELP };

int
cmd_tui(int argc, char **argv, struct app *app)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, TUI_OPT_DB},
        {"model", required_argument, NULL, TUI_OPT_MODEL},
        {"starter", no_argument, NULL, TUI_OPT_STARTER},
        {"help", no_argument, NULL, TUI_OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    struct tui_params p = {.db_path = DB_DEFAULT_PATH, .exe = getenv("FBW_TUI_EXE")};
    int c;
    (void)app;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case TUI_OPT_DB: p.db_path = optarg; break;
        case TUI_OPT_MODEL: p.model = optarg; break;
        case TUI_OPT_STARTER: p.starter = 1; break;
        case TUI_OPT_HELP: fputs(TUI_HELP, stdout); return EXIT_OK;
        default:
            return cli_usage_error("tui", USAGE_TUI, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        p.spec_path = argv[optind++];
    if (optind < argc)
        return cli_usage_error("tui", USAGE_TUI, "unexpected argument '%s'", argv[optind]);
    char *cause = NULL, *model = cli_default_model(NULL);
    p.default_model = model;
    int rc = tui_main(&p, &cause) < 0 ? cli_fail("tui: %s", cause) : EXIT_OK;
    free(cause);
    free(model);
    return rc;
}
