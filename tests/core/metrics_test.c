/*
 * metrics_test.c - PSNR, MAE and max difference against values worked out by hand.
 */
#include "tests/support.h"

#include "core/metrics.h"

static void
test_identical_is_capped(void **state)
{
    (void)state;
    const float a[4] = {-1, 0, 0.5f, 1};
    struct metrics_diff d = metrics_compare(a, a, 4);
    assert_close(d.psnr, METRICS_PSNR_CAP, 0, 0);
    assert_close(d.mae, 0, 0, 0);
    assert_close(d.max_abs, 0, 0, 0);
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
    assert_close(metrics_compare(c, e, 1).psnr, METRICS_PSNR_CAP, 0, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_is_capped),
        cmocka_unit_test(test_known_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
