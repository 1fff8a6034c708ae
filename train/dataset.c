/*
 * dataset.c - the procedural image classes, their random scenes, and the grid helper.
 *
 * Concept: a class is a const descriptor (name, an inside test on the unit local frame,
 * ranges for size, rotation, aspect and one class parameter).  Rendering a sample builds a
 * scene from a splitmix64 stream keyed by (seed, class, index): colours first, then the
 * frame that maps pixels to the class's local coordinates.  Each pixel is the mean of 4x4
 * inside tests (supersampled coverage) blended between the foreground colour and the
 * background at the pixel centre.  Shapes are sized and placed to lie wholly in the image;
 * patterns fill it, with the frame's origin as their random phase.
 *
 * Invariant - bit-identical output everywhere: all arithmetic is IEEE 754 double with
 * + - * / and sqrt (correctly rounded), floor and fabs (exact); rotations go through the
 * polynomial dataset_sincos below rather than libm's sin/cos, whose last bits vary between
 * libm versions.  Floating-point contraction must stay off (GCC does so under -std=c11;
 * the pragma below covers clang, which would otherwise fuse a*b+c into an FMA on targets
 * that have one), and -ffast-math must never reach this file.  Random draws are made one
 * per statement, never two in one call's arguments (their order is unspecified: GCC and
 * clang differ).  Changing any range, draw
 * order or formula changes every sample and therefore any model trained on them: the
 * golden hash in tests/core/dataset_test.c pins the output, update it deliberately.
 */
#include "train/dataset.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/strdist.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define DATASET_SS 4                            /* coverage samples per pixel side */
#define DATASET_PI 3.14159265358979323846
#define DATASET_DEG (DATASET_PI / 180.0)
#define DATASET_STAR_POINTS 5
#define DATASET_CONTRAST 0.3                    /* least luma gap, foreground to background */
#define DATASET_GOLDEN 0x9e3779b97f4a7c15ULL    /* splitmix64's increment */

/* Key domains, so that the label stream and the sample streams never coincide. */
enum { DATASET_DOMAIN_SAMPLE = 1, DATASET_DOMAIN_LABELS = 2 };

/* ---- deterministic numbers ---------------------------------------------------------- */

/* splitmix64 (Steele, Lea and Flood 2014; Vigna's reference constants). */
struct dataset_rng {
    uint64_t state;
};

static uint64_t
dataset_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t
dataset_next(struct dataset_rng *r)
{
    r->state += DATASET_GOLDEN;
    return dataset_mix(r->state);
}

/* Uniform in [lo, hi) from the top 53 bits. */
static double
dataset_uniform(struct dataset_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * ((double)(dataset_next(r) >> 11) * 0x1.0p-53);
}

/* A stream key from a domain and three words; every word changes the whole key. */
static uint64_t
dataset_key(uint64_t domain, uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = dataset_mix(domain * DATASET_GOLDEN + a);
    h = dataset_mix(h + DATASET_GOLDEN + b);
    return dataset_mix(h + DATASET_GOLDEN + c);
}

/*
 * sin and cos of a (radians) from basic operations only: reduce to [-pi, pi], fold into
 * [-pi/2, pi/2], then the Taylor series to x^13 / x^12 in Horner form (error below 1e-9,
 * far under a pixel; what matters is that every machine computes the same bits).
 */
static void
dataset_sincos(double a, double *s, double *c)
{
    double x = a - floor(a / (2 * DATASET_PI) + 0.5) * (2 * DATASET_PI);
    double sign = 1;
    if (x > DATASET_PI / 2) {
        x = DATASET_PI - x;
        sign = -1;
    } else if (x < -DATASET_PI / 2) {
        x = -DATASET_PI - x;
        sign = -1;
    }
    double x2 = x * x;
    double ps = 1 - x2 / 156, pc = 1 - x2 / 132;
    ps = 1 - x2 / 110 * ps;
    pc = 1 - x2 / 90 * pc;
    ps = 1 - x2 / 72 * ps;
    pc = 1 - x2 / 56 * pc;
    ps = 1 - x2 / 42 * ps;
    pc = 1 - x2 / 30 * pc;
    ps = 1 - x2 / 20 * ps;
    pc = 1 - x2 / 12 * pc;
    ps = 1 - x2 / 6 * ps;
    pc = 1 - x2 / 2 * pc;
    *s = x * ps;
    *c = sign * pc;
}

/* ---- the scene ------------------------------------------------------------------------ */

