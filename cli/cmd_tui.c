/*
 * cmd_tui.c - `fbw tui` (and `fbw` with no arguments on a terminal): the curses workbench on a
 * store, with the starter sweep (or a saved spec) in its editor.  tui/ does the work; this
 * file parses the flags and finds the default model.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "db/store.h"
#include "tui/tui.h"
#include "util/err.h"

enum { TUI_OPT_DB, TUI_OPT_MODEL, TUI_OPT_STARTER };

static const struct cli_option tui_options[] = {
    {"db", "FILE", TUI_OPT_DB, 0, "the store (default fbw.db; the first sweep creates it)"},
    {"model", "FILE", TUI_OPT_MODEL, 0,
     "the model for the sweep (default: models/default.safetensors)"},
    {"starter", NULL, TUI_OPT_STARTER, 0,
     "open on the editor with the starter sweep: residual_diff_threshold\n"
     "0.05, 0.1, 0.2 x scheduler simple, karras, 30 steps, cfg 3, 2 repeats"},
    {0},
};

/* One option into p (a struct tui_params). */
static int
tui_option(void *ctx, int id, const char *flag, const char *v)
{
    struct tui_params *p = ctx;
    (void)flag;
    switch (id) {
    case TUI_OPT_DB: p->db_path = v; return 0;
    case TUI_OPT_MODEL: p->model = v; return 0;
    case TUI_OPT_STARTER: p->starter = 1; return 0;
    default: return -1;
    }
}

static int
cmd_tui(int argc, char **argv, struct app *app)
{
    struct tui_params p = {.db_path = DB_DEFAULT_PATH, .exe = getenv("FBW_TUI_EXE")};
    (void)app;
    int argi, rc = cli_parse(&cmd_tui_entry, argc, argv, tui_option, &p, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    if (argi < argc)
        p.spec_path = argv[argi];
    char *cause = NULL, *model = cli_default_model(NULL);
    p.default_model = model;
    rc = tui_main(&p, &cause) < 0 ? cli_fail("tui: %s", cause) : EXIT_OK;
    free(cause);
    free(model);
    return rc;
}

const struct cli_command cmd_tui_entry = {
    .name = "tui",
    .summary = "the terminal workbench (also `fbw` alone on a terminal)",
    .args = {"[SPEC.json]", 0, 1, NULL},
    .options = tui_options,
    .help =
        "The terminal workbench: plan an X/Y(/Z) sweep (F2: the same value grammar as `fbw\n"
        "sweep`, checked as you type, with the cell count and an estimated time), run it in\n"
        "the background and watch every step's cache decisions (F3: pause, resume, cancel;\n"
        "complete cells are always kept), browse and compare the cells (F4: sort, filter with\n"
        "/, Enter opens a cell with its statistics, trace and images) and plot them (F5).\n"
        "F1 or ? lists every key; F10 or q quits.  SPEC.json loads a saved spec into the\n"
        "editor.\n\n"
        "The sweep runs as `fbw sweep --progress-fd 3` (FBW_TUI_EXE names another fbw binary).\n"
        "Colours follow the terminal: FBW_TUI_COLOR=mono|8|256|truecolor or NO_COLOR override.\n",
    .run = cmd_tui,
};
