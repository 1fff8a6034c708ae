/*
 * safetensors.c - strict .safetensors reading (mmap) and atomic writing.
 *
 * Reading maps the whole file read-only, parses the header with jansson and validates it
 * completely before handing anything out, following the reference crate
 * (huggingface/safetensors `safetensors/src/tensor.rs`, `read_metadata` and
 * `Metadata::validate`) and shared/reference/sampling.md C.1, plus a few stricter rules: an
 * entry holds exactly dtype/shape/data_offsets, and at most SAFETENSORS_MAX_DIMS dimensions.
 * The order of the checks is: file size, header length, UTF-8, JSON, top-level object, first
 * byte '{', then each entry on its own (types, dtype, shape, offsets, byte count, bounds), then
 * the entries together (sorted by offset they must tile [0, data length) exactly).  Nothing
 * in the data section is touched until an entry's END is known to lie inside it.
 *
 * Ownership: struct safetensors owns the mapping, the parsed jansson header (whose object
 * keys the tensor names point at), the entries and the path.  The writer owns copies of
 * everything added to it; writing builds the header with jansson and streams the data.
 *
 * Workload: a model load opens one file of up to a few GB with up to a few thousand tensors;
 * validation is O(n log n) in the tensor count and never reads tensor data.
 */
#include "core/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "util/err.h"

/* HeaderTooLarge in the reference crate (MAX_HEADER_SIZE). */
#define SAFETENSORS_MAX_HEADER 100000000ULL

static const struct {
    const char *name;
    int bits;
} safetensors_dtypes[] = {
    [SAFETENSORS_BOOL] = { "BOOL", 8 },
    [SAFETENSORS_F4] = { "F4", 4 },
    [SAFETENSORS_F6_E2M3] = { "F6_E2M3", 6 },
    [SAFETENSORS_F6_E3M2] = { "F6_E3M2", 6 },
    [SAFETENSORS_U8] = { "U8", 8 },
    [SAFETENSORS_I8] = { "I8", 8 },
    [SAFETENSORS_F8_E5M2] = { "F8_E5M2", 8 },
    [SAFETENSORS_F8_E4M3] = { "F8_E4M3", 8 },
    [SAFETENSORS_F8_E8M0] = { "F8_E8M0", 8 },
    [SAFETENSORS_F8_E4M3FNUZ] = { "F8_E4M3FNUZ", 8 },
    [SAFETENSORS_F8_E5M2FNUZ] = { "F8_E5M2FNUZ", 8 },
    [SAFETENSORS_I16] = { "I16", 16 },
    [SAFETENSORS_U16] = { "U16", 16 },
    [SAFETENSORS_F16] = { "F16", 16 },
    [SAFETENSORS_BF16] = { "BF16", 16 },
    [SAFETENSORS_I32] = { "I32", 32 },
    [SAFETENSORS_U32] = { "U32", 32 },
    [SAFETENSORS_F32] = { "F32", 32 },
    [SAFETENSORS_C64] = { "C64", 64 },
    [SAFETENSORS_F64] = { "F64", 64 },
    [SAFETENSORS_I64] = { "I64", 64 },
    [SAFETENSORS_U64] = { "U64", 64 },
};
NAME_TABLE_CHECK(safetensors_dtypes, SAFETENSORS_DTYPE_COUNT);

/* A tensor plus its raw offsets, which only validation needs. */
struct safetensors_entry {
    struct safetensors_tensor t;
    uint64_t begin, end;   /* data_offsets, relative to the data section */
};

struct safetensors {
    char *path;
    unsigned char *map;                    /* the whole file, PROT_READ */
    size_t map_size;
    json_t *header;                        /* owns the strings names and metadata point at */
    json_t *metadata;                      /* borrowed from header; NULL when absent */
    const char **metadata_keys;            /* header order; strings owned by header */
    size_t metadata_count;
    struct safetensors_entry *entries;     /* data-offset order */
    struct safetensors_entry **by_name;    /* the same entries, sorted by name */
    size_t count;
};

