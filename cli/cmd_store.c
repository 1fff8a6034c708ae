/*
 * cmd_store.c - reading the store from the command line: `fbw runs` (sweeps, or one sweep's
 * cells), `fbw show RUN` (one run in hyperfine's style) and `fbw export` (CSV, JSON, Markdown).
 *
 * All three open the store read-only, so they work while a sweep is writing it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "db/export.h"
#include "db/query.h"
#include "db/store.h"
#include "util/err.h"

struct store_opts {
    const char *db, *sweep, *format, *out;
};

enum { STORE_OPT_DB = 256, STORE_OPT_SWEEP, STORE_OPT_FORMAT, STORE_OPT_OUT, STORE_OPT_HELP };

/* Parses the shared flags; positional arguments are left at argv[optind...].  1 = --help. */
static int
store_parse(const char *cmd, const char *usage, int argc, char **argv, struct store_opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, STORE_OPT_DB},
        {"sweep", required_argument, NULL, STORE_OPT_SWEEP},
        {"format", required_argument, NULL, STORE_OPT_FORMAT},
        {"out", required_argument, NULL, STORE_OPT_OUT},
        {"help", no_argument, NULL, STORE_OPT_HELP},
        {0, 0, 0, 0},
    };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case STORE_OPT_DB: o->db = optarg; break;
        case STORE_OPT_SWEEP: o->sweep = optarg; break;
        case STORE_OPT_FORMAT: o->format = optarg; break;
        case STORE_OPT_OUT: o->out = optarg; break;
        case STORE_OPT_HELP: return 1;
        default:
            return cli_usage_error(cmd, usage, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    return 0;
}

static struct db *
store_open(const char *path)
{
    struct db *db = NULL;
    char *cause = NULL;
    if (db_open_readonly(path, &db, &cause) < 0) {
        cli_fail("%s", cause);
        free(cause);
    }
    return db;
}

/* The sweep named by --sweep (name or id), or the latest: 0, or an exit code. */
static int
store_sweep(struct db *db, const struct store_opts *o, struct db_sweep_info *s)
{
    char *cause = NULL;
    int rc = o->sweep != NULL ? db_sweep_find(db, o->sweep, s, &cause)
                              : db_sweep_latest(db, s, &cause);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        cli_fail("%s", cause);
        free(cause);
    } else if (o->sweep != NULL) {
        cli_fail("no sweep '%s' in %s (see `fbw runs --db %s`)", o->sweep, o->db, o->db);
    } else {
        cli_fail("%s holds no sweep yet (run `fbw sweep` first)", o->db);
    }
    return EXIT_RUNTIME;
}

/* Reports *cause when rc < 0 (cause is passed by address: it is set by the call in rc). */
static int
store_done(int rc, char **cause)
{
    if (rc < 0) {
        cli_fail("%s", *cause);
        free(*cause);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

int
cmd_runs(int argc, char **argv, struct app *app)
{
    (void)app;
    struct store_opts o = {.db = DB_DEFAULT_PATH};
    int rc = store_parse("runs", USAGE_RUNS, argc, argv, &o);
    if (rc == 1) {
        fputs(USAGE_RUNS "\nWithout --sweep: every sweep in the store with its runs per state.\n"
              "With --sweep NAME|ID: that sweep's runs (cells in grid order, then the uncached\n"
              "references): the settings that vary, state, median wall time with its standard\n"
              "deviation, speed-up over the reference, cache hit rate per call, PSNR and SSIM\n"
              "against the reference.  `fbw show RUN` gives one run in full.\n", stdout);
        return EXIT_OK;
    }
    if (rc != 0)
        return rc;
    if (optind < argc)
        return cli_usage_error("runs", USAGE_RUNS, "unexpected argument '%s'", argv[optind]);
    struct db *db = store_open(o.db);
    if (db == NULL)
        return EXIT_RUNTIME;
    char *cause = NULL;
    if (o.sweep == NULL) {
        rc = store_done(db_print_sweeps(db, o.db, stdout, &cause), &cause);
    } else {
        struct db_sweep_info s;
        if ((rc = store_sweep(db, &o, &s)) == 0) {
            printf("sweep %lld '%s' (%s)\n", (long long)s.id, s.name, s.status);
            rc = store_done(db_print_cells(db, s.id, stdout, &cause), &cause);
            db_sweep_info_release(&s);
        }
    }
    db_close(db);
    return rc;
}

int
cmd_show(int argc, char **argv, struct app *app)
{
    (void)app;
    struct store_opts o = {.db = DB_DEFAULT_PATH};
    int rc = store_parse("show", USAGE_SHOW, argc, argv, &o);
    if (rc == 1) {
        fputs(USAGE_SHOW "\nOne run (a cell or a reference; RUN is the id `fbw runs --sweep`\n"
              "lists) in hyperfine's style: its settings (dtype among them), time mean ± σ,\n"
              "range, median and percentiles, the device memory peak (where measured: GPU),\n"
              "outlier and slow-first-run warnings, speed-up over the uncached reference, the\n"
              "cache's calls, hits and the steps that hit, and the image diff.\n", stdout);
        return EXIT_OK;
    }
    if (rc != 0)
        return rc;
    if (argc - optind != 1)
        return cli_usage_error("show", USAGE_SHOW, "expected one RUN id");
    int run;
    if (cli_int("RUN", argv[optind], 1, 2147483647, &run) < 0)
        return EXIT_USAGE;
    struct db *db = store_open(o.db);
    if (db == NULL)
        return EXIT_RUNTIME;
    char *cause = NULL;
    rc = db_show(db, run, stdout, &cause);
    if (rc == 1)
        rc = cli_fail("no run %d in %s (see `fbw runs --sweep NAME --db %s`)", run, o.db, o.db);
    else
        rc = store_done(rc, &cause);
    db_close(db);
    return rc;
}

int
cmd_export(int argc, char **argv, struct app *app)
{
    (void)app;
    struct store_opts o = {.db = DB_DEFAULT_PATH, .format = "csv"};
    int rc = store_parse("export", USAGE_EXPORT, argc, argv, &o);
    if (rc == 1) {
        fputs(USAGE_EXPORT "\nWrites a sweep (--sweep NAME|ID, default the latest) to stdout or --out:\n"
              "  csv   one row per run, hyperfine's columns (times in SECONDS) then speedup,\n"
              "        hit_rate, psnr, ssim and a parameter_<knob> column per setting\n"
              "  json  everything: spec, every run's params, statistics, results and raw\n"
              "        per-repetition times (hyperfine's keys first, so its scripts read it)\n"
              "  md    a Markdown table with a Relative column (mean / fastest mean ± σ)\n",
              stdout);
        return EXIT_OK;
    }
    if (rc != 0)
        return rc;
    if (optind < argc)
        return cli_usage_error("export", USAGE_EXPORT, "unexpected argument '%s'", argv[optind]);
    int format = db_format_parse(o.format);
    if (format < 0)
        return cli_usage_error("export", USAGE_EXPORT,
                               "unknown --format '%s' (expected csv, json or md)", o.format);
    struct db *db = store_open(o.db);
    if (db == NULL)
        return EXIT_RUNTIME;
    struct db_sweep_info s;
    if ((rc = store_sweep(db, &o, &s)) == 0) {
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
            rc = store_done(e, &cause);
        }
        free(tmp);
        db_sweep_info_release(&s);
    }
    db_close(db);
    return rc;
}
