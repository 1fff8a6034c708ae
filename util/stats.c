/*
 * stats.c - summary statistics of one cell's repeated timings (see stats.h).
 *
 * Every figure is computed from a sorted copy of the sample; the caller's array is never
 * touched.  Percentiles follow numpy's default ("linear", type 7 of Hyndman and Fan) down to
 * its interpolation formula, so a value here equals np.percentile's to the last bit or two;
 * stddev is two-pass (mean first, then squared deviations) for the same reason.  Outlier rules
 * only flag and count: a summary always describes every sample the runner measured.
 * Workload: a few to a few hundred samples per cell, so an O(n log n) sort per call is free.
 *
 * The paired speed-up and its interval (shared/reference/timing.md 2) use no distribution at
 * all: a median's confidence interval from binomial order statistics (asv's quantile_ci), whose
 * only assumption is i.i.d. rounds.  The binomial sums are formed in log space so that they stay
 * exact to ~1e-16 however many rounds a time budget buys.
 */
#include "util/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "util/err.h"

/* hyperfine src/outlier_detection.rs OUTLIER_THRESHOLD: 1.4826 (MAD -> sigma) x 10 sigma. */
#define STATS_Z_THRESHOLD (1.4826 * 10.0)
/* pytest-benchmark's Tukey fence: 1.5 interquartile ranges beyond the quartiles. */
#define STATS_TUKEY_K 1.5

static int
stats_cmp_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* A newly allocated sorted copy of x[0..n); every value must be finite. */
static double *
stats_sorted_copy(const double *x, size_t n)
{
    double *s = xmalloc(n * sizeof *s);
    for (size_t i = 0; i < n; i++) {
        CHECK(isfinite(x[i]));
        s[i] = x[i];
    }
    qsort(s, n, sizeof *s, stats_cmp_double);
    return s;
}

double
stats_percentile_sorted(const double *sorted, size_t n, double q)
{
    CHECK(n >= 1 && q >= 0 && q <= 100);
    /* numpy 1.24 _quantile: virtual index (q / 100) (n - 1), then _lerp, which interpolates
     * from the upper neighbour when the fraction is >= 0.5 (exact at t = 1). */
    double pos = (q / 100.0) * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    if (lo >= n - 1)
        return sorted[n - 1];
    double t = pos - (double)lo, a = sorted[lo], b = sorted[lo + 1], d = b - a;
    return t >= 0.5 ? b - d * (1.0 - t) : a + d * t;
}

/* Median and raw MAD of sorted[0..n). */
static void
stats_median_mad(const double *sorted, size_t n, double *median, double *mad)
{
    *median = stats_percentile_sorted(sorted, n, 50);
    double *dev = xmalloc(n * sizeof *dev);
    for (size_t i = 0; i < n; i++)
        dev[i] = fabs(sorted[i] - *median);
    qsort(dev, n, sizeof *dev, stats_cmp_double);
    *mad = stats_percentile_sorted(dev, n, 50);
    free(dev);
}

/* The rules' thresholds, from the sorted sample. */
struct stats_fences {
    double lo, hi;          /* Tukey: outside [lo, hi] */
    double median, mad;     /* the sample's median and raw MAD */
    double zmad;            /* modified z: |x - median| / zmad > STATS_Z_THRESHOLD (zmad > 0) */
};

static void
stats_fences_init(struct stats_fences *f, const double *sorted, size_t n)
{
    double p25 = stats_percentile_sorted(sorted, n, 25);
    double p75 = stats_percentile_sorted(sorted, n, 75);
    f->lo = p25 - STATS_TUKEY_K * (p75 - p25);
    f->hi = p75 + STATS_TUKEY_K * (p75 - p25);
    stats_median_mad(sorted, n, &f->median, &f->mad);
    f->zmad = f->mad > 0 ? f->mad : DBL_EPSILON;  /* hyperfine: "Handle MAD == 0 case" */
}

static double
stats_zscore(const struct stats_fences *f, double x)
{
    return (x - f->median) / f->zmad;
}

static int
stats_is_tukey(const struct stats_fences *f, double x)
{
    return x < f->lo || x > f->hi;
}

static int
stats_is_z(const struct stats_fences *f, double x)
{
    return fabs(stats_zscore(f, x)) > STATS_Z_THRESHOLD;
}

/* Mean and sample standard deviation (n - 1; 0 for n == 1), two-pass. */
static void
stats_moments(const double *x, size_t n, double *mean, double *stddev)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += x[i];
    *mean = sum / (double)n;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - *mean) * (x[i] - *mean);
    *stddev = n > 1 ? sqrt(ss / (double)(n - 1)) : 0.0;
}