struct safetensors_writer_tensor {
    char *name;
    enum safetensors_dtype dtype;
    int ndim;
    int64_t shape[SAFETENSORS_MAX_DIMS];
    void *data;
    size_t nbytes;
};

struct safetensors_writer {
    struct safetensors_writer_tensor *tensors;
    size_t count, cap;
    json_t *names;      /* the set of names added so far (values unused) */
    json_t *metadata;   /* key -> string, insertion order */
};

/* ---------------------------------------------------------------------------------------- */
/* dtypes, sizes, strings                                                                   */

const char *
safetensors_dtype_name(enum safetensors_dtype dtype)
{
    CHECK((unsigned)dtype < SAFETENSORS_DTYPE_COUNT);
    return safetensors_dtypes[dtype].name;
}

int
safetensors_dtype_from_name(const char *name)
{
    for (int i = 0; i < SAFETENSORS_DTYPE_COUNT; i++) {
        if (strcmp(safetensors_dtypes[i].name, name) == 0)
            return i;
    }
    return -1;
}

int
safetensors_dtype_bits(enum safetensors_dtype dtype)
{
    CHECK((unsigned)dtype < SAFETENSORS_DTYPE_COUNT);
    return safetensors_dtypes[dtype].bits;
}

/* Bytes per element as the writer aligns it: sub-byte dtypes count as 1. */
static int
safetensors_dtype_align(enum safetensors_dtype dtype)
{
    return (safetensors_dtype_bits(dtype) + 7) / 8;
}

enum safetensors_size {
    SAFETENSORS_SIZE_OK,
    SAFETENSORS_SIZE_OVERFLOW,     /* prod(shape) * bits does not fit in 64 bits / size_t */
    SAFETENSORS_SIZE_PARTIAL,      /* prod(shape) * bits is not a multiple of 8 */
};

/*
 * The byte size of a tensor; shape entries are non-negative.  A 0 anywhere makes the size 0
 * whatever the other entries are.  *nbits is set unless the result is SIZE_OVERFLOW.
 */
static enum safetensors_size
safetensors_size(enum safetensors_dtype dtype, int ndim, const int64_t *shape, uint64_t *nbits,
                 uint64_t *nbytes)
{
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0)
            n = 0;
    }
    for (int i = 0; i < ndim && n != 0; i++) {
        uint64_t d = (uint64_t)shape[i];
        if (n > UINT64_MAX / d)
            return SAFETENSORS_SIZE_OVERFLOW;
        n *= d;
    }
    uint64_t bits = (uint64_t)safetensors_dtype_bits(dtype);
    if (n > UINT64_MAX / bits)
        return SAFETENSORS_SIZE_OVERFLOW;
    *nbits = n * bits;
    if (*nbits % 8 != 0)
        return SAFETENSORS_SIZE_PARTIAL;
    *nbytes = *nbits / 8;
    if (*nbytes > SIZE_MAX)
        return SAFETENSORS_SIZE_OVERFLOW;
    return SAFETENSORS_SIZE_OK;
}

/* "[3,4]" into buf (big enough for SAFETENSORS_MAX_DIMS 20-digit entries). */
static const char *
safetensors_shape_str(char *buf, size_t size, int ndim, const int64_t *shape)
{
    size_t off = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, "%s%" PRId64, i ? "," : "", shape[i]);
    if (off < size)
        snprintf(buf + off, size - off, "]");
    return buf;
}

#define SAFETENSORS_SHAPE_STR_MAX (2 + SAFETENSORS_MAX_DIMS * 21)

/*
 * Whether s[0..n) is valid UTF-8 as Rust's str::from_utf8 defines it (no overlong forms, no
 * surrogates, nothing past U+10FFFF).  On failure *bad is the offset of the bad sequence.
 */
static bool
safetensors_utf8_valid(const unsigned char *s, size_t n, size_t *bad)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            goto fail;
        }
        if (n - i < len)
            goto fail;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                goto fail;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            goto fail;
        i += len;
    }
    return true;
