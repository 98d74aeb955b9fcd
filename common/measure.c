/* SPDX-License-Identifier: MIT */
#include "measure.h"
#include "error.h"

/* Where a section's bytes are in the buffer and how many trailing zeros the
 * loader would add to reach VirtualSize. */
static int locate_section(const struct pe_section *s, size_t len, enum measure_layout layout,
                          const uint8_t *image, struct measure_event *ev) {
        uint32_t in_buffer;
        uint32_t offset;

        if (layout == MEASURE_LAYOUT_MEMORY) {
                offset = s->virtual_address;
                in_buffer = s->virtual_size;
        } else {
                offset = s->raw_offset;
                in_buffer = pe_section_file_size(s);
        }
        /* A section with no bytes in the file (all zero fill) has no offset
         * worth checking: pe_check_file_layout() ignores it too. */
        if (in_buffer > 0 && !range_fits(len, offset, in_buffer))
                return KEEL_E_MEASURE_SECTION_OUTSIDE_BUFFER;

        ev->data = in_buffer > 0 ? image + offset : NULL;
        ev->size = in_buffer;
        ev->zero_tail = s->virtual_size - in_buffer;
        return KEEL_OK;
}

int measure_thin_ref(const struct pe_section *s, const void *image, size_t len, enum measure_layout layout,
                     struct thin_ref *ret) {
        struct measure_event ev = {};
        int r = locate_section(s, len, layout, image, &ev);

        if (r != KEEL_OK)
                return r;
        /* Zero fill past the file's bytes would be NULs in the text. */
        if (ev.zero_tail > 0)
                return KEEL_E_THIN_TRAILING_DATA;
        return thin_ref_parse(ev.data, ev.size, ret);
}

/* The content a thin reference stands for, as the event's data. */
static int thin_content_event(const struct pe_section *ref_section, const void *image, size_t len,
                              enum measure_layout layout, const void *data, size_t size, struct measure_event *ev) {
        struct thin_ref ref;
        int r;

        if (!data)
                return KEEL_E_THIN_NO_CONTENT;
        r = measure_thin_ref(ref_section, image, len, layout, &ref);
        if (r != KEEL_OK)
                return r;
        if (ref.size != size)
                return KEEL_E_THIN_SIZE_MISMATCH;
        ev->data = data;
        ev->size = size;
        ev->zero_tail = 0;
        return KEEL_OK;
}

int measure_uki_events(const struct uki_sections *sections, const void *image, size_t len, enum measure_layout layout,
                       const struct measure_thin_content *thin, struct measure_event ret[MEASURE_UKI_EVENTS_MAX],
                       size_t *ret_n) {
        static const struct measure_thin_content no_content = {};
        size_t n = 0;
        int r;

        *ret_n = 0;
        if (!uki_is_uki(sections))
                return KEEL_E_UKI_NO_LINUX;
        if (sections->section[UKI_SECTION_LINUX] && sections->section[UKI_SECTION_TLINUX])
                return KEEL_E_UKI_THIN_AND_FAT_LINUX;
        if (sections->section[UKI_SECTION_INITRD] && sections->section[UKI_SECTION_TINITRD])
                return KEEL_E_UKI_THIN_AND_FAT_INITRD;
        /* A file whose raw sections show more than the firmware loads is not
         * predicted: the prediction would vouch for what a reader sees. */
        if (layout == MEASURE_LAYOUT_FILE) {
                r = uki_check_file_view(sections, image, len);
                if (r != KEEL_OK)
                        return r;
        }

        if (!thin)
                thin = &no_content;

        /* enum uki_section is already the canonical order. */
        for (enum uki_section k = 0; k < _UKI_SECTION_MAX; k++) {
                const struct pe_section *s = sections->section[k];
                const char *name = uki_section_name(k);
                const struct pe_section *ref = NULL;
                const void *content = NULL;
                size_t content_size = 0;

                /* uki_find_sections() let through at most one of each pair. */
                if (!s && k == UKI_SECTION_LINUX && sections->section[UKI_SECTION_TLINUX]) {
                        ref = sections->section[UKI_SECTION_TLINUX];
                        content = thin->linux_data;
                        content_size = thin->linux_size;
                } else if (!s && k == UKI_SECTION_INITRD && sections->section[UKI_SECTION_TINITRD]) {
                        ref = sections->section[UKI_SECTION_TINITRD];
                        content = thin->initrd_data;
                        content_size = thin->initrd_size;
                }
                if (!ref && (!s || !uki_section_is_measured(k) || s->virtual_size == 0))
                        continue;

                ret[n] = (struct measure_event) {
                        .pcr = MEASURE_PCR_KERNEL_IMAGE,
                        .section = k,
                        .description = name,
                        .data = (const uint8_t *) name,
                        .size = strlen(name) + 1,
                };
                ret[n + 1] = (struct measure_event) {
                        .pcr = MEASURE_PCR_KERNEL_IMAGE,
                        .section = k,
                        .description = name,
                };
                if (ref)
                        r = thin_content_event(ref, image, len, layout, content, content_size, &ret[n + 1]);
                else
                        r = locate_section(s, len, layout, image, &ret[n + 1]);
                if (r != KEEL_OK)
                        return r;
                n += 2;
        }
        *ret_n = n;
        return KEEL_OK;
}
