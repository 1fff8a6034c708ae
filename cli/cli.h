/*
 * cli.h - what the subcommands share: the app context, the command table entry with its
 * declared options, the one option parser, and strict parsers for flag values.
 *
 * Each subcommand lives in cli/cmd_<name>.c and exports one `const struct cli_command
 * cmd_<name>_entry` (its name, positional arguments, options with their argument and help
 * line, descriptive help and handler); main.c lists the entries.  The handler parses its argv
 * with cli_parse against its own entry, which also generates the usage and --help, so the
 * help can never drift from what is parsed:
 *
 *     enum { RUNS_DB, RUNS_SWEEP };
 *     static const struct cli_option runs_options[] = {
 *         {"db", "FILE", RUNS_DB, 0, "the store (default fbw.db)"},
 *         {"sweep", "NAME|ID", RUNS_SWEEP, 0, "one sweep's runs"},
 *         {0},
 *     };
 *     static int
 *     cmd_runs(int argc, char **argv, struct app *app)
 *     {
 *         struct runs_opts o = {.db = DB_DEFAULT_PATH};
 *         int argi, rc = cli_parse(&cmd_runs_entry, argc, argv, runs_option, &o, &argi);
 *         if (rc != CLI_CONTINUE)
 *             return rc;      (EXIT_OK after --help, EXIT_USAGE after a usage error)
 *         ... argv[argi..argc-1] are the positional arguments
 *     }
 *     const struct cli_command cmd_runs_entry = {
 *         .name = "runs", .summary = "...", .options = runs_options, .help = "...\n",
 *         .run = cmd_runs,
 *     };
 *
 * where runs_option (a cli_option_fn) stores or checks one option's value.  Handlers return
 * an exit code (util/err.h).  Usage errors print "fbw CMD: why" and the generated usage to
 * stderr and return EXIT_USAGE; --help prints to stdout and returns 0.
 */
#ifndef FBW_CLI_CLI_H
#define FBW_CLI_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/shim/tensor.h"

struct app {
    const char *argv0;
    int threads;                /* ATen intra-op threads in force */
};

/* An option: --NAME, or --NAME METAVAR when it takes an argument. */
struct cli_option {
    const char *name;           /* without the dashes; NULL ends a table */
    const char *metavar;        /* the argument's placeholder ("FILE", "cpu|cuda"); NULL: none */
    int id;                     /* what the command's cli_option_fn receives; aliases share it */
    unsigned flags;             /* CLI_REQUIRED, CLI_ALIAS, CLI_DOC */
    const char *help;           /* the help line ('\n' continues it); NULL for an alias */
};

#define CLI_REQUIRED 1u         /* must be given: cli_parse says so, the usage shows it bare */
#define CLI_ALIAS 2u            /* another name for the entry before it (give it the same id) */
#define CLI_DOC 4u              /* documents the options more_options supplies; not parsed */

/* A command's positional arguments, e.g. {"MODEL.safetensors", 1, 1, "expected one model
 * file"}; {0} for none (then any is "unexpected argument 'X'"). */
struct cli_args {
    const char *usage;          /* how the usage shows them */
    int min, max;               /* how many it takes */
    const char *missing;        /* the usage error when there are fewer than min */
};

struct cli_command {
    const char *name;
    const char *summary;        /* one line for `fbw --help` */
    struct cli_args args;
    const struct cli_option *options;  /* ends with {0}; NULL for none */
    /* Options computed from another table (sweep: one per knob), after .options: writes at
     * most cap entries to out and returns how many.  They are parsed, never listed: a CLI_DOC
     * entry in .options documents them.  NULL for none. */
    size_t (*more_options)(struct cli_option *out, size_t cap);
    const char *help;           /* what --help says after the usage, before the options */
    void (*more_help)(FILE *f); /* help generated from other tables, after .help, or NULL */
    int (*run)(int argc, char **argv, struct app *app);
};

