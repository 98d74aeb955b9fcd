/* SPDX-License-Identifier: MIT */
/* Loading a PE32+ image (a UKI's kernel) into memory ourselves instead of
 * through the firmware's LoadImage(): the checks that decide whether keel
 * can load it, the copy of headers and sections into the image's memory,
 * its base relocations, and the W^X protection of each part. All of it
 * works on (buf, len) and a destination buffer, so the host tests and the
 * fuzzer run exactly the code the stub runs. */
#pragma once

#include "pe.h"

#define PE_LOAD_PAGE_SIZE 4096u
/* Far above any kernel (Debian's arm64 one is 32 MiB in memory), and low
 * enough that a forged SizeOfImage cannot ask for all of memory. */
#define PE_LOAD_MAX_IMAGE_SIZE (1u << 30)
/* The largest allocation alignment keel honours (arm64 kernels ask 64 KiB). */
#define PE_LOAD_MAX_ALIGNMENT (2u << 20)

#define PE_SUBSYSTEM_EFI_APPLICATION 10
#define PE_FILE_RELOCS_STRIPPED 0x0001u
#define PE_DLL_NX_COMPAT 0x0100u

struct pe_load_info {
        uint64_t image_base;   /* the address the image was linked for */
        uint32_t size_of_image;
        uint32_t alignment;    /* of the allocation: SectionAlignment, at least a page */
        uint32_t entry_point;  /* RVA, inside an executable section */
        uint32_t reloc_rva;    /* base relocation table, 0/0 when none */
        uint32_t reloc_size;
        uint32_t reloc_file_offset; /* where the table's bytes are in the file */
        bool nx_compat;        /* the image asks for W^X (DllCharacteristics) */
};

/* Whether keel can load this image (already parsed by pe_parse_headers()
 * from the whole file of len bytes) for this machine: every check that
 * pe_load_copy() relies on, each failure its own KEEL_E_PE_* code, so the
 * stub refuses a malformed kernel before it measures anything. */
int pe_load_check(const struct pe_image *pe, const void *buf, size_t len, uint16_t machine,
                  struct pe_load_info *ret);

/* Builds the image in dest (dest_size >= info->size_of_image bytes, to be
 * run at load_address): zeroes it, copies the headers and each section's
 * initialised data, and applies the base relocations for load_address.
 * The relocation table is read from the file, never from dest, and is
 * checked whole before anything in dest is relocated. */
int pe_load_copy(const struct pe_image *pe, const struct pe_load_info *info, const void *buf, size_t len,
                 void *dest, size_t dest_size, uint64_t load_address);

enum pe_load_protection {
        PE_PROTECT_READ_ONLY,  /* headers, read-only data: RO + XP */
        PE_PROTECT_READ_EXEC,  /* code: RO, executable */
        PE_PROTECT_READ_WRITE, /* data: writable, XP */
};

struct pe_load_range {
        uint32_t rva;  /* page-aligned */
        uint32_t size; /* a whole number of pages */
        enum pe_load_protection protection;
};

/* The page ranges of the image and the protection each gets (the headers,
 * then every section with memory, in address order), for an image that
 * asks for W^X; returns how many were written to ret (0 when the image
 * does not ask for it or its sections do not start on page boundaries, so
 * no page would hold two kinds). */
size_t pe_load_protections(const struct pe_image *pe, const struct pe_load_info *info,
                           struct pe_load_range ret[PE_MAX_SECTIONS + 1]);
