/*
 * cmd_plot.c - `fbw plot KIND`: a sweep drawn by gnuplot (plots/plot.h) to a PNG or SVG with
 * its script and data beside it, or as text in the terminal.
 *
 * The terminal is --term, else implied by --out's extension (.png, .svg, .txt), else the
 * dumb terminal when stdout is a terminal (sized to it); writing a picture to a pipe needs an
 * explicit choice.  The store is opened read-only, so plots can be drawn while a sweep runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli/cli.h"
#include "db/store.h"
#include "plots/plot.h"
#include "util/err.h"

struct plot_opts {
    const char *db, *term, *size, *runs, *vs;
    struct plot_params p;
};

enum {
    PLOT_OPT_DB, PLOT_OPT_SWEEP, PLOT_OPT_METRIC, PLOT_OPT_RUNS, PLOT_OPT_DIFF, PLOT_OPT_VS,
    PLOT_OPT_OUT, PLOT_OPT_TERM, PLOT_OPT_SIZE, PLOT_OPT_MONO,
};

static const struct cli_option cmd_plot_options[] = {
    {"db", "FILE", PLOT_OPT_DB, 0, "the store (default fbw.db)"},
    {"sweep", "NAME|ID", PLOT_OPT_SWEEP, 0, "the sweep (default the latest)"},
    {"metric", "M", PLOT_OPT_METRIC, 0,
     "lines/heatmap: the value shown (default wall_ms for lines,\n"
     "hit_rate for heatmap); pareto: the quality axis (default psnr).\n"
     "One of the metrics above, or any result key `fbw show RUN` lists"},
    {"runs", "ID,...", PLOT_OPT_RUNS, 0,
     "trace: the runs to draw (default one per Y value at the middle X)"},
    {"diff", NULL, PLOT_OPT_DIFF, 0,
     "grid: difference heatmaps against the reference, not the images"},
    {"vs", "step|sigma", PLOT_OPT_VS, 0, "trace: the x axis (default step)"},
    {"out", "FILE.png|FILE.svg|FILE.txt", PLOT_OPT_OUT, 0,
     "the picture; FILE.gp (the gnuplot script) and FILE.dat (its\n"
     "data; the grid: FILE.rgb) are written beside it, and\n"
     "`gnuplot FILE.gp` in that directory draws it again"},
    {"term", "png|svg|dumb", PLOT_OPT_TERM, 0,
     "dumb is text with ANSI colours (--mono without); default:\n"
     "from --out, else dumb when stdout is a terminal"},
    {"size", "WxH", PLOT_OPT_SIZE, 0,
     "pixels (png, svg) or columns x rows (dumb); default 1000x640,\n"
     "the terminal's size for dumb; the grid sizes itself from its\n"
     "cells, and --size caps it (at most 4000 px a side by default)"},
    {"mono", NULL, PLOT_OPT_MONO, 0, "dumb: no colours"},
    {0},
};

/* The kinds and the metrics, from plots/' tables. */
static void
cmd_plot_help(FILE *f)
{
    for (int k = 0; k < PLOT_KIND_COUNT; k++)
        fprintf(f, "  %-8s %s\n", plot_kind_name(k), plot_kind_summary(k));
    fputs("\nmetrics:", f);
    int col = 8;
    for (int i = 0; plot_metric_names[i] != NULL; i++) {
        int len = (int)strlen(plot_metric_names[i]) + 2;
        if (col + len > 88) {
            fputs("\n        ", f);
            col = 8;
        }
        fprintf(f, " %s%s", plot_metric_names[i], plot_metric_names[i + 1] ? "," : "");
        col += len;
    }
    fputc('\n', f);
}

/* One option into o (a struct plot_opts). */
static int
cmd_plot_option(void *ctx, int id, const char *flag, const char *v)
{
    struct plot_opts *o = ctx;
    (void)flag;
    switch (id) {
    case PLOT_OPT_DB: o->db = v; return 0;
    case PLOT_OPT_SWEEP: o->p.sweep = v; return 0;
    case PLOT_OPT_METRIC: o->p.metric = v; return 0;
    case PLOT_OPT_RUNS: o->runs = v; return 0;
    case PLOT_OPT_DIFF: o->p.diff = 1; return 0;
    case PLOT_OPT_VS: o->vs = v; return 0;
    case PLOT_OPT_OUT: o->p.out = v; return 0;
    case PLOT_OPT_TERM: o->term = v; return 0;
    case PLOT_OPT_SIZE: o->size = v; return 0;
    case PLOT_OPT_MONO: o->p.mono = 1; return 0;
    default: return -1;
    }
}

/* "ID,ID,..." into an allocated array; -1 after printing the error. */
static int
cmd_plot_runs(const char *text, int64_t **runs, size_t *n)
{
    char *copy = xstrdup(text), *save = NULL;
    *runs = xcalloc(strlen(text) / 2 + 1, sizeof **runs);
    *n = 0;
    int rc = 0;
    for (char *t = strtok_r(copy, ",", &save); t != NULL && rc == 0;
         t = strtok_r(NULL, ",", &save)) {
        int id;
        rc = cli_int("--runs", t, 1, 2147483647, &id);
        (*runs)[(*n)++] = id;
    }
    if (rc == 0 && *n == 0)
        rc = cli_usage_error(&cmd_plot_entry, "--runs needs at least one run id");
    free(copy);
    return rc;
}

