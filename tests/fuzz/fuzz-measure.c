/* SPDX-License-Identifier: MIT */
/* The PCR 11 event list of arbitrary bytes taken as a UKI, in both layouts:
 * every event must point inside the buffer (ASan checks each byte read). */
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/measure.h"

static volatile uint8_t sink;

static void touch(const struct measure_event *ev, size_t n) {
        uint8_t x = 0;
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < ev[i].size; j++)
                        x ^= ev[i].data[j];
        sink = x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct pe_image pe;
        struct measure_event ev[MEASURE_UKI_EVENTS_MAX];
        struct uki_sections s;
        size_t n;

        if (pe_parse_headers(data, size, &pe) != KEEL_OK || uki_find_sections(&pe, &s) != KEEL_OK)
                return 0;
        if (measure_uki_events(&s, data, size, MEASURE_LAYOUT_FILE, NULL, ev, &n) == KEEL_OK)
                touch(ev, n);
        /* The same bytes read as a loaded image (sections at their RVAs). */
        if (measure_uki_events(&s, data, size, MEASURE_LAYOUT_MEMORY, NULL, ev, &n) == KEEL_OK)
                touch(ev, n);
        return 0;
}
