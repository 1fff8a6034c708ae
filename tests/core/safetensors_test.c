/*
 * safetensors_test.c - the reader and writer against the format (reference/sampling.md C.1).
 *
 * Every expected value here comes from the format, worked out by hand: the crate's 84-byte
 * doctest file, the exact header the reference writer would emit for a set of tensors, and a
 * table of malformed files, each built from explicit bytes so the defect is visible in the
 * table row.  The DiT fixtures, written by an independent Python writer
 * (tests/ref/make_dit_fixture.py), must read back and re-write byte for byte.
 */
#include "core/safetensors.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/support.h"
#include "util/err.h"

/* ---------------------------------------------------------------------------------------- */
/* helpers                                                                                  */

/* Little-endian u64, as the format stores N. */
static void
put_u64le(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A file made of N (8 bytes LE), the header bytes, then data_len bytes of data (or zeros). */
static char *
write_st(const char *name, uint64_t n, const char *header, size_t header_len,
         const unsigned char *data, size_t data_len)
{
    size_t size = 8 + header_len + data_len;
    unsigned char *buf = xcalloc(size, 1);
    put_u64le(buf, n);
    memcpy(buf + 8, header, header_len);
    if (data != NULL)
        memcpy(buf + 8 + header_len, data, data_len);
    char *path = test_tmppath(name);
    test_write_file(path, buf, size);
    free(buf);
    return path;
}

static unsigned char *
read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    assert_true(size >= 0);
    rewind(f);
    unsigned char *buf = xmalloc((size_t)size);
    assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    *n = (size_t)size;
    return buf;
}

/* safetensors_open(path) must fail with a cause naming the path and containing want. */
static void
expect_open_fails(const char *label, const char *path, const char *want)
{
    char *cause = NULL;
    struct safetensors *st = safetensors_open(path, &cause);
    if (st != NULL) {
        safetensors_free(st);
        fail_msg("case '%s': safetensors_open accepted a malformed file", label);
    }
    if (cause == NULL)
        fail_msg("case '%s': no cause", label);
    char *quoted = xasprintf("'%s'", path);
    bool ok = strstr(cause, quoted) != NULL && strstr(cause, want) != NULL;
    if (!ok)
        print_error("case '%s': cause \"%s\" lacks %s or \"%s\"\n", label, cause, quoted, want);
    free(quoted);
    free(cause);
    if (!ok)
        fail_msg("case '%s'", label);
}

static struct safetensors *
open_ok(const char *path)
{
    char *cause = NULL;
    struct safetensors *st = safetensors_open(path, &cause);
    if (st == NULL)
        fail_msg("safetensors_open: %s", cause);
    assert_null(cause);
    return st;
}

static void
assert_shape(const struct safetensors_tensor *t, int ndim, const int64_t *shape)
{
    assert_int_equal(t->ndim, ndim);
    for (int i = 0; i < ndim; i++)
        assert_int_equal(t->shape[i], shape[i]);
    for (int i = ndim; i < SAFETENSORS_MAX_DIMS; i++)
        assert_int_equal(t->shape[i], 0);
}

/* ---------------------------------------------------------------------------------------- */
/* dtypes                                                                                   */

static void
test_dtype_table(void **state)
{
    (void)state;
    /* C.1's list with each dtype's bit size (crate: Dtype::bitsize). */
    static const struct { const char *name; int bits; } want[] = {
        { "BOOL", 8 }, { "U8", 8 }, { "I8", 8 }, { "F8_E5M2", 8 }, { "F8_E4M3", 8 },
        { "F8_E8M0", 8 }, { "F8_E4M3FNUZ", 8 }, { "F8_E5M2FNUZ", 8 }, { "I16", 16 },
        { "U16", 16 }, { "F16", 16 }, { "BF16", 16 }, { "I32", 32 }, { "U32", 32 },
        { "F32", 32 }, { "C64", 64 }, { "F64", 64 }, { "I64", 64 }, { "U64", 64 },
        { "F4", 4 }, { "F6_E2M3", 6 }, { "F6_E3M2", 6 },
    };
    size_t n = sizeof want / sizeof want[0];
    assert_int_equal(n, SAFETENSORS_DTYPE_COUNT);
    for (size_t i = 0; i < n; i++) {
        int d = safetensors_dtype_from_name(want[i].name);
        assert_true(d >= 0 && d < SAFETENSORS_DTYPE_COUNT);
        assert_string_equal(safetensors_dtype_name((enum safetensors_dtype)d), want[i].name);
        assert_int_equal(safetensors_dtype_bits((enum safetensors_dtype)d), want[i].bits);
    }
    assert_int_equal(safetensors_dtype_from_name("F32"), SAFETENSORS_F32);
    assert_int_equal(safetensors_dtype_from_name("BF16"), SAFETENSORS_BF16);
    assert_int_equal(safetensors_dtype_from_name("f32"), -1);
    assert_int_equal(safetensors_dtype_from_name("F128"), -1);
    assert_int_equal(safetensors_dtype_from_name(""), -1);
    assert_int_equal(safetensors_dtype_from_name("F32 "), -1);
}

