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
#include <string.h>

#include "cli/cli.h"
#include "core/shim/tensor.h"
#include "util/err.h"
#include "util/malloc_tune.h"

int
cmd_version(int argc, char **argv, struct app *app)
{
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        fputs(USAGE_VERSION "\nPrints the libtorch fbw runs on (version, CUDA build or not, the GPU "
              "it sees),\nthe CPU kernels' BLAS, the thread policy and the malloc tuning, one "
              "'key: value'\nper line.\n", stdout);
        return EXIT_OK;
    }
    if (argc != 1)
        return cli_usage_error("version", USAGE_VERSION, "unexpected argument '%s'", argv[1]);
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
