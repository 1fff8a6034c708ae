/*
 * metrics.h - image differences between a generation and its uncached reference.
 *
 * Images are compared as the model's float outputs mapped from [-1, 1] to [0, 1] (pixel
 * models) and clamped there, so the figures describe what a viewer sees.  PSNR is
 * 10 log10(1 / MSE) in dB, and +INFINITY when the MSE is exactly 0: an image identical to its
 * reference is "identical", not some large finite figure.  SSIM is then exactly 1.  The
 * infinity travels as such: the store keeps it as a REAL +Inf in result "psnr" (SQLite
 * round-trips IEEE infinities; NaN alone becomes NULL), and every reader names it:
 *
 *   fbw compare   "psnr +inf dB (identical), ..." (signed, so the second field stays a
 *                 number for strtod, every awk and Python's float)
 *   fbw show      "PSNR +inf dB (identical)"; fbw runs, the TUI: "identical"
 *   CSV           "+inf"; JSON: metrics.psnr null and metrics.identical true (JSON has no
 *                 infinity); Markdown: "identical"
 *   plots         one step past the sweep's largest finite value, on a tic labelled
 *                 "identical" (pareto, lines); a heatmap cell reads "identical"
 *
 * metrics_identical(psnr) is the one test for it.  A NaN output gives NaN figures.
 */
#ifndef FBW_CORE_METRICS_H
#define FBW_CORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/image.h"

/* What an identical image's PSNR reads as in words. */
#define METRICS_IDENTICAL "identical"

struct metrics_diff {
    double psnr;        /* dB; +INFINITY for identical images */
    double ssim;        /* metrics_compare_image only (NAN from metrics_compare); 1 if identical */
    double mae;         /* mean |a - b| on [0, 1] */
    double max_abs;     /* max |a - b| on [0, 1] */
};

/* Whether psnr is an identical image's (+INFINITY). */
int metrics_identical(double psnr);

/* Compare n values of a and b (model outputs in [-1, 1]). */
struct metrics_diff metrics_compare(const float *a, const float *b, size_t n);

/*
 * SSIM (Wang, Bovik, Sheikh, Simoncelli 2004, the authors' ssim.m): on [0, 1] values, an
 * 11x11 Gaussian window with sigma 1.5 (weights normalised to sum 1), C1 = (0.01 L)^2,
 * C2 = (0.03 L)^2 with L = 1, computed over "valid" window positions only (no padding),
 * averaged over positions and then over channels.  Images smaller than 11x11 fall back to a
 * window the size of the image.  a, b: (C, H, W) model outputs in [-1, 1].
 */
double metrics_ssim(const float *a, const float *b, int channels, int height, int width);

/* Every figure for two (1, C, H, W) outputs: PSNR, SSIM, MAE and max. */
struct metrics_diff metrics_compare_image(const float *a, const float *b, const int64_t shape[4]);

/*
 * A diff heatmap: per pixel the largest |a - b| over channels on [0, 1], divided by
 * full_scale (e.g. 0.25) and clamped to 1, through a black-red-yellow-white colour map
 * (0 black, 1 white).  Fills img (release with image_release).
 */
void metrics_heatmap(const float *a, const float *b, const int64_t shape[4], double full_scale,
                     struct image *img);

#endif
