/*
 * metrics_test.c - PSNR, SSIM, MAE, max difference and the heatmap against values worked out
 * by hand, and against tests/ref/metrics_ref.txt, which tests/ref/metrics_ref.py computes
 * with numpy alone (an independent SSIM: fspecial's 2-D window, explicit sliding windows) on
 * image pairs both sides generate from the same LCG.
 */
#include "tests/support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"
#include "util/err.h"

#define METRICS_REF "tests/ref/metrics_ref.txt"
#define METRICS_REF_MAGIC "fbw-ref metrics 1"

static void
test_identical_is_infinite(void **state)
{
    (void)state;
    const float a[4] = {-1, 0, 0.5f, 1};
    struct metrics_diff d = metrics_compare(a, a, 4);
    assert_true(isinf(d.psnr) && d.psnr > 0);
    assert_true(metrics_identical(d.psnr));
    assert_close(d.mae, 0, 0, 0);
    assert_close(d.max_abs, 0, 0, 0);
    /* The smallest difference is finite, however large: no cap, no "identical". */
    const float b[4] = {-1, 0, 0.5f, nextafterf(1, 0)};
    d = metrics_compare(a, b, 4);
    assert_true(isfinite(d.psnr) && d.psnr > 100 && !metrics_identical(d.psnr));
    /* A NaN output is not identical to anything. */
    const float n[4] = {-1, 0, 0.5f, NAN};
    assert_true(isnan(metrics_compare(a, n, 4).psnr));
    assert_false(metrics_identical(NAN) || metrics_identical(-INFINITY) ||
                 metrics_identical(1e308));
    /* With SSIM: exactly 1. */
    float img[3 * 4 * 4];
    for (size_t i = 0; i < sizeof img / sizeof img[0]; i++)
        img[i] = (float)((i * 7) % 11) / 5.0f - 1;
    const int64_t shape[4] = {1, 3, 4, 4};
    d = metrics_compare_image(img, img, shape);
    assert_true(metrics_identical(d.psnr) && d.ssim == 1.0);
}

static void
test_known_values(void **state)
{
    (void)state;
    /* On [0, 1]: a = (0, 0.5, 1, 0.75), b = (0, 0.5, 0.5, 0.75): one error of 0.5 in four.
     * MSE = 0.25 / 4 = 1/16 -> PSNR = 10 log10(16) = 12.0412 dB; MAE = 0.125; max 0.5. */
    const float a[4] = {-1, 0, 1, 0.5f}, b[4] = {-1, 0, 0, 0.5f};
    struct metrics_diff d = metrics_compare(a, b, 4);
    assert_close(d.psnr, 12.041199826559248, 1e-12, 0);
    assert_close(d.mae, 0.125, 0, 1e-15);
    assert_close(d.max_abs, 0.5, 0, 1e-15);
    /* Values outside [-1, 1] are clamped first: 3 and 1 both read as white. */
    const float c[1] = {3}, e[1] = {1};
    assert_true(metrics_identical(metrics_compare(c, e, 1).psnr));
}

static void
test_compare_has_no_ssim(void **state)
{
    (void)state;
    const float a[2] = {0, 1};
    assert_true(isnan(metrics_compare(a, a, 2).ssim));
}

static void
test_ssim_by_hand(void **state)
{
    (void)state;
    /* 1 x 1: the window is the single weight 1, every variance and covariance is exactly 0,
     * so SSIM = (2 mu_a mu_b + C1) C2 / ((mu_a^2 + mu_b^2 + C1) C2).  a = 0 -> 0.5 on [0, 1],
     * b = 1 -> 1: (2 * 0.5 + 1e-4) / (0.25 + 1 + 1e-4) = 1.0001 / 1.2501. */
    const float a = 0, b = 1;
    assert_close(metrics_ssim(&a, &b, 1, 1, 1), 1.0001 / 1.2501, 1e-14, 0);
    /* Two flat 12 x 12 planes, 0.5 and 0.25 on [0, 1]: the means are the constants (to
     * rounding), the variances vanish, so SSIM = (2 * 0.125 + 1e-4) / (0.3125 + 1e-4). */
    float pa[144], pb[144];
    for (int i = 0; i < 144; i++) {
        pa[i] = 0;
        pb[i] = -0.5f;
    }
    assert_close(metrics_ssim(pa, pb, 1, 12, 12), 0.2501 / 0.3126, 1e-12, 0);
    /* Symmetric in its arguments; a flat plane against itself is exactly 1. */
    assert_close(metrics_ssim(pb, pa, 1, 12, 12), 0.2501 / 0.3126, 1e-12, 0);
    assert_close(metrics_ssim(pa, pa, 1, 12, 12), 1, 0, 0);
}

/* The LCG of tests/ref/metrics_ref.py: u in [-1, 1). */
static double
ref_lcg_u(uint32_t *state)
{
    *state = 1664525u * *state + 1013904223u;
    return ((double)(*state >> 8) - 8388608.0) / 8388608.0;
}

