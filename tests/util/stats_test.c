/*
 * stats_test.c - util/stats.c against hand-worked cases and against
 * tests/ref/stats_ref.txt, which tests/ref/stats_ref.py computes with numpy from the
 * definitions in stats.h (n = 1, odd and even n, percentiles, MAD, CV, both outlier rules with
 * MAD == 0, the first-run-slow warning and the propagated ratio), and the median's
 * order-statistic interval and paired speed-up against tests/ref/median_ci_ref.txt, which
 * tests/ref/median_ci_ref.py computes with scipy.stats.binom.
 */
#include "tests/support.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/stats.h"
#include "util/err.h"

#define STATS_REF "tests/ref/stats_ref.txt"
#define STATS_REF_MAGIC "fbw-ref stats 1"
#define RTOL 1e-12
#define ATOL 1e-15
#define MAX_N 64
#define MEDIAN_CI_REF "tests/ref/median_ci_ref.txt"
#define MEDIAN_CI_REF_MAGIC "fbw-ref median_ci 1"

static void
test_hand_odd(void **state)
{
    (void)state;
    /* x = 1 3 2 10 4, sorted 1 2 3 4 10, n = 5.
     * mean = 20 / 5 = 4; squared deviations 9 1 4 36 0 = 50, stddev = sqrt(50 / 4) = 3.5355...
     * median = sorted[2] = 3; p25: position 0.25 * 4 = 1 -> 2; p75: position 3 -> 4;
     * p5: position 0.2 -> 1 + 0.2 (2 - 1) = 1.2; p95: position 3.8 -> 4 + 0.8 (10 - 4) = 8.8.
     * |x - 3| = 2 0 1 7 1, sorted 0 1 1 2 7 -> MAD = 1; CV = 3.5355 / 4 = 0.88388.
     * Tukey: IQR = 2, fences 2 - 3 = -1 and 4 + 3 = 7 -> 10 is an outlier.
     * z: (10 - 3) / 1 = 7 <= 14.826 -> none; the first run (1) is not slow. */
    const double x[5] = {1, 3, 2, 10, 4};
    struct stats s;
    stats_compute(x, 5, &s);
    assert_int_equal(s.n, 5);
    assert_close(s.mean, 4, 0, 0);
    assert_close(s.stddev, sqrt(12.5), 1e-15, 0);
    assert_close(s.median, 3, 0, 0);
    assert_close(s.min, 1, 0, 0);
    assert_close(s.max, 10, 0, 0);
    assert_close(s.p5, 1.2, 1e-15, 0);
    assert_close(s.p25, 2, 0, 0);
    assert_close(s.p75, 4, 0, 0);
    assert_close(s.p95, 8.8, 1e-15, 0);
    assert_close(s.mad, 1, 0, 0);
    assert_close(s.cv, sqrt(12.5) / 4, 1e-15, 0);
    assert_int_equal(s.outliers_tukey, 1);
    assert_int_equal(s.outliers_z, 0);
    assert_int_equal(s.first_slow, 0);
}

static void
test_hand_even_and_single(void **state)
{
    (void)state;
    /* x = 1.5 0.5: median at position 0.5 -> 0.5 + 0.5 (1.5 - 0.5) = 1; mean 1;
     * stddev sqrt((0.25 + 0.25) / 1) = 0.7071; MAD: |x - 1| = 0.5 0.5 -> 0.5. */
    const double x[2] = {1.5, 0.5};
    struct stats s;
    stats_compute(x, 2, &s);
    assert_close(s.median, 1, 0, 0);
    assert_close(s.stddev, sqrt(0.5), 1e-15, 0);
    assert_close(s.mad, 0.5, 0, 0);
    /* n = 1: every location figure is the value, every spread figure 0, no outliers. */
    const double one = 7.25;
    stats_compute(&one, 1, &s);
    assert_close(s.mean, 7.25, 0, 0);
    assert_close(s.median, 7.25, 0, 0);
    assert_close(s.p5, 7.25, 0, 0);
    assert_close(s.p95, 7.25, 0, 0);
    assert_close(s.stddev, 0, 0, 0);
    assert_close(s.mad, 0, 0, 0);
    assert_close(s.cv, 0, 0, 0);
    assert_int_equal(s.outliers_tukey + s.outliers_z + (size_t)s.first_slow, 0);
}

