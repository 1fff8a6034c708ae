/*
 * cmd_dataset.c - `fbw dataset`: shows the procedural training set (train/dataset.h) as a
 * grid PNG, or lists its classes.  Samples are a pure function of (seed, class, index), so
 * the same command always writes the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "train/dataset.h"
#include "core/image.h"
#include "util/err.h"

#define CMD_DATASET_MAX_COUNT 256

/* The parsed flags; cls is -1 for every class. */
struct cmd_dataset_args {
    const char *out;
    int cls, count, cols;
    uint64_t seed;
    int list;
};

enum {
    CMD_DATASET_OPT_CLASS, CMD_DATASET_OPT_COUNT, CMD_DATASET_OPT_SEED, CMD_DATASET_OPT_COLS,
    CMD_DATASET_OPT_OUT, CMD_DATASET_OPT_LIST,
};

static const struct cli_option dataset_options[] = {
    {"class", "NAME|N", CMD_DATASET_OPT_CLASS, 0, "one class, by name or number (see --list)"},
    {"count", "K", CMD_DATASET_OPT_COUNT, 0, "samples per class, 1..256 (default 8)"},
    {"seed", "S", CMD_DATASET_OPT_SEED, 0, "the data set's seed (default 0)"},
    {"cols", "C", CMD_DATASET_OPT_COLS, 0,
     "columns of a one-class grid, 1..256 (default min(K, 8))"},
    {"out", "GRID.png", CMD_DATASET_OPT_OUT, 0, "the PNG to write (required unless --list)"},
    {"list", NULL, CMD_DATASET_OPT_LIST, 0, "print the classes, number and name, one a line"},
    {0},
};

/* --class by number or name; returns 0 or a usage exit code. */
static int
cmd_dataset_class(const char *flag, const char *text, int *cls)
{
    if (text[0] >= '0' && text[0] <= '9')
        return cli_int(flag, text, 0, dataset_class_count() - 1, cls) < 0 ? EXIT_USAGE : 0;
    *cls = dataset_class_find(text);
    if (*cls < 0)
        return cli_usage_error(&cmd_dataset_entry, "unknown class '%s' (did you mean '%s'?)",
                               text, dataset_class_closest(text));
    return 0;
}

/* One option into a (a struct cmd_dataset_args); nonzero on a bad value. */
static int
cmd_dataset_option(void *ctx, int id, const char *flag, const char *v)
{
    struct cmd_dataset_args *a = ctx;
    switch (id) {
    case CMD_DATASET_OPT_CLASS: return cmd_dataset_class(flag, v, &a->cls);
    case CMD_DATASET_OPT_COUNT: return cli_int(flag, v, 1, CMD_DATASET_MAX_COUNT, &a->count);
    case CMD_DATASET_OPT_SEED: return cli_u64(flag, v, &a->seed);
    case CMD_DATASET_OPT_COLS: return cli_int(flag, v, 1, CMD_DATASET_MAX_COUNT, &a->cols);
    case CMD_DATASET_OPT_OUT: a->out = v; return 0;
    case CMD_DATASET_OPT_LIST: a->list = 1; return 0;
    default: return -1;
    }
}

/* The flags that go together: --out unless --list, --cols only with --class. */
static int
cmd_dataset_check(const struct cmd_dataset_args *a)
{
    if (a->list)
        return CLI_CONTINUE;
    if (a->out == NULL)
        return cli_usage_error(&cmd_dataset_entry, "--out is required");
    if (a->cols > 0 && a->cls < 0)
        return cli_usage_error(&cmd_dataset_entry, "--cols needs --class (the grid of every "
                               "class has one row per class)");
    return CLI_CONTINUE;
}

/* Renders the grid and writes it; returns an exit code. */
static int
cmd_dataset_write(const struct cmd_dataset_args *a)
{
    int one = a->cls >= 0;
    int n = one ? a->count : a->count * dataset_class_count();
    int cols = one ? (a->cols > 0 ? a->cols : a->count < 8 ? a->count : 8) : a->count;
    float *x = xmalloc((size_t)n * DATASET_VALUES * sizeof *x);
    for (int i = 0; i < n; i++)
        dataset_render(a->seed, one ? a->cls : i / a->count,
                       (uint64_t)(one ? i : i % a->count), x + (size_t)i * DATASET_VALUES);
    struct image img;
    dataset_grid(x, n, cols, &img);
    char *text = xasprintf("fbw dataset: seed %llu, class %s, samples 0..%d",
                           (unsigned long long)a->seed, one ? dataset_class_name(a->cls) : "all",
                           a->count - 1);
    char *cause = NULL;
    int rc = EXIT_OK;
    if (image_write_png(&img, a->out, "parameters", text, &cause) < 0) {
        rc = cli_fail("%s", cause);
        free(cause);
    } else {
        printf("wrote %s: %d samples, %d x %d px\n", a->out, n, img.width, img.height);
    }
    free(text);
    image_release(&img);
    free(x);
    return rc;
}

static int
cmd_dataset(int argc, char **argv, struct app *app)
{
    (void)app;
    struct cmd_dataset_args a = {.cls = -1, .count = 8};
    int argi, rc = cli_parse(&cmd_dataset_entry, argc, argv, cmd_dataset_option, &a, &argi);
    if (rc == CLI_CONTINUE)
        rc = cmd_dataset_check(&a);
    if (rc != CLI_CONTINUE)
        return rc;
    if (a.list) {
        for (int c = 0; c < dataset_class_count(); c++)
            printf("%2d %s\n", c, dataset_class_name(c));
        return EXIT_OK;
    }
    return cmd_dataset_write(&a);
}

const struct cli_command cmd_dataset_entry = {
    .name = "dataset",
    .summary = "render the procedural training images as a grid PNG",
    .options = dataset_options,
    .help =
        "Renders samples of fbw's procedural data set - the 32x32 RGB images fbw's own\n"
        "class-conditional models train on - into a grid PNG, 2 px apart.  With --class,\n"
        "samples 0..K-1 of that class, C to a row; without it, samples 0..K-1 of every\n"
        "class, one row per class.  A sample depends only on (seed, class, index).\n",
    .run = cmd_dataset,
};
