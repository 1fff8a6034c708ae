/*
 * safetensors.h - a strict reader and an atomic writer for .safetensors files.
 *
 * The format (huggingface/safetensors; shared/reference/sampling.md C.1):
 *
 *     [0, 8)        N, a little-endian u64: the byte length of the header
 *     [8, 8+N)      a UTF-8 JSON object starting with '{', maybe right-padded with spaces:
 *                   {"__metadata__": {str: str}, "name": {"dtype": "F32", "shape": [2, 3],
 *                    "data_offsets": [BEGIN, END]}, ...}
 *     [8+N, EOF)    the data section; offsets are relative to its start, END is exclusive
 *
 * Reading.  safetensors_open() maps the file read-only and validates all of it before it
 * returns: the header, every entry, and that the entries tile the data section exactly (no
 * holes, no overlaps, nothing after the last tensor).  A malformed file is a NULL return with
 * a cause naming the file and the problem, never a crash or an out-of-bounds read.  Tensor
 * data is never copied: `data` points into the mapping, is little-endian and row-major, and is
 * only as aligned as the file makes it (files from safetensors_writer_write() have every
 * tensor aligned to its element size; others may not, so read through memcpy).
 *
 * Ownership.  Every pointer a reader hands out (tensor names, shapes, data, metadata strings,
 * the path) belongs to the struct safetensors and dies with safetensors_free().  The writer
 * copies the names, data and metadata it is given, so callers may free theirs at once.
 *
 * Example:
 *
 *     char *cause = NULL;
 *     struct safetensors *st = safetensors_open("model.safetensors", &cause);
 *     if (st == NULL) {
 *         fprintf(stderr, "fbw: %s\n", cause);
 *         free(cause);
 *         return -1;
 *     }
 *     const struct safetensors_tensor *w = safetensors_find(st, "final_layer.linear.weight");
 *     if (w != NULL && w->dtype == SAFETENSORS_F32)
 *         use_weights(w->data, w->shape, w->ndim);
 *     safetensors_free(st);
 *
 *     struct safetensors_writer *wr = safetensors_writer_new();
 *     int64_t shape[2] = { 2, 3 };
 *     float x[6] = { 0 };
 *     if (safetensors_writer_add(wr, "x", SAFETENSORS_F32, 2, shape, x, sizeof x, &cause) < 0 ||
 *         safetensors_writer_set_metadata(wr, "format", "pt", &cause) < 0 ||
 *         safetensors_writer_write(wr, "out.safetensors", &cause) < 0)
 *         report_and_free(cause);
 *     safetensors_writer_free(wr);
 */
#ifndef FBW_CORE_SAFETENSORS_H
#define FBW_CORE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Every dtype of the format, in the order of the reference crate's `Dtype` enum.  The names
 * ("F32", "BF16", ...) are what the file stores; the numeric values are never persisted.
 */
enum safetensors_dtype {
    SAFETENSORS_BOOL,
    SAFETENSORS_F4,          /* 4 bits: MXFP4 E2M1 */
    SAFETENSORS_F6_E2M3,     /* 6 bits */
    SAFETENSORS_F6_E3M2,     /* 6 bits */
    SAFETENSORS_U8,
    SAFETENSORS_I8,
    SAFETENSORS_F8_E5M2,
    SAFETENSORS_F8_E4M3,
    SAFETENSORS_F8_E8M0,
    SAFETENSORS_F8_E4M3FNUZ,
    SAFETENSORS_F8_E5M2FNUZ,
    SAFETENSORS_I16,
    SAFETENSORS_U16,
    SAFETENSORS_F16,
    SAFETENSORS_BF16,
    SAFETENSORS_I32,
    SAFETENSORS_U32,
    SAFETENSORS_F32,
    SAFETENSORS_C64,         /* complex: two F32 */
    SAFETENSORS_F64,
    SAFETENSORS_I64,
    SAFETENSORS_U64,
    SAFETENSORS_DTYPE_COUNT
};

/* The file's name for a dtype ("F32"); dtype must be below SAFETENSORS_DTYPE_COUNT. */
const char *safetensors_dtype_name(enum safetensors_dtype dtype);
/* The dtype whose file name is exactly name (case-sensitive), or -1 if there is none. */
int safetensors_dtype_from_name(const char *name);
/* Bits per element: 4 (F4), 6 (F6_*), 8 (BOOL, U8, I8, F8_*), 16, 32 or 64 (C64 too). */
int safetensors_dtype_bits(enum safetensors_dtype dtype);

