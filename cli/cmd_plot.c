/*
 * cmd_plot.c - `fbw plot KIND`: a sweep drawn by gnuplot (plots/plot.h) to a PNG or SVG with
 * its script and data beside it, or as text in the terminal.
 *
 * The terminal is --term, else implied by --out's extension (.png, .svg, .txt), else the
 * dumb terminal when stdout is a terminal (sized to it); writing a picture to a pipe needs an
 * explicit choice.  The store is opened read-only, so plots can be drawn while a sweep runs.
 */
#include <getopt.h>
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
    PLOT_OPT_DB = 256, PLOT_OPT_SWEEP, PLOT_OPT_METRIC, PLOT_OPT_RUNS, PLOT_OPT_DIFF,
    PLOT_OPT_VS, PLOT_OPT_OUT, PLOT_OPT_TERM, PLOT_OPT_SIZE, PLOT_OPT_MONO, PLOT_OPT_HELP
};

static void
cmd_plot_help(void)
{
    fputs(USAGE_PLOT "\nDraws a sweep (--sweep NAME|ID, default the latest) with gnuplot:\n",
          stdout);
    for (int k = 0; k < PLOT_KIND_COUNT; k++)
        printf("  %-8s %s\n", plot_kind_name(k), plot_kind_summary(k));
    fputs("\n  --metric M     lines/heatmap: the value shown (default wall_ms for lines,\n"
          "                 hit_rate for heatmap); pareto: the quality axis (default psnr).\n"
          "                 One of", stdout);
    int col = 23;
    for (int i = 0; plot_metric_names[i] != NULL; i++) {
        int len = (int)strlen(plot_metric_names[i]) + 2;
        if (col + len > 88) {
            fputs("\n                ", stdout);
            col = 16;
        }
        printf(" %s,", plot_metric_names[i]);
        col += len;
    }
    fputs("\n                 or any result key `fbw show RUN` lists\n"
          "  --runs ID,...  trace: the runs to draw (default one per Y value at the middle X)\n"
          "  --diff         grid: difference heatmaps against the reference, not the images\n"
          "  --vs step|sigma  trace: the x axis (default step)\n"
          "  --out FILE     FILE.png, FILE.svg or FILE.txt; FILE.gp (the gnuplot script) and\n"
          "                 FILE.dat (its data; the grid: FILE.rgb) are written beside it, and\n"
          "                 `gnuplot FILE.gp` in that directory draws it again\n"
          "  --term T       png, svg or dumb (text with ANSI colours; --mono without);\n"
          "                 default: from --out, else dumb when stdout is a terminal\n"
          "  --size WxH     pixels (png, svg) or columns x rows (dumb); default 1000x640,\n"
          "                 the terminal's size for dumb; the grid sizes itself from its\n"
          "                 cells, and --size caps it (at most 4000 px a side by default)\n"
          "\ngnuplot is run from PATH, or the program FBW_GNUPLOT names.\n", stdout);
}

static int
cmd_plot_parse(int argc, char **argv, struct plot_opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, PLOT_OPT_DB},
        {"sweep", required_argument, NULL, PLOT_OPT_SWEEP},
        {"metric", required_argument, NULL, PLOT_OPT_METRIC},
        {"runs", required_argument, NULL, PLOT_OPT_RUNS},
        {"diff", no_argument, NULL, PLOT_OPT_DIFF},
        {"vs", required_argument, NULL, PLOT_OPT_VS},
        {"out", required_argument, NULL, PLOT_OPT_OUT},
        {"term", required_argument, NULL, PLOT_OPT_TERM},
        {"size", required_argument, NULL, PLOT_OPT_SIZE},
        {"mono", no_argument, NULL, PLOT_OPT_MONO},
        {"help", no_argument, NULL, PLOT_OPT_HELP},
        {0, 0, 0, 0},
    };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case PLOT_OPT_DB: o->db = optarg; break;
        case PLOT_OPT_SWEEP: o->p.sweep = optarg; break;
        case PLOT_OPT_METRIC: o->p.metric = optarg; break;
        case PLOT_OPT_RUNS: o->runs = optarg; break;
        case PLOT_OPT_DIFF: o->p.diff = 1; break;
        case PLOT_OPT_VS: o->vs = optarg; break;
        case PLOT_OPT_OUT: o->p.out = optarg; break;
        case PLOT_OPT_TERM: o->term = optarg; break;
        case PLOT_OPT_SIZE: o->size = optarg; break;
        case PLOT_OPT_MONO: o->p.mono = 1; break;
        case PLOT_OPT_HELP: return 1;
        default:
            return cli_usage_error("plot", USAGE_PLOT, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    return 0;
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
        rc = cli_usage_error("plot", USAGE_PLOT, "--runs needs at least one run id");
    free(copy);
    return rc;
}

