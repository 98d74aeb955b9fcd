/* SPDX-License-Identifier: MIT */
/* dm-verity's on-disk format as veritysetup (cryptsetup) writes it: the
 * 512-byte superblock, the shape of the hash tree, and the hex/UUID text
 * forms of root hashes, salts and UUIDs. Pure functions on (buf, len), shared
 * by `keel verity`, `keel image`, the unit tests and the fuzzers. */
#pragma once

#include "util.h"

#define VERITY_SUPERBLOCK_SIZE 512
#define VERITY_SIGNATURE "verity\0\0"
#define VERITY_SALT_MAX 256
#define VERITY_ALGORITHM_MAX 32 /* bytes in the superblock, NUL included */
#define VERITY_DIGEST_MAX 64
#define VERITY_UUID_SIZE 16
/* cryptsetup's limits: block sizes are powers of two in [512, 512 KiB] and
 * a tree has at most 63 levels. */
#define VERITY_BLOCK_SIZE_MIN 512u
#define VERITY_BLOCK_SIZE_MAX (512u * 1024)
#define VERITY_MAX_LEVELS 63

/* The superblock's fields (hash type 1 only: salt first, digests padded to a
 * power of two). */
struct verity_superblock {
        uint32_t version;   /* always 1 */
        uint32_t hash_type; /* always 1 */
        uint8_t uuid[VERITY_UUID_SIZE];
        char algorithm[VERITY_ALGORITHM_MAX]; /* NUL-terminated, lower case, e.g. "sha256" */
        uint32_t data_block_size;
        uint32_t hash_block_size;
        uint64_t data_blocks;
        uint16_t salt_size;
        uint8_t salt[VERITY_SALT_MAX];
};

/* The digest size of a hash veritysetup names this way ("sha1", "sha224",
 * "sha256", "sha384", "sha512"), or 0 for any other name. */
unsigned verity_digest_size(const char *algorithm);

bool verity_block_size_valid(uint64_t size);

/* Checks and decodes a superblock; len may be larger than 512. */
int verity_superblock_parse(const void *buf, size_t len, struct verity_superblock *ret);

/* Encodes a superblock as veritysetup writes it (512 bytes, unused bytes
 * zero). Validates the fields the same way the parser does. */
int verity_superblock_write(const struct verity_superblock *sb, uint8_t out[VERITY_SUPERBLOCK_SIZE]);

/* Where each level of the hash tree lives on the hash device, in hash blocks
 * counted from the start of the device. Level 0 hashes the data blocks; the
 * top level (levels - 1) is one block whose digest is the root hash. With
 * zero levels (one data block) the root hash is that block's digest. Levels
 * are stored top first: level levels-1 at the lowest offset. */
struct verity_geometry {
        unsigned digest_size;
        unsigned digest_stride; /* digest_size rounded up to a power of two */
        unsigned hashes_per_block_bits;
        unsigned levels;
        uint64_t hash_start_block; /* first block of the tree */
        uint64_t hash_end_block;   /* one past the last block of the tree */
        uint64_t level_start[VERITY_MAX_LEVELS];
        uint64_t level_blocks[VERITY_MAX_LEVELS];
};

/* The tree for data_blocks blocks. hash_offset is the byte offset of the
 * hash area (of the superblock when there is one): it must be a multiple of
 * 512, and of hash_block_size without a superblock. With a superblock the
 * tree starts at the first hash block boundary after it. Fails on overflow
 * of the 64-bit byte size and on more than VERITY_MAX_LEVELS levels. */
int verity_geometry_compute(uint64_t data_blocks, uint32_t hash_block_size, unsigned digest_size, bool superblock,
                            uint64_t hash_offset, struct verity_geometry *ret);

/* Decodes hex (either case, even length, no separators) into at most
 * out_size bytes. */
int verity_hex_decode(const char *s, size_t len, uint8_t *out, size_t out_size, size_t *ret_size);
/* Lower-case hex with a NUL: out has room for 2 * size + 1 bytes. */
void verity_hex_encode(const uint8_t *data, size_t size, char *out);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case) <-> 16 bytes in text
 * order (the order the superblock stores and GPT tools print). */
#define VERITY_UUID_STRING_SIZE 37
int verity_uuid_parse(const char *s, size_t len, uint8_t ret[VERITY_UUID_SIZE]);
void verity_uuid_format(const uint8_t uuid[VERITY_UUID_SIZE], char out[VERITY_UUID_STRING_SIZE]);

/* The Discoverable Partitions Specification's partition UUIDs for a root
 * hash: the first 128 bits name the data partition, the last 128 bits the
 * hash partition. root_hash_size must be at least 16. */
int verity_partition_uuids(const uint8_t *root_hash, size_t root_hash_size, uint8_t ret_data[VERITY_UUID_SIZE],
                           uint8_t ret_hash[VERITY_UUID_SIZE]);
