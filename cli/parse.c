/*
 * parse.c - the one option parser, and the usage and help it generates from the same table
 * (see cli.h).
 *
 * cli_parse turns a command's option table (plus its more_options) into getopt_long's
 * longopts: each option's val is 256 + the index of the first entry with its id, so aliases
 * share a val and an abbreviation common to an option and its alias is not ambiguous.  --help
 * and -h return 'h'.  Everything lives on the stack for one call; nothing is kept.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#include "util/err.h"

#define CLI_MAX_OPTIONS 96      /* a command's options, more_options included */
#define CLI_VAL 256             /* getopt val of option i: CLI_VAL + i (above every char) */
#define CLI_WIDTH 90            /* where the usage wraps */
#define CLI_NAME_COLUMN 26      /* the option list's help column, at most: a longer label
                                 * has its help on the next line */

/* One parse: the parsed options and the longopts made from them. */
struct cli_table {
    struct cli_option opts[CLI_MAX_OPTIONS];
    struct option longopts[CLI_MAX_OPTIONS + 2];
    bool seen[CLI_MAX_OPTIONS];
    size_t n;
};

static void
cli_table_init(struct cli_table *t, const struct cli_command *cmd)
{
    t->n = 0;
    for (const struct cli_option *o = cmd->options; o != NULL && o->name != NULL; o++)
        if (!(o->flags & CLI_DOC)) {
            CHECK(t->n < CLI_MAX_OPTIONS);
            t->opts[t->n++] = *o;
        }
    if (cmd->more_options != NULL)
        t->n += cmd->more_options(t->opts + t->n, CLI_MAX_OPTIONS - t->n);
    CHECK(t->n <= CLI_MAX_OPTIONS);
    for (size_t i = 0; i < t->n; i++) {
        size_t first = 0;
        while (t->opts[first].id != t->opts[i].id)
            first++;
        t->longopts[i] = (struct option){t->opts[i].name,
                                         t->opts[i].metavar ? required_argument : no_argument,
                                         NULL, CLI_VAL + (int)first};
        t->seen[i] = false;
    }
    t->longopts[t->n] = (struct option){"help", no_argument, NULL, 'h'};
    t->longopts[t->n + 1] = (struct option){0};
}

/* The CLI_REQUIRED options not given, as "--a is required" or "--a and --b are required". */
static int
cli_check_required(const struct cli_command *cmd, const struct cli_table *t)
{
    char msg[256] = "";
    size_t len = 0, missing = 0, total = 0;
    for (size_t i = 0; i < t->n; i++)
        total += (t->opts[i].flags & CLI_REQUIRED) && !t->seen[i];
    for (size_t i = 0; i < t->n && len < sizeof msg; i++) {
        if (!(t->opts[i].flags & CLI_REQUIRED) || t->seen[i])
            continue;
        missing++;
        const char *sep = missing == 1 ? "" : missing == total ? " and " : ", ";
        len += (size_t)snprintf(msg + len, sizeof msg - len, "%s--%s", sep, t->opts[i].name);
    }
    if (missing == 0)
        return CLI_CONTINUE;
    return cli_usage_error(cmd, "%s %s required", msg, missing == 1 ? "is" : "are");
}

/* The positional arguments' count, then the required options. */
static int
cli_check(const struct cli_command *cmd, const struct cli_table *t, int argc, char **argv,
          int argi)
{
    if (argc - argi > cmd->args.max)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[argi + cmd->args.max]);
    if (argc - argi < cmd->args.min)
        return cli_usage_error(cmd, "%s", cmd->args.missing);
    return cli_check_required(cmd, t);
}

int
cli_parse(const struct cli_command *cmd, int argc, char **argv, cli_option_fn *on_option,
          void *ctx, int *argi)
{
    struct cli_table t;
    cli_table_init(&t, cmd);
    int c, idx = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", t.longopts, &idx)) != -1) {
        if (c == 'h') {
            cli_help(cmd, stdout);
            return EXIT_OK;
        }
        if (c < CLI_VAL)
            return cli_usage_error(cmd, "unknown or incomplete option '%s'", argv[optind - 1]);
        const struct cli_option *o = &t.opts[c - CLI_VAL];
        CHECK(on_option != NULL);
        char flag[80];
        snprintf(flag, sizeof flag, "--%s", t.longopts[idx].name);
        t.seen[c - CLI_VAL] = true;
        if (on_option(ctx, o->id, flag, o->metavar ? optarg : NULL) != 0)
            return EXIT_USAGE;
    }
    *argi = optind;
    return cli_check(cmd, &t, argc, argv, optind);
}

