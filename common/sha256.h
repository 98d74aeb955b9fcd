/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4) without libc, for the stub's check of a thin UKI's
 * content (common/thin.c) in the EFI binary and on the host alike. The host
 * tools use OpenSSL for everything else; tests/unit/test-sha256.c compares
 * the two. */
#pragma once

#include "util.h"

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64

struct sha256_ctx {
        uint32_t state[8];
        uint64_t length; /* bytes hashed so far */
        uint8_t block[SHA256_BLOCK_SIZE];
        size_t block_used;
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
void sha256_final(struct sha256_ctx *ctx, uint8_t ret[SHA256_DIGEST_SIZE]);

/* The digest of data[0..len) in one call. */
void sha256(const void *data, size_t len, uint8_t ret[SHA256_DIGEST_SIZE]);