/* ---------------------------------------------------------------------------------------- */
/* reading valid files                                                                      */

/* The crate's doctest file: N = 0x3c = 60, one I32 [2,2] tensor, 84 bytes in all. */
static void
test_crate_example(void **state)
{
    (void)state;
    static const char header[] = "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],"
                                 "\"data_offsets\":[0,16]}}";
    assert_int_equal(strlen(header), 60);
    unsigned char file[84] = { 0x3c, 0, 0, 0, 0, 0, 0, 0 };
    memcpy(file + 8, header, 60);
    /* int32 LE values 1, 2, 3, -4 */
    static const unsigned char data[16] = { 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0,
                                            0xfc, 0xff, 0xff, 0xff };
    memcpy(file + 68, data, 16);
    char *path = test_tmppath("crate.safetensors");
    test_write_file(path, file, sizeof file);

    struct safetensors *st = open_ok(path);
    assert_string_equal(safetensors_path(st), path);
    assert_int_equal(safetensors_count(st), 1);
    const struct safetensors_tensor *t = safetensors_find(st, "test");
    assert_non_null(t);
    assert_ptr_equal(t, safetensors_at(st, 0));
    assert_string_equal(t->name, "test");
    assert_int_equal(t->dtype, SAFETENSORS_I32);
    assert_shape(t, 2, (const int64_t[]){ 2, 2 });
    assert_int_equal(t->nbytes, 16);
    int32_t v[4];
    memcpy(v, t->data, sizeof v);
    assert_int_equal(v[0], 1);
    assert_int_equal(v[1], 2);
    assert_int_equal(v[2], 3);
    assert_int_equal(v[3], -4);
    assert_null(safetensors_find(st, "missing"));
    assert_null(safetensors_find(st, "__metadata__"));
    assert_null(safetensors_metadata(st, "format"));
    assert_int_equal(safetensors_metadata_count(st), 0);
    safetensors_free(st);
    free(path);
}

/*
 * Valid but unusual: header padded with spaces (N not a multiple of 8), entries listed out of
 * offset order, zero-element tensors sharing offsets, a scalar, sub-byte dtypes, metadata.
 */
static void
test_read_unusual(void **state)
{
    (void)state;
    static const char header[] =
        "{\"c\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[6,9]},"
        "\"z2\":{\"dtype\":\"F32\",\"shape\":[3,0],\"data_offsets\":[9,9]},"
        "\"__metadata__\":{\"format\":\"pt\",\"empty\":\"\"},"
        "\"s\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]},"
        "\"z1\":{\"dtype\":\"I64\",\"shape\":[0],\"data_offsets\":[1,1]},"
        "\"z0\":{\"dtype\":\"BF16\",\"shape\":[0,5],\"data_offsets\":[1,1]},"
        "\"f4\":{\"dtype\":\"F4\",\"shape\":[2,5],\"data_offsets\":[1,6]}}   ";
    static const unsigned char data[9] = { 7, 0x21, 0x43, 0x65, 0x87, 0xa9, 1, 2, 3 };
    char *path = write_st("unusual.safetensors", strlen(header), header, strlen(header), data,
                          sizeof data);
    struct safetensors *st = open_ok(path);
    assert_int_equal(safetensors_count(st), 6);
    /* offset order; z0 and z1 share [1,1] and come in name order, before f4's [1,6]. */
    static const char *const order[] = { "s", "z0", "z1", "f4", "c", "z2" };
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(safetensors_at(st, i)->name, order[i]);
    const struct safetensors_tensor *s = safetensors_find(st, "s");
    assert_int_equal(s->ndim, 0);
    assert_int_equal(s->nbytes, 1);
    assert_int_equal(*(const unsigned char *)s->data, 7);
    const struct safetensors_tensor *f4 = safetensors_find(st, "f4");
    assert_int_equal(f4->dtype, SAFETENSORS_F4);
    assert_int_equal(f4->nbytes, 5);
    assert_memory_equal(f4->data, data + 1, 5);
    assert_int_equal(safetensors_find(st, "c")->nbytes, 3);
    assert_int_equal(safetensors_find(st, "z2")->nbytes, 0);
    assert_shape(safetensors_find(st, "z2"), 2, (const int64_t[]){ 3, 0 });
    assert_string_equal(safetensors_metadata(st, "format"), "pt");
    assert_string_equal(safetensors_metadata(st, "empty"), "");
    assert_null(safetensors_metadata(st, "missing"));
    assert_int_equal(safetensors_metadata_count(st), 2);
    assert_string_equal(safetensors_metadata_key(st, 0), "format");
    assert_string_equal(safetensors_metadata_key(st, 1), "empty");
    safetensors_free(st);
    free(path);
}

