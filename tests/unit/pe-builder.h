/* SPDX-License-Identifier: MIT */
/* Builds small, valid PE32+ images in memory for the unit tests, which then
 * corrupt single fields. Written from the PE/COFF specification, not from
 * common/pe.c, so that the tests do not inherit its mistakes. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pe.h"

/* Fixed layout of every image built here. */
#define TPE_LFANEW 0x40u
#define TPE_FILE_HEADER (TPE_LFANEW + 4)
#define TPE_OPT (TPE_FILE_HEADER + PE_FILE_HEADER_SIZE)

/* Field offsets in the COFF file header and in a section header. */
#define FH_MACHINE 0
#define FH_NUMBER_OF_SECTIONS 2
#define FH_SIZE_OF_OPTIONAL_HEADER 16
#define FH_CHARACTERISTICS 18
#define SH_VIRTUAL_SIZE 8
#define SH_VIRTUAL_ADDRESS 12
#define SH_RAW_SIZE 16
#define SH_RAW_OFFSET 20
#define SH_CHARACTERISTICS 36

struct pe_spec {
        unsigned n_sections;
        unsigned n_dirs;            /* NumberOfRvaAndSizes; the optional header has room for exactly these */
        uint32_t file_alignment;
        uint32_t section_alignment;
        uint16_t machine;
        uint32_t header_slack;      /* extra bytes of room after the section table */
};

#define PE_SPEC(n)                                                                                  \
        ((struct pe_spec) { .n_sections = (n), .n_dirs = 16, .file_alignment = 0x200,               \
                            .section_alignment = 0x1000, .machine = PE_MACHINE_X86_64 })

struct test_pe {
        uint8_t *data;
        size_t size;
        unsigned n_sections;
        uint32_t opt;               /* file offset of the optional header */
        uint32_t table;             /* file offset of the section table */
        uint32_t headers;           /* SizeOfHeaders */
        uint32_t image_size;        /* SizeOfImage */
};

static inline uint32_t tpe_align(uint32_t v, uint32_t a) {
        return (v + a - 1) / a * a;
}

/* The byte the builder stores at position j of section i's content. */
static inline uint8_t tpe_content_byte(unsigned i, uint32_t j) {
        return (uint8_t) (0xa5 ^ (i * 17) ^ (j * 31));
}

/* Content size of section i (VirtualSize). */
static inline uint32_t tpe_content_size(unsigned i) {
        return 0x100 + i;
}

static inline uint8_t *tpe_section_header(const struct test_pe *t, unsigned i) {
        return t->data + t->table + i * PE_SECTION_HEADER_SIZE;
}

static inline uint8_t *tpe_opt(const struct test_pe *t) {
        return t->data + t->opt;
}

static inline void tpe_set_name(struct test_pe *t, unsigned i, const char *name) {
        uint8_t *h = tpe_section_header(t, i);
        size_t n = strlen(name);
        memset(h, 0, PE_SECTION_NAME_MAX);
        memcpy(h, name, n < PE_SECTION_NAME_MAX ? n : PE_SECTION_NAME_MAX);
}

/* Sections .s0, .s1, ... with contiguous, aligned raw data after the headers
 * and one after the other in memory, each holding tpe_content_size(i) bytes. */
static inline struct test_pe tpe_build(struct pe_spec spec) {
        struct test_pe t = { .n_sections = spec.n_sections };
        uint32_t opt_size = PE32_PLUS_OPTIONAL_HEADER_FIXED_SIZE + spec.n_dirs * PE_DATA_DIRECTORY_SIZE;
        uint32_t va, raw;
        uint8_t *fh, *opt;

        t.opt = TPE_OPT;
        t.table = t.opt + opt_size;
        t.headers = tpe_align(t.table + spec.n_sections * PE_SECTION_HEADER_SIZE + spec.header_slack,
                              spec.file_alignment);
        va = tpe_align(t.headers, spec.section_alignment);
        raw = t.headers;
        for (unsigned i = 0; i < spec.n_sections; i++) {
                va = tpe_align(va + tpe_content_size(i), spec.section_alignment);
                raw += tpe_align(tpe_content_size(i), spec.file_alignment);
        }
        t.image_size = va;
        t.size = raw;
        t.data = calloc(1, t.size);
        if (!t.data)
                abort();

        memcpy(t.data, "MZ", 2);
        write_le32(t.data + 0x3c, TPE_LFANEW);
        memcpy(t.data + TPE_LFANEW, "PE\0\0", 4);

        fh = t.data + TPE_FILE_HEADER;
        write_le16(fh + FH_MACHINE, spec.machine);
        write_le16(fh + FH_NUMBER_OF_SECTIONS, (uint16_t) spec.n_sections);
        write_le16(fh + FH_SIZE_OF_OPTIONAL_HEADER, (uint16_t) opt_size);
        write_le16(fh + FH_CHARACTERISTICS, 0x0206);

        opt = t.data + t.opt;
        write_le16(opt, 0x20b);
        write_le32(opt + PE_OPT_SECTION_ALIGNMENT, spec.section_alignment);
        write_le32(opt + PE_OPT_FILE_ALIGNMENT, spec.file_alignment);
        write_le32(opt + PE_OPT_SIZE_OF_IMAGE, t.image_size);
        write_le32(opt + PE_OPT_SIZE_OF_HEADERS, t.headers);
        write_le16(opt + PE_OPT_SUBSYSTEM, 10);
        write_le32(opt + PE_OPT_NUMBER_OF_RVA_AND_SIZES, spec.n_dirs);

        va = tpe_align(t.headers, spec.section_alignment);
        raw = t.headers;
        write_le32(opt + PE_OPT_ENTRY_POINT, spec.n_sections > 0 ? va : 0);
        for (unsigned i = 0; i < spec.n_sections; i++) {
                uint8_t *h = tpe_section_header(&t, i);
                uint32_t size = tpe_content_size(i), raw_size = tpe_align(size, spec.file_alignment);
                char name[16];

                snprintf(name, sizeof(name), ".s%u", i % 100000);
                tpe_set_name(&t, i, name);
                write_le32(h + SH_VIRTUAL_SIZE, size);
                write_le32(h + SH_VIRTUAL_ADDRESS, va);
                write_le32(h + SH_RAW_SIZE, raw_size);
                write_le32(h + SH_RAW_OFFSET, raw);
                write_le32(h + SH_CHARACTERISTICS, PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ);
                for (uint32_t j = 0; j < size; j++)
                        t.data[raw + j] = tpe_content_byte(i, j);
                va = tpe_align(va + size, spec.section_alignment);
                raw += raw_size;
        }
        return t;
}

static inline void tpe_set_directory(struct test_pe *t, unsigned index, uint32_t address, uint32_t size) {
        uint8_t *d = t->data + t->opt + PE_OPT_DATA_DIRECTORY + index * PE_DATA_DIRECTORY_SIZE;
        write_le32(d, address);
        write_le32(d + 4, size);
}

/* Appends bytes after the last section (a certificate table, trailing junk). */
static inline void tpe_append(struct test_pe *t, const void *data, size_t size) {
        uint8_t *p = realloc(t->data, t->size + size);
        if (!p)
                abort();
        memcpy(p + t->size, data, size);
        t->data = p;
        t->size += size;
}

static inline void tpe_free(struct test_pe *t) {
        free(t->data);
        t->data = NULL;
}
