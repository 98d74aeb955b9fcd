/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the dm-verity superblock reader and the tree
 * geometry built from it. The input is libFuzzer's exact-size buffer, so a
 * read past len is caught. A superblock that parses must be within every
 * documented limit, write back to bytes that parse to the same fields, and
 * give a tree whose levels end in one block and whose bytes fit in 2^63. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/verity.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

static void check_geometry(const struct verity_superblock *sb, uint64_t hash_offset, bool superblock) {
        struct verity_geometry g;
        int r = verity_geometry_compute(sb->data_blocks, sb->hash_block_size, verity_digest_size(sb->algorithm),
                                        superblock, hash_offset, &g);
        if (r != KEEL_OK) {
                check(r == KEEL_E_VERITY_BAD_HASH_OFFSET || r == KEEL_E_VERITY_SIZE_OVERFLOW);
                return;
        }
        check(g.levels <= VERITY_MAX_LEVELS);
        check(g.levels == 0 ? sb->data_blocks == 1 : g.level_blocks[g.levels - 1] == 1);
        check(g.digest_stride >= g.digest_size && (g.digest_stride & (g.digest_stride - 1)) == 0);
        check((uint64_t) g.digest_stride << g.hashes_per_block_bits <= sb->hash_block_size);
        check(g.hash_end_block <= INT64_MAX / sb->hash_block_size);
        for (unsigned i = 0; i < g.levels; i++) {
                uint64_t below = i == 0 ? sb->data_blocks : g.level_blocks[i - 1];
                check(g.level_blocks[i] == ((below - 1) >> g.hashes_per_block_bits) + 1);
                check(g.level_start[i] >= g.hash_start_block && g.level_start[i] < g.hash_end_block);
                if (i + 1 < g.levels)
                        check(g.level_start[i + 1] + g.level_blocks[i + 1] == g.level_start[i]);
        }
        if (g.levels > 0)
                check(g.level_start[0] + g.level_blocks[0] == g.hash_end_block);
        if (superblock)
                check(g.hash_start_block * sb->hash_block_size >= hash_offset + VERITY_SUPERBLOCK_SIZE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct verity_superblock sb, again;
        uint8_t out[VERITY_SUPERBLOCK_SIZE];
        int r = verity_superblock_parse(data, size, &sb);

        if (r != KEEL_OK) {
                check(r > KEEL_OK && r < _KEEL_ERROR_MAX);
                return 0;
        }
        check(size >= VERITY_SUPERBLOCK_SIZE);
        check(sb.version == 1 && sb.hash_type == 1);
        check(verity_digest_size(sb.algorithm) != 0);
        check(verity_block_size_valid(sb.data_block_size) && verity_block_size_valid(sb.hash_block_size));
        check(sb.data_blocks > 0 && sb.salt_size <= VERITY_SALT_MAX);

        check(verity_superblock_write(&sb, out) == KEEL_OK);
        /* Every field comes back byte for byte; only bytes the format
         * leaves unused (after the name's NUL, padding) may differ. */
        check(memcmp(out, data, 32) == 0);
        check(memcmp(out + 32, data + 32, strlen(sb.algorithm) + 1) == 0);
        check(memcmp(out + 64, data + 64, 18) == 0);
        check(memcmp(out + 88, data + 88, sb.salt_size) == 0);
        check(verity_superblock_parse(out, sizeof(out), &again) == KEEL_OK);
        check(memcmp(&again, &sb, sizeof(sb)) == 0);

        /* Offsets taken from the bytes after the superblock, when there are any. */
        check_geometry(&sb, 0, true);
        check_geometry(&sb, 0, false);
        if (size >= VERITY_SUPERBLOCK_SIZE + 8) {
                uint64_t offset = read_le64(data + VERITY_SUPERBLOCK_SIZE);
                check_geometry(&sb, offset, true);
                check_geometry(&sb, offset, false);
        }
        return 0;
}
