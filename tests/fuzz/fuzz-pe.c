/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the PE reader. The input is treated both as a file
 * and as an image loaded in memory; every byte the reader says is inside a
 * section is then read from the input buffer (which libFuzzer allocates at
 * exactly the input size), so AddressSanitizer reports any bound check that
 * lets a section reach past the buffer. The base relocation table is walked
 * both ways too, and every fixup pe_fixup_section() places is read where it
 * says. The guarantees pe.h and uki.h document are checked and abort() when
 * broken. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/pe.h"
#include "common/uki.h"

static volatile uint8_t sink;

static void read_bytes(const uint8_t *data, uint64_t offset, uint64_t size) {
        uint8_t x = 0;
        for (uint64_t i = 0; i < size; i++)
                x ^= data[offset + i];
        sink ^= x;
}

static void check(bool condition) {
        if (!condition)
                abort();
}

static void check_data_directories(const struct pe_image *pe, const uint8_t *data, size_t size) {
        for (uint32_t i = 0; i <= pe->number_of_data_directories; i++) {
                uint32_t address = 0, length = 0;
                int r = pe_data_directory(pe, data, size, (enum pe_data_directory) i, &address, &length);
                if (i == pe->number_of_data_directories)
                        check(r == KEEL_E_PE_DATA_DIRECTORY_MISSING);
                else
                        /* The parser saw the whole optional header, so every entry is there. */
                        check(r == KEEL_OK);
                sink ^= (uint8_t) (address ^ length);
        }
}

/* What pe_parse_headers promises about any image it accepts. */
static void check_headers(const struct pe_image *pe, size_t size) {
        check(pe->number_of_sections >= 1 && pe->number_of_sections <= PE_MAX_SECTIONS);
        check((uint64_t) pe->section_table_offset + pe->number_of_sections * PE_SECTION_HEADER_SIZE <= size);
        check((uint64_t) pe->section_table_offset + pe->number_of_sections * PE_SECTION_HEADER_SIZE <=
              pe->size_of_headers);
        check(pe->size_of_headers <= pe->size_of_image);
        check(is_power_of_two(pe->file_alignment) && is_power_of_two(pe->section_alignment));
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                check(s->name[PE_SECTION_NAME_MAX] == '\0');
                if (s->virtual_size == 0)
                        continue;
                check(s->virtual_address >= pe->size_of_headers);
                check((uint64_t) s->virtual_address + s->virtual_size <= pe->size_of_image);
        }
}

/* The headers alone parse to the same result as the whole file. */
static void check_headers_only(const struct pe_image *pe, const uint8_t *data, size_t size) {
        static struct pe_image again;
        uint8_t *head;

        if (pe->size_of_headers >= size)
                return;
        head = malloc(pe->size_of_headers);
        if (!head)
                abort();
        memcpy(head, data, pe->size_of_headers);
        check(pe_parse_headers(head, pe->size_of_headers, &again) == KEEL_OK);
        check(memcmp(pe, &again, sizeof(again)) == 0);
        check_data_directories(&again, head, pe->size_of_headers);
        free(head);
}

struct fixup_walk {
        const struct pe_image *pe;
        const struct pe_relocations *table;
        const uint8_t *image; /* the loaded image, or NULL for a file */
        int verdict;          /* the first refusal, as uki_check_relocations() would give it */
};

static bool has_uki_name(const struct pe_section *s) {
        for (size_t k = 0; k < _UKI_SECTION_MAX; k++)
                if (strcmp(s->name, uki_section_name((enum uki_section) k)) == 0)
                        return true;
        return false;
}

/* What pe_fixup_section() promises about a fixup it places: all its bytes
 * inside that one section, past the headers, off the table. */
static int check_fixup(const struct pe_fixup *f, void *userdata) {
        struct fixup_walk *w = userdata;
        const struct pe_section *s;
        int r = pe_fixup_section(w->pe, w->table, f, &s);

        check(f->type != 0 && (f->size == 2 || f->size == 4 || f->size == 8));
        if (r != KEEL_OK) {
                check(s == NULL);
                if (w->verdict == KEEL_OK)
                        w->verdict = r;
                return KEEL_OK; /* walk on: more fixups, more coverage */
        }
        check(s >= w->pe->sections && s < w->pe->sections + w->pe->number_of_sections);
        check(f->rva >= w->pe->size_of_headers && f->rva >= s->virtual_address);
        check(f->rva + f->size <= (uint64_t) s->virtual_address + pe_section_memory_size(s));
        check(f->rva + f->size <= w->table->rva || f->rva >= (uint64_t) w->table->rva + w->table->size);
        if (w->image)
                read_bytes(w->image, f->rva, f->size);
        if (w->verdict == KEEL_OK && has_uki_name(s))
                w->verdict = KEEL_E_UKI_RELOC_CHANGES_SECTION;
        return KEEL_OK;
}

