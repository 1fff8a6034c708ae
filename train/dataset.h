/*
 * dataset.h - a procedural, class-conditional data set of 32x32 RGB images, for training
 * fbw's own small DiT and for showing what its classes look like.
 *
 * Every sample is a pure function of (seed, class, index): one foreground shape or pattern
 * (circle, square, stripes, ...) drawn anti-aliased in a random colour over a background of
 * another colour (flat, or a gentle linear gradient), with random position, scale, aspect
 * and rotation where the class allows it.  The same arguments give the same bytes on every
 * machine: the generator is a private splitmix64 stream and the arithmetic is IEEE double
 * + - * / sqrt and floor only (its own sine/cosine polynomial, no libm transcendentals), so
 * nothing depends on the libm version.  Nothing is allocated except by dataset_grid; no
 * state is kept between calls, so every function is thread-safe.
 *
 *     float x[DATASET_VALUES];
 *     dataset_render(seed, dataset_class_find("ring"), 7, x);     (3, 32, 32) in [-1, 1]
 *
 *     float *xb = xmalloc(n * DATASET_VALUES * sizeof *xb);
 *     int64_t *y = xmalloc(n * sizeof *y);
 *     dataset_batch(seed, step, n, NULL, xb, y);                  balanced random classes
 */
#ifndef FBW_TRAIN_DATASET_H
#define FBW_TRAIN_DATASET_H

#include <stdint.h>

#include "core/image.h"

#define DATASET_SIZE 32                                     /* images are SIZE x SIZE */
#define DATASET_CHANNELS 3                                  /* RGB */
#define DATASET_VALUES (DATASET_CHANNELS * DATASET_SIZE * DATASET_SIZE)    /* per sample */
#define DATASET_GRID_GAP 2                                  /* px between and around tiles */

/* The number of classes (at least 10); classes are 0 .. dataset_class_count() - 1. */
int dataset_class_count(void);

/* The class's name ("circle", ...), a static string; cls must be a valid class (CHECK). */
const char *dataset_class_name(int cls);

/* The class called name (exact, case-sensitive), or -1 when there is none. */
int dataset_class_find(const char *name);

/* The valid class name nearest to name by edit distance (a static string), for hints. */
const char *dataset_class_closest(const char *name);

/*
 * Render sample (seed, cls, index) into chw: DATASET_VALUES float32 in [-1, 1], channel-major
 * (R plane, G plane, B plane; rows top to bottom), the form the trainer feeds the model.
 * The result depends on nothing but the three arguments.  cls must be valid (CHECK).
 */
void dataset_render(uint64_t seed, int cls, uint64_t index, float *chw);

/*
 * Render a batch of n samples into x (n, 3, 32, 32) and their classes into labels (n).
 * Sample i is exactly dataset_render(seed, labels[i], batch_index * n + i, ...).  When cls
 * is non-NULL, labels[i] = cls[i]; when it is NULL the labels are drawn from (seed,
 * batch_index): each run of dataset_class_count() consecutive entries is a random
 * permutation of all classes, so a batch of n >= dataset_class_count() holds every class
 * and the classes are balanced to within one sample.  n >= 1.
 */
void dataset_batch(uint64_t seed, uint64_t batch_index, int n, const int *cls, float *x,
                   int64_t *labels);

/*
 * Tile n CHW images (values in [-1, 1], mapped to bytes as image_from_output does) into a
 * grid of cols columns and ceil(n / cols) rows, DATASET_GRID_GAP dark-grey pixels between
 * and around the tiles: width cols * (32 + gap) + gap, height likewise.  Fills out (release
 * with image_release).  n >= 1, cols >= 1.
 */
void dataset_grid(const float *chw_images, int n, int cols, struct image *out);

#endif
