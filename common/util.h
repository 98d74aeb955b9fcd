/* SPDX-License-Identifier: MIT */
/* Freestanding helpers shared by the EFI binary, the host tools, the unit
 * tests and the fuzzers. Nothing in common/ may call firmware or libc
 * beyond the few string functions declared here. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef KEEL_EFI
/* Provided by efi/libc.c: gcc emits calls to these even in freestanding code. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
#else
#include <string.h>
#endif

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
#define _packed_ __attribute__((packed))

static inline uint16_t read_le16(const void *p) {
        const uint8_t *b = p;
        return (uint16_t) (b[0] | (b[1] << 8));
}

static inline uint32_t read_le32(const void *p) {
        const uint8_t *b = p;
        return (uint32_t) b[0] | ((uint32_t) b[1] << 8) | ((uint32_t) b[2] << 16) | ((uint32_t) b[3] << 24);
}

static inline uint64_t read_le64(const void *p) {
        return (uint64_t) read_le32(p) | ((uint64_t) read_le32((const uint8_t *) p + 4) << 32);
}

static inline void write_le16(void *p, uint16_t v) {
        uint8_t *b = p;
        b[0] = (uint8_t) v;
        b[1] = (uint8_t) (v >> 8);
}

static inline void write_le32(void *p, uint32_t v) {
        uint8_t *b = p;
        b[0] = (uint8_t) v;
        b[1] = (uint8_t) (v >> 8);
        b[2] = (uint8_t) (v >> 16);
        b[3] = (uint8_t) (v >> 24);
}

static inline void write_le64(void *p, uint64_t v) {
        write_le32(p, (uint32_t) v);
        write_le32((uint8_t *) p + 4, (uint32_t) (v >> 32));
}

static inline bool is_power_of_two(uint64_t v) {
        return v != 0 && (v & (v - 1)) == 0;
}

/* Rounds v up to a power-of-two alignment; false when the result does not fit. */
static inline bool align_up_u32(uint32_t v, uint32_t alignment, uint32_t *ret) {
        uint32_t mask = alignment - 1;
        if (v > UINT32_MAX - mask)
                return false;
        *ret = (v + mask) & ~mask;
        return true;
}

static inline bool align_up_u64(uint64_t v, uint64_t alignment, uint64_t *ret) {
        uint64_t mask = alignment - 1;
        if (v > UINT64_MAX - mask)
                return false;
        *ret = (v + mask) & ~mask;
        return true;
}

/* True when [offset, offset+size) lies inside a buffer of len bytes; written
 * as a check on the remaining length so that it cannot overflow. */
static inline bool range_fits(uint64_t len, uint64_t offset, uint64_t size) {
        return offset <= len && size <= len - offset;
}
