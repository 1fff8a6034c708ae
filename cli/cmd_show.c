/*
 * cmd_show.c - `fbw show RUN`: one run in hyperfine's style, from the store opened read-only.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "db/export.h"
#include "db/store.h"
#include "util/err.h"

static const struct cli_option show_options[] = {
    {"db", "FILE", CLI_STORE_DB, 0, "the store (default fbw.db)"},
    {0},
};

static int
cmd_show(int argc, char **argv, struct app *app)
{
    (void)app;
    struct cli_store_opts o = {.db = DB_DEFAULT_PATH};
    int argi, rc = cli_parse(&cmd_show_entry, argc, argv, cli_store_option, &o, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    int run;
    if (cli_int("RUN", argv[argi], 1, 2147483647, &run) < 0)
        return EXIT_USAGE;
    struct db *db = cli_store_open(&o);
    if (db == NULL)
        return EXIT_RUNTIME;
    char *cause = NULL;
    rc = db_show(db, run, stdout, &cause);
    if (rc == 1)
        rc = cli_fail("no run %d in %s (see `fbw runs --sweep NAME --db %s`)", run, o.db, o.db);
    else
        rc = cli_store_done(rc, &cause);
    db_close(db);
    return rc;
}

const struct cli_command cmd_show_entry = {
    .name = "show",
    .summary = "one run in full: timing statistics, speed-up, cache decisions, image diff",
    .args = {"RUN", 1, 1, "expected one RUN id"},
    .options = show_options,
    .help =
        "One run (a cell or a reference; RUN is the id `fbw runs --sweep`\n"
        "lists) in hyperfine's style: its settings (dtype among them), time mean ± σ,\n"
        "range, median and percentiles, the device memory peak (where measured: GPU),\n"
        "outlier and slow-first-run warnings, speed-up over the uncached reference, the\n"
        "cache's calls, hits and the steps that hit, and the image diff.\n",
    .run = cmd_show,
};
