/*
 * cmd_info.c - `fbw info`: loads and validates a checkpoint, then prints its config and
 * parameter count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/model.h"
#include "util/err.h"

static int
cmd_info(int argc, char **argv, struct app *app)
{
    (void)app;
    int argi, rc = cli_parse(&cmd_info_entry, argc, argv, NULL, NULL, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    const char *path = argv[argi];
    char *cause = NULL;
    struct model *m = model_load(path, TENSOR_CPU, &cause);
    if (m == NULL) {
        rc = cli_fail("%s", cause);
        free(cause);
        return rc;
    }
    const struct model_config *c = model_config(m);
    char *json = model_config_to_json(c);
    printf("model:       %s\narch:        %s\nparameters:  %lld\n", path, c->arch,
           (long long)model_param_count(m));
    printf("input:       %d x %d x %d, patch %d (%d tokens)\n", c->in_channels, c->input_size,
           c->input_size, c->patch_size,
           (c->input_size / c->patch_size) * (c->input_size / c->patch_size));
    printf("transformer: hidden %d, depth %d, heads %d, mlp_ratio %g\n", c->hidden_size,
           c->depth, c->num_heads, c->mlp_ratio);
    printf("classes:     %d (+1 null), learn_sigma %s\n", c->num_classes,
           c->learn_sigma ? "true" : "false");
    if (strcmp(c->prediction, "flow") == 0)
        printf("prediction:  flow (rectified flow), shift %g, multiplier %g\n", c->shift,
               c->multiplier);
    else
        printf("prediction:  eps, beta_schedule %s, %d timesteps\n", c->beta_schedule,
               c->num_timesteps);
    printf("config:      %s\n", json);
    free(json);
    model_free(m);
    return EXIT_OK;
}

const struct cli_command cmd_info_entry = {
    .name = "info",
    .summary = "print a model's config and parameter count",
    .args = {"MODEL.safetensors", 1, 1, "expected one model file"},
    .help =
        "Loads and validates a checkpoint (safetensors with DiT key names\n"
        "and a JSON config in __metadata__[\"fbw.config\"]) and prints its config\n"
        "and parameter count.\n",
    .run = cmd_info,
};
