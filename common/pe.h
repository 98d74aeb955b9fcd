/* SPDX-License-Identifier: MIT */
/* PE/COFF reader for UEFI images and UKIs. It parses the headers of an image
 * held in a buffer — a whole file, just its first bytes, or an image the
 * firmware loaded into memory — and never trusts a size or an offset before
 * checking it against what remains of the buffer. */
#pragma once

#include "util.h"

#define PE_MACHINE_X86_64 0x8664
#define PE_MACHINE_I386 0x014c
#define PE_MACHINE_AARCH64 0xaa64
#define PE_MACHINE_ARM 0x01c2
#define PE_MACHINE_RISCV64 0x5064

#define PE_DOS_HEADER_SIZE 64
#define PE_FILE_HEADER_SIZE 20
#define PE32_PLUS_OPTIONAL_HEADER_FIXED_SIZE 112
#define PE_SECTION_HEADER_SIZE 40
#define PE_DATA_DIRECTORY_SIZE 8
#define PE_MAX_SECTIONS 96 /* the limit the PE/COFF specification gives for images */
#define PE_SECTION_NAME_MAX 8

/* Offsets inside the PE32+ optional header. */
#define PE_OPT_SIZE_OF_CODE 4
#define PE_OPT_SIZE_OF_INITIALIZED_DATA 8
#define PE_OPT_ENTRY_POINT 16
#define PE_OPT_SECTION_ALIGNMENT 32
#define PE_OPT_FILE_ALIGNMENT 36
#define PE_OPT_SIZE_OF_IMAGE 56
#define PE_OPT_SIZE_OF_HEADERS 60
#define PE_OPT_CHECKSUM 64
#define PE_OPT_SUBSYSTEM 68
#define PE_OPT_NUMBER_OF_RVA_AND_SIZES 108
#define PE_OPT_DATA_DIRECTORY 112

enum pe_data_directory {
        PE_DIRECTORY_EXPORT = 0,
        PE_DIRECTORY_IMPORT = 1,
        PE_DIRECTORY_RESOURCE = 2,
        PE_DIRECTORY_EXCEPTION = 3,
        PE_DIRECTORY_SECURITY = 4, /* certificate table: a file offset, not an RVA */
        PE_DIRECTORY_BASERELOC = 5,
        PE_DIRECTORY_DEBUG = 6,
        PE_DIRECTORY_MAX = 16,
};

#define PE_SCN_CNT_CODE 0x00000020u
#define PE_SCN_CNT_INITIALIZED_DATA 0x00000040u
#define PE_SCN_MEM_EXECUTE 0x20000000u
#define PE_SCN_MEM_READ 0x40000000u
#define PE_SCN_MEM_WRITE 0x80000000u

struct pe_section {
        char name[PE_SECTION_NAME_MAX + 1]; /* always NUL-terminated */
        uint32_t virtual_size;
        uint32_t virtual_address;
        uint32_t raw_size;
        uint32_t raw_offset;
        uint32_t characteristics;
};

struct pe_image {
        uint32_t pe_offset;                /* e_lfanew */
        uint32_t optional_header_offset;
        uint16_t optional_header_size;
        uint32_t section_table_offset;
        uint16_t machine;
        uint16_t subsystem;
        uint32_t entry_point;
        uint32_t section_alignment;
        uint32_t file_alignment;
        uint32_t size_of_image;
        uint32_t size_of_headers;
        uint32_t number_of_data_directories;
        uint32_t data_directory_offset;   /* file offset of the first directory entry */
        uint16_t number_of_sections;
        struct pe_section sections[PE_MAX_SECTIONS];
};

/* Parses and validates the DOS, NT and optional headers and the section
 * table. buf may hold only the start of the file, as long as it covers the
 * headers. Checks that do not need the rest of the file are done here:
 * section addresses inside SizeOfImage, no overlaps in memory, sections in
 * ascending address order, and no section whose bytes in memory would
 * differ from what a reader of the file sees (raw data with VirtualSize 0). */
int pe_parse_headers(const void *buf, size_t len, struct pe_image *ret);

/* Checks that every section's raw data lies inside a file of file_size bytes,
 * after the headers, without overlapping another section's data. */
int pe_check_file_layout(const struct pe_image *pe, uint64_t file_size);

/* Checks that the headers and every section fit in image_size bytes of
 * memory (a loaded image's ImageSize, which may end before SizeOfImage). */
int pe_check_memory_layout(const struct pe_image *pe, uint64_t image_size);

int pe_check_machine(const struct pe_image *pe, uint16_t machine);

