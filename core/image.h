/*
 * image.h - model outputs to 8-bit RGB, and PNG files with their parameters.
 *
 * Pixel models (3 channels) map [-1, 1] to [0, 255].  4-channel SD-style
 * latents are shown through ComfyUI's SD1.5 latent-to-RGB preview factors (a
 * linear projection, no VAE).  Other channel counts show channel 0 as grey.
 * PNGs carry the generation parameters in a tEXt chunk ("parameters", like
 * A1111's infotext) so any image traces back to its settings.  The same PNG bytes can be
 * built in memory (for database blobs) and decoded back from any 8-bit PNG.
 */
#ifndef FBW_CORE_IMAGE_H
#define FBW_CORE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct image {
    int width, height;
    uint8_t *rgb;           /* width * height * 3, row-major; owned */
};

/* Convert x (1, C, H, W) float32 host data; fills img (release with image_release). */
void image_from_output(struct image *img, const float *x, const int64_t shape[4]);
void image_release(struct image *img);

/* Write img as an 8-bit RGB PNG with one tEXt chunk key=text (text may be NULL).
 * Writes path.tmp and renames, so a crash never leaves half a file. */
int image_write_png(const struct image *img, const char *path, const char *key,
                    const char *text, char **cause);

/*
 * The PNG image_write_png would write (same tEXt chunk; key NULL means "parameters"), in
 * memory: on success *png is a malloc'd buffer of *size bytes the caller frees.  Returns 0,
 * or -1 with *cause set (and *png, *size untouched).
 */
int image_encode_png(const struct image *img, const char *key, const char *text,
                     unsigned char **png, size_t *size, char **cause);

/*
 * Decode an 8-bit RGB, RGBA, grey (any depth) or palette PNG from png[0..size) into img as
 * RGB (alpha dropped, 16-bit reduced to 8); release with image_release.  Returns 0, or -1
 * with *cause set and img zeroed for corrupt, truncated or oversized (> 16384 px a side) data.
 */
int image_decode_png(const unsigned char *png, size_t size, struct image *img, char **cause);

#endif
