/*
 * stats.c - summary statistics of one cell's repeated timings (see stats.h).
 *
 * Every figure is computed from a sorted copy of the sample; the caller's array is never
 * touched.  Percentiles follow numpy's default ("linear", type 7 of Hyndman and Fan) down to
 * its interpolation formula, so a value here equals np.percentile's to the last bit or two;
 * stddev is two-pass (mean first, then squared deviations) for the same reason.  Outlier rules
 * only flag and count: a summary always describes every sample the runner measured.
 * Workload: a few to a few hundred samples per cell, so an O(n log n) sort per call is free.
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