static void
test_hand_mad_zero(void **state)
{
    (void)state;
    /* x = 2 1 1 1 1: median 1, |x - 1| = 1 0 0 0 0 -> MAD 0, replaced by DBL_EPSILON for the
     * z rule, so the 2 scores 1 / 2.2e-16 and is an outlier, and it is the first run: slow.
     * The reported MAD stays 0.  Tukey: p25 = p75 = 1, IQR 0, so 2 lies outside too. */
    const double x[5] = {2, 1, 1, 1, 1};
    unsigned char tukey[5], z[5];
    struct stats s;
    stats_compute(x, 5, &s);
    assert_close(s.mad, 0, 0, 0);
    assert_int_equal(s.outliers_z, 1);
    assert_int_equal(s.outliers_tukey, 1);
    assert_int_equal(s.first_slow, 1);
    stats_outliers(x, 5, tukey, z);
    assert_int_equal(z[0], 1);
    assert_int_equal(tukey[0], 1);
    for (int i = 1; i < 5; i++)
        assert_int_equal(z[i] + tukey[i], 0);
    stats_outliers(x, 5, NULL, z);      /* either output may be NULL */
    stats_outliers(x, 5, tukey, NULL);
    /* All equal: every score is 0 / eps = 0, so nothing is flagged. */
    const double c[3] = {3, 3, 3};
    stats_compute(c, 3, &s);
    assert_int_equal(s.outliers_z + s.outliers_tukey + (size_t)s.first_slow, 0);
}

static void
test_hand_ratio(void **state)
{
    (void)state;
    /* 10 / 4 = 2.5, relative errors 0.5 / 10 = 0.05 and 0.2 / 4 = 0.05,
     * err = 2.5 sqrt(0.05^2 + 0.05^2) = 2.5 * 0.070711 = 0.176777. */
    double err = -1;
    assert_close(stats_ratio(10, 0.5, 4, 0.2, &err), 2.5, 0, 0);
    assert_close(err, 2.5 * sqrt(0.005), 1e-15, 0);
    assert_close(stats_ratio(3, 0, 1.5, 0, NULL), 2, 0, 0);
}

static void
test_hand_percentile(void **state)
{
    (void)state;
    /* sorted 10 20 30 40: q = 50 -> position 1.5 -> 25; q = 100 -> 40; q = 0 -> 10;
     * q = 10 -> position 0.3 -> 13. */
    const double s[4] = {10, 20, 30, 40};
    assert_close(stats_percentile_sorted(s, 4, 50), 25, 0, 0);
    assert_close(stats_percentile_sorted(s, 4, 100), 40, 0, 0);
    assert_close(stats_percentile_sorted(s, 4, 0), 10, 0, 0);
    assert_close(stats_percentile_sorted(s, 4, 10), 13, 1e-15, 0);
}

