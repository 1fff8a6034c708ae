/*
 * stats_test.c - util/stats.c against hand-worked cases and against
 * tests/ref/stats_ref.txt, which tests/ref/stats_ref.py computes with numpy from the
 * definitions in stats.h (n = 1, odd and even n, percentiles, MAD, CV, both outlier rules with
 * MAD == 0, the first-run-slow warning and the propagated ratio).
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
        fail_msg("%s: short record", STATS_REF);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
