/* SPDX-License-Identifier: MIT */
#pragma once

#include "efi.h"
#include "../common/uki.h"

/* keel's own image as the firmware loaded it. */
struct self_image {
        EFI_LOADED_IMAGE *loaded_image;
        const uint8_t *base;
        uint64_t size;
        struct pe_image pe;
        struct uki_sections sections;
        /* The load options that are this boot's command line: the loaded
         * image's LoadOptions, less a multi-profile UKI's "@N " prefix. */
        const CHAR16 *load_options;
        size_t load_options_size;  /* bytes */
        unsigned profile;          /* the profile booted (0: the first, or none) */
};

/* A section's bytes in memory, or NULL with size 0 when absent. */
static inline const void *self_section(const struct self_image *self, enum uki_section which, size_t *ret_size) {
        const struct pe_section *s = self->sections.section[which];
        if (!s) {
                *ret_size = 0;
                return NULL;
        }
        *ret_size = s->virtual_size;
        return self->base + s->virtual_address;
}
