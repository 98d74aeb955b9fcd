/* SPDX-License-Identifier: MIT */
/* Multi-profile UKIs: the input as a PE file through the profile lookup
 * (uki_find_profile_sections() for every profile, the .profile text through
 * uki_profile_info(), the PCR 11 events of each profile) and, as UTF-16,
 * through the "@N" load-options prefix parser. Properties: every profile up
 * to the count parses or fails with a known code, the one past it does not
 * exist; the .profile chosen for profile N is the (N+1)th in the table;
 * every event lies inside the buffer; a matched prefix re-reads to the same
 * number and never skips past the input. Seeds: make-profile-corpus.py. */
#include <stdlib.h>
#include <string.h>

#include "common/entries.h"
#include "common/error.h"
#include "common/measure.h"
#include "common/uki.h"

#include <stdio.h>

/* Says which property broke (the line), then aborts for libFuzzer. */
#define check(condition)                                                                            \
        do {                                                                                        \
                if (!(condition)) {                                                                 \
                        fprintf(stderr, "fuzz-profile: check failed at line %d: %s\n", __LINE__, #condition); \
                        abort();                                                                    \
                }                                                                                   \
        } while (0)

static void check_prefix(const uint8_t *data, size_t size) {
        size_t units = size / 2 > 32 ? 32 : size / 2, skip;
        uint16_t s[32];
        unsigned profile;
        uint64_t v = 0;

        for (size_t i = 0; i < units; i++)
                s[i] = (uint16_t) (data[2 * i] | data[2 * i + 1] << 8);
        if (!uki_parse_profile_prefix(s, units, &profile, &skip)) {
                check(profile == 0 && skip == 0);
                return;
        }
        check(skip >= 2 && skip <= units && s[0] == '@');
        for (size_t i = 1; i < skip && s[i] >= '0' && s[i] <= '9'; i++)
                v = v * 10 + (s[i] - '0');
        check(v == profile);
        check(skip == units || s[skip - 1] == ' ' || s[skip] == 0 || (s[skip - 1] >= '0' && s[skip - 1] <= '9'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct pe_image pe;
        static struct measure_event events[MEASURE_UKI_EVENTS_MAX];
        struct uki_sections u;
        unsigned n;

        check_prefix(data, size);
        if (pe_parse_headers(data, size, &pe) != KEEL_OK || pe_check_file_layout(&pe, size) != KEEL_OK)
                return 0;
        n = uki_count_profiles(&pe);
        check(n <= pe.number_of_sections);
        for (unsigned p = 0; p <= n && p < UKI_PROFILES_MAX + 1; p++) {
                int r = uki_find_profile_sections(&pe, p, &u);
                size_t count;
                char id[UKI_PROFILE_VALUE_MAX], title[UKI_PROFILE_VALUE_MAX];

                if (p == n && !(n == 0 && p == 0)) {
                        /* (A base with a section twice fails first, for any profile.) */
                        check(r == KEEL_E_UKI_NO_SUCH_PROFILE || r == KEEL_E_UKI_DUPLICATE_SECTION);
                        break;
                }
                if (r != KEEL_OK) {
                        check(r == KEEL_E_UKI_DUPLICATE_SECTION || r == KEEL_E_UKI_THIN_AND_FAT_LINUX ||
                              r == KEEL_E_UKI_THIN_AND_FAT_INITRD);
                        continue;
                }
                for (size_t k = 0; k < _UKI_SECTION_MAX; k++)
                        check(!u.section[k] ||
                              (u.section[k] >= pe.sections && u.section[k] < pe.sections + pe.number_of_sections &&
                               strcmp(u.section[k]->name, uki_section_name(k)) == 0));
                if (n > 0) {
                        /* The (p+1)th .profile of the table. */
                        count = 0;
                        check(u.section[UKI_SECTION_PROFILE] != NULL);
                        for (const struct pe_section *s = pe.sections; s <= u.section[UKI_SECTION_PROFILE]; s++)
                                count += strcmp(s->name, ".profile") == 0;
                        check(count == p + 1);
                        const struct pe_section *s = u.section[UKI_SECTION_PROFILE];
                        if (pe_section_file_size(s) == 0 || range_fits(size, s->raw_offset, pe_section_file_size(s))) {
                                r = uki_profile_info(data + s->raw_offset, pe_section_file_size(s), id, title);
                                check(r == KEEL_OK || r == KEEL_E_VALUE_TOO_LONG);
                                check(strlen(id) < UKI_PROFILE_VALUE_MAX && strlen(title) < UKI_PROFILE_VALUE_MAX);
                        }
                } else {
                        check(u.section[UKI_SECTION_PROFILE] == NULL);
                }
                if (uki_is_uki(&u) && !uki_is_thin(&u) &&
                    measure_uki_events(&u, data, size, MEASURE_LAYOUT_FILE, NULL, events, &count) == KEEL_OK)
                        for (size_t i = 0; i < count; i++)
                                check(events[i].size == 0 ||
                                      (const uint8_t *) events[i].description == events[i].data ||
                                      (events[i].data >= data && events[i].data + events[i].size <= data + size));
        }
        return 0;
}