/* One sample's drawing state. */
struct dataset_scene {
    double cx, cy;              /* origin of the local frame, px */
    double cosr, sinr;          /* its rotation */
    double su, sv;              /* px per local unit along u and v */
    double p;                   /* the class parameter (see dataset_classes) */
    double star[2 * DATASET_STAR_POINTS][2];   /* star outline, local units */
    double fg[3], bg0[3], bg1[3];              /* colours in [0, 1] */
    double gx, gy;              /* background gradient: t = 0.5 + gx*dx + gy*dy */
};

typedef int (*dataset_inside_fn)(const struct dataset_scene *s, double u, double v);

struct dataset_class {
    const char *name;
    dataset_inside_fn inside;   /* is local point (u, v) foreground? */
    int pattern;                /* fills the image (size = period) instead of one shape */
    double size_lo, size_hi;    /* px: a shape's radius, a pattern's period */
    double extent;              /* a shape's farthest point, in local units, after rotation */
    double rot, rot_jitter;     /* rotation in degrees: rot +- rot_jitter */
    double aspect_lo, aspect_hi;    /* su / sv */
    double p_lo, p_hi;          /* the class parameter's range */
};

static int
dataset_in_circle(const struct dataset_scene *s, double u, double v)
{
    (void)s;
    return u * u + v * v <= 1;
}

static int
dataset_in_square(const struct dataset_scene *s, double u, double v)
{
    (void)s;
    return fabs(u) <= 1 && fabs(v) <= 1;
}

/* Equilateral, circumradius 1 (inradius 0.5), apex at (0, -1). */
static int
dataset_in_triangle(const struct dataset_scene *s, double u, double v)
{
    (void)s;
    const double h = 0.86602540378443865;      /* sqrt(3) / 2 */
    return v <= 0.5 && h * u - 0.5 * v <= 0.5 && -h * u - 0.5 * v <= 0.5;
}

static int
dataset_in_diamond(const struct dataset_scene *s, double u, double v)
{
    (void)s;
    return fabs(u) + fabs(v) <= 1;
}

/* p = half-width of the bars. */
static int
dataset_in_plus(const struct dataset_scene *s, double u, double v)
{
    double au = fabs(u), av = fabs(v);
    return (au <= s->p && av <= 1) || (av <= s->p && au <= 1);
}

/* Even-odd crossing test against the star outline built in dataset_scene_init. */
static int
dataset_in_star(const struct dataset_scene *s, double u, double v)
{
    int in = 0;
    for (int i = 0, j = 2 * DATASET_STAR_POINTS - 1; i < 2 * DATASET_STAR_POINTS; j = i++) {
        double ui = s->star[i][0], vi = s->star[i][1], uj = s->star[j][0], vj = s->star[j][1];
        if ((vi > v) != (vj > v) && u < (uj - ui) * (v - vi) / (vj - vi) + ui)
            in = !in;
    }
    return in;
}

/* p = inner radius. */
static int
dataset_in_ring(const struct dataset_scene *s, double u, double v)
{
    double r2 = u * u + v * v;
    return r2 <= 1 && r2 >= s->p * s->p;
}

/* The unit disc minus a disc of radius 0.8 moved p along +u. */
static int
dataset_in_crescent(const struct dataset_scene *s, double u, double v)
{
    double du = u - s->p;
    return u * u + v * v <= 1 && du * du + v * v > 0.64;
}

/* p = duty: the fraction of each period that is foreground.  Rotation picks h or v. */
static int
dataset_in_stripes(const struct dataset_scene *s, double u, double v)
{
    (void)u;
    return v - floor(v) < s->p;
}

static int
dataset_in_checkerboard(const struct dataset_scene *s, double u, double v)
{
    (void)s;
    return (((int64_t)floor(u) + (int64_t)floor(v)) & 1) != 0;
}

/* p = dot radius, in periods. */
static int
dataset_in_dots(const struct dataset_scene *s, double u, double v)
{
    double du = u - floor(u) - 0.5, dv = v - floor(v) - 0.5;
    return du * du + dv * dv <= s->p * s->p;
}

/*
 * The classes.  Ranges keep each class unmistakable at 32x32: squares stay within 15 degrees
 * of upright and diamonds are narrow rhombi standing on a tip, so neither passes for the
 * other; the plus stays near upright (never an X); stripes stay within 12 degrees of their
 * axis.  Append new classes at the end: a class's number is its label in trained models.
 */