static int
cmd_plot_size(const char *text, int *w, int *h)
{
    char *end;
    long a = strtol(text, &end, 10), b = *end == 'x' ? strtol(end + 1, &end, 10) : 0;
    if (*end != '\0' || a < 10 || b < 5 || a > 20000 || b > 20000)
        return cli_usage_error(&cmd_plot_entry, "invalid --size '%s': expected WxH such as "
                               "1200x800 (or 120x40 columns x rows for dumb)", text);
    *w = (int)a;
    *h = (int)b;
    return 0;
}

/* The terminal from --term, --out and stdout; an exit code on error, else 0. */
static int
cmd_plot_term(struct plot_opts *o)
{
    int t = o->term != NULL ? plot_term_find(o->term)
            : o->p.out != NULL ? plot_term_of_path(o->p.out)
            : isatty(STDOUT_FILENO) ? PLOT_TERM_DUMB : -2;
    if (t == -1 && o->term != NULL)
        return cli_usage_error(&cmd_plot_entry, "unknown --term '%s' (expected png, svg "
                               "or dumb)", o->term);
    if (t == -1)
        return cli_usage_error(&cmd_plot_entry, "cannot tell the format of '%s': name it "
                               ".png, .svg or .txt, or give --term", o->p.out);
    if (t == -2)
        return cli_usage_error(&cmd_plot_entry, "stdout is not a terminal: give --out "
                               "FILE.png|FILE.svg, or --term dumb for text");
    if (t != PLOT_TERM_DUMB && o->p.out == NULL)
        return cli_usage_error(&cmd_plot_entry, "--term %s needs --out FILE", o->term);
    o->p.term = (enum plot_term)t;
    if (t == PLOT_TERM_DUMB && o->size == NULL && isatty(STDOUT_FILENO)) {
        struct winsize ws;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40 && ws.ws_row >= 12) {
            o->p.width = ws.ws_col;
            o->p.height = ws.ws_row - 1;
        }
    }
    return 0;
}

/* Checks the flags against the kind; 0 or an exit code. */
static int
cmd_plot_check(struct plot_opts *o, int64_t **runs)
{
    enum plot_kind k = o->p.kind;
    if (o->p.diff && k != PLOT_GRID)
        return cli_usage_error(&cmd_plot_entry, "--diff is for the grid");
    if ((o->vs != NULL || o->runs != NULL) && k != PLOT_TRACE)
        return cli_usage_error(&cmd_plot_entry, "--%s is for the trace",
                               o->vs != NULL ? "vs" : "runs");
    if (o->p.metric != NULL && (k == PLOT_GRID || k == PLOT_TRACE))
        return cli_usage_error(&cmd_plot_entry, "--metric is for lines, heatmap and pareto");
    if (o->vs != NULL) {
        int v = plot_vs_find(o->vs);
        if (v < 0)
            return cli_usage_error(&cmd_plot_entry, "unknown --vs '%s' (expected step or "
                                   "sigma)", o->vs);
        o->p.vs = (enum plot_vs)v;
    }
    if (o->size != NULL && cmd_plot_size(o->size, &o->p.width, &o->p.height) != 0)
        return EXIT_USAGE;
    if (o->runs != NULL && cmd_plot_runs(o->runs, runs, &o->p.nruns) != 0)
        return EXIT_USAGE;
    o->p.runs = *runs;
    return cmd_plot_term(o);
}

static int
cmd_plot_render(struct plot_opts *o)
{
    struct db *db = NULL;
    char *cause = NULL;
    int rc = EXIT_OK;
    if (db_open_readonly(o->db, &db, &cause) < 0 || plot_render(db, &o->p, stdout, &cause) < 0) {
        rc = cli_fail("%s", cause);
    } else if (o->p.out != NULL) {
        const char *dot = strrchr(o->p.out, '.'), *slash = strrchr(o->p.out, '/');
        int stem = dot != NULL && (slash == NULL || dot > slash) ? (int)(dot - o->p.out)
                                                                  : (int)strlen(o->p.out);
        printf("wrote %s (gnuplot script %.*s.gp beside it)\n", o->p.out, stem, o->p.out);
    }
    free(cause);
    db_close(db);
    return rc;
}

static int
cmd_plot(int argc, char **argv, struct app *app)
{
    (void)app;
    struct plot_opts o = {.db = DB_DEFAULT_PATH};
    int64_t *runs = NULL;
    int argi, rc = cli_parse(&cmd_plot_entry, argc, argv, cmd_plot_option, &o, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    int kind = plot_kind_find(argv[argi]);
    if (kind < 0)
        return cli_usage_error(&cmd_plot_entry, "unknown plot kind '%s' (expected grid, "
                               "lines, heatmap, pareto or trace)", argv[argi]);
    o.p.kind = (enum plot_kind)kind;
    rc = cmd_plot_check(&o, &runs);
    if (rc == 0)
        rc = cmd_plot_render(&o);
    free(runs);
    return rc;
}

const struct cli_command cmd_plot_entry = {
    .name = "plot",
    .summary = "a sweep drawn by gnuplot: image grid, lines, heatmap, pareto, trace",
    .args = {"grid|lines|heatmap|pareto|trace", 1, 1,
             "expected a KIND: grid, lines, heatmap, pareto or trace"},
    .options = cmd_plot_options,
    .help =
        "Draws a sweep (--sweep NAME|ID, default the latest) with gnuplot; gnuplot is run\n"
        "from PATH, or the program FBW_GNUPLOT names.  The kinds:\n",
    .more_help = cmd_plot_help,
    .run = cmd_plot,
};
