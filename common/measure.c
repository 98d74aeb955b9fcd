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

int measure_uki_events(const struct uki_sections *sections, const void *image, size_t len, enum measure_layout layout,
                       struct measure_event ret[MEASURE_UKI_EVENTS_MAX], size_t *ret_n) {
        size_t n = 0;
        int r;

        *ret_n = 0;
        if (!uki_is_uki(sections))
                return KEEL_E_UKI_NO_LINUX;
        /* A file whose raw sections show more than the firmware loads is not
         * predicted: the prediction would vouch for what a reader sees. */
        if (layout == MEASURE_LAYOUT_FILE) {
                r = uki_check_file_view(sections, image, len);
                if (r != KEEL_OK)
                        return r;
        }

        /* enum uki_section is already the canonical order. */
        for (enum uki_section k = 0; k < _UKI_SECTION_MAX; k++) {
                const struct pe_section *s = sections->section[k];
                const char *name = uki_section_name(k);

                if (!s || !uki_section_is_measured(k) || s->virtual_size == 0)
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
                r = locate_section(s, len, layout, image, &ret[n + 1]);
                if (r != KEEL_OK)
                        return r;
                n += 2;
        }
        *ret_n = n;
        return KEEL_OK;
}
