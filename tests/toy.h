/*
 * toy.h - the scalar toy problem for sampler tests (shared/reference/sampling.md A.7).
 *
 * Data x0 ~ N(0, 1) and the exact denoiser in closed form:
 *   VE (EPS tables "sd1", "dit"):       D(x, s) = x / (1 + s^2)
 *   CONST (flow tables "sd3", "flux"):  D(x, s) = (1 - s) x / ((1 - s)^2 + s^2)
 * so a sampler's output can be checked against values a script derives
 * independently.  Deterministic runs use float64 tensors; N independent
 * starts run as one (N, 1, 1, 1) batch, each with its own noise draws.
 */
#ifndef FBW_TESTS_TOY_H
#define FBW_TESTS_TOY_H

#include <stdint.h>
#include <stdio.h>

#include "core/denoiser.h"
#include "core/sampler.h"

struct toy {
    struct model_sampling ms;
    double *sigmas;
    int n;
    struct trace trace;
    struct denoiser *d;
    struct tensor_scope *s;
};

/*
 * table: "sd1" (scaled_linear), "dit" (linear), "sd3" (flow, shift 3, multiplier 1000) or
 * "flux" (shift 1.15).  The schedule is scheduler(steps); with discard_penultimate it is
 * computed for steps + 1 and the penultimate sigma dropped, as KSampler does.
 */
void toy_init(struct toy *t, const char *table, const char *scheduler, int steps,
              int discard_penultimate);
void toy_release(struct toy *t);
/* The deterministic start for eps = 1: VE sqrt(1 + s0^2), CONST s0. */
double toy_start(const struct toy *t);
/* Runs smp from x0[0..N-1] (as dtype) with noise seed, eta and s_noise (NAN = defaults);
 * writes the N outputs to out. */
void toy_run(struct toy *t, const struct sampler *smp, const double *x0, int N,
             enum tensor_dtype dtype, uint64_t seed, double eta, double s_noise, double *out);
/*
 * Mean and unbiased variance of smp's outputs over N independent starts x_T = toy_start * eps
 * (eps from a CPU generator seeded with 123; the run's own noise seed is 7), in float32.
 */
void toy_moments(struct toy *t, const struct sampler *smp, int N, double eta, double s_noise,
                 double *mean, double *var);
/* The registered sampler called name; fails the test when there is none. */
const struct sampler *toy_sampler(const char *name);
/* A reference file under tests/ref/, opened past its first line, which must contain magic. */
FILE *toy_ref_open(const char *path, const char *magic);
/* Model calls made by the last toy_run. */
int toy_calls(const struct toy *t);

#endif