static const struct dataset_class dataset_classes[] = {
    {.name = "circle", .inside = dataset_in_circle, .size_lo = 6, .size_hi = 13.5,
     .extent = 1, .rot = 0, .rot_jitter = 180, .aspect_lo = 0.85, .aspect_hi = 1,
     .p_lo = 0, .p_hi = 0},
    {.name = "square", .inside = dataset_in_square, .size_lo = 5, .size_hi = 10.5,
     .extent = 1.25, .rot = 0, .rot_jitter = 15, .aspect_lo = 0.85, .aspect_hi = 1,
     .p_lo = 0, .p_hi = 0},
    {.name = "triangle", .inside = dataset_in_triangle, .size_lo = 9, .size_hi = 15,
     .extent = 1, .rot = 0, .rot_jitter = 180, .aspect_lo = 1, .aspect_hi = 1,
     .p_lo = 0, .p_hi = 0},
    {.name = "diamond", .inside = dataset_in_diamond, .size_lo = 9, .size_hi = 14.5,
     .extent = 1, .rot = 0, .rot_jitter = 15, .aspect_lo = 0.55, .aspect_hi = 0.75,
     .p_lo = 0, .p_hi = 0},
    {.name = "plus", .inside = dataset_in_plus, .size_lo = 8, .size_hi = 14,
     .extent = 1.1, .rot = 0, .rot_jitter = 15, .aspect_lo = 1, .aspect_hi = 1,
     .p_lo = 0.22, .p_hi = 0.36},
    {.name = "star", .inside = dataset_in_star, .size_lo = 9, .size_hi = 15,
     .extent = 1, .rot = 0, .rot_jitter = 180, .aspect_lo = 1, .aspect_hi = 1,
     .p_lo = 0.38, .p_hi = 0.5},
    {.name = "ring", .inside = dataset_in_ring, .size_lo = 8, .size_hi = 14.5,
     .extent = 1, .rot = 0, .rot_jitter = 180, .aspect_lo = 0.85, .aspect_hi = 1,
     .p_lo = 0.5, .p_hi = 0.7},
    {.name = "crescent", .inside = dataset_in_crescent, .size_lo = 8.5, .size_hi = 14.5,
     .extent = 1, .rot = 0, .rot_jitter = 180, .aspect_lo = 1, .aspect_hi = 1,
     .p_lo = 0.35, .p_hi = 0.55},
    {.name = "hstripes", .inside = dataset_in_stripes, .pattern = 1, .size_lo = 5,
     .size_hi = 9, .rot = 0, .rot_jitter = 12, .aspect_lo = 1, .aspect_hi = 1,
     .p_lo = 0.4, .p_hi = 0.6},
    {.name = "vstripes", .inside = dataset_in_stripes, .pattern = 1, .size_lo = 5,
     .size_hi = 9, .rot = 90, .rot_jitter = 12, .aspect_lo = 1, .aspect_hi = 1,
     .p_lo = 0.4, .p_hi = 0.6},
    {.name = "checkerboard", .inside = dataset_in_checkerboard, .pattern = 1, .size_lo = 3.5,
     .size_hi = 7, .rot = 0, .rot_jitter = 12, .aspect_lo = 1, .aspect_hi = 1,
     .p_lo = 0, .p_hi = 0},
    {.name = "dots", .inside = dataset_in_dots, .pattern = 1, .size_lo = 6, .size_hi = 10,
     .rot = 0, .rot_jitter = 180, .aspect_lo = 1, .aspect_hi = 1, .p_lo = 0.24, .p_hi = 0.34},
};
#define DATASET_NCLASSES ((int)(sizeof dataset_classes / sizeof dataset_classes[0]))

int
dataset_class_count(void)
{
    return DATASET_NCLASSES;
}

const char *
dataset_class_name(int cls)
{
    CHECK(cls >= 0 && cls < DATASET_NCLASSES);
    return dataset_classes[cls].name;
}

int
dataset_class_find(const char *name)
{
    for (int c = 0; c < DATASET_NCLASSES; c++)
        if (strcmp(dataset_classes[c].name, name) == 0)
            return c;
    return -1;
}

const char *
dataset_class_closest(const char *name)
{
    const char *names[DATASET_NCLASSES];
    for (int c = 0; c < DATASET_NCLASSES; c++)
        names[c] = dataset_classes[c].name;
    return strdist_closest(name, names, DATASET_NCLASSES);
}

/* ---- colours ----------------------------------------------------------------------------- */

/* HSV to RGB, h in [0, 6). */
static void
dataset_hsv(double h, double s, double v, double rgb[3])
{
    double i = floor(h), f = h - i;
    double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    double table[6][3] = {{v, t, p}, {q, v, p}, {p, v, t}, {p, q, v}, {t, p, v}, {v, p, q}};
    int k = (int)i % 6;
    memcpy(rgb, table[k], sizeof table[k]);
}

