/* SPDX-License-Identifier: MIT */
#include "smbios.h"
#include "error.h"

/* Offsets in the entry points (DSP0134 5.2.1 and 5.2.2). */
#define SM2_LENGTH 0x05
#define SM2_TABLE_LENGTH 0x16
#define SM2_TABLE_ADDRESS 0x18
/* 0x1f in the specification; 0x1e in some 2.1 tables (an erratum): both
 * cover the fields read here. */
#define SM2_MIN_SIZE 0x1e
#define SM3_LENGTH 0x06
#define SM3_TABLE_MAX_SIZE 0x0c
#define SM3_TABLE_ADDRESS 0x10
#define SM3_MIN_SIZE 0x18

#define STRUCTURE_HEADER_SIZE 4 /* type, length, handle */

/* memchr(p, 0, n) (not in the EFI build's libc). */
static const uint8_t *find_nul(const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (p[i] == 0)
                        return p + i;
        return NULL;
}

int smbios_entry_point(const void *ep, size_t ep_len, bool smbios3, uint64_t *ret_table_address,
                       size_t *ret_table_len) {
        const uint8_t *p = ep;
        uint64_t address, length;

        *ret_table_address = 0;
        *ret_table_len = 0;
        if (!p)
                return KEEL_E_SMBIOS_BAD_ENTRY_POINT;
        if (smbios3) {
                /* The entry point's own length must cover the fields read;
                 * ep_len is what the caller can read of it. */
                if (ep_len < SM3_MIN_SIZE || memcmp(p, "_SM3_", 5) != 0 || p[SM3_LENGTH] < SM3_MIN_SIZE)
                        return KEEL_E_SMBIOS_BAD_ENTRY_POINT;
                address = read_le64(p + SM3_TABLE_ADDRESS);
                length = read_le32(p + SM3_TABLE_MAX_SIZE);
                /* Only an upper bound: the walk stops at the end structure. */
                if (length > SMBIOS_TABLE_MAX)
                        length = SMBIOS_TABLE_MAX;
        } else {
                if (ep_len < SM2_MIN_SIZE || memcmp(p, "_SM_", 4) != 0 || p[SM2_LENGTH] < SM2_MIN_SIZE)
                        return KEEL_E_SMBIOS_BAD_ENTRY_POINT;
                address = read_le32(p + SM2_TABLE_ADDRESS);
                length = read_le16(p + SM2_TABLE_LENGTH);
        }
        if (address == 0 || length == 0)
                return KEEL_E_SMBIOS_BAD_ENTRY_POINT;
        *ret_table_address = address;
        *ret_table_len = (size_t) length;
        return KEEL_OK;
}

/* The end of the string set that starts at off: just past its double NUL.
 * A structure without strings has two NUL bytes right after its formatted
 * area; otherwise each string ends in a NUL and an empty string ends the set. */
static int string_set_end(const uint8_t *t, size_t len, size_t off, size_t *ret_end) {
        if (len - off >= 2 && t[off] == 0 && t[off + 1] == 0) {
                *ret_end = off + 2;
                return KEEL_OK;
        }
        for (;;) {
                const uint8_t *nul;

                if (off >= len)
                        return KEEL_E_SMBIOS_MALFORMED;
                nul = find_nul(t + off, len - off);
                if (!nul)
                        return KEEL_E_SMBIOS_MALFORMED;
                off = (size_t) (nul - t) + 1;
                if (off < len && t[off] == 0) {
                        *ret_end = off + 1;
                        return KEEL_OK;
                }
        }
}