fail:
    *bad = i;
    return false;
}

static bool
safetensors_utf8_str(const char *s)
{
    size_t bad;
    return safetensors_utf8_valid((const unsigned char *)s, strlen(s), &bad);
}

/* "object", "string", ...: what a JSON value is, for messages. */
static const char *
safetensors_json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "value";
}

/* err_set() with the "'<path>': tensor '<name>': " prefix every entry error carries. */
static int
safetensors_entry_err(char **cause, const char *path, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
safetensors_entry_err(char **cause, const char *path, const char *name, const char *fmt, ...)
{
    if (cause == NULL)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    char *tail = xvasprintf(fmt, ap);
    va_end(ap);
    err_set(cause, "'%s': tensor '%s': %s", path, name, tail);
    free(tail);
    return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* reading: one entry                                                                       */

static int
safetensors_parse_dtype(const char *path, const char *name, const json_t *v,
                        enum safetensors_dtype *dtype, char **cause)
{
    if (!json_is_string(v))
        return safetensors_entry_err(cause, path, name, "dtype must be a string, not a JSON %s",
                                     safetensors_json_kind(v));
    int d = safetensors_dtype_from_name(json_string_value(v));
    if (d < 0)
        return safetensors_entry_err(cause, path, name, "unknown dtype '%s'",
                                     json_string_value(v));
    *dtype = (enum safetensors_dtype)d;
    return 0;
}

static int
safetensors_parse_shape(const char *path, const char *name, const json_t *v,
                        struct safetensors_tensor *t, char **cause)
{
    if (!json_is_array(v))
        return safetensors_entry_err(cause, path, name,
                                     "shape must be an array of non-negative integers, "
                                     "not a JSON %s", safetensors_json_kind(v));
    size_t n = json_array_size(v);
    if (n > SAFETENSORS_MAX_DIMS)
        return safetensors_entry_err(cause, path, name,
                                     "shape has %zu dimensions, more than the %d supported",
                                     n, SAFETENSORS_MAX_DIMS);
    for (size_t i = 0; i < n; i++) {
        const json_t *d = json_array_get(v, i);
        if (!json_is_integer(d))
            return safetensors_entry_err(cause, path, name,
                                         "shape entry %zu is a JSON %s, not an integer", i,
                                         safetensors_json_kind(d));
        if (json_integer_value(d) < 0)
            return safetensors_entry_err(cause, path, name, "shape entry %zu is negative (%"
                                         JSON_INTEGER_FORMAT ")", i, json_integer_value(d));
        t->shape[i] = (int64_t)json_integer_value(d);
    }
    t->ndim = (int)n;
    return 0;
}

static int
safetensors_parse_offsets(const char *path, const char *name, const json_t *v,
                          struct safetensors_entry *e, char **cause)
{
    if (!json_is_array(v))
        return safetensors_entry_err(cause, path, name,
                                     "data_offsets must be an array [BEGIN, END], not a JSON %s",
                                     safetensors_json_kind(v));
    if (json_array_size(v) != 2)
        return safetensors_entry_err(cause, path, name,
                                     "data_offsets must have 2 entries, not %zu",
                                     json_array_size(v));
    uint64_t off[2];
    for (size_t i = 0; i < 2; i++) {
        const json_t *o = json_array_get(v, i);
        if (!json_is_integer(o) || json_integer_value(o) < 0)
            return safetensors_entry_err(cause, path, name,
                                         "data_offsets entry %zu is not a non-negative integer",
                                         i);
        off[i] = (uint64_t)json_integer_value(o);
    }
    if (off[0] > off[1])
        return safetensors_entry_err(cause, path, name,
                                     "data_offsets begin %" PRIu64 " is after end %" PRIu64,
                                     off[0], off[1]);
    e->begin = off[0];
    e->end = off[1];
    return 0;
}

/* The entry's byte count must match its offsets, and its bytes must lie in the data. */
static int
safetensors_check_extent(const char *path, const char *name, const struct safetensors_entry *e,
                         size_t data_len, char **cause)
{
    const struct safetensors_tensor *t = &e->t;
    char sh[SAFETENSORS_SHAPE_STR_MAX];
    const char *dt = safetensors_dtype_name(t->dtype);
    uint64_t nbits = 0, nbytes = 0;
    switch (safetensors_size(t->dtype, t->ndim, t->shape, &nbits, &nbytes)) {
    case SAFETENSORS_SIZE_OVERFLOW:
        return safetensors_entry_err(cause, path, name, "shape %s of %s overflows",
                                     safetensors_shape_str(sh, sizeof sh, t->ndim, t->shape), dt);
    case SAFETENSORS_SIZE_PARTIAL:
        return safetensors_entry_err(cause, path, name,
                                     "shape %s of %s is %" PRIu64
                                     " bits, not a whole number of bytes",
                                     safetensors_shape_str(sh, sizeof sh, t->ndim, t->shape), dt,
                                     nbits);
    case SAFETENSORS_SIZE_OK:
        break;
    }
    if (nbytes != e->end - e->begin)
        return safetensors_entry_err(cause, path, name,
                                     "shape %s of %s needs %" PRIu64
                                     " bytes but data_offsets span %" PRIu64,
                                     safetensors_shape_str(sh, sizeof sh, t->ndim, t->shape), dt,
                                     nbytes, e->end - e->begin);
    if (e->end > data_len)
        return safetensors_entry_err(cause, path, name,
                                     "data_offsets [%" PRIu64 ",%" PRIu64 "] run past the end of "
                                     "the data section (%zu bytes)", e->begin, e->end, data_len);
    return 0;
}

/* Fill e from the header entry name: v; data is the data section, data_len bytes. */
static int
safetensors_parse_entry(const char *path, const char *name, const json_t *v,
                        const unsigned char *data, size_t data_len,
                        struct safetensors_entry *e, char **cause)
{
    static const char *const fields[] = { "dtype", "shape", "data_offsets" };

    if (!json_is_object(v))
        return safetensors_entry_err(cause, path, name, "entry is a JSON %s, not an object",
                                     safetensors_json_kind(v));
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)v, key, value) {
        if (strcmp(key, fields[0]) != 0 && strcmp(key, fields[1]) != 0 &&
            strcmp(key, fields[2]) != 0)
            return safetensors_entry_err(cause, path, name, "unexpected field '%s'", key);
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (json_object_get(v, fields[i]) == NULL)
            return safetensors_entry_err(cause, path, name, "missing field '%s'", fields[i]);
    }
    memset(e, 0, sizeof *e);
    e->t.name = name;
    if (safetensors_parse_dtype(path, name, json_object_get(v, "dtype"), &e->t.dtype, cause) < 0 ||
        safetensors_parse_shape(path, name, json_object_get(v, "shape"), &e->t, cause) < 0 ||
        safetensors_parse_offsets(path, name, json_object_get(v, "data_offsets"), e, cause) < 0 ||
        safetensors_check_extent(path, name, e, data_len, cause) < 0)
        return -1;
    e->t.data = data + e->begin;
    e->t.nbytes = (size_t)(e->end - e->begin);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* reading: the whole header                                                                */

/* Bytes [8, 8 + n) of the mapping as a JSON object, into st->header. */
static int
safetensors_parse_json(struct safetensors *st, size_t n, char **cause)
{
    const unsigned char *text = st->map + 8;
    size_t bad;
    if (!safetensors_utf8_valid(text, n, &bad))
        return err_set(cause, "'%s': header is not valid UTF-8 (bad sequence at header byte %zu)",
                       st->path, bad);
    json_error_t jerr;
    st->header = json_loadb((const char *)text, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                            &jerr);
    if (st->header == NULL)
        return err_set(cause, "'%s': header is not valid JSON: %s (line %d, column %d)",
                       st->path, jerr.text, jerr.line, jerr.column);
    if (!json_is_object(st->header))
        return err_set(cause, "'%s': header is a JSON %s, not an object", st->path,
                       safetensors_json_kind(st->header));
    if (text[0] != '{')
        return err_set(cause, "'%s': header must start with '{', not byte 0x%02x", st->path,
                       text[0]);
    return 0;
}

static int
safetensors_parse_metadata(struct safetensors *st, char **cause)
{
    json_t *m = json_object_get(st->header, "__metadata__");
    if (m == NULL)
        return 0;
    if (!json_is_object(m))
        return err_set(cause, "'%s': __metadata__ must be an object of strings, not a JSON %s",
                       st->path, safetensors_json_kind(m));
    st->metadata = m;
    st->metadata_keys = xcalloc(json_object_size(m), sizeof *st->metadata_keys);
    const char *key;
    json_t *value;
    json_object_foreach(m, key, value) {
        if (!json_is_string(value))
            return err_set(cause, "'%s': __metadata__ key '%s' has a non-string value "
                           "(a JSON %s)", st->path, key, safetensors_json_kind(value));
        st->metadata_keys[st->metadata_count++] = key;
    }
    return 0;
}

static int
safetensors_cmp_offset(const void *a, const void *b)
{
    const struct safetensors_entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return strcmp(x->t.name, y->t.name);
}

static int
safetensors_cmp_name(const void *a, const void *b)
{
    const struct safetensors_entry *const *x = a, *const *y = b;
    return strcmp((*x)->t.name, (*y)->t.name);
}

/* Sorted by offset, the entries must cover [0, data_len) exactly: MetadataIncompleteBuffer. */
static int
safetensors_check_tiling(const struct safetensors *st, size_t data_len, char **cause)
{
    uint64_t end = 0;
    for (size_t i = 0; i < st->count; i++) {
        const struct safetensors_entry *e = &st->entries[i], *p = i ? e - 1 : NULL;
        if (p == NULL && e->begin != 0)
            return safetensors_entry_err(cause, st->path, e->t.name,
                                         "the first tensor starts at offset %" PRIu64 ", not 0",
                                         e->begin);
        if (p != NULL && e->begin > end)
            return safetensors_entry_err(cause, st->path, e->t.name,
                                         "hole of %" PRIu64 " bytes before it: it begins at %"
                                         PRIu64 " but tensor '%s' ends at %" PRIu64,
                                         e->begin - end, e->begin, p->t.name, end);
        if (p != NULL && e->begin < end)
            return safetensors_entry_err(cause, st->path, e->t.name,
                                         "data_offsets [%" PRIu64 ",%" PRIu64 "] overlap tensor "
                                         "'%s' [%" PRIu64 ",%" PRIu64 "]", e->begin, e->end,
                                         p->t.name, p->begin, p->end);
        end = e->end;
    }
    if (end != data_len)
        return err_set(cause, "'%s': %" PRIu64 " trailing bytes after the last tensor "
                       "(the data section is %zu bytes, the tensors cover %" PRIu64 ")",
                       st->path, (uint64_t)data_len - end, data_len, end);
    return 0;
}

/* Validate the mapped file and build the entry tables. */
static int
safetensors_parse(struct safetensors *st, char **cause)
{
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | st->map[i];
    if (n > SAFETENSORS_MAX_HEADER)
        return err_set(cause, "'%s': header length %" PRIu64 " exceeds the limit of %llu bytes",
                       st->path, n, SAFETENSORS_MAX_HEADER);
    if (n > st->map_size - 8)
        return err_set(cause, "'%s': header length %" PRIu64 " runs past the end of the file "
                       "(%zu bytes)", st->path, n, st->map_size);
    if (safetensors_parse_json(st, (size_t)n, cause) < 0 ||
        safetensors_parse_metadata(st, cause) < 0)
        return -1;

    const unsigned char *data = st->map + 8 + n;
    size_t data_len = st->map_size - 8 - (size_t)n;
    st->entries = xcalloc(json_object_size(st->header), sizeof *st->entries);
    const char *key;
    json_t *value;
    json_object_foreach(st->header, key, value) {
        if (strcmp(key, "__metadata__") == 0)
            continue;
        if (safetensors_parse_entry(st->path, key, value, data, data_len,
                                    &st->entries[st->count], cause) < 0)
            return -1;
        st->count++;
    }
    qsort(st->entries, st->count, sizeof *st->entries, safetensors_cmp_offset);
    if (safetensors_check_tiling(st, data_len, cause) < 0)
        return -1;

    st->by_name = xcalloc(st->count, sizeof *st->by_name);
    for (size_t i = 0; i < st->count; i++)
        st->by_name[i] = &st->entries[i];
    qsort(st->by_name, st->count, sizeof *st->by_name, safetensors_cmp_name);
    return 0;
}

struct safetensors *
safetensors_open(const char *path, char **cause)
{
    struct safetensors *st = xcalloc(1, sizeof *st);
    st->path = xstrdup(path);
    st->map = MAP_FAILED;
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_set(cause, "'%s': cannot open: %s", path, strerror(errno));
        goto fail;
    }
    if (fstat(fd, &sb) < 0) {
        err_set(cause, "'%s': cannot stat: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(sb.st_mode)) {
        err_set(cause, "'%s': not a regular file", path);
        goto fail;
    }
    if (sb.st_size < 8) {
        err_set(cause, "'%s': file is %jd bytes, too short for the 8-byte header length",
                path, (intmax_t)sb.st_size);
        goto fail;
    }
    if ((uintmax_t)sb.st_size > SIZE_MAX) {
        err_set(cause, "'%s': file is too large to map", path);
        goto fail;
    }
    st->map_size = (size_t)sb.st_size;
    st->map = mmap(NULL, st->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (st->map == MAP_FAILED) {
        err_set(cause, "'%s': cannot map: %s", path, strerror(errno));
        goto fail;
    }
    close(fd);
    fd = -1;
    if (safetensors_parse(st, cause) < 0)
        goto fail;
    return st;
fail:
    if (fd >= 0)
        close(fd);
    safetensors_free(st);
    return NULL;
}

void
safetensors_free(struct safetensors *st)
{
    if (st == NULL)
        return;
    free(st->by_name);
    free(st->entries);
    free(st->metadata_keys);
    json_decref(st->header);
    if (st->map != MAP_FAILED && st->map != NULL)
        munmap(st->map, st->map_size);
    free(st->path);
    free(st);
}

size_t
safetensors_count(const struct safetensors *st)
{
    return st->count;
}

const struct safetensors_tensor *
safetensors_at(const struct safetensors *st, size_t i)
{
    CHECK(i < st->count);
    return &st->entries[i].t;
}

static int
safetensors_cmp_find(const void *key, const void *elem)
{
    const struct safetensors_entry *const *e = elem;
    return strcmp(key, (*e)->t.name);
}

const struct safetensors_tensor *
safetensors_find(const struct safetensors *st, const char *name)
{
    if (st->count == 0)
        return NULL;
    struct safetensors_entry **e = bsearch(name, st->by_name, st->count, sizeof *st->by_name,
                                           safetensors_cmp_find);
    return e != NULL ? &(*e)->t : NULL;
}

const char *
safetensors_metadata(const struct safetensors *st, const char *key)
{
    if (st->metadata == NULL)
        return NULL;
    return json_string_value(json_object_get(st->metadata, key));
}

size_t
safetensors_metadata_count(const struct safetensors *st)
{
    return st->metadata_count;
}

const char *
safetensors_metadata_key(const struct safetensors *st, size_t i)
{
    CHECK(i < st->metadata_count);
    return st->metadata_keys[i];
}

const char *
safetensors_path(const struct safetensors *st)
{
    return st->path;
}

/* ---------------------------------------------------------------------------------------- */
/* writing                                                                                  */

struct safetensors_writer *
safetensors_writer_new(void)
{
    struct safetensors_writer *w = xcalloc(1, sizeof *w);
    w->names = json_object();
    w->metadata = json_object();
    CHECK(w->names != NULL && w->metadata != NULL);
    return w;
}

void
safetensors_writer_free(struct safetensors_writer *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->count; i++) {
        free(w->tensors[i].name);
        free(w->tensors[i].data);
    }
    free(w->tensors);
    json_decref(w->names);
    json_decref(w->metadata);
    free(w);
}

static int
safetensors_writer_check(const struct safetensors_writer *w, const char *name,
                         enum safetensors_dtype dtype, int ndim, const int64_t *shape,
                         size_t nbytes, char **cause)
{
    if (name[0] == '\0')
        return err_set(cause, "tensor name is empty");
    if (strcmp(name, "__metadata__") == 0)
        return err_set(cause, "tensor name '__metadata__' is reserved");
    if (!safetensors_utf8_str(name))
        return err_set(cause, "tensor name is not valid UTF-8");
    if (json_object_get(w->names, name) != NULL)
        return err_set(cause, "tensor '%s' was already added", name);
    if (ndim < 0 || ndim > SAFETENSORS_MAX_DIMS)
        return err_set(cause, "tensor '%s': %d dimensions, expected 0 to %d", name, ndim,
                       SAFETENSORS_MAX_DIMS);
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return err_set(cause, "tensor '%s': shape entry %d is negative (%" PRId64 ")", name,
                           i, shape[i]);
    }
    char sh[SAFETENSORS_SHAPE_STR_MAX];
    const char *dt = safetensors_dtype_name(dtype);
    uint64_t nbits = 0, want = 0;
    switch (safetensors_size(dtype, ndim, shape, &nbits, &want)) {
    case SAFETENSORS_SIZE_OVERFLOW:
        return err_set(cause, "tensor '%s': shape %s of %s overflows", name,
                       safetensors_shape_str(sh, sizeof sh, ndim, shape), dt);
    case SAFETENSORS_SIZE_PARTIAL:
        return err_set(cause, "tensor '%s': shape %s of %s is %" PRIu64
                       " bits, not a whole number of bytes", name,
                       safetensors_shape_str(sh, sizeof sh, ndim, shape), dt, nbits);
    case SAFETENSORS_SIZE_OK:
        break;
    }
    if (want != nbytes)
        return err_set(cause, "tensor '%s': shape %s of %s needs %" PRIu64 " bytes but %zu "
                       "were given", name, safetensors_shape_str(sh, sizeof sh, ndim, shape),
                       dt, want, nbytes);
    return 0;
}