/* ---- usage and help ------------------------------------------------------------------- */

/* Appends one word of the usage, wrapping under the command's name; *col is the column. */
static void
cli_usage_word(FILE *f, int indent, int *col, const char *fmt, ...)
{
    char word[160];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(word, sizeof word, fmt, ap);
    va_end(ap);
    if (*col + 1 + len > CLI_WIDTH && *col > indent) {
        fprintf(f, "\n%*s", indent, "");
        *col = indent;
    }
    fprintf(f, " %s", word);
    *col += 1 + len;
}

void
cli_usage(const struct cli_command *cmd, FILE *f)
{
    int col = fprintf(f, "usage: fbw %s", cmd->name), indent = col;
    if (cmd->args.usage != NULL)
        cli_usage_word(f, indent, &col, "%s", cmd->args.usage);
    for (const struct cli_option *o = cmd->options; o != NULL && o->name != NULL; o++) {
        if (o->flags & CLI_ALIAS)
            continue;
        const char *open = o->flags & CLI_REQUIRED ? "" : "[", *close = *open ? "]" : "";
        cli_usage_word(f, indent, &col, "%s--%s%s%s%s", open, o->name, o->metavar ? " " : "",
                       o->metavar ? o->metavar : "", close);
    }
    fputc('\n', f);
}

/* "--name METAVAR" of o, into buf; returns its length. */
static int
cli_option_label(const struct cli_option *o, char *buf, size_t n)
{
    return snprintf(buf, n, "--%s%s%s", o->name, o->metavar ? " " : "",
                    o->metavar ? o->metavar : "");
}

/* One row of the option list: the label, then the help lines from the column on. */
static void
cli_help_row(FILE *f, const struct cli_option *o, const char *primary, int column)
{
    char label[96], alias[96];
    int len = cli_option_label(o, label, sizeof label);
    const char *p = o->help != NULL ? o->help : "";
    if (o->flags & CLI_ALIAS) {
        snprintf(alias, sizeof alias, "the same as --%s", primary);
        p = alias;
    }
    if (len + 4 > column)
        fprintf(f, "  %s\n%*s", label, column, "");
    else
        fprintf(f, "  %s%*s", label, column - 2 - len, "");
    for (size_t n = strcspn(p, "\n"); p[n] != '\0'; n = strcspn(p, "\n")) {
        fprintf(f, "%.*s\n%*s", (int)n, p, column, "");
        p += n + 1;
    }
    fprintf(f, "%s\n", p);
}

/* The option list; its help column fits the longest label that fits CLI_NAME_COLUMN. */
static void
cli_help_options(const struct cli_command *cmd, FILE *f)
{
    if (cmd->options == NULL || cmd->options[0].name == NULL)
        return;
    int column = 0;
    for (const struct cli_option *o = cmd->options; o->name != NULL; o++) {
        char label[96];
        int len = cli_option_label(o, label, sizeof label) + 4;
        column = len > column && len <= CLI_NAME_COLUMN ? len : column;
    }
    column = column > 0 ? column : CLI_NAME_COLUMN;
    fputs("\noptions:\n", f);
    const char *primary = NULL;
    for (const struct cli_option *o = cmd->options; o->name != NULL; o++) {
        if (!(o->flags & CLI_ALIAS))
            primary = o->name;
        cli_help_row(f, o, primary, column);
    }
}

void
cli_help(const struct cli_command *cmd, FILE *f)
{
    cli_usage(cmd, f);
    if (cmd->help != NULL)
        fprintf(f, "\n%s", cmd->help);
    if (cmd->more_help != NULL)
        cmd->more_help(f);
    cli_help_options(cmd, f);
}