/* End of the section data in the file: anything after it (a COFF symbol
 * table, a certificate table) is not part of the loaded image. */
uint64_t pe_section_data_end(const struct pe_image *pe);

/* The first section with this exact name, or NULL. */
const struct pe_section *pe_find_section(const struct pe_image *pe, const char *name);

/* Bytes a section occupies in memory as the firmware loads it (EDK II:
 * VirtualSize, or SizeOfRawData when VirtualSize is 0 — an image that has
 * the latter with raw data is refused by pe_parse_headers()). */
uint32_t pe_section_memory_size(const struct pe_section *s);

/* Number of meaningful bytes of a section in the file: the raw data minus
 * the file-alignment padding. */
static inline uint32_t pe_section_file_size(const struct pe_section *s) {
        return s->virtual_size < s->raw_size ? s->virtual_size : s->raw_size;
}

/* A data directory entry (RVA, or file offset for the certificate table);
 * KEEL_E_PE_DATA_DIRECTORY_MISSING when the image has fewer entries. */
int pe_data_directory(const struct pe_image *pe, const void *buf, size_t len, enum pe_data_directory index,
                      uint32_t *ret_address, uint32_t *ret_size);

/* Base relocation types (PE/COFF "Base Relocation Types") keel knows, with
 * the bytes each changes by (part of) the difference between the load
 * address and ImageBase. Any other — HIGHADJ, which takes two entries, and
 * the ARM, RISC-V, LoongArch and MIPS ones — is refused: no x86_64 or
 * aarch64 image needs one, and keel could not tell what it changes. */
#define PE_RELOC_ABSOLUTE 0 /* padding: changes nothing */
#define PE_RELOC_HIGH 1     /* 2 bytes, by the difference's bits 16-31 */
#define PE_RELOC_LOW 2      /* 2 bytes, by its bits 0-15 */
#define PE_RELOC_HIGHLOW 3  /* 4 bytes, by its low 32 bits */
#define PE_RELOC_DIR64 10   /* 8 bytes, by all of it */

/* Where an image's bytes are in a buffer: a file holds each section at its
 * PointerToRawData, an image the firmware loaded at its VirtualAddress. */
enum pe_view {
        PE_VIEW_FILE,
        PE_VIEW_MEMORY,
};

/* An image's base relocation table: size bytes at data, at rva in memory
 * (data NULL and size 0 when the image has none). */
struct pe_relocations {
        const uint8_t *data;
        uint32_t rva;
        uint32_t size;
};

/* One fixup: the firmware adds (load address - ImageBase), or part of it,
 * to size bytes at rva. */
struct pe_fixup {
        unsigned type;
        uint64_t rva;  /* the block's page RVA plus the entry's offset */
        uint32_t size;
};

/* Finds the base relocation table through its data directory, in buf (len
 * bytes, seen as view). The firmware reads it from the loaded image, so it
 * must lie in one section's initialised bytes, and in buf
 * (KEEL_E_PE_RELOC_TABLE_OUTSIDE). */
int pe_find_relocations(const struct pe_image *pe, const void *buf, size_t len, enum pe_view view,
                        struct pe_relocations *ret);

typedef int (*pe_fixup_visitor)(const struct pe_fixup *fixup, void *userdata);

/* Walks the table as the firmware applies it and calls visit for each fixup
 * in that order, stopping at the first error visit returns. Blocks must fill
 * the table exactly, each an 8-byte header (page RVA, block size) and 2-byte
 * entries (KEEL_E_PE_RELOC_BAD_BLOCK); ABSOLUTE entries are skipped, a type
 * not listed above is KEEL_E_PE_RELOC_UNKNOWN_TYPE. */
int pe_walk_relocations(const struct pe_relocations *table, pe_fixup_visitor visit, void *userdata);

/* The section whose bytes a fixup changes. Refused wherever the firmware's
 * image would part from the file's view of it: any byte in the headers
 * (KEEL_E_PE_RELOC_IN_HEADERS) or in the table itself, which would then
 * read differently from what was applied (KEEL_E_PE_RELOC_CHANGES_TABLE);
 * no byte in a section (KEEL_E_PE_RELOC_OUTSIDE_SECTIONS) or only some
 * (KEEL_E_PE_RELOC_STRADDLES_SECTIONS): nothing that reads the file by
 * sections would see the change. */
int pe_fixup_section(const struct pe_image *pe, const struct pe_relocations *table, const struct pe_fixup *fixup,
                     const struct pe_section **ret);
