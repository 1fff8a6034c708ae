/*
 * cmd_version.c - `fbw version`: what this binary runs on.
 *
 * The libtorch it was built against and loaded, whether that libtorch is a CUDA build and
 * which GPU (if any) it sees, the CPU kernels' BLAS, the thread policy in force (intra-op
 * threads, which OpenMP and MKL follow, and the inter-op pool) and the malloc tuning.  The
 * same facts are recorded with every sweep (bench/runner.c's environment fingerprint); this
 * prints them for a person, one "key: value" per line.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "core/shim/tensor.h"
#include "util/err.h"
#include "util/malloc_tune.h"

static int
cmd_version(int argc, char **argv, struct app *app)
{
    int argi, rc = cli_parse(&cmd_version_entry, argc, argv, NULL, NULL, &argi);
    if (rc != CLI_CONTINUE)
        return rc;
    char dev[256];
    const struct malloc_tuning *mt = malloc_tune_state();
    printf("libtorch: %s\n", tensor_backend_version());
    printf("cuda build: %s\n", tensor_cuda_built() ? "yes" : "no (CPU-only libtorch)");
    if (tensor_cuda_built())
        printf("cuda device: %s\n", tensor_cuda_available()
               ? tensor_device_info(TENSOR_CUDA, dev, sizeof dev) : "none visible");
    printf("cpu kernels: %s\n", tensor_backend_blas());
    printf("threads: %d intra-op (OpenMP, MKL), %d inter-op\n", app->threads,
           tensor_interop_threads());
    printf("malloc tuning: %s\n", mt->state ? mt->state : "not set");
    return EXIT_OK;
}

const struct cli_command cmd_version_entry = {
    .name = "version",
    .summary = "the libtorch, GPU, BLAS, threads and malloc tuning fbw runs on",
    .help =
        "Prints the libtorch fbw runs on (version, CUDA build or not, the GPU it sees),\n"
        "the CPU kernels' BLAS, the thread policy and the malloc tuning, one 'key: value'\n"
        "per line.\n",
    .run = cmd_version,
};
