/*
 * cmd_compare.c - `fbw compare`: PSNR and absolute differences between two raw outputs that
 * `fbw generate --latent-out` wrote.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "core/metrics.h"
#include "core/safetensors.h"
#include "util/err.h"

static int
cmd_compare(int argc, char **argv, struct app *app)
{
    (void)app;
    int argi, rc = cli_parse(&cmd_compare_entry, argc, argv, NULL, NULL, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    const char *path_a = argv[argi], *path_b = argv[argi + 1];
    char *cause = NULL;
    struct safetensors *a = safetensors_open(path_a, &cause);
    struct safetensors *b = a ? safetensors_open(path_b, &cause) : NULL;
    const struct safetensors_tensor *ta = a ? safetensors_find(a, "x0") : NULL;
    const struct safetensors_tensor *tb = b ? safetensors_find(b, "x0") : NULL;
    rc = EXIT_OK;
    if (b == NULL) {
        rc = cli_fail("%s", cause);
    } else if (ta == NULL || tb == NULL || ta->dtype != SAFETENSORS_F32 ||
               tb->dtype != SAFETENSORS_F32 || ta->nbytes != tb->nbytes) {
        rc = cli_fail("'%s' and '%s' must both hold an F32 tensor 'x0' of the same size",
                      path_a, path_b);
    } else {
        struct metrics_diff d = metrics_compare(ta->data, tb->data, ta->nbytes / sizeof(float));
        /* Identical outputs: "+inf", signed so that every awk (gawk reads only signed
         * infinities; `$2 + 0`), strtod and Python's float read the second field as a number. */
        if (metrics_identical(d.psnr))
            printf("psnr +inf dB (" METRICS_IDENTICAL "), mae %.5f, max %.5f\n", d.mae,
                   d.max_abs);
        else
            printf("psnr %.2f dB, mae %.5f, max %.5f\n", d.psnr, d.mae, d.max_abs);
    }
    safetensors_free(a);
    safetensors_free(b);
    free(cause);
    return rc;
}

const struct cli_command cmd_compare_entry = {
    .name = "compare",
    .summary = "PSNR and MAE between two raw outputs (--latent-out files)",
    .args = {"A.safetensors B.safetensors", 2, 2, "expected two files"},
    .help =
        "Compares two raw outputs written by `fbw generate --latent-out` (tensor x0),\n"
        "mapped from [-1, 1] to [0, 1]: PSNR in dB (\"+inf dB (identical)\" when the\n"
        "outputs are equal), mean and maximum absolute difference.\n",
    .run = cmd_compare,
};