static int
cmd_plot_size(const char *text, int *w, int *h)
{
    char *end;
    long a = strtol(text, &end, 10), b = *end == 'x' ? strtol(end + 1, &end, 10) : 0;
    if (*end != '\0' || a < 10 || b < 5 || a > 20000 || b > 20000)
        return cli_usage_error("plot", USAGE_PLOT, "invalid --size '%s': expected WxH such as "
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
        return cli_usage_error("plot", USAGE_PLOT, "unknown --term '%s' (expected png, svg "
                               "or dumb)", o->term);
    if (t == -1)
        return cli_usage_error("plot", USAGE_PLOT, "cannot tell the format of '%s': name it "
                               ".png, .svg or .txt, or give --term", o->p.out);
    if (t == -2)
        return cli_usage_error("plot", USAGE_PLOT, "stdout is not a terminal: give --out "
                               "FILE.png|FILE.svg, or --term dumb for text");
    if (t != PLOT_TERM_DUMB && o->p.out == NULL)
        return cli_usage_error("plot", USAGE_PLOT, "--term %s needs --out FILE", o->term);
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
        return cli_usage_error("plot", USAGE_PLOT, "--diff is for the grid");
    if ((o->vs != NULL || o->runs != NULL) && k != PLOT_TRACE)
        return cli_usage_error("plot", USAGE_PLOT, "--%s is for the trace",
                               o->vs != NULL ? "vs" : "runs");
    if (o->p.metric != NULL && (k == PLOT_GRID || k == PLOT_TRACE))
        return cli_usage_error("plot", USAGE_PLOT, "--metric is for lines, heatmap and pareto");
    if (o->vs != NULL) {
        int v = plot_vs_find(o->vs);
        if (v < 0)
            return cli_usage_error("plot", USAGE_PLOT, "unknown --vs '%s' (expected step or "
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

int
cmd_plot(int argc, char **argv, struct app *app)
{
    (void)app;
    struct plot_opts o = {.db = DB_DEFAULT_PATH};
    int64_t *runs = NULL;
    int rc = cmd_plot_parse(argc, argv, &o);
    if (rc == 1) {
        cmd_plot_help();
        return EXIT_OK;
    }
    if (rc != 0)
        return rc;
    if (optind >= argc)
        return cli_usage_error("plot", USAGE_PLOT, "expected a KIND: grid, lines, heatmap, "
                               "pareto or trace");
    int kind = plot_kind_find(argv[optind]);
    if (kind < 0)
        return cli_usage_error("plot", USAGE_PLOT, "unknown plot kind '%s' (expected grid, "
                               "lines, heatmap, pareto or trace)", argv[optind]);
    if (optind + 1 < argc)
        return cli_usage_error("plot", USAGE_PLOT, "unexpected argument '%s'",
                               argv[optind + 1]);
    o.p.kind = (enum plot_kind)kind;
    rc = cmd_plot_check(&o, &runs);
    if (rc == 0)
        rc = cmd_plot_render(&o);
    free(runs);
    return rc;
}