/* Files with no tensors: "{}" and metadata only, with no data bytes. */
static void
test_read_empty(void **state)
{
    (void)state;
    static const char *const headers[] = { "{}", "{\"__metadata__\":{}}",
                                           "{\"__metadata__\":{\"a\":\"b\"}}  " };
    for (size_t i = 0; i < 3; i++) {
        char *path = write_st("empty.safetensors", strlen(headers[i]), headers[i],
                              strlen(headers[i]), NULL, 0);
        struct safetensors *st = open_ok(path);
        assert_int_equal(safetensors_count(st), 0);
        assert_null(safetensors_find(st, "a"));
        safetensors_free(st);
        free(path);
    }
    safetensors_free(NULL);
}

/* A 0 anywhere in the shape means no elements, however large the other entries are. */
static void
test_read_zero_dims(void **state)
{
    (void)state;
    static const char header[] =
        "{\"e\":{\"dtype\":\"U64\",\"shape\":[4294967296,4294967296,0],\"data_offsets\":[0,0]},"
        "\"f\":{\"dtype\":\"U64\",\"shape\":[0,4294967296,4294967296],\"data_offsets\":[0,0]}}";
    char *path = write_st("zero-dims.safetensors", strlen(header), header, strlen(header), NULL,
                          0);
    struct safetensors *st = open_ok(path);
    assert_int_equal(safetensors_count(st), 2);
    assert_int_equal(safetensors_find(st, "e")->nbytes, 0);
    assert_shape(safetensors_find(st, "e"), 3, (const int64_t[]){ INT64_C(4294967296),
                                                                 INT64_C(4294967296), 0 });
    safetensors_free(st);
    free(path);
}

/* ---------------------------------------------------------------------------------------- */
/* malformed files                                                                          */

/* One F32 [1] entry "a" spanning [B,E). */
#define ENTRY_A(B, E) "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" #B "," #E "]}"

struct bad_case {
    const char *label;
    const char *header;      /* the header bytes (NUL-terminated unless header_len is set) */
    size_t header_len;       /* 0: strlen(header) */
    uint64_t n;              /* the stored N; 0: the header's length */
    size_t data_len;         /* zero bytes after the header */
    const char *want;        /* a substring the cause must hold */
};

