/*
 * sha256.h - SHA-256 (FIPS 180-4), for content hashes: image blobs in the store are
 * deduplicated by it, and sweep cells are keyed by a hash of their settings.
 *
 *     char hex[SHA256_HEX_SIZE];
 *     sha256_hex(data, n, hex);      hex now holds 64 lowercase digits and a NUL
 */
#ifndef FBW_UTIL_SHA256_H
#define FBW_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_HEX_SIZE 65

struct sha256 {
    uint32_t h[8];
    uint64_t length;            /* bytes hashed so far */
    unsigned char block[64];
    size_t used;                /* bytes waiting in block */
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *data, size_t n);
void sha256_final(struct sha256 *c, uint8_t digest[32]);

/* One-shot digest as 64 lowercase hex digits plus a NUL. */
void sha256_hex(const void *data, size_t n, char hex[SHA256_HEX_SIZE]);

#endif