void
stats_compute(const double *x, size_t n, struct stats *out)
{
    CHECK(n >= 1);
    double *s = stats_sorted_copy(x, n);
    struct stats_fences f;
    stats_fences_init(&f, s, n);

    *out = (struct stats){.n = n, .min = s[0], .max = s[n - 1], .median = f.median, .mad = f.mad};
    stats_moments(x, n, &out->mean, &out->stddev);
    out->p5 = stats_percentile_sorted(s, n, 5);
    out->p25 = stats_percentile_sorted(s, n, 25);
    out->p75 = stats_percentile_sorted(s, n, 75);
    out->p95 = stats_percentile_sorted(s, n, 95);
    /* A zero mean only arises from all-zero timings; their spread is then 0 as well. */
    out->cv = out->mean != 0 ? out->stddev / out->mean : 0.0;
    for (size_t i = 0; i < n; i++) {
        out->outliers_tukey += (size_t)stats_is_tukey(&f, x[i]);
        out->outliers_z += (size_t)stats_is_z(&f, x[i]);
    }
    /* hyperfine: scores[0] > OUTLIER_THRESHOLD, i.e. the slow side only. */
    out->first_slow = stats_zscore(&f, x[0]) > STATS_Z_THRESHOLD;
    free(s);
}

void
stats_outliers(const double *x, size_t n, unsigned char *tukey, unsigned char *z)
{
    CHECK(n >= 1);
    double *s = stats_sorted_copy(x, n);
    struct stats_fences f;
    stats_fences_init(&f, s, n);
    for (size_t i = 0; i < n; i++) {
        if (tukey != NULL)
            tukey[i] = (unsigned char)stats_is_tukey(&f, x[i]);
        if (z != NULL)
            z[i] = (unsigned char)stats_is_z(&f, x[i]);
    }
    free(s);
}

double
stats_ratio(double a, double sa, double b, double sb, double *err)
{
    CHECK(a > 0 && b > 0);
    double r = a / b;
    /* hyperfine src/benchmark/relative_speed.rs: independent relative errors in quadrature. */
    if (err != NULL)
        *err = r * sqrt((sa / a) * (sa / a) + (sb / b) * (sb / b));
    return r;
}

/*
 * Binomial(n, 1/2) probabilities are summed from i = 0 up, term i being
 * exp(ln C(n,i) - n ln 2) with the log stepped by ln((n - i) / (i + 1)) in long double: neither
 * C(n,i) nor 2^-n is ever formed (both leave double's range near n = 1030), a term too small
 * even for long double only underflows to 0, and the accumulated error stays near 1e-16.
 * (1 - level) / 2 is computed in double as the reference (scipy) does; 1 - level is exact there
 * for any level >= 0.5 (Sterbenz).
 */
size_t
stats_median_ci_rank(size_t n, double level, double *coverage)
{
    CHECK(level > 0 && level < 1);
    double half_alpha = (1 - level) / 2;
    long double log_term = -(long double)n * logl(2.0L), tail = 0;
    size_t j = 0;
    /* j + 1 <= n - j keeps x(j) at or below x(n+1-j); the bound only binds for tiny levels. */
    while (2 * (j + 1) <= n + 1) {
        long double next = tail + expl(log_term);
        if (next > half_alpha)
            break;
        tail = next;
        log_term += logl((long double)(n - j) / (long double)(j + 1));
        j++;
    }
    if (coverage != NULL)
        *coverage = j > 0 ? (double)(1 - 2 * tail) : NAN;
    return j;
}

int
stats_paired_speedup(const double *ref, const double *cell, size_t n, double level,
                     struct stats_speedup *out)
{
    CHECK(n >= 1);
    double *x = xmalloc(n * sizeof *x);
    for (size_t k = 0; k < n; k++) {
        CHECK(isfinite(ref[k]) && ref[k] > 0 && isfinite(cell[k]) && cell[k] > 0);
        /* The log of the ratio, not a difference of logs: one rounding, independent of the
         * times' scale.  Only a ratio beyond double's range (no clock gives one) fails here. */
        x[k] = log(ref[k] / cell[k]);
        CHECK(isfinite(x[k]));
    }
    qsort(x, n, sizeof *x, stats_cmp_double);
    /* np.median: the mean of the middle two for even n (not stats_percentile_sorted's lerp, which
     * can differ from it in the last bit). */
    double median = n % 2 == 1 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
    *out = (struct stats_speedup){
        .n = n, .estimate = exp(median), .lo = NAN, .hi = NAN, .level = level, .coverage = NAN};
    size_t j = stats_median_ci_rank(n, level, &out->coverage);
    if (j > 0) {
        out->lo = exp(x[j - 1]);
        out->hi = exp(x[n - j]);
    }
    free(x);
    return j > 0 ? 0 : 1;
}