static const struct bad_case bad_cases[] = {
    { "header length beyond the file", "{}", 0, 64, 0, "runs past the end of the file" },
    { "header length beyond the file by one", "{}", 0, 3, 0, "runs past the end of the file" },
    { "header length over 100000000", "{}", 0, 100000001, 0, "exceeds the limit" },
    { "header length u64 max", "{}", 0, UINT64_MAX, 0, "exceeds the limit" },
    { "non-JSON", "{\"a\":", 0, 0, 0, "header is not valid JSON" },
    { "garbage", "hello world", 0, 0, 0, "header is not valid JSON" },
    { "garbage after the object", "{} x", 0, 0, 0, "header is not valid JSON" },
    { "NUL padding", "{}\0\0\0\0\0\0", 8, 0, 0, "header is not valid JSON" },
    { "integer beyond 64 bits",
      "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,18446744073709551616]}}",
      0, 0, 1, "header is not valid JSON" },
    { "escaped NUL in a name",
      "{\"a\\u0000b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 0, 0, 1,
      "header is not valid JSON" },
    { "JSON string, not an object", "\"abc\"", 0, 0, 0, "header is a JSON string, not an object" },
    { "JSON number, not an object", "42", 0, 0, 0, "header is a JSON integer, not an object" },
    { "JSON array at top", "[{\"a\":1}]", 0, 0, 0, "header is a JSON array, not an object" },
    { "header not starting with '{'", " {}", 0, 0, 0, "header must start with '{'" },
    { "header starting with a newline", "\n{}", 0, 0, 0, "header must start with '{'" },
    { "invalid UTF-8 in header", "{\"a\xff\":{}}", 0, 0, 0, "header is not valid UTF-8" },
    { "overlong UTF-8", "{\"\xc0\xaf\":{}}", 0, 0, 0, "header is not valid UTF-8" },
    { "UTF-8 surrogate", "{\"\xed\xa0\x80\":{}}", 0, 0, 0, "header is not valid UTF-8" },
    { "UTF-8 cut short", "{\"a\":{}}\xe2\x82", 0, 0, 0, "header is not valid UTF-8" },
    { "duplicate key", "{" ENTRY_A(0, 4) "," ENTRY_A(0, 4) "}", 0, 0, 4, "duplicate" },
    { "duplicate __metadata__", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, 0, 0,
      "duplicate" },
    { "duplicate key in an entry",
      "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0,
      0, 4, "duplicate" },
    { "__metadata__ not an object", "{\"__metadata__\":\"x\"}", 0, 0, 0,
      "__metadata__ must be an object of strings, not a JSON string" },
    { "__metadata__ with a non-string value", "{\"__metadata__\":{\"k\":\"v\",\"n\":1}}", 0,
      0, 0, "__metadata__ key 'n' has a non-string value" },
    { "__metadata__ with a nested object", "{\"__metadata__\":{\"k\":{}}}", 0, 0, 0,
      "__metadata__ key 'k' has a non-string value" },
    { "entry not an object", "{\"a\":[1]}", 0, 0, 0,
      "tensor 'a': entry is a JSON array, not an object" },
    { "extra unknown field in an entry",
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"foo\":1}}", 0, 0, 4,
      "tensor 'a': unexpected field 'foo'" },
    { "missing dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 0, 4,
      "tensor 'a': missing field 'dtype'" },
    { "missing shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 0, 0, 4,
      "tensor 'a': missing field 'shape'" },
    { "missing data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0, 0, 4,
      "tensor 'a': missing field 'data_offsets'" },
    { "dtype not a string", "{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 0,
      0, 4, "tensor 'a': dtype must be a string" },
    { "unknown dtype", "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 0,
      0, 16, "tensor 'a': unknown dtype 'F128'" },
    { "lowercase dtype", "{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0,
      0, 4, "tensor 'a': unknown dtype 'f32'" },
    { "shape not an array", "{\"a\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}",
      0, 0, 16, "tensor 'a': shape must be an array" },
    { "negative shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,0]}}",
      0, 0, 0, "tensor 'a': shape entry 1 is negative" },
    { "real-number shape", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}",
      0, 0, 8, "tensor 'a': shape entry 0 is a JSON real number, not an integer" },
    { "more than 8 dimensions",
      "{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 0, 0,
      1, "tensor 'a': shape has 9 dimensions" },
    { "data_offsets not an array",
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":4}}", 0, 0, 4,
      "tensor 'a': data_offsets must be an array" },
    { "data_offsets of wrong length",
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 0, 0, 4,
      "tensor 'a': data_offsets must have 2 entries, not 1" },
    { "data_offsets of three",
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 0, 0, 4,
      "tensor 'a': data_offsets must have 2 entries, not 3" },
    { "data_offsets of wrong type",
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",\"4\"]}}", 0, 0, 4,
      "tensor 'a': data_offsets entry 0 is not a non-negative integer" },
    { "negative data_offsets", "{" ENTRY_A(-4, 0) "}", 0, 0, 4,
      "tensor 'a': data_offsets entry 0 is not a non-negative integer" },
    { "BEGIN > END", "{" ENTRY_A(8, 4) "}", 0, 0, 8,
      "tensor 'a': data_offsets begin 8 is after end 4" },
    { "byte length mismatch",
      "{\"blocks.0.attn.qkv.weight\":{\"dtype\":\"F32\",\"shape\":[3,4],"
      "\"data_offsets\":[0,40]}}", 0, 0, 40,
      "tensor 'blocks.0.attn.qkv.weight': shape [3,4] of F32 needs 48 bytes but data_offsets "
      "span 40" },
    { "scalar with two elements' bytes",
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,8]}}", 0, 0, 8,
      "tensor 'a': shape [] of F32 needs 4 bytes but data_offsets span 8" },
    { "zero-element tensor with bytes",
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[0,4]}}", 0, 0, 4,
      "tensor 'a': shape [0,4] of F32 needs 0 bytes but data_offsets span 4" },
    { "sub-byte shape not whole bytes",
      "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 0, 0, 2,
      "tensor 'a': shape [3] of F4 is 12 bits, not a whole number of bytes" },
    { "element count overflow",
      "{\"a\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}",
      0, 0, 0, "tensor 'a': shape [4294967296,4294967296] of U8 overflows" },
    { "bit count overflow",
      "{\"a\":{\"dtype\":\"F64\",\"shape\":[1152921504606846976],\"data_offsets\":[0,0]}}",
      0, 0, 0, "tensor 'a': shape [1152921504606846976] of F64 overflows" },
    { "data offsets past the end", "{" ENTRY_A(0, 4) "}", 0, 0, 2,
      "tensor 'a': data_offsets [0,4] run past the end of the data section (2 bytes)" },
    { "data offsets far past the end",
      "{\"a\":{\"dtype\":\"U8\",\"shape\":[1152921504606846975],"
      "\"data_offsets\":[0,1152921504606846975]}}", 0, 0, 4,
      "run past the end of the data section (4 bytes)" },
    { "first offset not 0", "{" ENTRY_A(4, 8) "}", 0, 0, 8,
      "tensor 'a': the first tensor starts at offset 4, not 0" },
    { "hole between tensors",
      "{" ENTRY_A(0, 4) ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 0,
      0, 12, "tensor 'b': hole of 4 bytes before it: it begins at 8 but tensor 'a' ends at 4" },
    { "overlap",
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 0, 0, 12,
      "tensor 'b': data_offsets [4,12] overlap tensor 'a' [0,8]" },
    { "two tensors on the same bytes",
      "{" ENTRY_A(0, 4) ",\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0,
      0, 4, "tensor 'b': data_offsets [0,4] overlap tensor 'a' [0,4]" },
    { "zero-element tensor inside another",
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}", 0, 0, 8,
      "tensor 'z': data_offsets [4,4] overlap tensor 'a' [0,8]" },
    { "trailing bytes after data", "{" ENTRY_A(0, 4) "}", 0, 0, 6,
      "2 trailing bytes after the last tensor" },
    { "metadata only, with data bytes", "{\"__metadata__\":{\"a\":\"b\"}}", 0, 0, 3,
      "3 trailing bytes after the last tensor" },
    { "no tensors, with data bytes", "{}", 0, 0, 1, "1 trailing bytes after the last tensor" },
};

