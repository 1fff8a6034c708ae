/*
 * image_test.c - PNG encoding and decoding: an RGB round trip with its tEXt chunk, the file
 * writer producing the very bytes of the encoder, other PNG colour types (written here with
 * libpng directly) normalised to RGB, and corrupt, truncated and oversized buffers that must
 * fail with a cause and never crash.
 */
#include "tests/support.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/image.h"
#include "util/err.h"

/* A w x h RGB image whose every byte differs from its neighbours. */
static void
make_image(struct image *img, int w, int h)
{
    img->width = w;
    img->height = h;
    img->rgb = xmalloc((size_t)w * h * 3);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        img->rgb[i] = (uint8_t)(i * 37 + 11);
}

static void
assert_same_image(const struct image *a, const struct image *b)
{
    assert_int_equal(a->width, b->width);
    assert_int_equal(a->height, b->height);
    assert_memory_equal(a->rgb, b->rgb, (size_t)a->width * a->height * 3);
}

static unsigned char *
read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len > 0);
    rewind(f);
    unsigned char *buf = xmalloc((size_t)len);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void
test_round_trip(void **state)
{
    (void)state;
    struct image img, back;
    make_image(&img, 7, 5);
    unsigned char *png = NULL;
    size_t size = 0;
    char *cause = NULL;
    assert_int_equal(image_encode_png(&img, NULL, "steps: 20, seed: 7", &png, &size, &cause), 0);
    assert_null(cause);
    assert_true(size > 8);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    /* The tEXt chunk: type, key "parameters" (the default), NUL, the text. */
    static const char chunk[] = "tEXtparameters\0steps: 20, seed: 7";
    assert_non_null(memmem(png, size, chunk, sizeof chunk - 1));
    assert_int_equal(image_decode_png(png, size, &back, &cause), 0);
    assert_same_image(&img, &back);
    image_release(&back);

    /* image_write_png writes exactly the encoder's bytes, and the file decodes the same. */
    char *path = test_tmppath("round.png");
    assert_int_equal(image_write_png(&img, path, NULL, "steps: 20, seed: 7", &cause), 0);
    size_t fsize;
    unsigned char *file = read_file(path, &fsize);
    assert_int_equal(fsize, size);
    assert_memory_equal(file, png, size);
    free(file);
    free(path);
    free(png);

    /* No text: no tEXt chunk at all. */
    assert_int_equal(image_encode_png(&img, "other", NULL, &png, &size, &cause), 0);
    assert_null(memmem(png, size, "tEXt", 4));
    assert_int_equal(image_decode_png(png, size, &back, &cause), 0);
    assert_same_image(&img, &back);
    image_release(&back);
    free(png);
    image_release(&img);
}

/* Decoding must fail with a cause and a zeroed image. */
static void
assert_decode_fails(const unsigned char *png, size_t size, const char *what)
{
    struct image img = {.width = -1};
    char *cause = NULL;
    if (image_decode_png(png, size, &img, &cause) != -1)
        fail_msg("%s: decoded", what);
    if (cause == NULL || strncmp(cause, "cannot decode PNG: ", 19) != 0)
        fail_msg("%s: cause '%s'", what, cause ? cause : "(null)");
    assert_null(img.rgb);
    assert_int_equal(img.width, 0);
    free(cause);
}

/* Rewrites the IHDR's width and height and fixes its CRC, so libpng reads the header. */
static void
set_ihdr_size(unsigned char *png, uint32_t w, uint32_t h)
{
    /* signature (8), length (4), "IHDR" at 12, data at 16 (width, height, ...), CRC at 29 */
    const uint32_t v[2] = {w, h};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < 4; i++)
            png[16 + 4 * k + i] = (unsigned char)(v[k] >> (24 - 8 * i));
    uint32_t crc = (uint32_t)crc32(0, png + 12, 17);
    for (int i = 0; i < 4; i++)
        png[29 + i] = (unsigned char)(crc >> (24 - 8 * i));
}

static void
test_corrupt(void **state)
{
    (void)state;
    struct image img;
    make_image(&img, 16, 12);
    unsigned char *png = NULL;
    size_t size = 0;
    assert_int_equal(image_encode_png(&img, NULL, "x", &png, &size, NULL), 0);
    image_release(&img);

    assert_decode_fails(png, 0, "empty");
    for (size_t n = 1; n < size; n++)       /* every truncation, through every chunk */
        assert_decode_fails(png, n, "truncated");

    unsigned char *bad = xmalloc(size);
    memcpy(bad, png, size);
    bad[0] = 'X';
    assert_decode_fails(bad, size, "bad signature");

    memcpy(bad, png, size);
    unsigned char *idat = memmem(bad, size, "IDAT", 4);
    assert_non_null(idat);
    idat[6] ^= 0x55;                        /* compressed data, so the CRC no longer holds */
    assert_decode_fails(bad, size, "IDAT bit flip");

    memcpy(bad, png, size);
    set_ihdr_size(bad, 16000, 16000);       /* plausible header, far too little data */
    assert_decode_fails(bad, size, "dimensions beyond the data");
    set_ihdr_size(bad, 20000, 4);           /* beyond the side limit */
    assert_decode_fails(bad, size, "side limit");
    set_ihdr_size(bad, 0, 4);
    assert_decode_fails(bad, size, "zero width");

    uint32_t x = 12345;                     /* noise, with and without a PNG signature */
    for (size_t i = 0; i < size; i++) {
        x = x * 1664525u + 1013904223u;
        bad[i] = (unsigned char)(x >> 24);
    }
    assert_decode_fails(bad, size, "noise");
    memcpy(bad, png, 8);
    assert_decode_fails(bad, size, "signature then noise");
    free(bad);
    free(png);
}

