/*
 * cmd_runs.c - `fbw runs`: the store's sweeps with their runs per state, or one sweep's runs
 * with their results.  The store is opened read-only, so it works while a sweep writes it.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "db/export.h"
#include "db/query.h"
#include "db/store.h"
#include "util/err.h"

static const struct cli_option runs_options[] = {
    {"db", "FILE", CLI_STORE_DB, 0, "the store (default fbw.db)"},
    {"sweep", "NAME|ID", CLI_STORE_SWEEP, 0, "one sweep's runs"},
    {0},
};

static int
cmd_runs(int argc, char **argv, struct app *app)
{
    (void)app;
    struct cli_store_opts o = {.db = DB_DEFAULT_PATH};
    int argi, rc = cli_parse(&cmd_runs_entry, argc, argv, cli_store_option, &o, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    struct db *db = cli_store_open(&o);
    if (db == NULL)
        return EXIT_RUNTIME;
    char *cause = NULL;
    if (o.sweep == NULL) {
        rc = cli_store_done(db_print_sweeps(db, o.db, stdout, &cause), &cause);
    } else {
        struct db_sweep_info s;
        if ((rc = cli_store_sweep(db, &o, &s)) == 0) {
            printf("sweep %lld '%s' (%s)\n", (long long)s.id, s.name, s.status);
            rc = cli_store_done(db_print_cells(db, s.id, stdout, &cause), &cause);
            db_sweep_info_release(&s);
        }
    }
    db_close(db);
    return rc;
}

const struct cli_command cmd_runs_entry = {
    .name = "runs",
    .summary = "list the store's sweeps, or one sweep's cells with their results",
    .options = runs_options,
    .help =
        "Without --sweep: every sweep in the store with its runs per state.\n"
        "With --sweep NAME|ID: that sweep's runs (cells in grid order, then the uncached\n"
        "references): the settings that vary, state, median wall time with its standard\n"
        "deviation, speed-up over the reference, cache hit rate per call, PSNR and SSIM\n"
        "against the reference.  `fbw show RUN` gives one run in full.\n",
    .run = cmd_runs,
};