static void
test_malformed_table(void **state)
{
    (void)state;
    size_t n = sizeof bad_cases / sizeof bad_cases[0];
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        const struct bad_case *c = &bad_cases[i];
        size_t len = c->header_len ? c->header_len : strlen(c->header);
        char *name = xasprintf("bad-%02zu.safetensors", i);
        char *path = write_st(name, c->n ? c->n : len, c->header, len, NULL, c->data_len);
        expect_open_fails(c->label, path, c->want);
        free(path);
        free(name);
    }
}

/* Files too short to hold N, and paths that are not files. */
static void
test_malformed_short(void **state)
{
    (void)state;
    for (size_t size = 0; size < 8; size++) {
        static const unsigned char bytes[8] = { 0x3c, 0, 0, 0, 0, 0, 0, 0 };
        char *path = test_tmppath("short.safetensors");
        test_write_file(path, bytes, size);
        char *want = xasprintf("file is %zu bytes, too short", size);
        expect_open_fails("truncated", path, want);
        free(want);
        free(path);
    }
    char *missing = test_tmppath("missing.safetensors");
    expect_open_fails("missing file", missing, "cannot open");
    free(missing);
    expect_open_fails("directory", test_tmpdir(), "not a regular file");
    assert_null(safetensors_open("/nonexistent/x.safetensors", NULL));   /* cause is optional */
}

/* Every proper prefix of a valid file is rejected (no read past the mapping on the way). */
static void
test_malformed_truncations(void **state)
{
    (void)state;
    static const char header[] =
        "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],"
        "\"data_offsets\":[0,8]}}";
    size_t hl = strlen(header), size = 8 + hl + 8;
    unsigned char *buf = xcalloc(size, 1);
    put_u64le(buf, hl);
    memcpy(buf + 8, header, hl);
    char *path = test_tmppath("prefix.safetensors");
    for (size_t cut = 0; cut < size; cut++) {
        test_write_file(path, buf, cut);
        char *cause = NULL;
        struct safetensors *st = safetensors_open(path, &cause);
        if (st != NULL)
            fail_msg("a %zu-byte prefix of a %zu-byte file was accepted", cut, size);
        assert_non_null(strstr(cause, path));
        free(cause);
    }
    test_write_file(path, buf, size);
    safetensors_free(open_ok(path));
    free(path);
    free(buf);
}

/* ---------------------------------------------------------------------------------------- */
/* writing                                                                                  */

struct rt_tensor {
    const char *name;
    enum safetensors_dtype dtype;
    int ndim;
    int64_t shape[2];
    size_t nbytes;
};

/* Added in this (scrambled) order; byte i of tensor k holds 16 * k + i. */
static const struct rt_tensor rt_tensors[] = {
    { "w", SAFETENSORS_F32, 2, { 2, 3 }, 24 },
    { "u", SAFETENSORS_U8, 1, { 5 }, 5 },
    { "h", SAFETENSORS_F16, 1, { 3 }, 6 },
    { "z", SAFETENSORS_F32, 2, { 0, 4 }, 0 },
    { "ids", SAFETENSORS_I64, 1, { 2 }, 16 },
    { "b", SAFETENSORS_BF16, 2, { 2, 2 }, 8 },
    { "s", SAFETENSORS_F32, 0, { 0 }, 4 },
    { "c", SAFETENSORS_U8, 1, { 3 }, 3 },
};
#define RT_COUNT (sizeof rt_tensors / sizeof rt_tensors[0])