static void
test_hand_median_ci_rank(void **state)
{
    (void)state;
    /* n = 6: P(B <= 0) = 1/64 = 0.0156 <= 0.025 but P(B <= 1) = 7/64 = 0.109 is not, so j = 1
     * and the coverage is 1 - 2/64 exactly (a sum of powers of two). */
    double cov = 0;
    assert_int_equal(stats_median_ci_rank(6, 0.95, &cov), 1);
    assert_close(cov, 1 - 2.0 / 64, 0, 0);
    /* timing.md 2's table at 95%; n = 10: 1 - 2 (1 + 10) / 1024 = 0.978515625 exactly. */
    static const size_t ns[7] = {6, 10, 15, 20, 30, 40, 50}, js[7] = {1, 2, 4, 6, 10, 14, 18};
    static const double covs[7] = {0.969, 0.979, 0.965, 0.959, 0.957, 0.962, 0.967};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(stats_median_ci_rank(ns[i], 0.95, &cov), js[i]);
        assert_close(cov, covs[i], 0, 0.0005);
    }
    assert_int_equal(stats_median_ci_rank(10, 0.95, &cov), 2);
    assert_close(cov, 0.978515625, 0, 0);
    assert_int_equal(stats_median_ci_rank(10, 0.95, NULL), 2);  /* coverage may be NULL */
    /* n = 5: P(B <= 0) = 1/32 = 0.03125 > 0.025, so no 95% interval; at 90% j = 1. */
    assert_int_equal(stats_median_ci_rank(5, 0.95, &cov), 0);
    assert_true(isnan(cov));
    assert_int_equal(stats_median_ci_rank(5, 0.90, &cov), 1);
    assert_close(cov, 1 - 2.0 / 32, 0, 0);
    assert_int_equal(stats_median_ci_rank(1, 0.5, &cov), 0);
    assert_int_equal(stats_median_ci_rank(0, 0.95, &cov), 0);
    /* n = 10000, where C(n, i) and 2^-n leave double's range: j = 4902 and coverage
     * 0.9511670501036188 by scipy.stats.binom (n/2 + 1/2 - 1.96 sqrt(n) / 2 = 4902.5). */
    assert_int_equal(stats_median_ci_rank(10000, 0.95, &cov), 4902);
    assert_close(cov, 0.9511670501036188, 1e-12, 0);
}

static void
test_hand_paired_speedup(void **state)
{
    (void)state;
    /* ratios 1 2 4 8 0.5 0.25, sorted logs ln 0.25 ... ln 8: the median is (ln 1 + ln 2) / 2,
     * so the estimate is sqrt 2; n = 6 at 95% gives j = 1: [x(1), x(6)] = [0.25, 8]. */
    const double ref[6] = {3, 4, 4, 8, 1, 0.5}, cell[6] = {3, 2, 1, 1, 2, 2};
    struct stats_speedup s;
    assert_int_equal(stats_paired_speedup(ref, cell, 6, 0.95, &s), 0);
    assert_int_equal(s.n, 6);
    assert_close(s.estimate, sqrt(2), 1e-15, 0);
    assert_close(s.lo, 0.25, 1e-15, 0);
    assert_close(s.hi, 8, 1e-15, 0);
    assert_close(s.level, 0.95, 0, 0);
    assert_close(s.coverage, 1 - 2.0 / 64, 0, 0);
    /* The cell's slow-down: the same interval with its bounds swapped and inverted. */
    struct stats_speedup inv;
    assert_int_equal(stats_paired_speedup(cell, ref, 6, 0.95, &inv), 0);
    assert_close(inv.estimate, 1 / sqrt(2), 1e-15, 0);
    assert_close(inv.lo, 1 / s.hi, 1e-15, 0);
    assert_close(inv.hi, 1 / s.lo, 1e-15, 0);
    /* A 0-hit cell doing the reference's exact work in the same windows: exactly 1, [1, 1]. */
    const double same[7] = {1.2, 1.3, 0.9, 2.5, 1.25, 1.1, 1.7};
    assert_int_equal(stats_paired_speedup(same, same, 7, 0.95, &s), 0);
    assert_close(s.estimate, 1, 0, 0);
    assert_close(s.lo, 1, 0, 0);
    assert_close(s.hi, 1, 0, 0);
    /* Too few rounds for 95%: the estimate still, no interval. */
    assert_int_equal(stats_paired_speedup(ref, cell, 5, 0.95, &s), 1);
    assert_close(s.estimate, 2, 1e-15, 0);      /* ratios 1 2 4 8 0.5: median 2 */
    assert_true(isnan(s.lo) && isnan(s.hi) && isnan(s.coverage));
    assert_int_equal(s.n, 5);
    assert_int_equal(stats_paired_speedup(ref + 1, cell + 1, 1, 0.95, &s), 1);
    assert_close(s.estimate, 2, 1e-15, 0);
}

/* One reference sample and everything the file says about it. */
struct ref_sample {
    char name[64];
    size_t n;
    double x[MAX_N];
};

static char *
next_tok(char **save)
{
    char *t = strtok_r(NULL, " \n", save);
    if (t == NULL)
        fail_msg("short record in %s or %s", STATS_REF, MEDIAN_CI_REF);
    return t;
}

