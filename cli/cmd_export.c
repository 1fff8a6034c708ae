/*
 * cmd_export.c - `fbw export`: a sweep as CSV, JSON or Markdown (db/export.h), to stdout or to
 * a file written under a temporary name and renamed.  The store is opened read-only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "db/export.h"
#include "db/query.h"
#include "db/store.h"
#include "util/err.h"

static const struct cli_option export_options[] = {
    {"db", "FILE", CLI_STORE_DB, 0, "the store (default fbw.db)"},
    {"sweep", "NAME|ID", CLI_STORE_SWEEP, 0, "the sweep (default the latest)"},
    {"format", "csv|json|md", CLI_STORE_FORMAT, 0, "the format (csv)"},
    {"out", "FILE", CLI_STORE_OUT, 0, "the file to write (default stdout)"},
    {0},
};

static int
cmd_export(int argc, char **argv, struct app *app)
{
    (void)app;
    struct cli_store_opts o = {.db = DB_DEFAULT_PATH, .format = "csv"};
    int argi, rc = cli_parse(&cmd_export_entry, argc, argv, cli_store_option, &o, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    int format = db_format_parse(o.format);
    if (format < 0)
        return cli_usage_error(&cmd_export_entry, "unknown --format '%s' (expected csv, json "
                               "or md)", o.format);
    struct db *db = cli_store_open(&o);
    if (db == NULL)
        return EXIT_RUNTIME;
    struct db_sweep_info s;
    if ((rc = cli_store_sweep(db, &o, &s)) == 0) {
        char *cause = NULL, *tmp = o.out ? xasprintf("%s.tmp", o.out) : NULL;
        FILE *f = tmp ? fopen(tmp, "w") : stdout;
        if (f == NULL) {
            rc = cli_fail("cannot write '%s': %s", tmp, strerror(errno));
        } else {
            int e = db_export(db, s.id, (enum db_format)format, f, &cause);
            if (tmp != NULL && (fclose(f) != 0 || (e == 0 && rename(tmp, o.out) != 0)) &&
                e == 0)
                e = err_set(&cause, "cannot write '%s': %s", o.out, strerror(errno));
            if (e < 0 && tmp != NULL)
                remove(tmp);
            rc = cli_store_done(e, &cause);
        }
        free(tmp);
        db_sweep_info_release(&s);
    }
    db_close(db);
    return rc;
}

const struct cli_command cmd_export_entry = {
    .name = "export",
    .summary = "a sweep as CSV, JSON or Markdown",
    .options = export_options,
    .help =
        "Writes a sweep (--sweep NAME|ID, default the latest) to stdout or --out:\n"
        "  csv   one row per run, hyperfine's columns (times in SECONDS) then speedup,\n"
        "        hit_rate, psnr, ssim, the speed-up's 95% interval (speedup_lo, speedup_hi,\n"
        "        ci_level), rounds, the modelled speed-ups and a parameter_<knob> column\n"
        "        per setting\n"
        "  json  everything: spec, every run's params, statistics, results and raw\n"
        "        per-repetition times (hyperfine's keys first, so its scripts read it)\n"
        "  md    a Markdown table: speed-up [95% CI], S_flop, S_time, efficiency and\n"
        "        rounds (disturbed), with the interval's method in a footnote\n",
    .run = cmd_export,
};