int
safetensors_writer_add(struct safetensors_writer *w, const char *name,
                       enum safetensors_dtype dtype, int ndim, const int64_t *shape,
                       const void *data, size_t nbytes, char **cause)
{
    CHECK((unsigned)dtype < SAFETENSORS_DTYPE_COUNT);
    CHECK(ndim <= 0 || shape != NULL);
    CHECK(nbytes == 0 || data != NULL);
    if (safetensors_writer_check(w, name, dtype, ndim, shape, nbytes, cause) < 0)
        return -1;
    if (w->count == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 16;
        w->tensors = xrealloc(w->tensors, w->cap * sizeof *w->tensors);
    }
    struct safetensors_writer_tensor *t = &w->tensors[w->count++];
    memset(t, 0, sizeof *t);
    t->name = xstrdup(name);
    t->dtype = dtype;
    t->ndim = ndim;
    if (ndim > 0)
        memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->data = xmalloc(nbytes);
    if (nbytes > 0)
        memcpy(t->data, data, nbytes);
    t->nbytes = nbytes;
    CHECK(json_object_set_new(w->names, name, json_null()) == 0);
    return 0;
}

int
safetensors_writer_set_metadata(struct safetensors_writer *w, const char *key, const char *value,
                                char **cause)
{
    if (!safetensors_utf8_str(key))
        return err_set(cause, "metadata key is not valid UTF-8");
    if (!safetensors_utf8_str(value))
        return err_set(cause, "metadata value for '%s' is not valid UTF-8", key);
    CHECK(json_object_set_new(w->metadata, key, json_string(value)) == 0);
    return 0;
}

