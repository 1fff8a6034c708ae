/*
 * metrics.c - PSNR, MAE and maximum difference on [0, 1] (see metrics.h).
 */
#include "core/metrics.h"

#include <math.h>

static double
metrics_unit(float v)
{
    double u = ((double)v + 1.0) * 0.5;
    return u < 0 ? 0 : u > 1 ? 1 : u;
}

struct metrics_diff
metrics_compare(const float *a, const float *b, size_t n)
{
    struct metrics_diff d = {METRICS_PSNR_CAP, 0, 0};
    double se = 0, ae = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(metrics_unit(a[i]) - metrics_unit(b[i]));
        se += e * e;
        ae += e;
        d.max_abs = fmax(d.max_abs, e);
    }
    if (n == 0)
        return d;
    d.mae = ae / (double)n;
    double mse = se / (double)n;
    if (mse > 0)
        d.psnr = fmin(METRICS_PSNR_CAP, 10.0 * log10(1.0 / mse));
    return d;
}
