/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the host-side PE writer (host-tools/pe/pe-append.c), fed
 * a hostile stub and a hostile kernel the way `keel uki build` feeds them.
 *
 * Input layout (all little-endian):
 *
 *   0..1   stub length S (clipped to what follows the header)
 *   2..3   which of the ten UKI sections to add (bit i: layout_order[i];
 *          .linux, bit 9, always carries the kernel)
 *   4..7   when bit 15 of bytes 2..3 is set: extra bytes added to the .linux
 *          size, times 4 KiB (sizes the writer must refuse or lay out without
 *          the bytes existing)
 *   8..16  size of each small section, 0..255 bytes (filled with a pattern)
 *   17..   S bytes of stub, then the kernel
 *
 * Sections are laid out in uki-build.c's order. When pe_append_plan()
 * accepts the stub, its output must be accepted by the firmware side's own
 * reader: pe_parse_headers + pe_check_file_layout on the headers it wrote
 * (exactly what uki-build.c's verify_output() runs), and uki_find_sections +
 * uki_is_uki when the stub is one uki-build.c takes (no UKI section but
 * .sbat). When the whole file is small it is assembled in memory, as
 * write_uki() streams it, and checked further: the stub's section data is
 * where the new headers say (moved by the header growth, debug directory
 * pointers adjusted), every new section's bytes are where its header says,
 * the layout has no gap between sections, the certificate table and COFF
 * symbol table are gone, the streamed checksum equals the one computed over
 * the whole buffer, and the PCR 11 events (common/measure.c, file and memory
 * layout) cover the bytes that were written. Any violation abort()s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "tests/fuzz/fuzz-host.h"
#include "common/measure.h"
#include "common/pe.h"
#include "common/uki.h"
#include "host-tools/pe/pe-append.h"
#include "host-tools/pe/pe-checksum.h"

#define HEADER_SIZE 17
#define N_LAYOUT 10
#define N_SMALL 9
#define ASSEMBLE_MAX (4u * 1024 * 1024)
#define HUGE_FLAG 0x8000u

/* uki-build.c's layout_order: small metadata first, the kernel last. */
static const enum uki_section layout_order[N_LAYOUT] = {
        UKI_SECTION_OSREL,   UKI_SECTION_CMDLINE, UKI_SECTION_UNAME, UKI_SECTION_SPLASH, UKI_SECTION_DTB,
        UKI_SECTION_PCRPKEY, UKI_SECTION_PCRSIG,  UKI_SECTION_UCODE, UKI_SECTION_INITRD, UKI_SECTION_LINUX,
};


static uint8_t pattern_byte(size_t section, uint64_t i) {
        return (uint8_t) (0xa5 ^ (section * 37) ^ (i * 7));
}

/* uki-build.c's check_stub(): stubs it refuses never reach the writer. */
static bool stub_is_accepted_by_uki_build(const struct pe_image *pe) {
        struct uki_sections found;

        if (uki_find_sections(pe, &found) != KEEL_OK)
                return false;
        for (size_t i = 0; i < _UKI_SECTION_MAX; i++)
                if (found.section[i] && i != UKI_SECTION_SBAT)
                        return false;
        return true;
}

/* Where the stub's debug directory is in the stub file, as pe-append.c finds
 * it; false when there is none. */
static bool debug_directory_range(const struct pe_image *pe, const uint8_t *stub, size_t stub_size,
                                  uint64_t *ret_offset, uint32_t *ret_size) {
        uint32_t rva, size;

        if (pe_data_directory(pe, stub, stub_size, PE_DIRECTORY_DEBUG, &rva, &size) != KEEL_OK || size == 0)
                return false;
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                if (rva < s->virtual_address || rva - s->virtual_address >= s->raw_size)
                        continue;
                *ret_offset = (uint64_t) s->raw_offset + (rva - s->virtual_address);
                *ret_size = size;
                return true;
        }
        return false;
}