/* The most dimensions a tensor may have here (the format itself sets no limit). */
#define SAFETENSORS_MAX_DIMS 8

/* One tensor of an open file.  ndim 0 is a scalar (one element); a 0 in shape, no bytes. */
struct safetensors_tensor {
    const char *name;
    enum safetensors_dtype dtype;
    int ndim;
    int64_t shape[SAFETENSORS_MAX_DIMS];   /* entries past ndim are 0 */
    const void *data;                      /* nbytes bytes in the mapping; unaligned maybe */
    size_t nbytes;                         /* prod(shape) * bits / 8 */
};

/* An open, fully validated, read-only mapped file. */
struct safetensors;

/*
 * Map and validate the file at path.  Returns NULL and sets *cause (when cause is non-NULL;
 * the caller frees it) on any problem: I/O, a malformed header or entry, offsets that do not
 * tile the data section.  The caller frees the result with safetensors_free().  The file must
 * not be truncated while it is open (the mapping would fault).
 */
struct safetensors *safetensors_open(const char *path, char **cause);
/* Unmap and free; NULL-safe.  Every pointer obtained from st dies here. */
void safetensors_free(struct safetensors *st);

/* The number of tensors (the __metadata__ entry is not a tensor). */
size_t safetensors_count(const struct safetensors *st);
/*
 * Tensor i (i < count) in data-offset order; zero-byte tensors that share an offset come in
 * name order.  The pointer lives as long as st.
 */
const struct safetensors_tensor *safetensors_at(const struct safetensors *st, size_t i);
/* The tensor called name, or NULL if there is none ("__metadata__" is never a tensor). */
const struct safetensors_tensor *safetensors_find(const struct safetensors *st, const char *name);
/* The __metadata__ value for key, or NULL if the file has no such key. */
const char *safetensors_metadata(const struct safetensors *st, const char *key);
/* The number of __metadata__ keys (0 when the file has no __metadata__). */
size_t safetensors_metadata_count(const struct safetensors *st);
/* The i-th __metadata__ key (i < metadata_count), in the order the header lists them. */
const char *safetensors_metadata_key(const struct safetensors *st, size_t i);
/* The path st was opened with (a copy owned by st). */
const char *safetensors_path(const struct safetensors *st);

/* Tensors and metadata collected in memory, then written in one go. */
struct safetensors_writer;

/* An empty writer; free it with safetensors_writer_free(). */
struct safetensors_writer *safetensors_writer_new(void);
/* Free the writer and its copies; NULL-safe. */
void safetensors_writer_free(struct safetensors_writer *w);

/*
 * Add a tensor, copying name, shape and the nbytes bytes at data (which may be NULL when
 * nbytes is 0; shape may be NULL when ndim is 0).  Returns 0, or -1 with *cause set and the
 * writer unchanged when: the name is empty, "__metadata__", not UTF-8 or already added; ndim
 * is outside 0..SAFETENSORS_MAX_DIMS or a shape entry is negative; the shape overflows or is
 * not a whole number of bytes; or nbytes differs from prod(shape) * bits / 8.  An invalid
 * dtype is a programmer error (CHECK).
 */
int safetensors_writer_add(struct safetensors_writer *w, const char *name,
                           enum safetensors_dtype dtype, int ndim, const int64_t *shape,
                           const void *data, size_t nbytes, char **cause);
/*
 * Set __metadata__[key] = value, copying both; a key set before is replaced in place.
 * Returns 0, or -1 with *cause set when key or value is not valid UTF-8.
 */
int safetensors_writer_set_metadata(struct safetensors_writer *w, const char *key,
                                    const char *value, char **cause);
/*
 * Write everything to path, as the reference writer lays it out: tensors sorted by
 * descending element alignment (bytes per element, at least 1), then by name (bytewise);
 * the compact JSON header lists __metadata__ first (when any key was set, keys in the order
 * first set), then the tensors in offset order, and is padded with spaces to a multiple of
 * 8 bytes, so every tensor is aligned to its element size in the file.  Writes "<path>.tmp",
 * syncs it and renames it over path, so path is never half-written.  Returns 0, or -1 with
 * *cause set (and no .tmp left behind).  The writer stays usable.
 */
int safetensors_writer_write(struct safetensors_writer *w, const char *path, char **cause);

#endif