/*
 * A colour of random hue with saturation in [s_lo, s_hi) and value in [v_lo, v_hi), drawn
 * in that order.  (One draw per statement: the order in which a call's arguments are
 * evaluated is unspecified, and GCC and clang differ.)
 */
static void
dataset_random_hsv(struct dataset_rng *r, double s_lo, double s_hi, double v_lo, double v_hi,
                   double rgb[3])
{
    double h = dataset_uniform(r, 0, 6);
    double s = dataset_uniform(r, s_lo, s_hi);
    double v = dataset_uniform(r, v_lo, v_hi);
    dataset_hsv(h, s, v, rgb);
}

/* Rec. 601 luma. */
static double
dataset_luma(const double rgb[3])
{
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
}

static double
dataset_clamp01(double x)
{
    return x < 0 ? 0 : x > 1 ? 1 : x;
}

/*
 * Background: a colour, and half the time a second one (each channel within 0.25) with a
 * direction for a linear gradient.  Foreground: random colours until one is at least
 * DATASET_CONTRAST in luma from both background ends; after 32 misses black or white,
 * whichever is farther (a gradient moves luma by at most 0.25, so that one is >= 0.375 away).
 */
static void
dataset_colours(struct dataset_rng *r, struct dataset_scene *s)
{
    dataset_random_hsv(r, 0, 0.9, 0.05, 1, s->bg0);
    memcpy(s->bg1, s->bg0, sizeof s->bg1);
    s->gx = s->gy = 0;
    if (dataset_uniform(r, 0, 1) < 0.5) {
        for (int c = 0; c < 3; c++)
            s->bg1[c] = dataset_clamp01(s->bg0[c] + dataset_uniform(r, -0.25, 0.25));
        double gs, gc;
        dataset_sincos(dataset_uniform(r, 0, 2 * DATASET_PI), &gs, &gc);
        /* |dx*gc + dy*gs| <= 16 * sqrt(2) at the corners, so t stays in [0, 1]. */
        s->gx = gc / (32 * 1.4142135623730951);
        s->gy = gs / (32 * 1.4142135623730951);
    }
    double l0 = dataset_luma(s->bg0), l1 = dataset_luma(s->bg1);
    for (int tries = 0; tries < 32; tries++) {
        dataset_random_hsv(r, 0.2, 1, 0, 1, s->fg);
        double l = dataset_luma(s->fg);
        if (fabs(l - l0) >= DATASET_CONTRAST && fabs(l - l1) >= DATASET_CONTRAST)
            return;
    }
    double lo = l0 < l1 ? l0 : l1, hi = l0 < l1 ? l1 : l0;
    double grey = lo > 1 - hi ? 0 : 1;
    s->fg[0] = s->fg[1] = s->fg[2] = grey;
}

/* ---- rendering ---------------------------------------------------------------------------- */

static void
dataset_scene_init(struct dataset_scene *s, uint64_t seed, int cls, uint64_t index)
{
    CHECK(cls >= 0 && cls < DATASET_NCLASSES);
    const struct dataset_class *k = &dataset_classes[cls];
    struct dataset_rng r = {dataset_key(DATASET_DOMAIN_SAMPLE, seed, (uint64_t)cls, index)};
    memset(s, 0, sizeof *s);
    dataset_colours(&r, s);
    double size = dataset_uniform(&r, k->size_lo, k->size_hi);
    double aspect = dataset_uniform(&r, k->aspect_lo, k->aspect_hi);
    double rot = k->rot + dataset_uniform(&r, -k->rot_jitter, k->rot_jitter);
    s->p = dataset_uniform(&r, k->p_lo, k->p_hi);
    dataset_sincos(rot * DATASET_DEG, &s->sinr, &s->cosr);
    s->su = size * aspect;
    s->sv = size;
    double lo = 0, hi = DATASET_SIZE;           /* a pattern's origin is its phase */
    if (!k->pattern) {
        double margin = size * k->extent + 1;
        lo = margin < DATASET_SIZE / 2 ? margin : DATASET_SIZE / 2;
        hi = DATASET_SIZE - lo;
    }
    s->cx = dataset_uniform(&r, lo, hi);
    s->cy = dataset_uniform(&r, lo, hi);
    for (int i = 0; i < 2 * DATASET_STAR_POINTS; i++) {
        double sn, cs, rad = i % 2 == 0 ? 1 : s->p;
        dataset_sincos((i * 180.0 / DATASET_STAR_POINTS - 90) * DATASET_DEG, &sn, &cs);
        s->star[i][0] = rad * cs;
        s->star[i][1] = rad * sn;
    }
}