static int
safetensors_cmp_write(const void *a, const void *b)
{
    const struct safetensors_writer_tensor *const *x = a, *const *y = b;
    int ax = safetensors_dtype_align((*x)->dtype), ay = safetensors_dtype_align((*y)->dtype);
    if (ax != ay)
        return ax > ay ? -1 : 1;
    return strcmp((*x)->name, (*y)->name);
}

/* The header JSON for tensors in the given order, unpadded; the caller frees it. */
static char *
safetensors_writer_header(const struct safetensors_writer *w,
                          struct safetensors_writer_tensor *const *order, size_t *len)
{
    json_t *root = json_object();
    if (json_object_size(w->metadata) > 0)
        CHECK(json_object_set(root, "__metadata__", w->metadata) == 0);
    uint64_t off = 0;
    for (size_t i = 0; i < w->count; i++) {
        const struct safetensors_writer_tensor *t = order[i];
        json_t *shape = json_array();
        for (int d = 0; d < t->ndim; d++)
            CHECK(json_array_append_new(shape, json_integer(t->shape[d])) == 0);
        json_t *entry = json_pack("{s:s, s:o, s:[I, I]}", "dtype",
                                  safetensors_dtype_name(t->dtype), "shape", shape,
                                  "data_offsets", (json_int_t)off,
                                  (json_int_t)(off + t->nbytes));
        CHECK(entry != NULL);
        CHECK(json_object_set_new(root, t->name, entry) == 0);
        off += t->nbytes;
    }
    char *text = json_dumps(root, JSON_COMPACT);
    CHECK(text != NULL);
    json_decref(root);
    *len = strlen(text);
    return text;
}

