/*
 * image.c - output-to-RGB conversion and PNG writing through libpng.
 */
#include "core/image.h"

#include <errno.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* ComfyUI comfy/latent_formats.py SD15.latent_rgb_factors: rows are latent channels. */
static const double image_sd15_rgb[4][3] = {
    {0.3512, 0.2297, 0.3227},
    {0.3250, 0.4974, 0.2350},
    {-0.2829, 0.1762, 0.2721},
    {-0.2120, -0.2616, -0.7177},
};

static uint8_t
image_byte(double v)
{
    /* [-1, 1] -> [0, 255], rounded, NaN as 0. */
    double u = (v + 1.0) * 0.5 * 255.0;
    if (!(u > 0))
        return 0;
    return u >= 255 ? 255 : (uint8_t)lround(u);
}

void
image_from_output(struct image *img, const float *x, const int64_t shape[4])
{
    const int C = (int)shape[1], H = (int)shape[2], W = (int)shape[3];
    const size_t plane = (size_t)H * W;
    img->width = W;
    img->height = H;
    img->rgb = xmalloc(plane * 3);
    for (size_t i = 0; i < plane; i++) {
        for (int c = 0; c < 3; c++) {
            double v;
            if (C == 3) {
                v = x[c * plane + i];
            } else if (C == 4) {
                v = 0;
                for (int k = 0; k < 4; k++)
                    v += x[k * plane + i] * image_sd15_rgb[k][c];
            } else {
                v = x[i];
            }
            img->rgb[i * 3 + c] = image_byte(v);
        }
    }
}

void
image_release(struct image *img)
{
    free(img->rgb);
    img->rgb = NULL;
}

static int
image_png_body(FILE *f, const struct image *img, const char *key, const char *text)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return -1;
    }
    png_bytep *rows = xcalloc((size_t)img->height, sizeof *rows);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (text != NULL) {
        png_text t = {.compression = PNG_TEXT_COMPRESSION_NONE, .key = (char *)key,
                      .text = (char *)text, .text_length = strlen(text)};
        png_set_text(png, info, &t, 1);
    }
    for (int y = 0; y < img->height; y++)
        rows[y] = img->rgb + (size_t)y * img->width * 3;
    png_write_info(png, info);
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    return 0;
}

int
image_write_png(const struct image *img, const char *path, const char *key, const char *text,
                char **cause)
{
    char *tmp = xasprintf("%s.tmp", path);
    int rc = -1;
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        err_set(cause, "cannot write image '%s': %s", path, strerror(errno));
        goto out;
    }
    int body = image_png_body(f, img, key ? key : "parameters", text);
    if (fclose(f) != 0 || body < 0) {
        err_set(cause, "cannot write image '%s': PNG encoding or write failed", path);
        remove(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        err_set(cause, "cannot write image '%s': %s", path, strerror(errno));
        remove(tmp);
        goto out;
    }
    rc = 0;
out:
    free(tmp);
    return rc;
}
