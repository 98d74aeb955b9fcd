/* SPDX-License-Identifier: MIT */
#include "host-tools/pe/pe-checksum.h"
#include "common/util.h"

static uint64_t fold(uint64_t sum) {
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return sum;
}

void pe_checksum_init(struct pe_checksum *c) {
        c->sum = 0;
        c->length = 0;
        c->pending = -1;
}

void pe_checksum_update(struct pe_checksum *c, const void *data, size_t size) {
        const uint8_t *p = data;
        uint64_t sum = c->sum;

        c->length += size;
        if (size == 0)
                return;
        if (c->pending >= 0) {
                sum += (uint64_t) c->pending | ((uint64_t) p[0] << 8);
                c->pending = -1;
                p++;
                size--;
        }
        /* One's-complement addition is associative and 2^16 = 1 modulo
         * 0xffff, so summing 32-bit words and folding once per block gives
         * the same result as folding after every 16-bit word — and runs at
         * memory speed. */
        while (size >= 8) {
                size_t words = size / 8 > (1u << 24) ? (1u << 24) : size / 8;
                uint64_t block = 0;
                for (size_t i = 0; i < words; i++) {
                        uint64_t w = read_le64(p + 8 * i);
                        block += (w & 0xffffffffu) + (w >> 32);
                }
                sum = fold(sum + fold(block));
                p += 8 * words;
                size -= 8 * words;
        }
        while (size >= 2) {
                sum += read_le16(p);
                p += 2;
                size -= 2;
        }
        if (size == 1)
                c->pending = p[0];
        c->sum = fold(sum);
}

uint32_t pe_checksum_final(const struct pe_checksum *c) {
        uint64_t sum = c->sum;
        if (c->pending >= 0)
                sum += (uint64_t) c->pending;
        return (uint32_t) (fold(sum) + c->length);
}

uint32_t pe_checksum_buffer(const void *data, size_t size, size_t checksum_offset) {
        static const uint8_t zero[4];
        const uint8_t *p = data;
        struct pe_checksum c;

        pe_checksum_init(&c);
        if (checksum_offset > size || size - checksum_offset < 4) {
                pe_checksum_update(&c, p, size);
                return pe_checksum_final(&c);
        }
        pe_checksum_update(&c, p, checksum_offset);
        pe_checksum_update(&c, zero, 4);
        pe_checksum_update(&c, p + checksum_offset + 4, size - checksum_offset - 4);
        return pe_checksum_final(&c);
}
