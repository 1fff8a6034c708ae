/*
 * metrics.h - image differences between a generation and its uncached reference.
 *
 * Images are compared as the model's float outputs mapped from [-1, 1] to [0, 1] (pixel
 * models) and clamped there, so the figures describe what a viewer sees.  PSNR is
 * 10 log10(1 / MSE) in dB, capped at METRICS_PSNR_CAP for identical images.
 */
#ifndef FBW_CORE_METRICS_H
#define FBW_CORE_METRICS_H

#include <stddef.h>

#define METRICS_PSNR_CAP 100.0

struct metrics_diff {
    double psnr;        /* dB, <= METRICS_PSNR_CAP */
    double mae;         /* mean |a - b| on [0, 1] */
    double max_abs;     /* max |a - b| on [0, 1] */
};

/* Compare n values of a and b (model outputs in [-1, 1]). */
struct metrics_diff metrics_compare(const float *a, const float *b, size_t n);

#endif
