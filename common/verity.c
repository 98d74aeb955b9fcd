/* SPDX-License-Identifier: MIT */
#include "verity.h"
#include "error.h"
#include "strutil.h"

/* Superblock field offsets (struct verity_sb in cryptsetup's lib/verity/verity.h). */
#define SB_SIGNATURE 0
#define SB_VERSION 8
#define SB_HASH_TYPE 12
#define SB_UUID 16
#define SB_ALGORITHM 32
#define SB_DATA_BLOCK_SIZE 64
#define SB_HASH_BLOCK_SIZE 68
#define SB_DATA_BLOCKS 72
#define SB_SALT_SIZE 80
#define SB_SALT 88

/* off_t is signed: no device offset may reach 2^63. */
#define VERITY_BYTES_MAX ((uint64_t) INT64_MAX)

static const struct {
        const char *name;
        unsigned digest_size;
} algorithms[] = {
        { "sha1", 20 }, { "sha224", 28 }, { "sha256", 32 }, { "sha384", 48 }, { "sha512", 64 },
};

unsigned verity_digest_size(const char *algorithm) {
        for (size_t i = 0; i < ARRAY_SIZE(algorithms); i++)
                if (strcmp(algorithm, algorithms[i].name) == 0)
                        return algorithms[i].digest_size;
        return 0;
}

bool verity_block_size_valid(uint64_t size) {
        return is_power_of_two(size) && size >= VERITY_BLOCK_SIZE_MIN && size <= VERITY_BLOCK_SIZE_MAX;
}

/* The checks shared by the parser and the writer. */
static int check_fields(const struct verity_superblock *sb) {
        if (sb->version != 1)
                return KEEL_E_VERITY_BAD_VERSION;
        if (sb->hash_type != 1)
                return KEEL_E_VERITY_BAD_HASH_TYPE;
        if (verity_digest_size(sb->algorithm) == 0)
                return KEEL_E_VERITY_BAD_ALGORITHM;
        if (!verity_block_size_valid(sb->data_block_size) || !verity_block_size_valid(sb->hash_block_size))
                return KEEL_E_VERITY_BAD_BLOCK_SIZE;
        if (sb->data_blocks == 0)
                return KEEL_E_VERITY_NO_DATA_BLOCKS;
        if (sb->data_blocks > VERITY_BYTES_MAX / sb->data_block_size)
                return KEEL_E_VERITY_SIZE_OVERFLOW;
        if (sb->salt_size > VERITY_SALT_MAX)
                return KEEL_E_VERITY_BAD_SALT_SIZE;
        return KEEL_OK;
}

int verity_superblock_parse(const void *buf, size_t len, struct verity_superblock *ret) {
        const uint8_t *p = buf;
        struct verity_superblock sb;
        size_t name_len = 0;
        int r;

        if (!buf || len < VERITY_SUPERBLOCK_SIZE)
                return KEEL_E_VERITY_TRUNCATED_SUPERBLOCK;
        if (memcmp(p + SB_SIGNATURE, VERITY_SIGNATURE, 8) != 0)
                return KEEL_E_VERITY_BAD_SIGNATURE;

        memset(&sb, 0, sizeof(sb));
        sb.version = read_le32(p + SB_VERSION);
        sb.hash_type = read_le32(p + SB_HASH_TYPE);
        memcpy(sb.uuid, p + SB_UUID, VERITY_UUID_SIZE);
        /* The name must end inside its field; an unterminated one is rejected
         * rather than cut, so that no two superblocks parse the same. */
        while (name_len < VERITY_ALGORITHM_MAX && p[SB_ALGORITHM + name_len] != 0)
                name_len++;
        if (name_len == 0 || name_len == VERITY_ALGORITHM_MAX)
                return KEEL_E_VERITY_BAD_ALGORITHM;
        memcpy(sb.algorithm, p + SB_ALGORITHM, name_len);
        sb.data_block_size = read_le32(p + SB_DATA_BLOCK_SIZE);
        sb.hash_block_size = read_le32(p + SB_HASH_BLOCK_SIZE);
        sb.data_blocks = read_le64(p + SB_DATA_BLOCKS);
        sb.salt_size = read_le16(p + SB_SALT_SIZE);

        r = check_fields(&sb);
        if (r != KEEL_OK)
                return r;
        memcpy(sb.salt, p + SB_SALT, sb.salt_size);
        *ret = sb;
        return KEEL_OK;
}

int verity_superblock_write(const struct verity_superblock *sb, uint8_t out[VERITY_SUPERBLOCK_SIZE]) {
        size_t name_len = 0;
        int r;

        while (name_len < VERITY_ALGORITHM_MAX && sb->algorithm[name_len] != 0)
                name_len++;
        if (name_len == VERITY_ALGORITHM_MAX)
                return KEEL_E_VERITY_BAD_ALGORITHM;
        r = check_fields(sb);
        if (r != KEEL_OK)
                return r;

        memset(out, 0, VERITY_SUPERBLOCK_SIZE);
        memcpy(out + SB_SIGNATURE, VERITY_SIGNATURE, 8);
        write_le32(out + SB_VERSION, sb->version);
        write_le32(out + SB_HASH_TYPE, sb->hash_type);
        memcpy(out + SB_UUID, sb->uuid, VERITY_UUID_SIZE);
        memcpy(out + SB_ALGORITHM, sb->algorithm, name_len);
        write_le32(out + SB_DATA_BLOCK_SIZE, sb->data_block_size);
        write_le32(out + SB_HASH_BLOCK_SIZE, sb->hash_block_size);
        write_le64(out + SB_DATA_BLOCKS, sb->data_blocks);
        write_le16(out + SB_SALT_SIZE, sb->salt_size);
        memcpy(out + SB_SALT, sb->salt, sb->salt_size);
        return KEEL_OK;
}

