/*
 * machine.h - the machine fingerprint: CPU model, cores, ATen intra-op and inter-op threads,
 * the CPU kernels' BLAS, the malloc tuning, libtorch's version and whether it is a CUDA build,
 * the device and its description (GPU name, memory, compute capability), host and kernel.
 */
#ifndef FBW_BENCH_MACHINE_H
#define FBW_BENCH_MACHINE_H

#include "core/shim/tensor.h"

/* The fingerprint as compact JSON with sorted keys (allocated), for device and threads in
 * force.  The same machine and settings give the same text, so the store keeps it once. */
char *machine_fingerprint_json(enum tensor_device device, int threads);

#endif