/*
 * The header C.1's writer produces for rt_tensors: __metadata__ first, then by descending
 * element size (I64; F32 s, w, z; BF16 b, F16 h; U8 c, u), then name, offsets running on.
 */
static const char rt_header[] =
    "{\"__metadata__\":{\"format\":\"safetensors\",\"note\":\"caf\xc3\xa9 \\\"q\\\"\"},"
    "\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
    "\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[16,20]},"
    "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[20,44]},"
    "\"z\":{\"dtype\":\"F32\",\"shape\":[0,4],\"data_offsets\":[44,44]},"
    "\"b\":{\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[44,52]},"
    "\"h\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[52,58]},"
    "\"c\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[58,61]},"
    "\"u\":{\"dtype\":\"U8\",\"shape\":[5],\"data_offsets\":[61,66]}}";
static const char *const rt_order[] = { "ids", "s", "w", "z", "b", "h", "c", "u" };
static const size_t rt_begin[] = { 0, 16, 20, 44, 44, 52, 58, 61 };

static void
rt_fill(size_t k, unsigned char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = (unsigned char)(16 * k + i);
}

static void
test_round_trip(void **state)
{
    (void)state;
    char *cause = NULL;
    struct safetensors_writer *w = safetensors_writer_new();
    assert_int_equal(safetensors_writer_set_metadata(w, "format", "pt", &cause), 0);
    assert_int_equal(safetensors_writer_set_metadata(w, "note", "caf\xc3\xa9 \"q\"", &cause), 0);
    for (size_t k = 0; k < RT_COUNT; k++) {
        const struct rt_tensor *t = &rt_tensors[k];
        unsigned char buf[32];
        rt_fill(k, buf, t->nbytes);
        assert_int_equal(safetensors_writer_add(w, t->name, t->dtype, t->ndim, t->shape,
                                                t->nbytes ? buf : NULL, t->nbytes, &cause), 0);
    }
    assert_int_equal(safetensors_writer_set_metadata(w, "format", "safetensors", &cause), 0);
    char *path = test_tmppath("rt.safetensors");
    if (safetensors_writer_write(w, path, &cause) < 0)
        fail_msg("write: %s", cause);
    safetensors_writer_free(w);

    /* The bytes, against the format. */
    char *tmp = xasprintf("%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1);
    free(tmp);
    size_t size, hl = strlen(rt_header), padded = (hl + 7) / 8 * 8;
    unsigned char *raw = read_all(path, &size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | raw[i];
    assert_int_equal(n % 8, 0);
    assert_int_equal(n, padded);
    assert_int_equal(size, 8 + padded + 66);
    assert_memory_equal(raw + 8, rt_header, hl);
    for (size_t i = hl; i < padded; i++)
        assert_int_equal(raw[8 + i], ' ');
    for (size_t k = 0; k < RT_COUNT; k++) {
        size_t j = 0;
        while (strcmp(rt_order[j], rt_tensors[k].name) != 0)
            j++;
        unsigned char want[32];
        rt_fill(k, want, rt_tensors[k].nbytes);
        assert_memory_equal(raw + 8 + padded + rt_begin[j], want, rt_tensors[k].nbytes);
        /* every tensor aligned to its element size within the file */
        int align = (safetensors_dtype_bits(rt_tensors[k].dtype) + 7) / 8;
        assert_int_equal((8 + padded + rt_begin[j]) % (size_t)align, 0);
    }
    free(raw);

    /* And back through the reader. */
    struct safetensors *st = open_ok(path);
    assert_int_equal(safetensors_count(st), RT_COUNT);
    for (size_t j = 0; j < RT_COUNT; j++)
        assert_string_equal(safetensors_at(st, j)->name, rt_order[j]);
    for (size_t k = 0; k < RT_COUNT; k++) {
        const struct rt_tensor *want = &rt_tensors[k];
        const struct safetensors_tensor *t = safetensors_find(st, want->name);
        assert_non_null(t);
        assert_int_equal(t->dtype, want->dtype);
        assert_shape(t, want->ndim, want->shape);
        assert_int_equal(t->nbytes, want->nbytes);
        unsigned char buf[32];
        rt_fill(k, buf, want->nbytes);
        assert_memory_equal(t->data, buf, want->nbytes);
    }
    assert_string_equal(safetensors_metadata(st, "format"), "safetensors");
    assert_string_equal(safetensors_metadata(st, "note"), "caf\xc3\xa9 \"q\"");
    assert_int_equal(safetensors_metadata_count(st), 2);
    assert_string_equal(safetensors_metadata_key(st, 0), "format");
    safetensors_free(st);
    free(path);
}

/* Nothing added: "{}" padded to 8, no data; with metadata only, no data either. */
static void
test_write_empty(void **state)
{
    (void)state;
    char *cause = NULL;
    char *path = test_tmppath("empty-w.safetensors");
    struct safetensors_writer *w = safetensors_writer_new();
    assert_int_equal(safetensors_writer_write(w, path, &cause), 0);
    static const unsigned char want[16] = { 8, 0, 0, 0, 0, 0, 0, 0,
                                            '{', '}', ' ', ' ', ' ', ' ', ' ', ' ' };
    size_t size;
    unsigned char *raw = read_all(path, &size);
    assert_int_equal(size, sizeof want);
    assert_memory_equal(raw, want, sizeof want);
    free(raw);

    assert_int_equal(safetensors_writer_set_metadata(w, "k", "v", &cause), 0);
    assert_int_equal(safetensors_writer_write(w, path, &cause), 0);
    static const char hdr[] = "{\"__metadata__\":{\"k\":\"v\"}}      ";   /* 26 + 6 */
    raw = read_all(path, &size);
    assert_int_equal(size, 8 + 32);
    assert_int_equal(raw[0], 32);
    assert_memory_equal(raw + 8, hdr, 32);
    free(raw);
    struct safetensors *st = open_ok(path);
    assert_int_equal(safetensors_count(st), 0);
    assert_string_equal(safetensors_metadata(st, "k"), "v");
    safetensors_free(st);
    safetensors_writer_free(w);
    safetensors_writer_free(NULL);
    free(path);
}

static void
expect_add_fails(struct safetensors_writer *w, const char *name, enum safetensors_dtype dtype,
                 int ndim, const int64_t *shape, size_t nbytes, const char *want)
{
    static const unsigned char data[64];
    char *cause = NULL;
    int rc = safetensors_writer_add(w, name, dtype, ndim, shape, data, nbytes, &cause);
    assert_int_equal(rc, -1);
    assert_non_null(cause);
    if (strstr(cause, want) == NULL)
        fail_msg("cause \"%s\" lacks \"%s\"", cause, want);
    free(cause);
}

static void
test_writer_rejects(void **state)
{
    (void)state;
    char *cause = NULL;
    struct safetensors_writer *w = safetensors_writer_new();
    static const unsigned char data[8];
    assert_int_equal(safetensors_writer_add(w, "a", SAFETENSORS_F32, 1, (const int64_t[]){ 2 },
                                            data, 8, &cause), 0);
    expect_add_fails(w, "", SAFETENSORS_F32, 1, (const int64_t[]){ 2 }, 8, "name is empty");
    expect_add_fails(w, "__metadata__", SAFETENSORS_F32, 1, (const int64_t[]){ 2 }, 8,
                     "'__metadata__' is reserved");
    expect_add_fails(w, "a", SAFETENSORS_F32, 1, (const int64_t[]){ 2 }, 8,
                     "tensor 'a' was already added");
    expect_add_fails(w, "bad\xff", SAFETENSORS_U8, 0, NULL, 1, "not valid UTF-8");
    expect_add_fails(w, "b", SAFETENSORS_F32, 2, (const int64_t[]){ 2, -1 }, 0,
                     "tensor 'b': shape entry 1 is negative (-1)");
    expect_add_fails(w, "b", SAFETENSORS_U8, 9, (const int64_t[]){ 1, 1, 1, 1, 1, 1, 1, 1, 1 },
                     1, "tensor 'b': 9 dimensions");
    expect_add_fails(w, "b", SAFETENSORS_U8, -1, NULL, 1, "tensor 'b': -1 dimensions");
    expect_add_fails(w, "b", SAFETENSORS_F32, 2, (const int64_t[]){ 3, 4 }, 40,
                     "tensor 'b': shape [3,4] of F32 needs 48 bytes but 40 were given");
    expect_add_fails(w, "b", SAFETENSORS_F32, 0, NULL, 0,
                     "tensor 'b': shape [] of F32 needs 4 bytes but 0 were given");
    expect_add_fails(w, "b", SAFETENSORS_F4, 1, (const int64_t[]){ 3 }, 2,
                     "tensor 'b': shape [3] of F4 is 12 bits, not a whole number of bytes");
    expect_add_fails(w, "b", SAFETENSORS_U8, 2,
                     (const int64_t[]){ INT64_C(1) << 33, INT64_C(1) << 33 }, 0, "overflows");
    assert_int_equal(safetensors_writer_set_metadata(w, "k\xc3", "v", &cause), -1);
    assert_non_null(strstr(cause, "metadata key is not valid UTF-8"));
    free(cause);
    cause = NULL;
    assert_int_equal(safetensors_writer_set_metadata(w, "k", "\xc3", &cause), -1);
    assert_non_null(strstr(cause, "metadata value for 'k' is not valid UTF-8"));
    free(cause);
    cause = NULL;

    /* The failures left the writer as it was: one tensor "a", no metadata. */
    char *path = test_tmppath("rejects.safetensors");
    assert_int_equal(safetensors_writer_write(w, path, &cause), 0);
    struct safetensors *st = open_ok(path);
    assert_int_equal(safetensors_count(st), 1);
    assert_int_equal(safetensors_metadata_count(st), 0);
    safetensors_free(st);
    free(path);

    /* A path that cannot be created fails cleanly and leaves nothing behind. */
    char *bad = test_tmppath("no-such-dir/x.safetensors");
    assert_int_equal(safetensors_writer_write(w, bad, &cause), -1);
    assert_non_null(strstr(cause, "cannot create"));
    assert_non_null(strstr(cause, "no-such-dir/x.safetensors.tmp"));
    free(cause);
    free(bad);
    safetensors_writer_free(w);
}

/* Writing over an existing file replaces it whole. */
static void
test_write_replaces(void **state)
{
    (void)state;
    char *cause = NULL;
    char *path = test_tmppath("replace.safetensors");
    test_write_file(path, "old junk", 8);
    struct safetensors_writer *w = safetensors_writer_new();
    static const unsigned char one = 1;
    assert_int_equal(safetensors_writer_add(w, "x", SAFETENSORS_BOOL, 0, NULL, &one, 1, &cause),
                     0);
    assert_int_equal(safetensors_writer_write(w, path, &cause), 0);
    safetensors_writer_free(w);
    struct safetensors *st = open_ok(path);
    assert_int_equal(safetensors_find(st, "x")->dtype, SAFETENSORS_BOOL);
    assert_int_equal(*(const unsigned char *)safetensors_find(st, "x")->data, 1);
    safetensors_free(st);
    free(path);
}

/*
 * The DiT fixtures come from an independent writer (tests/ref/make_dit_fixture.py) following
 * the same rules; re-writing what we read must give the same bytes.
 */
static void
test_fixtures_rewrite(void **state)
{
    (void)state;
    static const char *const fixtures[] = {
        "tests/fixtures/dit/dit_tiny_io.safetensors",
        "tests/fixtures/dit/dit_tiny_f32.safetensors",
        "tests/fixtures/dit/dit_tiny_f16.safetensors",
        "tests/fixtures/dit/dit_tiny_bf16.safetensors",
    };
    for (size_t f = 0; f < sizeof fixtures / sizeof fixtures[0]; f++) {
        if (access(fixtures[f], R_OK) != 0)
            fail_msg("fixture %s is missing (tests run from the repository root)", fixtures[f]);
        char *cause = NULL;
        struct safetensors *st = open_ok(fixtures[f]);
        assert_true(safetensors_count(st) > 0);
        struct safetensors_writer *w = safetensors_writer_new();
        for (size_t i = 0; i < safetensors_metadata_count(st); i++) {
            const char *key = safetensors_metadata_key(st, i);
            assert_int_equal(safetensors_writer_set_metadata(w, key, safetensors_metadata(st, key),
                                                             &cause), 0);
        }
        for (size_t i = safetensors_count(st); i-- > 0;) {
            const struct safetensors_tensor *t = safetensors_at(st, i);
            assert_int_equal(safetensors_writer_add(w, t->name, t->dtype, t->ndim, t->shape,
                                                    t->data, t->nbytes, &cause), 0);
        }
        char *path = test_tmppath("rewrite.safetensors");
        assert_int_equal(safetensors_writer_write(w, path, &cause), 0);
        size_t na, nb;
        unsigned char *a = read_all(fixtures[f], &na), *b = read_all(path, &nb);
        assert_int_equal(na, nb);
        assert_memory_equal(a, b, na);
        free(a);
        free(b);
        free(path);
        safetensors_writer_free(w);
        safetensors_free(st);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dtype_table),
        cmocka_unit_test(test_crate_example),
        cmocka_unit_test(test_read_unusual),
        cmocka_unit_test(test_read_empty),
        cmocka_unit_test(test_read_zero_dims),
        cmocka_unit_test(test_malformed_table),
        cmocka_unit_test(test_malformed_short),
        cmocka_unit_test(test_malformed_truncations),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_write_empty),
        cmocka_unit_test(test_writer_rejects),
        cmocka_unit_test(test_write_replaces),
        cmocka_unit_test(test_fixtures_rewrite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