static unsigned log2_floor(uint64_t v) {
        unsigned bits = 0;
        while (v >>= 1)
                bits++;
        return bits;
}

int verity_geometry_compute(uint64_t data_blocks, uint32_t hash_block_size, unsigned digest_size, bool superblock,
                            uint64_t hash_offset, struct verity_geometry *ret) {
        struct verity_geometry g;
        uint64_t n, position;

        if (!verity_block_size_valid(hash_block_size))
                return KEEL_E_VERITY_BAD_BLOCK_SIZE;
        if (digest_size == 0 || digest_size > VERITY_DIGEST_MAX)
                return KEEL_E_VERITY_BAD_ALGORITHM;
        if (data_blocks == 0)
                return KEEL_E_VERITY_NO_DATA_BLOCKS;
        if (hash_offset % 512 != 0 || (!superblock && hash_offset % hash_block_size != 0))
                return KEEL_E_VERITY_BAD_HASH_OFFSET;
        if (hash_offset > VERITY_BYTES_MAX - VERITY_SUPERBLOCK_SIZE - hash_block_size)
                return KEEL_E_VERITY_SIZE_OVERFLOW;

        memset(&g, 0, sizeof(g));
        g.digest_size = digest_size;
        g.digest_stride = 1u << log2_floor(digest_size);
        if (g.digest_stride < digest_size)
                g.digest_stride <<= 1;
        g.hashes_per_block_bits = log2_floor(hash_block_size / digest_size);

        /* As many levels as it takes to get down to one block. */
        for (n = data_blocks; n > 1; g.levels++) {
                if (g.levels == VERITY_MAX_LEVELS)
                        return KEEL_E_VERITY_TOO_MANY_LEVELS;
                n = ((n - 1) >> g.hashes_per_block_bits) + 1;
                g.level_blocks[g.levels] = n;
        }

        if (superblock)
                g.hash_start_block = (hash_offset + VERITY_SUPERBLOCK_SIZE + hash_block_size - 1) / hash_block_size;
        else
                g.hash_start_block = hash_offset / hash_block_size;

        position = g.hash_start_block;
        for (unsigned i = g.levels; i-- > 0;) {
                g.level_start[i] = position;
                if (g.level_blocks[i] > VERITY_BYTES_MAX / hash_block_size - position)
                        return KEEL_E_VERITY_SIZE_OVERFLOW;
                position += g.level_blocks[i];
        }
        g.hash_end_block = position;
        *ret = g;
        return KEEL_OK;
}


int verity_hex_decode(const char *s, size_t len, uint8_t *out, size_t out_size, size_t *ret_size) {
        if (len == 0 || len % 2 != 0 || len / 2 > out_size)
                return KEEL_E_VERITY_BAD_HEX;
        for (size_t i = 0; i < len; i += 2) {
                int hi = hex_digit_value(s[i]), lo = hex_digit_value(s[i + 1]);
                if (hi < 0 || lo < 0)
                        return KEEL_E_VERITY_BAD_HEX;
                out[i / 2] = (uint8_t) (hi << 4 | lo);
        }
        *ret_size = len / 2;
        return KEEL_OK;
}

void verity_hex_encode(const uint8_t *data, size_t size, char *out) {
        static const char digits[] = "0123456789abcdef";
        for (size_t i = 0; i < size; i++) {
                out[2 * i] = digits[data[i] >> 4];
                out[2 * i + 1] = digits[data[i] & 0xf];
        }
        out[2 * size] = '\0';
}

int verity_uuid_parse(const char *s, size_t len, uint8_t ret[VERITY_UUID_SIZE]) {
        uint8_t uuid[VERITY_UUID_SIZE];
        size_t o = 0;

        if (len != VERITY_UUID_STRING_SIZE - 1)
                return KEEL_E_VERITY_BAD_UUID;
        for (size_t i = 0; i < len;) {
                int hi, lo;
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return KEEL_E_VERITY_BAD_UUID;
                        i++;
                        continue;
                }
                hi = hex_digit_value(s[i]);
                lo = hex_digit_value(s[i + 1]);
                if (hi < 0 || lo < 0)
                        return KEEL_E_VERITY_BAD_UUID;
                uuid[o++] = (uint8_t) (hi << 4 | lo);
                i += 2;
        }
        memcpy(ret, uuid, sizeof(uuid));
        return KEEL_OK;
}

void verity_uuid_format(const uint8_t uuid[VERITY_UUID_SIZE], char out[VERITY_UUID_STRING_SIZE]) {
        static const char digits[] = "0123456789abcdef";
        size_t o = 0;

        for (size_t i = 0; i < VERITY_UUID_SIZE; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = digits[uuid[i] >> 4];
                out[o++] = digits[uuid[i] & 0xf];
        }
        out[o] = '\0';
}

int verity_partition_uuids(const uint8_t *root_hash, size_t root_hash_size, uint8_t ret_data[VERITY_UUID_SIZE],
                           uint8_t ret_hash[VERITY_UUID_SIZE]) {
        if (!root_hash || root_hash_size < VERITY_UUID_SIZE)
                return KEEL_E_INVALID_ARGUMENT;
        memcpy(ret_data, root_hash, VERITY_UUID_SIZE);
        memcpy(ret_hash, root_hash + root_hash_size - VERITY_UUID_SIZE, VERITY_UUID_SIZE);
        return KEEL_OK;
}