static double
next_num(char **save)
{
    return strtod(next_tok(save), NULL);
}

static void
check_stats_record(const struct ref_sample *r, char **save)
{
    struct stats s;
    stats_compute(r->x, r->n, &s);
    const double got[11] = {s.mean, s.stddev, s.median, s.min, s.max, s.p5,
                            s.p25, s.p75, s.p95, s.mad, s.cv};
    static const char *names[11] = {"mean", "stddev", "median", "min", "max", "p5",
                                    "p25", "p75", "p95", "mad", "cv"};
    for (int i = 0; i < 11; i++) {
        double want = next_num(save);
        if (!(fabs(got[i] - want) <= ATOL + RTOL * fabs(want)))
            fail_msg("%s: %s = %.17g, numpy %.17g", r->name, names[i], got[i], want);
    }
    assert_int_equal(s.outliers_tukey, (size_t)next_num(save));
    assert_int_equal(s.outliers_z, (size_t)next_num(save));
    assert_int_equal(s.first_slow, (int)next_num(save));
}

static void
check_flags_record(const struct ref_sample *r, char **save)
{
    unsigned char tukey[MAX_N], z[MAX_N];
    stats_outliers(r->x, r->n, tukey, z);
    for (size_t i = 0; i < r->n; i++)
        if (tukey[i] != (int)next_num(save))
            fail_msg("%s: Tukey flag %zu differs from numpy", r->name, i);
    for (size_t i = 0; i < r->n; i++)
        if (z[i] != (int)next_num(save))
            fail_msg("%s: z flag %zu differs from numpy", r->name, i);
}

