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
 *
 * Speed-up with an interval (shared/reference/timing.md 2): from paired rounds, in each of which
 * the reference and a cell both ran once,
 *     struct stats_speedup s;
 *     if (stats_paired_speedup(t_ref, t_cell, rounds, 0.95, &s) == 0)
 *         printf("%.3fx [%.3f, %.3f] (%.1f%%)\n", s.estimate, s.lo, s.hi, 100 * s.coverage);
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

/*
 * The distribution-free confidence interval of a median from order statistics (the binomial
 * method of asv's quantile_ci): for n i.i.d. values, P(x(j) <= median <= x(n+1-j)) =
 * 1 - 2 sum_{i<j} C(n,i) 2^-n, with x(1) <= ... <= x(n) the 1-based order statistics.
 * Returns the largest j >= 1 with sum_{i<j} C(n,i) 2^-n <= (1 - level) / 2 (and j <= n + 1 - j),
 * and stores the coverage achieved, 1 - 2 sum_{i<j} C(n,i) 2^-n >= level, in *coverage.
 * Returns 0 when no j qualifies (too few values: n <= 5 at 95%, n <= 4 at 90%), *coverage then
 * NAN.  The sum is exact to about 1e-15 relative for any n (computed in log space, no overflow).
 * Requires 0 < level < 1; coverage may be NULL.  At 95%: n = 6 -> j = 1 (96.9%), 10 -> 2,
 * 20 -> 6, 50 -> 18.
 */
size_t stats_median_ci_rank(size_t n, double level, double *coverage);

/* A paired speed-up with its interval (stats_paired_speedup). */
struct stats_speedup {
    size_t n;               /* rounds (pairs) used */
    double estimate;        /* exp(median x), x_k = ln(ref_k / cell_k); > 1: the cell is faster */
    double lo, hi;          /* exp(x(j)), exp(x(n+1-j)): the interval, NAN when n is too small */
    double level;           /* the coverage asked for */
    double coverage;        /* the coverage achieved (>= level), NAN when there is no interval */
};

/*
 * The speed-up of a cell over its reference from n paired rounds: ref[k] and cell[k] are the
 * two times measured in round k (same window, so load shared by both cancels in the ratio).
 * Method: x_k = ln(ref[k] / cell[k]); estimate = exp(median x), the median as numpy takes it
 * (mean of the middle two for even n); the interval is [exp x(j), exp x(n+1-j)] with j from
 * stats_median_ci_rank.  Distribution-free: it assumes only that rounds are i.i.d., not that x is
 * normal or symmetric.  Because lo and hi are exponentials of order statistics, the interval is
 * asymmetric about the estimate and never below 0, and the cell's slow-down, cell / ref, has
 * the interval [1 / hi, 1 / lo]: invert and swap the bounds, nothing is recomputed.
 * Every time must be positive and finite and n >= 1 (CHECK); ref and cell are not modified.
 * Returns 0 with an interval, or 1 when n is too small for one at this level: lo, hi and
 * coverage are then NAN, while n, level and the estimate are still set.
 */
int stats_paired_speedup(const double *ref, const double *cell, size_t n, double level,
                         struct stats_speedup *out);

#endif