/* The commands, in `fbw --help` order (main.c lists them). */
extern const struct cli_command cmd_tui_entry, cmd_generate_entry, cmd_sigmas_entry,
    cmd_list_entry, cmd_info_entry, cmd_init_model_entry, cmd_dataset_entry, cmd_sweep_entry,
    cmd_runs_entry, cmd_show_entry, cmd_export_entry, cmd_plot_entry, cmd_bench_entry,
    cmd_train_entry, cmd_samples_entry, cmd_evaluate_entry, cmd_compare_entry,
    cmd_version_entry;

/*
 * Called by cli_parse once per option, in command-line order: id is the option's, flag the
 * name as given ("--threshold"), value its argument (NULL for an option without one).
 * Returns 0, or nonzero after printing why the value is wrong (cli_int, cli_usage_error...).
 */
typedef int cli_option_fn(void *ctx, int id, const char *flag, const char *value);

#define CLI_CONTINUE (-1)

/*
 * The one option parser.  argv[0] is the command's name.  Reads the options of cmd (and its
 * more_options) with getopt_long, so a long name may be abbreviated to a unique prefix and
 * positional arguments may come anywhere; calls on_option (NULL when cmd has no options) for
 * each.  --help or -h prints cli_help to stdout.  Then checks the count of positional
 * arguments and that every CLI_REQUIRED option was given.  Returns CLI_CONTINUE with the
 * positional arguments at argv[*argi..argc-1], or the exit code the command returns now:
 * EXIT_OK after --help, EXIT_USAGE after a usage error ("unknown or incomplete option 'X'",
 * "unexpected argument 'X'", cmd->args.missing, "--X is required", or on_option's own).
 */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, cli_option_fn *on_option,
              void *ctx, int *argi);

/* The usage lines, generated from cmd's table. */
void cli_usage(const struct cli_command *cmd, FILE *f);
/* --help: the usage, cmd->help, cmd->more_help and the option list. */
void cli_help(const struct cli_command *cmd, FILE *f);

/* Strict number parsing: the whole text must be a number in range.  On
 * failure they print "fbw: invalid value 'v' for --flag: ..." and return -1. */
int cli_double(const char *flag, const char *text, double lo, double hi, double *out);
int cli_int(const char *flag, const char *text, long lo, long hi, int *out);
int cli_u64(const char *flag, const char *text, uint64_t *out);
int cli_device(const char *flag, const char *text, enum tensor_device *out);

/* Print "fbw CMD: msg" plus cmd's usage to stderr; returns EXIT_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Print "fbw: msg" to stderr; returns EXIT_RUNTIME. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Ctrl-C: after cli_catch_interrupt(), SIGINT/SIGTERM only set a flag that
 * long work polls (cli_interrupted) so it can stop between steps and leave
 * no half-written file.  A second Ctrl-C kills the process as usual.
 */
void cli_catch_interrupt(void);
int cli_interrupted(void);
#define EXIT_INTERRUPTED 130

/*
 * The default model: models/default.safetensors beside the fbw binary, else in the current
 * directory.  Returns an allocated path, or NULL with *cause saying where it looked.
 */
char *cli_default_model(char **cause);

/* Applies --threads (0 = leave libtorch's default) and records it in app. */
void cli_set_threads(struct app *app, int threads);

/*
 * What `fbw runs`, `fbw show` and `fbw export` share (cli/store.c).  Each lists the options it
 * takes with these ids, and parses them with cli_store_option into a struct cli_store_opts.
 */
struct cli_store_opts {
    const char *db, *sweep, *format, *out;
};
enum { CLI_STORE_DB, CLI_STORE_SWEEP, CLI_STORE_FORMAT, CLI_STORE_OUT };
int cli_store_option(void *ctx, int id, const char *flag, const char *value);

/*
 * Each reports its own error: cli_store_open opens o->db read-only (NULL after "fbw: cause");
 * cli_store_sweep finds the sweep o->sweep names (a name or an id), or the latest when NULL:
 * 0, or EXIT_RUNTIME; cli_store_done turns rc < 0 into "fbw: *cause" (freed) and
 * EXIT_RUNTIME, else EXIT_OK.
 */
struct db;
struct db_sweep_info;
struct db *cli_store_open(const struct cli_store_opts *o);
int cli_store_sweep(struct db *db, const struct cli_store_opts *o, struct db_sweep_info *s);
int cli_store_done(int rc, char **cause);

#endif