/* The image pair metrics_ref.py describes; a and b hold C * H * W floats. */
static void
ref_make_pair(int C, int H, int W, uint32_t seed, int shift, float *a, float *b)
{
    uint32_t st = seed;
    size_t i = 0;
    for (int c = 0; c < C; c++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++, i++) {
                double pattern = ((x * x + 3 * x * y + y + 7 * c) % 64) / 32.0 - 1.0;
                a[i] = (float)(pattern + ref_lcg_u(&st) / 16.0);
            }
    for (i = 0; i < (size_t)C * H * W; i++)
        b[i] = shift < 0 ? a[i] : (float)((double)a[i] + ldexp(ref_lcg_u(&st), -shift));
}

static void
test_numpy_reference(void **state)
{
    (void)state;
    FILE *f = fopen(METRICS_REF, "r");
    if (f == NULL)
        fail_msg("cannot open %s (tests run from the repository root)", METRICS_REF);
    char line[512], name[64];
    if (fgets(line, sizeof line, f) == NULL || strstr(line, METRICS_REF_MAGIC) == NULL)
        fail_msg("%s does not start with '%s'", METRICS_REF, METRICS_REF_MAGIC);
    int cases = 0, C, H, W, shift;
    unsigned seed;
    double want[4];
    while (fscanf(f, " case %63s %d %d %d %u %d %lf %lf %lf %lf", name, &C, &H, &W, &seed,
                  &shift, &want[0], &want[1], &want[2], &want[3]) == 10) {
        size_t n = (size_t)C * H * W;
        float *a = xmalloc(n * sizeof *a), *b = xmalloc(n * sizeof *b);
        ref_make_pair(C, H, W, seed, shift, a, b);
        const int64_t shape[4] = {1, C, H, W};
        struct metrics_diff d = metrics_compare_image(a, b, shape);
        const double got[4] = {d.psnr, d.ssim, d.mae, d.max_abs};
        static const char *what[4] = {"psnr", "ssim", "mae", "max_abs"};
        for (int k = 0; k < 4; k++)
            if (!(got[k] == want[k] || fabs(got[k] - want[k]) <= 1e-12 + 1e-9 * fabs(want[k])))
                fail_msg("%s: %s = %.17g, numpy %.17g", name, what[k], got[k], want[k]);
        if (shift < 0) {        /* identical: exactly 1 and +inf (numpy's "inf") */
            assert_true(d.ssim == 1.0);
            assert_true(isinf(d.psnr) && d.psnr > 0);
        }
        assert_true(metrics_ssim(a, b, C, H, W) == d.ssim);
        free(a);
        free(b);
        cases++;
    }
    fclose(f);
    assert_int_equal(cases, 7);
}

static void
test_heatmap_colours(void **state)
{
    (void)state;
    /* (1, 3, 1, 6), full scale 0.25 on [0, 1]; a is black (-1) everywhere, so b = 2 d - 1
     * puts a difference d on [0, 1].  Per pixel the largest channel difference counts:
     *   px0  d = 0                        t = 0     black (0, 0, 0)
     *   px1  d = 0.125 (channel 1)        t = 0.5   red->yellow halfway: (255, 127.5 -> 128, 0)
     *   px2  d = 0.1875 (channel 2),
     *        0.0625 in channel 0          t = 0.75  yellow->white quarter: (255, 255, 63.75 -> 64)
     *   px3  d = 0.5                      t = 2 -> clamped to 1: white
     *   px4  d = 0.0625                   t = 0.25  black->red: (191.25 -> 191, 0, 0)
     *   px5  d = 1/12 (as float)          t = 1/3   red (255, 0, 0) */
    float a[18], b[18];
    for (int i = 0; i < 18; i++)
        a[i] = b[i] = -1;
    b[1 * 6 + 1] = -0.75f;
    b[2 * 6 + 2] = -0.625f;
    b[0 * 6 + 2] = -0.875f;
    b[1 * 6 + 3] = 0;
    b[2 * 6 + 4] = -0.875f;
    b[0 * 6 + 5] = (float)(2.0 / 12.0 - 1.0);
    const int64_t shape[4] = {1, 3, 1, 6};
    static const uint8_t want[6][3] = {
        {0, 0, 0}, {255, 128, 0}, {255, 255, 64}, {255, 255, 255}, {191, 0, 0}, {255, 0, 0},
    };
    struct image img;
    metrics_heatmap(a, b, shape, 0.25, &img);
    assert_int_equal(img.width, 6);
    assert_int_equal(img.height, 1);
    for (int p = 0; p < 6; p++)
        for (int c = 0; c < 3; c++)
            if (img.rgb[p * 3 + c] != want[p][c])
                fail_msg("pixel %d channel %d = %d, want %d", p, c, img.rgb[p * 3 + c],
                         want[p][c]);
    image_release(&img);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_is_infinite),
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_compare_has_no_ssim),
        cmocka_unit_test(test_ssim_by_hand),
        cmocka_unit_test(test_numpy_reference),
        cmocka_unit_test(test_heatmap_colours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
