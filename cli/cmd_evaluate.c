/*
 * cmd_evaluate.c - `fbw evaluate`: the held-out flow-matching loss of a trained model per noise
 * level, next to the trivial predictor's, as a Markdown table.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/model.h"
#include "train/train.h"
#include "util/err.h"

static int
cmd_evaluate(int argc, char **argv, struct app *app)
{
    (void)app;
    static const double levels[] = {0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95};
    const int n = (int)(sizeof levels / sizeof levels[0]);
    int argi, rc = cli_parse(&cmd_evaluate_entry, argc, argv, NULL, NULL, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    char *cause = NULL;
    char *path = argi < argc ? xstrdup(argv[argi]) : cli_default_model(&cause);
    if (path == NULL) {
        rc = cli_usage_error(&cmd_evaluate_entry, "%s", cause);
        free(cause);
        return rc;
    }
    struct model *m = model_load(path, TENSOR_CPU, &cause);
    free(path);
    double model[16], trivial[16];
    rc = EXIT_OK;
    /* 0xE7A1 is never a training seed fbw picks by default, so these samples are unseen. */
    if (m == NULL || train_eval(m, 0xE7A1, 256, levels, n, model, trivial, &cause) < 0) {
        rc = cli_fail("%s", cause);
    } else {
        printf("| t | model loss | trivial (v = 0) | ratio |\n|---|---|---|---|\n");
        for (int i = 0; i < n; i++)
            printf("| %.2f | %.4f | %.4f | %.3f |\n", levels[i], model[i], trivial[i],
                   model[i] / trivial[i]);
    }
    model_free(m);
    free(cause);
    return rc;
}

const struct cli_command cmd_evaluate_entry = {
    .name = "evaluate",
    .summary = "held-out loss per noise level against the trivial predictor",
    .args = {"[MODEL.safetensors]", 0, 1, NULL},
    .help =
        "Held-out flow-matching loss E|v - (eps - x0)|^2 of a flow model at fixed t, on\n"
        "256 samples of the procedural data set drawn with a seed the trainer never uses,\n"
        "next to the trivial predictor v = 0.  Prints a Markdown table.  MODEL defaults\n"
        "to the default model.\n",
    .run = cmd_evaluate,
};
