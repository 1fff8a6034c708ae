/*
 * metrics.c - PSNR, SSIM, MAE, maximum difference and a diff heatmap on [0, 1] (see metrics.h).
 *
 * Every figure reads the outputs through metrics_unit, so values outside [-1, 1] count as the
 * black or white a viewer sees.  SSIM follows the authors' ssim.m literally (Gaussian window,
 * "valid" filtering, sigma from E[x^2] - mu^2); the window is applied as two 1-D passes, which
 * is the same sum since fspecial's normalised Gaussian is the outer product of a normalised
 * 1-D one.  Work buffers are allocated per call; images are small (fbw's default is 3x32x32).
 */
#include "core/metrics.h"

#include <math.h>
#include <stdlib.h>

#include "util/err.h"

/* ssim.m: window = fspecial('gaussian', 11, 1.5), K = [0.01 0.03], L = 1. */
#define METRICS_SSIM_WINDOW 11
#define METRICS_SSIM_SIGMA 1.5
#define METRICS_SSIM_C1 (0.01 * 0.01)
#define METRICS_SSIM_C2 (0.03 * 0.03)

static double
metrics_unit(float v)
{
    double u = ((double)v + 1.0) * 0.5;
    return u < 0 ? 0 : u > 1 ? 1 : u;
}

int
metrics_identical(double psnr)
{
    return isinf(psnr) && psnr > 0;
}

struct metrics_diff
metrics_compare(const float *a, const float *b, size_t n)
{
    struct metrics_diff d = {.psnr = INFINITY, .ssim = NAN};
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
    d.psnr = mse == 0 ? INFINITY : 10.0 * log10(1.0 / mse);    /* NaN stays NaN */
    return d;
}

/* The normalised 1-D Gaussian g[0..n), centred at (n - 1) / 2 like fspecial. */
static void
metrics_gauss1d(double *g, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double x = i - (n - 1) / 2.0;
        g[i] = exp(-x * x / (2 * METRICS_SSIM_SIGMA * METRICS_SSIM_SIGMA));
        sum += g[i];
    }
    for (int i = 0; i < n; i++)
        g[i] /= sum;
}

/* The planes one SSIM channel needs: unit values, a product map, and the filtered maps. */
struct metrics_ssim_work {
    int h, w, n;            /* image size and window size */
    int oh, ow;             /* valid positions: h - n + 1 by w - n + 1 */
    double g[METRICS_SSIM_WINDOW];
    double *ua, *ub;        /* (h, w) unit values */
    double *prod;           /* (h, w) the map being filtered */
    double *tmp;            /* (h, ow) after the horizontal pass */
    double *mu_a, *mu_b, *s_aa, *s_bb, *s_ab;  /* (oh, ow) filtered maps */
};

static void
metrics_ssim_work_init(struct metrics_ssim_work *k, int h, int w)
{
    k->h = h;
    k->w = w;
    k->n = h < w ? h : w;
    if (k->n > METRICS_SSIM_WINDOW)
        k->n = METRICS_SSIM_WINDOW;
    k->oh = h - k->n + 1;
    k->ow = w - k->n + 1;
    metrics_gauss1d(k->g, k->n);
    size_t plane = (size_t)h * w, out = (size_t)k->oh * k->ow;
    k->ua = xmalloc(plane * sizeof(double));
    k->ub = xmalloc(plane * sizeof(double));
    k->prod = xmalloc(plane * sizeof(double));
    k->tmp = xmalloc((size_t)h * k->ow * sizeof(double));
    k->mu_a = xmalloc(out * sizeof(double));
    k->mu_b = xmalloc(out * sizeof(double));
    k->s_aa = xmalloc(out * sizeof(double));
    k->s_bb = xmalloc(out * sizeof(double));
    k->s_ab = xmalloc(out * sizeof(double));
}

static void
metrics_ssim_work_release(struct metrics_ssim_work *k)
{
    free(k->ua);
    free(k->ub);
    free(k->prod);
    free(k->tmp);
    free(k->mu_a);
    free(k->mu_b);
    free(k->s_aa);
    free(k->s_bb);
    free(k->s_ab);
}

/* out = filter2(window, in, 'valid'): in is (h, w), out (oh, ow). */
static void
metrics_filter_valid(struct metrics_ssim_work *k, const double *in, double *out)
{
    for (int y = 0; y < k->h; y++)
        for (int x = 0; x < k->ow; x++) {
            double s = 0;
            for (int i = 0; i < k->n; i++)
                s += k->g[i] * in[(size_t)y * k->w + x + i];
            k->tmp[(size_t)y * k->ow + x] = s;
        }
    for (int y = 0; y < k->oh; y++)
        for (int x = 0; x < k->ow; x++) {
            double s = 0;
            for (int i = 0; i < k->n; i++)
                s += k->g[i] * k->tmp[(size_t)(y + i) * k->ow + x];
            out[(size_t)y * k->ow + x] = s;
        }
}