static void
check_pct_record(const struct ref_sample *r, char **save)
{
    double sorted[MAX_N];
    memcpy(sorted, r->x, r->n * sizeof *sorted);
    for (size_t i = 1; i < r->n; i++)    /* insertion sort: the tests' own, not stats.c's */
        for (size_t j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            double t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    double q = next_num(save), want = next_num(save);
    double got = stats_percentile_sorted(sorted, r->n, q);
    if (!(fabs(got - want) <= ATOL + RTOL * fabs(want)))
        fail_msg("%s: percentile %g = %.17g, numpy %.17g", r->name, q, got, want);
}

static void
check_ratio_record(char **save)
{
    double a = next_num(save), sa = next_num(save), b = next_num(save), sb = next_num(save);
    double want = next_num(save), want_err = next_num(save), err;
    assert_close(stats_ratio(a, sa, b, sb, &err), want, RTOL, ATOL);
    assert_close(err, want_err, RTOL, ATOL);
}

static void
test_numpy_reference(void **state)
{
    (void)state;
    FILE *f = fopen(STATS_REF, "r");
    if (f == NULL)
        fail_msg("cannot open %s (tests run from the repository root)", STATS_REF);
    char *line = NULL;
    size_t cap = 0;
    struct ref_sample r = {.n = 0};
    int records = 0, samples = 0;
    if (getline(&line, &cap, f) < 0 || strstr(line, STATS_REF_MAGIC) == NULL)
        fail_msg("%s does not start with '%s'", STATS_REF, STATS_REF_MAGIC);
    while (getline(&line, &cap, f) > 0) {
        char *save = NULL, *tag = strtok_r(line, " \n", &save);
        if (tag == NULL)
            continue;
        if (strcmp(tag, "ratio") == 0) {
            check_ratio_record(&save);
            records++;
            continue;
        }
        const char *name = next_tok(&save);
        if (strcmp(tag, "sample") == 0) {
            snprintf(r.name, sizeof r.name, "%s", name);
            r.n = (size_t)next_num(&save);
            assert_true(r.n >= 1 && r.n <= MAX_N);
            for (size_t i = 0; i < r.n; i++)
                r.x[i] = next_num(&save);
            samples++;
            continue;
        }
        if (strcmp(name, r.name) != 0)
            fail_msg("%s: record for '%s' outside its sample", STATS_REF, name);
        if (strcmp(tag, "stats") == 0)
            check_stats_record(&r, &save);
        else if (strcmp(tag, "flags") == 0)
            check_flags_record(&r, &save);
        else if (strcmp(tag, "pct") == 0)
            check_pct_record(&r, &save);
        else
            fail_msg("%s: unknown record '%s'", STATS_REF, tag);
        records++;
    }
    free(line);
    fclose(f);
    assert_true(samples >= 10);
    assert_true(records >= 100);
}

/* Equal within RTOL, or both NaN (the file writes "nan" where there is no interval). */
static void
check_ci_figure(const char *what, const char *name, double got, double want)
{
    if (isnan(want) ? !isnan(got) : !(fabs(got - want) <= ATOL + RTOL * fabs(want)))
        fail_msg("%s: %s %s = %.17g, scipy %.17g", MEDIAN_CI_REF, name, what, got, want);
}

static void
check_rank_record(char **save)
{
    size_t n = (size_t)next_num(save), want_j;
    double level = next_num(save), cov = -1;
    want_j = (size_t)next_num(save);
    size_t j = stats_median_ci_rank(n, level, &cov);
    if (j != want_j)
        fail_msg("%s: n %zu level %g: j = %zu, scipy %zu", MEDIAN_CI_REF, n, level, j, want_j);
    char name[64];
    snprintf(name, sizeof name, "n %zu level %g", n, level);
    check_ci_figure("coverage", name, cov, next_num(save));
}

static void
check_pair_record(char **save)
{
    char name[64];
    snprintf(name, sizeof name, "%s", next_tok(save));
    size_t n = (size_t)next_num(save);
    assert_true(n >= 1 && n <= MAX_N);
    double level = next_num(save), ref[MAX_N], cell[MAX_N];
    for (size_t i = 0; i < n; i++)
        ref[i] = next_num(save);
    for (size_t i = 0; i < n; i++)
        cell[i] = next_num(save);
    struct stats_speedup s;
    int rc = stats_paired_speedup(ref, cell, n, level, &s);
    if (rc != (int)next_num(save))
        fail_msg("%s: %s: rc %d differs from the reference", MEDIAN_CI_REF, name, rc);
    assert_int_equal(s.n, n);
    assert_close(s.level, level, 0, 0);
    check_ci_figure("estimate", name, s.estimate, next_num(save));
    check_ci_figure("lo", name, s.lo, next_num(save));
    check_ci_figure("hi", name, s.hi, next_num(save));
    check_ci_figure("coverage", name, s.coverage, next_num(save));
}

static void
test_median_ci_reference(void **state)
{
    (void)state;
    FILE *f = fopen(MEDIAN_CI_REF, "r");
    if (f == NULL)
        fail_msg("cannot open %s (tests run from the repository root)", MEDIAN_CI_REF);
    char *line = NULL;
    size_t cap = 0;
    int ranks = 0, pairs = 0;
    if (getline(&line, &cap, f) < 0 || strstr(line, MEDIAN_CI_REF_MAGIC) == NULL)
        fail_msg("%s does not start with '%s'", MEDIAN_CI_REF, MEDIAN_CI_REF_MAGIC);
    while (getline(&line, &cap, f) > 0) {
        char *save = NULL, *tag = strtok_r(line, " \n", &save);
        if (tag == NULL)
            continue;
        if (strcmp(tag, "rank") == 0) {
            check_rank_record(&save);
            ranks++;
        } else if (strcmp(tag, "pair") == 0) {
            check_pair_record(&save);
            pairs++;
        } else {
            fail_msg("%s: unknown record '%s'", MEDIAN_CI_REF, tag);
        }
    }
    free(line);
    fclose(f);
    assert_true(ranks >= 3 * 63);
    assert_true(pairs >= 8);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_odd),
        cmocka_unit_test(test_hand_even_and_single),
        cmocka_unit_test(test_hand_mad_zero),
        cmocka_unit_test(test_hand_ratio),
        cmocka_unit_test(test_hand_percentile),
        cmocka_unit_test(test_numpy_reference),
        cmocka_unit_test(test_hand_median_ci_rank),
        cmocka_unit_test(test_hand_paired_speedup),
        cmocka_unit_test(test_median_ci_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
