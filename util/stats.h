/*
 * stats.h - summary statistics of repeated timings, as the benchmark tools people trust
 * compute them (shared/reference/bench-tui.md 1.7).
 *
 * Definitions (stated, since tools differ):
 *   - stddev: sample standard deviation (n - 1), 0 when n == 1;
 *   - median and percentiles: linear interpolation between closest ranks (numpy's default,
 *     `np.percentile(x, q)`): position (n - 1) q / 100 in the sorted sample;
 *   - MAD: median of |x - median| (raw, not scaled by 1.4826);
 *   - CV: stddev / mean;
 *   - Tukey outliers: below p25 - 1.5 IQR or above p75 + 1.5 IQR (pytest-benchmark's rule);
 *   - modified z outliers: |x - median| / MAD > 1.4826 * 10 (hyperfine's rule; MAD == 0 is
 *     replaced by DBL_EPSILON as hyperfine does);
 *   - first-run-slow: the first sample is a modified-z outlier on the slow side (hyperfine's
 *     SlowInitialRun warning).
 * Outliers are flagged and counted, never dropped.
 */
#ifndef FBW_UTIL_STATS_H
#define FBW_UTIL_STATS_H

#include <stddef.h>

struct stats {
    size_t n;
    double mean, stddev, median, min, max;
    double p5, p25, p75, p95;
    double mad, cv;
    size_t outliers_tukey, outliers_z;
    int first_slow;         /* 1: hyperfine's slow-initial-run warning applies */
};

/* Summarises x[0..n) (n >= 1; x is not modified).  Non-finite values are a CHECK failure. */
void stats_compute(const double *x, size_t n, struct stats *out);

/* Percentile q in [0, 100] of sorted[0..n), linear interpolation (numpy default). */
double stats_percentile_sorted(const double *sorted, size_t n, double q);

/* Per-sample flags: tukey[i] / z[i] set to 1 for outliers by each rule (either may be NULL). */
void stats_outliers(const double *x, size_t n, unsigned char *tukey, unsigned char *z);

/*
 * Ratio a/b of two positive quantities with the uncertainty propagated as hyperfine does
 * (independent errors): ratio * sqrt((sa/a)^2 + (sb/b)^2).  fbw reports speed-up as
 * median(reference) / median(cell) with sa, sb the two samples' standard deviations.
 */
double stats_ratio(double a, double sa, double b, double sb, double *err);

#endif