static int
safetensors_write_all(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Write the file body (length, padded header, data) to fd. */
static int
safetensors_writer_emit(int fd, const char *header, size_t len,
                        struct safetensors_writer_tensor *const *order, size_t count)
{
    static const char spaces[8] = "        ";
    size_t pad = (8 - len % 8) % 8;
    uint64_t n = len + pad;
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(n >> (8 * i));
    if (safetensors_write_all(fd, le, sizeof le) < 0 ||
        safetensors_write_all(fd, header, len) < 0 ||
        safetensors_write_all(fd, spaces, pad) < 0)
        return -1;
    for (size_t i = 0; i < count; i++) {
        if (safetensors_write_all(fd, order[i]->data, order[i]->nbytes) < 0)
            return -1;
    }
    return 0;
}

int
safetensors_writer_write(struct safetensors_writer *w, const char *path, char **cause)
{
    int rc = -1, fd = -1;
    bool created = false;
    char *tmp = xasprintf("%s.tmp", path), *header = NULL;
    struct safetensors_writer_tensor **order = xcalloc(w->count, sizeof *order);
    for (size_t i = 0; i < w->count; i++)
        order[i] = &w->tensors[i];
    qsort(order, w->count, sizeof *order, safetensors_cmp_write);

    size_t len;
    header = safetensors_writer_header(w, order, &len);
    if (len + 7 > SAFETENSORS_MAX_HEADER) {
        err_set(cause, "'%s': header of %zu bytes exceeds the limit of %llu bytes", path, len,
                SAFETENSORS_MAX_HEADER);
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        err_set(cause, "cannot create '%s': %s", tmp, strerror(errno));
        goto out;
    }
    created = true;
    if (safetensors_writer_emit(fd, header, len, order, w->count) < 0 || fsync(fd) < 0) {
        err_set(cause, "cannot write '%s': %s", tmp, strerror(errno));
        goto out;
    }
    int closed = close(fd);
    fd = -1;
    if (closed < 0) {
        err_set(cause, "cannot write '%s': %s", tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, path) < 0) {
        err_set(cause, "cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc < 0 && created)
        unlink(tmp);
    free(order);
    free(header);
    free(tmp);
    return rc;
}