int smbios_next_structure(const void *table, size_t len, size_t *io_offset, struct smbios_structure *ret) {
        const uint8_t *t = table;
        size_t off = *io_offset, end;
        uint8_t type, length;
        int r;

        *ret = (struct smbios_structure) {};
        if (!t || off > len || len - off < STRUCTURE_HEADER_SIZE)
                return KEEL_E_SMBIOS_NOT_FOUND;
        type = t[off];
        length = t[off + 1];
        if (type == SMBIOS_TYPE_END)
                return KEEL_E_SMBIOS_NOT_FOUND;
        /* A length under the header's own would never advance, or would
         * read the header as strings. */
        if (length < STRUCTURE_HEADER_SIZE || length > len - off)
                return KEEL_E_SMBIOS_MALFORMED;
        r = string_set_end(t, len, off + length, &end);
        if (r != KEEL_OK)
                return r;
        *ret = (struct smbios_structure) { .type = type, .length = length, .offset = off, .end = end };
        *io_offset = end;
        return KEEL_OK;
}

int smbios_next_measurement(const void *table, size_t len, size_t *io_offset, struct smbios_measurement *ret) {
        static const struct {
                uint8_t type;
                uint32_t tag_id;
                const char *description;
        } measured[] = {
                { SMBIOS_TYPE_SYSTEM, SMBIOS_TYPE1_EVENT_TAG_ID, "smbios:type1" },
                { SMBIOS_TYPE_BASEBOARD, SMBIOS_TYPE2_EVENT_TAG_ID, "smbios:type2" },
                { SMBIOS_TYPE_OEM_STRINGS, SMBIOS_TYPE11_EVENT_TAG_ID, "smbios:type11" },
        };
        struct smbios_structure s;
        int r;

        *ret = (struct smbios_measurement) {};
        while ((r = smbios_next_structure(table, len, io_offset, &s)) == KEEL_OK)
                for (size_t i = 0; i < ARRAY_SIZE(measured); i++) {
                        if (s.type != measured[i].type)
                                continue;
                        *ret = (struct smbios_measurement) {
                                .offset = s.offset,
                                .size = s.end - s.offset,
                                /* A type 1 of SMBIOS 2.0 ends before the field. */
                                .clear_wake_up_type = s.type == SMBIOS_TYPE_SYSTEM && s.length > SMBIOS_TYPE1_WAKE_UP_TYPE,
                                .tag_id = measured[i].tag_id,
                                .description = measured[i].description,
                        };
                        return KEEL_OK;
                }
        return r;
}

int smbios_find_structure(const void *table, size_t len, uint8_t type, uint8_t min_length, size_t *ret_offset,
                          size_t *ret_end) {
        struct smbios_structure s;
        size_t off = 0;
        int r;

        *ret_offset = 0;
        *ret_end = 0;
        while ((r = smbios_next_structure(table, len, &off, &s)) == KEEL_OK)
                if (s.type == type && s.length >= min_length) {
                        *ret_offset = s.offset;
                        *ret_end = s.end;
                        return KEEL_OK;
                }
        return r;
}

int smbios_find_oem_string(const void *table, size_t len, const char *prefix, const char **ret_value,
                           size_t *ret_len) {
        const uint8_t *t = table;
        size_t off, end, prefix_len = strlen(prefix);
        int r;

        *ret_value = NULL;
        *ret_len = 0;
        /* Type 11's formatted area: the header and the string count. */
        r = smbios_find_structure(table, len, SMBIOS_TYPE_OEM_STRINGS, STRUCTURE_HEADER_SIZE + 1, &off, &end);
        if (r != KEEL_OK)
                return r;
        /* end is past the double NUL: the strings lie in [off, end - 1). */
        for (off += t[off + 1]; off < end - 1;) {
                const uint8_t *nul = find_nul(t + off, end - 1 - off);
                size_t n = nul ? (size_t) (nul - (t + off)) : end - 1 - off;

                if (n == 0)
                        break;
                if (n >= prefix_len && memcmp(t + off, prefix, prefix_len) == 0) {
                        *ret_value = (const char *) t + off + prefix_len;
                        *ret_len = n - prefix_len;
                        return KEEL_OK;
                }
                off += n + 1;
        }
        return KEEL_E_SMBIOS_NOT_FOUND;
}