/* The table lies in the buffer, and a walk that goes on past refused
 * fixups agrees with uki_check_relocations() on the verdict. */
static void check_relocations(const struct pe_image *pe, const uint8_t *data, size_t size, enum pe_view view) {
        struct pe_relocations table;
        struct fixup_walk w = { .pe = pe, .table = &table, .image = view == PE_VIEW_MEMORY ? data : NULL };
        int expected, r = pe_find_relocations(pe, data, size, view, &table);

        if (r != KEEL_OK) {
                check(uki_check_relocations(pe, data, size, view) == r);
                return;
        }
        check(table.size == 0 || (table.data >= data && (uint64_t) (table.data - data) + table.size <= size));
        if (table.size)
                read_bytes(table.data, 0, table.size);
        /* The walk stops only at a bad block or an unknown type, so every
         * fixup it visited comes before that: the first refusal among them
         * is the first problem in table order. */
        r = pe_walk_relocations(&table, check_fixup, &w);
        expected = w.verdict != KEEL_OK ? w.verdict : r;
        check(uki_check_relocations(pe, data, size, view) == expected);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct pe_image pe;
        struct uki_sections u;

        if (pe_parse_headers(data, size, &pe) != KEEL_OK)
                return 0;
        check_headers(&pe, size);
        check_data_directories(&pe, data, size);
        check_headers_only(&pe, data, size);

        if (uki_find_sections(&pe, &u) == KEEL_OK) {
                for (size_t k = 0; k < _UKI_SECTION_MAX; k++) {
                        const struct pe_section *s = u.section[k];
                        if (!s)
                                continue;
                        check(s >= pe.sections && s < pe.sections + pe.number_of_sections);
                        check(strcmp(s->name, uki_section_name((enum uki_section) k)) == 0);
                }
                /* (uki_find_sections() is profile 0: with .profile sections a
                 * kernel may be in another profile only.) */
                check(uki_is_uki(&u) ? pe_find_section(&pe, ".linux") != NULL || pe_find_section(&pe, ".tlinux") != NULL
                                     : uki_count_profiles(&pe) > 0 || (pe_find_section(&pe, ".linux") == NULL &&
                                                                        pe_find_section(&pe, ".tlinux") == NULL));
        } else
                memset(&u, 0, sizeof(u));

        /* As a file: each section's raw data, and what the host tools read of
         * a UKI section (pe_section_file_size bytes at raw_offset). */
        if (pe_check_file_layout(&pe, size) == KEEL_OK) {
                for (size_t i = 0; i < pe.number_of_sections; i++) {
                        const struct pe_section *s = &pe.sections[i];
                        if (s->raw_size == 0)
                                continue;
                        check(s->raw_offset >= pe.size_of_headers);
                        read_bytes(data, s->raw_offset, s->raw_size);
                }
                for (size_t k = 0; k < _UKI_SECTION_MAX; k++)
                        if (u.section[k])
                                read_bytes(data, u.section[k]->raw_offset, pe_section_file_size(u.section[k]));
                check_relocations(&pe, data, size, PE_VIEW_FILE);
        }

        /* As a loaded image (the EFI side): the headers and each section's
         * bytes at its VirtualAddress, inside the image's size (which may end
         * before SizeOfImage, as U-Boot reports it). */
        if (pe_check_memory_layout(&pe, size) == KEEL_OK) {
                for (size_t i = 0; i < pe.number_of_sections; i++)
                        read_bytes(data, pe.sections[i].virtual_address, pe_section_memory_size(&pe.sections[i]));
                read_bytes(data, 0, pe.size_of_headers);
                check_relocations(&pe, data, size, PE_VIEW_MEMORY);
        }
        return 0;
}
