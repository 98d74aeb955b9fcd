/* SPDX-License-Identifier: MIT */
/* Lays out new sections after the image of an existing PE file (a UKI stub)
 * so that the result has no gaps or overlaps in the file, sections aligned as
 * the stub asks, and consistent headers. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "common/pe.h"

struct pe_new_section {
        char name[PE_SECTION_NAME_MAX + 1];
        uint64_t size;        /* bytes of content; empty sections are not added */
        /* ...unless this is set: then the section is added with no bytes
         * (VirtualSize 0, no raw data), its address inside SizeOfImage. */
        bool keep_empty;
};

struct pe_placed_section {
        uint32_t virtual_address;
        uint32_t raw_offset;
        uint32_t raw_size;    /* content size rounded up to FileAlignment */
};

struct pe_append_plan {
        /* The new headers followed by the stub's own section data: written
         * first, then each new section's content and zero padding. The
         * CheckSum field is left zero; fill it in at checksum_offset. */
        uint8_t *prefix;
        size_t prefix_size;
        size_t checksum_offset;
        struct pe_placed_section placed[PE_MAX_SECTIONS];
        size_t n_placed;
        uint64_t file_size;
        /* Diagnostics for the caller. */
        int dropped_signature;      /* the stub was signed; its signature no longer applies */
        uint64_t dropped_trailing;  /* bytes after the stub's last section that were left out */
};

/* Returns KEEL_OK or a KEEL_E_* code; on success plan->prefix is malloc'd. */
int pe_append_plan(const uint8_t *stub, size_t stub_size, const struct pe_new_section *sections, size_t n_sections,
                   struct pe_append_plan *plan);
void pe_append_plan_free(struct pe_append_plan *plan);