static void check_assembled(const struct pe_image *stub_pe, const uint8_t *stub, size_t stub_size,
                            const struct pe_append_plan *plan, const struct pe_new_section *sections,
                            const size_t *section_index, size_t n_sections, const uint8_t *kernel, size_t kernel_size,
                            bool uki_expected) {
        static struct pe_image out_pe;
        struct uki_sections found;
        struct measure_event events[MEASURE_UKI_EVENTS_MAX];
        struct pe_checksum c;
        size_t n_events, n_headers;
        uint64_t data_end = pe_section_data_end(stub_pe), dbg_offset = 0;
        uint32_t delta, dbg_size = 0, address, size;
        bool has_debug;
        uint8_t *out;

        check(n_sections > 0 && sections[n_sections - 1].size == kernel_size);
        out = malloc((size_t) plan->file_size);
        check(out != NULL);
        /* What write_uki() streams: the prefix, then each section and its padding. */
        memcpy(out, plan->prefix, plan->prefix_size);
        for (size_t i = 0, k = 0; i < n_sections; i++) {
                const struct pe_placed_section *p;
                if (sections[i].size == 0)
                        continue;
                p = &plan->placed[k++];
                check(p->raw_offset + (uint64_t) p->raw_size <= plan->file_size);
                for (uint64_t b = 0; b < sections[i].size; b++)
                        out[p->raw_offset + b] = section_index[i] == UKI_SECTION_LINUX ? kernel[b]
                                                                                       : pattern_byte(i, b);
                memset(out + p->raw_offset + sections[i].size, 0, p->raw_size - sections[i].size);
        }
        pe_checksum_init(&c);
        pe_checksum_update(&c, out, plan->checksum_offset);
        pe_checksum_update(&c, (const uint8_t[4]) { 0 }, 4);
        pe_checksum_update(&c, out + plan->checksum_offset + 4, (size_t) plan->file_size - plan->checksum_offset - 4);
        check(pe_checksum_final(&c) == pe_checksum_buffer(out, (size_t) plan->file_size, plan->checksum_offset));

        /* The whole file parses as it did from its headers. */
        check(pe_parse_headers(out, (size_t) plan->file_size, &out_pe) == KEEL_OK);
        check(pe_check_file_layout(&out_pe, plan->file_size) == KEEL_OK);
        /* The last new section ends the file; with none, the stub's data padded to FileAlignment does. */
        if (plan->n_placed > 0)
                check(pe_section_data_end(&out_pe) == plan->file_size);
        else
                check(plan->file_size - pe_section_data_end(&out_pe) < stub_pe->file_alignment);
        n_headers = out_pe.size_of_headers;
        check(n_headers >= stub_pe->size_of_headers);
        delta = (uint32_t) (n_headers - stub_pe->size_of_headers);

        /* The stub's sections: same headers but for the file offset, same data. */
        has_debug = delta > 0 && debug_directory_range(stub_pe, stub, stub_size, &dbg_offset, &dbg_size);
        for (size_t i = 0; i < stub_pe->number_of_sections; i++) {
                const struct pe_section *o = &stub_pe->sections[i], *n = &out_pe.sections[i];
                check(strcmp(o->name, n->name) == 0);
                check(o->virtual_size == n->virtual_size && o->virtual_address == n->virtual_address);
                check(o->raw_size == n->raw_size && o->characteristics == n->characteristics);
                check(n->raw_offset == (o->raw_size > 0 ? o->raw_offset + delta : o->raw_offset));
        }
        for (uint64_t b = stub_pe->size_of_headers; b < data_end; b++) {
                if (has_debug && b >= dbg_offset && b - dbg_offset < dbg_size / 28 * 28 &&
                    (b - dbg_offset) % 28 >= 24)
                        continue; /* PointerToRawData of a debug entry: checked below */
                check(out[b + delta] == stub[b]);
        }
        if (has_debug)
                for (uint32_t e = 0; e + 28 <= dbg_size; e += 28) {
                        uint32_t old = read_le32(stub + dbg_offset + e + 24);
                        check(read_le32(out + dbg_offset + delta + e + 24) == (old ? old + delta : 0));
                }
        /* Between the stub's data and the first new section: zeros. */
        for (uint64_t b = data_end + delta; b < plan->prefix_size; b++)
                check(out[b] == 0);

        /* No certificate table, no COFF symbol table. */
        if (pe_data_directory(&out_pe, out, n_headers, PE_DIRECTORY_SECURITY, &address, &size) == KEEL_OK)
                check(address == 0 && size == 0);
        check(read_le32(out + out_pe.pe_offset + 4 + 8) == 0 && read_le32(out + out_pe.pe_offset + 4 + 12) == 0);

        /* What the stub measures and `keel pcr predict` replays: each new,
         * measured section's contents are exactly the bytes written for it. */
        if (!uki_expected) {
                free(out);
                return;
        }
        check(uki_find_sections(&out_pe, &found) == KEEL_OK && uki_is_uki(&found));
        check(measure_uki_events(&found, out, (size_t) plan->file_size, MEASURE_LAYOUT_FILE, NULL, events, &n_events) ==
              KEEL_OK);
        check(n_events % 2 == 0);
        for (size_t i = 0, k = 0; i < n_sections; i++) {
                const struct pe_placed_section *p;
                bool seen = false;

                if (sections[i].size == 0)
                        continue;
                p = &plan->placed[k++];
                for (size_t e = 1; e < n_events; e += 2) {
                        if (events[e].section != section_index[i])
                                continue;
                        check(!seen);
                        seen = true;
                        check(events[e].data == out + p->raw_offset && events[e].size == sections[i].size &&
                              events[e].zero_tail == 0);
                }
                check(seen == uki_section_is_measured(section_index[i]));
        }
        free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct pe_image stub_pe, out_pe;
        struct pe_new_section sections[N_LAYOUT];
        size_t section_index[N_LAYOUT];
        struct pe_append_plan plan;
        const uint8_t *stub, *kernel;
        size_t stub_size, kernel_size, n_sections = 0, n_new = 0;
        uint16_t mask;
        uint64_t huge = 0;
        bool uki_expected;
        int r;

        if (size < HEADER_SIZE)
                return 0;
        stub_size = read_le16(data);
        mask = read_le16(data + 2);
        if (mask & HUGE_FLAG)
                huge = (uint64_t) read_le32(data + 4) * 4096;
        if (stub_size > size - HEADER_SIZE)
                stub_size = size - HEADER_SIZE;
        stub = data + HEADER_SIZE;
        kernel = stub + stub_size;
        kernel_size = size - HEADER_SIZE - stub_size;

        for (size_t i = 0; i < N_LAYOUT; i++) {
                enum uki_section kind = layout_order[i];
                if (kind != UKI_SECTION_LINUX && !(mask & (1u << i)))
                        continue;
                memset(&sections[n_sections], 0, sizeof(sections[n_sections]));
                strcpy(sections[n_sections].name, uki_section_name(kind));
                sections[n_sections].size = kind == UKI_SECTION_LINUX ? kernel_size + huge : data[8 + i];
                section_index[n_sections] = kind;
                if (sections[n_sections].size > 0)
                        n_new++;
                n_sections++;
        }

        r = pe_append_plan(stub, stub_size, sections, n_sections, &plan);
        if (pe_parse_headers(stub, stub_size, &stub_pe) != KEEL_OK || pe_check_file_layout(&stub_pe, stub_size) != KEEL_OK) {
                /* A stub the reader refuses is refused by the writer too. */
                check(r != KEEL_OK && plan.prefix == NULL);
                return 0;
        }
        if (r != KEEL_OK) {
                check(plan.prefix == NULL);
                return 0;
        }

        /* The plan's own bookkeeping. */
        check(plan.n_placed == n_new);
        check(plan.prefix_size <= plan.file_size && plan.file_size <= UINT32_MAX);
        check(plan.checksum_offset == stub_pe.optional_header_offset + PE_OPT_CHECKSUM);
        check(plan.checksum_offset + 4 <= plan.prefix_size);
        check(read_le32(plan.prefix + plan.checksum_offset) == 0);
        check(plan.dropped_trailing == stub_size - pe_section_data_end(&stub_pe));
        {
                uint64_t at = plan.prefix_size;
                for (size_t i = 0, k = 0; i < n_sections; i++) {
                        const struct pe_placed_section *p;
                        if (sections[i].size == 0)
                                continue;
                        p = &plan.placed[k++];
                        check(p->raw_offset == at);
                        check(p->raw_offset % stub_pe.file_alignment == 0);
                        check(p->virtual_address % stub_pe.section_alignment == 0);
                        check(p->raw_size >= sections[i].size && p->raw_size - sections[i].size < stub_pe.file_alignment);
                        at += p->raw_size;
                }
                check(at == plan.file_size);
        }

        /* uki-build.c's verify_output(): the headers alone, against the file size. */
        check(pe_parse_headers(plan.prefix, plan.prefix_size, &out_pe) == KEEL_OK);
        check(pe_check_file_layout(&out_pe, plan.file_size) == KEEL_OK);
        check(out_pe.number_of_sections == stub_pe.number_of_sections + n_new);
        check(out_pe.machine == stub_pe.machine && out_pe.entry_point == stub_pe.entry_point);
        check(out_pe.file_alignment == stub_pe.file_alignment &&
              out_pe.section_alignment == stub_pe.section_alignment);
        for (size_t i = 0, k = 0; i < n_sections; i++) {
                const struct pe_section *s;
                if (sections[i].size == 0)
                        continue;
                s = &out_pe.sections[stub_pe.number_of_sections + k];
                check(strcmp(s->name, sections[i].name) == 0);
                check(s->virtual_size == sections[i].size);
                check(s->virtual_address == plan.placed[k].virtual_address);
                check(s->raw_offset == plan.placed[k].raw_offset && s->raw_size == plan.placed[k].raw_size);
                k++;
        }
        uki_expected = stub_is_accepted_by_uki_build(&stub_pe) && sections[n_sections - 1].size > 0;
        if (uki_expected) {
                struct uki_sections found;
                check(uki_find_sections(&out_pe, &found) == KEEL_OK);
                check(uki_is_uki(&found));
        }

        if (huge == 0 && plan.file_size <= ASSEMBLE_MAX)
                check_assembled(&stub_pe, stub, stub_size, &plan, sections, section_index, n_sections, kernel,
                                kernel_size, uki_expected);
        pe_append_plan_free(&plan);
        return 0;
}