/* A PNG written with libpng directly: w x h, the given colour type and depth, rows packed
 * as libpng expects; palette (may be NULL) of n entries. */
static unsigned char *
write_raw_png(int w, int h, int color, int depth, int interlace, const uint8_t *pixels,
              const png_color *palette, int n, size_t *size)
{
    char *path = test_tmppath("raw.png");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    assert_non_null(info);
    if (setjmp(png_jmpbuf(png)))
        fail_msg("libpng failed writing the test image");
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, interlace,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (palette != NULL)
        png_set_PLTE(png, info, palette, n);
    png_write_info(png, info);
    size_t rowbytes = png_get_rowbytes(png, info);
    png_bytep *rows = xcalloc((size_t)h, sizeof *rows);
    for (int y = 0; y < h; y++)
        rows[y] = (png_bytep)pixels + (size_t)y * rowbytes;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    free(rows);
    unsigned char *buf = read_file(path, size);
    free(path);
    return buf;
}

/* Writes a PNG with write_raw_png, decodes it and compares it with want (w x h RGB). */
static void
assert_decodes_to(int w, int h, int color, int depth, int interlace, const uint8_t *pixels,
                  const png_color *palette, int n, const uint8_t *want)
{
    size_t size;
    unsigned char *buf = write_raw_png(w, h, color, depth, interlace, pixels, palette, n, &size);
    struct image img;
    char *cause = NULL;
    if (image_decode_png(buf, size, &img, &cause) != 0)
        fail_msg("decode failed: %s", cause);
    assert_int_equal(img.width, w);
    assert_int_equal(img.height, h);
    assert_memory_equal(img.rgb, want, (size_t)w * h * 3);
    image_release(&img);
    free(buf);
}

static void
test_colour_types(void **state)
{
    (void)state;
    /* Grey 8-bit, 3 x 2: each value v becomes (v, v, v). */
    const uint8_t grey[6] = {0, 50, 100, 150, 200, 255};
    uint8_t want[6 * 3];
    for (int i = 0; i < 6; i++)
        want[i * 3] = want[i * 3 + 1] = want[i * 3 + 2] = grey[i];
    assert_decodes_to(3, 2, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, grey, NULL, 0, want);

    /* Grey 1-bit, 8 x 1 packed in one byte 0b10110000: 1 expands to 255. */
    const uint8_t bits[1] = {0xB0};
    const uint8_t want_bits[8 * 3] = {255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255, 255};
    assert_decodes_to(8, 1, PNG_COLOR_TYPE_GRAY, 1, PNG_INTERLACE_NONE, bits, NULL, 0, want_bits);

    /* Palette, 2 x 2 indices into three colours. */
    const png_color pal[3] = {{255, 0, 0}, {0, 128, 0}, {1, 2, 3}};
    const uint8_t idx[4] = {2, 0, 1, 2};
    const uint8_t want_pal[12] = {1, 2, 3, 255, 0, 0, 0, 128, 0, 1, 2, 3};
    assert_decodes_to(2, 2, PNG_COLOR_TYPE_PALETTE, 8, PNG_INTERLACE_NONE, idx, pal, 3, want_pal);

    /* RGBA: the alpha channel is dropped, colours kept as stored. */
    const uint8_t rgba[8] = {10, 20, 30, 0, 40, 50, 60, 255};
    const uint8_t want_rgba[6] = {10, 20, 30, 40, 50, 60};
    assert_decodes_to(2, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, PNG_INTERLACE_NONE, rgba, NULL, 0,
                      want_rgba);

    /* 16-bit RGB (big-endian samples): the high byte is kept. */
    const uint8_t rgb16[6] = {0x12, 0x34, 0xAB, 0xCD, 0xFF, 0x00};
    const uint8_t want16[3] = {0x12, 0xAB, 0xFF};
    assert_decodes_to(1, 1, PNG_COLOR_TYPE_RGB, 16, PNG_INTERLACE_NONE, rgb16, NULL, 0, want16);

    /* Adam7-interlaced RGB decodes to the plain image. */
    struct image img;
    make_image(&img, 9, 10);
    assert_decodes_to(9, 10, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_ADAM7, img.rgb, NULL, 0,
                      img.rgb);
    image_release(&img);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_corrupt),
        cmocka_unit_test(test_colour_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