/* Filters x * y into out (x == y gives the second moment). */
static void
metrics_filter_product(struct metrics_ssim_work *k, const double *x, const double *y,
                       double *out)
{
    for (size_t i = 0; i < (size_t)k->h * k->w; i++)
        k->prod[i] = x[i] * y[i];
    metrics_filter_valid(k, k->prod, out);
}

/* mean(ssim_map) of one channel; a, b are (h, w) model outputs. */
static double
metrics_ssim_channel(struct metrics_ssim_work *k, const float *a, const float *b)
{
    for (size_t i = 0; i < (size_t)k->h * k->w; i++) {
        k->ua[i] = metrics_unit(a[i]);
        k->ub[i] = metrics_unit(b[i]);
    }
    metrics_filter_valid(k, k->ua, k->mu_a);
    metrics_filter_valid(k, k->ub, k->mu_b);
    metrics_filter_product(k, k->ua, k->ua, k->s_aa);
    metrics_filter_product(k, k->ub, k->ub, k->s_bb);
    metrics_filter_product(k, k->ua, k->ub, k->s_ab);
    double sum = 0;
    size_t npos = (size_t)k->oh * k->ow;
    for (size_t i = 0; i < npos; i++) {
        double ma = k->mu_a[i], mb = k->mu_b[i];
        double va = k->s_aa[i] - ma * ma, vb = k->s_bb[i] - mb * mb, cab = k->s_ab[i] - ma * mb;
        double num = (2 * ma * mb + METRICS_SSIM_C1) * (2 * cab + METRICS_SSIM_C2);
        double den = (ma * ma + mb * mb + METRICS_SSIM_C1) * (va + vb + METRICS_SSIM_C2);
        sum += num / den;
    }
    return sum / (double)npos;
}

double
metrics_ssim(const float *a, const float *b, int channels, int height, int width)
{
    CHECK(channels >= 1 && height >= 1 && width >= 1);
    struct metrics_ssim_work k;
    metrics_ssim_work_init(&k, height, width);
    size_t plane = (size_t)height * width;
    double sum = 0;
    for (int c = 0; c < channels; c++)
        sum += metrics_ssim_channel(&k, a + c * plane, b + c * plane);
    metrics_ssim_work_release(&k);
    return sum / channels;
}

struct metrics_diff
metrics_compare_image(const float *a, const float *b, const int64_t shape[4])
{
    CHECK(shape[0] == 1 && shape[1] >= 1 && shape[2] >= 1 && shape[3] >= 1);
    struct metrics_diff d = metrics_compare(a, b, (size_t)(shape[1] * shape[2] * shape[3]));
    /* Identical inputs give exactly 1 anyway (every term of each ratio is computed from the
     * same values); saying so keeps that a promise rather than a property of the sums. */
    d.ssim = metrics_identical(d.psnr) ? 1.0
             : metrics_ssim(a, b, (int)shape[1], (int)shape[2], (int)shape[3]);
    return d;
}

static uint8_t
metrics_byte(double v)
{
    return v <= 0 ? 0 : v >= 1 ? 255 : (uint8_t)lround(v * 255.0);
}

/* Black (0) -> red (1/3) -> yellow (2/3) -> white (1), each channel ramping in its third. */
static void
metrics_heat_colour(double t, uint8_t rgb[3])
{
    rgb[0] = metrics_byte(3 * t);
    rgb[1] = metrics_byte(3 * t - 1);
    rgb[2] = metrics_byte(3 * t - 2);
}

void
metrics_heatmap(const float *a, const float *b, const int64_t shape[4], double full_scale,
                struct image *img)
{
    CHECK(shape[0] == 1 && shape[1] >= 1 && shape[2] >= 1 && shape[3] >= 1);
    CHECK(full_scale > 0);
    const int C = (int)shape[1];
    const size_t plane = (size_t)(shape[2] * shape[3]);
    img->height = (int)shape[2];
    img->width = (int)shape[3];
    img->rgb = xmalloc(plane * 3);
    for (size_t i = 0; i < plane; i++) {
        double m = 0;
        for (int c = 0; c < C; c++) {
            double e = fabs(metrics_unit(a[c * plane + i]) - metrics_unit(b[c * plane + i]));
            if (isnan(e) || e > m)
                m = e;      /* NaN stays: a broken output shows white, not black */
        }
        double t = m / full_scale;
        metrics_heat_colour(isnan(t) || t > 1 ? 1 : t, img->rgb + i * 3);
    }
}