/* Fraction of pixel (x, y) that is foreground, from DATASET_SS^2 point samples. */
static double
dataset_coverage(const struct dataset_scene *s, dataset_inside_fn inside, int x, int y)
{
    int hits = 0;
    for (int j = 0; j < DATASET_SS; j++) {
        double dy = y + (j + 0.5) / DATASET_SS - s->cy;
        for (int i = 0; i < DATASET_SS; i++) {
            double dx = x + (i + 0.5) / DATASET_SS - s->cx;
            double u = (s->cosr * dx + s->sinr * dy) / s->su;
            double v = (s->cosr * dy - s->sinr * dx) / s->sv;
            hits += inside(s, u, v) != 0;
        }
    }
    return (double)hits / (DATASET_SS * DATASET_SS);
}

void
dataset_render(uint64_t seed, int cls, uint64_t index, float *chw)
{
    struct dataset_scene s;
    dataset_scene_init(&s, seed, cls, index);
    const size_t plane = (size_t)DATASET_SIZE * DATASET_SIZE;
    for (int y = 0; y < DATASET_SIZE; y++) {
        for (int x = 0; x < DATASET_SIZE; x++) {
            double a = dataset_coverage(&s, dataset_classes[cls].inside, x, y);
            double t = 0.5 + s.gx * (x + 0.5 - DATASET_SIZE / 2) +
                       s.gy * (y + 0.5 - DATASET_SIZE / 2);
            t = dataset_clamp01(t);
            for (int c = 0; c < 3; c++) {
                double bg = s.bg0[c] + (s.bg1[c] - s.bg0[c]) * t;
                double col = bg + (s.fg[c] - bg) * a;
                chw[c * plane + (size_t)y * DATASET_SIZE + x] = (float)(2 * col - 1);
            }
        }
    }
}

void
dataset_batch(uint64_t seed, uint64_t batch_index, int n, const int *cls, float *x,
              int64_t *labels)
{
    CHECK(n >= 1);
    for (int b0 = 0; b0 < n; b0 += DATASET_NCLASSES) {
        int perm[DATASET_NCLASSES];
        struct dataset_rng r = {dataset_key(DATASET_DOMAIN_LABELS, seed, batch_index,
                                            (uint64_t)(b0 / DATASET_NCLASSES))};
        for (int i = 0; i < DATASET_NCLASSES; i++)
            perm[i] = i;
        for (int i = DATASET_NCLASSES - 1; i > 0; i--) {       /* Fisher-Yates */
            int j = (int)(dataset_next(&r) % (uint64_t)(i + 1));
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        for (int i = b0; i < n && i < b0 + DATASET_NCLASSES; i++)
            labels[i] = cls != NULL ? cls[i] : perm[i - b0];
    }
    for (int i = 0; i < n; i++)
        dataset_render(seed, (int)labels[i], batch_index * (uint64_t)n + (uint64_t)i,
                       x + (size_t)i * DATASET_VALUES);
}

/* [-1, 1] -> [0, 255], rounded, NaN as 0: the mapping of image_from_output. */
static uint8_t
dataset_byte(double v)
{
    double u = (v + 1.0) * 0.5 * 255.0;
    if (!(u > 0))
        return 0;
    return u >= 255 ? 255 : (uint8_t)lround(u);
}

void
dataset_grid(const float *chw_images, int n, int cols, struct image *out)
{
    CHECK(n >= 1 && cols >= 1);
    const int S = DATASET_SIZE, G = DATASET_GRID_GAP;
    const size_t plane = (size_t)S * S;
    int rows = (n + cols - 1) / cols;
    out->width = cols * (S + G) + G;
    out->height = rows * (S + G) + G;
    out->rgb = xmalloc((size_t)out->width * out->height * 3);
    memset(out->rgb, 40, (size_t)out->width * out->height * 3);
    for (int i = 0; i < n; i++) {
        const float *img = chw_images + (size_t)i * DATASET_VALUES;
        int ox = G + (i % cols) * (S + G), oy = G + (i / cols) * (S + G);
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                for (int c = 0; c < 3; c++)
                    out->rgb[((size_t)(oy + y) * out->width + ox + x) * 3 + c] =
                        dataset_byte(img[c * plane + y * S + x]);
    }
}
