/*
 * cmd_dataset.c - `fbw dataset`: shows the procedural training set (train/dataset.h) as a
 * grid PNG, or lists its classes.  Samples are a pure function of (seed, class, index), so
 * the same command always writes the same bytes.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "train/dataset.h"
#include "core/image.h"
#include "util/err.h"

#define CMD_DATASET_MAX_COUNT 256

#define CMD_DATASET_HELP USAGE_DATASET \
    "\nRenders samples of fbw's procedural data set - the 32x32 RGB images fbw's own\n" \
    "class-conditional models train on - into a grid PNG, 2 px apart.  With --class,\n" \
    "samples 0..K-1 of that class, C to a row; without it, samples 0..K-1 of every\n" \
    "class, one row per class.  A sample depends only on (seed, class, index).\n" \
    "  --class NAME|N   one class, by name or number (see --list)\n" \
    "  --count K        samples per class, 1..256 (default 8)\n" \
    "  --seed S         the data set's seed (default 0)\n" \
    "  --cols C         columns of a one-class grid, 1..256 (default min(K, 8))\n" \
    "  --out FILE       the PNG to write (required unless --list)\n" \
    "  --list           print the classes, number and name, one a line\n"

/* The parsed flags; cls is -1 for every class. */
struct cmd_dataset_args {
    const char *out;
    int cls, count, cols;
    uint64_t seed;
    int list;
};

/* --class by number or name; returns EXIT_OK or a usage exit code. */
static int
cmd_dataset_class(const char *text, int *cls)
{
    if (text[0] >= '0' && text[0] <= '9')
        return cli_int("--class", text, 0, dataset_class_count() - 1, cls) < 0 ? EXIT_USAGE
                                                                                : EXIT_OK;
    *cls = dataset_class_find(text);
    if (*cls < 0)
        return cli_usage_error("dataset", USAGE_DATASET, "unknown class '%s' (did you mean "
                               "'%s'?)", text, dataset_class_closest(text));
    return EXIT_OK;
}

/* Fills a from argv; returns EXIT_OK, EXIT_USAGE, or -1 after printing --help. */
static int
cmd_dataset_parse(int argc, char **argv, struct cmd_dataset_args *a)
{
    static const struct option opts[] = {
        {"class", required_argument, NULL, 'c'}, {"count", required_argument, NULL, 'k'},
        {"seed", required_argument, NULL, 's'}, {"cols", required_argument, NULL, 'C'},
        {"out", required_argument, NULL, 'o'}, {"list", no_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c, bad = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1 && !bad) {
        switch (c) {
        case 'c': bad = cmd_dataset_class(optarg, &a->cls) != EXIT_OK; break;
        case 'k': bad = cli_int("--count", optarg, 1, CMD_DATASET_MAX_COUNT, &a->count); break;
        case 's': bad = cli_u64("--seed", optarg, &a->seed); break;
        case 'C': bad = cli_int("--cols", optarg, 1, CMD_DATASET_MAX_COUNT, &a->cols); break;
        case 'o': a->out = optarg; break;
        case 'l': a->list = 1; break;
        case 'h': fputs(CMD_DATASET_HELP, stdout); return -1;
        default:
            return cli_usage_error("dataset", USAGE_DATASET, "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (bad)
        return EXIT_USAGE;
    if (optind < argc)
        return cli_usage_error("dataset", USAGE_DATASET, "unexpected argument '%s'",
                               argv[optind]);
    if (a->list)
        return EXIT_OK;
    if (a->out == NULL)
        return cli_usage_error("dataset", USAGE_DATASET, "--out is required");
    if (a->cols > 0 && a->cls < 0)
        return cli_usage_error("dataset", USAGE_DATASET, "--cols needs --class (the grid of "
                               "every class has one row per class)");
    return EXIT_OK;
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

int
cmd_dataset(int argc, char **argv, struct app *app)
{
    (void)app;
    struct cmd_dataset_args a = {.cls = -1, .count = 8};
    int rc = cmd_dataset_parse(argc, argv, &a);
    if (rc != EXIT_OK)
        return rc < 0 ? EXIT_OK : rc;
    if (a.list) {
        for (int c = 0; c < dataset_class_count(); c++)
            printf("%2d %s\n", c, dataset_class_name(c));
        return EXIT_OK;
    }
    return cmd_dataset_write(&a);
}
