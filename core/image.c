/*
 * image.c - output-to-RGB conversion, and PNG encoding and decoding through libpng.
 *
 * Every PNG goes through memory: image_encode_png builds the file in a growing buffer and
 * image_write_png writes that buffer, so files and database blobs are byte-identical.  libpng
 * reports errors by longjmp; the callbacks here keep its message for the caller's cause and
 * never print.  Decoding trusts nothing in the data: dimensions are bounded before allocation
 * and a corrupt or truncated buffer is an error, never a crash.
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

/* The largest width or height image_decode_png accepts (fbw's images are far smaller). */
#define IMAGE_PNG_MAX_SIDE 16384

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

/*
 * libpng state for one encode or decode.  It lives in the frame of the function that calls
 * the *_impl helper, not of the function that calls setjmp, so what libpng changes in it
 * before a longjmp stays valid without volatile.
 */
struct image_png_io {
    const unsigned char *in;    /* decode: the PNG bytes, in_pos read so far */
    size_t in_size, in_pos;
    unsigned char *out;         /* encode: the PNG so far (xrealloc'd), out_size used */
    size_t out_size, out_cap;
    png_bytep *rows;            /* row pointers into the pixels; owned */
    char msg[200];              /* libpng's error message */
};

/* libpng's error callback: keep the message for the cause, then unwind to setjmp. */
static void
image_png_error(png_structp png, png_const_charp msg)
{
    struct image_png_io *io = png_get_error_ptr(png);
    snprintf(io->msg, sizeof io->msg, "%s", msg);
    png_longjmp(png, 1);
}

/* Warnings (a bad ancillary chunk, say) are not failures, and library code never prints. */
static void
image_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void
image_png_write_data(png_structp png, png_bytep data, size_t n)
{
    struct image_png_io *io = png_get_io_ptr(png);
    if (n > io->out_cap - io->out_size) {
        size_t cap = io->out_cap ? io->out_cap * 2 : 4096;
        while (cap - io->out_size < n)
            cap *= 2;
        io->out = xrealloc(io->out, cap);
        io->out_cap = cap;
    }
    memcpy(io->out + io->out_size, data, n);
    io->out_size += n;
}

static void
image_png_flush(png_structp png)
{
    (void)png;
}

static void
image_png_read_data(png_structp png, png_bytep data, size_t n)
{
    struct image_png_io *io = png_get_io_ptr(png);
    if (n > io->in_size - io->in_pos)
        png_error(png, "truncated PNG data");
    memcpy(data, io->in + io->in_pos, n);
    io->in_pos += n;
}

/* Encodes img into io->out; -1 with io->msg on a libpng error. */
static int
image_png_encode_impl(struct image_png_io *io, const struct image *img, const char *key,
                      const char *text)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, io, image_png_error,
                                              image_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        snprintf(io->msg, sizeof io->msg, "cannot create the libpng writer");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_set_write_fn(png, io, image_png_write_data, image_png_flush);
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, 8,
                 PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (text != NULL) {
        png_text t = {.compression = PNG_TEXT_COMPRESSION_NONE, .key = (char *)key,
                      .text = (char *)text, .text_length = strlen(text)};
        png_set_text(png, info, &t, 1);
    }
    for (int y = 0; y < img->height; y++)
        io->rows[y] = img->rgb + (size_t)y * img->width * 3;
    png_write_info(png, info);
    png_write_image(png, io->rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int
image_encode_png(const struct image *img, const char *key, const char *text,
                 unsigned char **png, size_t *size, char **cause)
{
    struct image_png_io io = {.rows = xcalloc((size_t)(img->height > 0 ? img->height : 1),
                                              sizeof(png_bytep))};
    int rc = image_png_encode_impl(&io, img, key ? key : "parameters", text);
    if (rc < 0) {
        free(io.out);
        err_set(cause, "cannot encode PNG: %s", io.msg);
    } else {
        *png = io.out;
        *size = io.out_size;
    }
    free(io.rows);
    return rc;
}

int
image_write_png(const struct image *img, const char *path, const char *key, const char *text,
                char **cause)
{
    unsigned char *png = NULL;
    size_t size = 0;
    char *why = NULL, *tmp = NULL;
    FILE *f = NULL;
    int rc = -1, written;
    if (image_encode_png(img, key, text, &png, &size, &why) < 0) {
        err_set(cause, "cannot write image '%s': %s", path, why);
        goto out;
    }
    tmp = xasprintf("%s.tmp", path);
    f = fopen(tmp, "wb");
    if (f == NULL) {
        err_set(cause, "cannot write image '%s': %s", path, strerror(errno));
        goto out;
    }
    written = fwrite(png, 1, size, f) == size;
    if (fclose(f) != 0 || !written) {
        err_set(cause, "cannot write image '%s': %s", path, strerror(errno));
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
    free(png);
    free(tmp);
    free(why);
    return rc;
}

/*
 * Refuses dimensions the input cannot hold before anything is allocated: deflate expands at
 * most 1032:1, so h rows of (rowbytes + 1 filter byte) need at least that / 1032 bytes.  A
 * corrupt header then costs an error, not a huge allocation.
 */
static void
image_png_check_size(png_structp png, png_infop info, const struct image_png_io *io)
{
    uint64_t raw = (uint64_t)png_get_image_height(png, info) * (png_get_rowbytes(png, info) + 1);
    if (raw / 1032 > io->in_size)
        png_error(png, "image dimensions exceed what the data can hold");
}

/* Decodes io->in into img as 8-bit RGB; -1 with io->msg on a libpng error (the caller then
 * frees img->rgb, set as soon as it is allocated). */
static int
image_png_decode_impl(struct image_png_io *io, struct image *img)
{
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, io, image_png_error,
                                             image_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(io->msg, sizeof io->msg, "cannot create the libpng reader");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_set_read_fn(png, io, image_png_read_data);
    png_set_user_limits(png, IMAGE_PNG_MAX_SIDE, IMAGE_PNG_MAX_SIDE);
    png_read_info(png, info);
    image_png_check_size(png, info, io);
    png_set_expand(png);            /* palette -> RGB, grey < 8 bits -> 8, tRNS -> alpha */
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    const size_t w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) != w * 3)
        png_error(png, "unexpected pixel layout after conversion to RGB");
    /* malloc, not xmalloc: the size comes from the data, and failing is a decode error. */
    img->rgb = malloc(w * h * 3);
    io->rows = malloc(h * sizeof *io->rows);
    if (img->rgb == NULL || io->rows == NULL)
        png_error(png, "out of memory");
    img->width = (int)w;
    img->height = (int)h;
    for (size_t y = 0; y < h; y++)
        io->rows[y] = img->rgb + y * w * 3;
    png_read_image(png, io->rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

int
image_decode_png(const unsigned char *png, size_t size, struct image *img, char **cause)
{
    struct image_png_io io = {.in = png, .in_size = size};
    struct image out = {0};
    int rc = image_png_decode_impl(&io, &out);
    free(io.rows);
    if (rc < 0) {
        free(out.rgb);
        *img = (struct image){0};
        return err_set(cause, "cannot decode PNG: %s", io.msg);
    }
    *img = out;
    return 0;
}
