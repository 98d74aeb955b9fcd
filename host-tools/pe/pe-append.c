/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "host-tools/pe/pe-append.h"
#include "common/error.h"

#define FILE_HEADER_POINTER_TO_SYMBOL_TABLE 8
#define FILE_HEADER_NUMBER_OF_SYMBOLS 12
#define DEBUG_DIRECTORY_ENTRY_SIZE 28
#define DEBUG_ENTRY_POINTER_TO_RAW_DATA 24

static uint32_t lowest_section_address(const struct pe_image *pe) {
        uint32_t lowest = UINT32_MAX;
        for (size_t i = 0; i < pe->number_of_sections; i++)
                if (pe->sections[i].virtual_address < lowest)
                        lowest = pe->sections[i].virtual_address;
        return lowest;
}

static uint64_t image_end(const struct pe_image *pe) {
        uint64_t end = pe->size_of_headers;
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                uint64_t size = s->virtual_size > s->raw_size ? s->virtual_size : s->raw_size;
                if ((uint64_t) s->virtual_address + size > end)
                        end = (uint64_t) s->virtual_address + size;
        }
        return end;
}

/* Moving the section data further into the file (to make room for more
 * section headers) changes the file offsets the debug directory records. */
static int shift_debug_directory(const struct pe_image *pe, uint8_t *out, size_t out_size, size_t old_headers,
                                 uint32_t delta) {
        uint32_t rva, size;

        if (pe_data_directory(pe, out, out_size, PE_DIRECTORY_DEBUG, &rva, &size) != KEEL_OK || size == 0)
                return KEEL_OK;
        for (size_t i = 0; i < pe->number_of_sections; i++) {
                const struct pe_section *s = &pe->sections[i];
                uint64_t file_offset;

                if (rva < s->virtual_address || rva - s->virtual_address >= s->raw_size)
                        continue;
                if (!range_fits(s->raw_size, rva - s->virtual_address, size))
                        return KEEL_E_PE_SECTION_OUTSIDE_FILE;
                /* The section data was already moved by delta in out. */
                file_offset = (uint64_t) s->raw_offset + delta + (rva - s->virtual_address);
                if (!range_fits(out_size, file_offset, size) || file_offset < old_headers)
                        return KEEL_E_PE_SECTION_OUTSIDE_FILE;
                for (uint32_t e = 0; e + DEBUG_DIRECTORY_ENTRY_SIZE <= size; e += DEBUG_DIRECTORY_ENTRY_SIZE) {
                        uint8_t *p = out + file_offset + e + DEBUG_ENTRY_POINTER_TO_RAW_DATA;
                        uint32_t pointer = read_le32(p);
                        if (pointer != 0)
                                write_le32(p, pointer + delta);
                }
                return KEEL_OK;
        }
        return KEEL_OK;
}

static void write_section_header(uint8_t *h, const char *name, uint32_t virtual_size, uint32_t virtual_address,
                                 uint32_t raw_size, uint32_t raw_offset) {
        memset(h, 0, PE_SECTION_HEADER_SIZE);
        memcpy(h, name, strnlen(name, PE_SECTION_NAME_MAX));
        write_le32(h + 8, virtual_size);
        write_le32(h + 12, virtual_address);
        write_le32(h + 16, raw_size);
        write_le32(h + 20, raw_offset);
        write_le32(h + 36, PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ);
}

int pe_append_plan(const uint8_t *stub, size_t stub_size, const struct pe_new_section *sections, size_t n_sections,
                   struct pe_append_plan *plan) {
        struct pe_image pe;
        uint64_t data_end, va, raw, raw_start, new_headers, initialized_data;
        uint32_t delta, cert_offset = 0, cert_size = 0;
        size_t n_new = 0, table_end;
        uint8_t *out, *opt;
        int r;

        memset(plan, 0, sizeof(*plan));
        r = pe_parse_headers(stub, stub_size, &pe);
        if (r == KEEL_OK)
                r = pe_check_file_layout(&pe, stub_size);
        if (r != KEEL_OK)
                return r;
        /* The PE/COFF specification's range; a larger one would have keel
         * write gigabytes of padding. */
        if (pe.file_alignment < 512 || pe.file_alignment > 65536)
                return KEEL_E_PE_BAD_ALIGNMENT;

        for (size_t i = 0; i < n_sections; i++)
                if (sections[i].size > 0 || sections[i].keep_empty)
                        n_new++;
        if (pe.number_of_sections + n_new > PE_MAX_SECTIONS)
                return KEEL_E_PE_TOO_MANY_SECTIONS;

        /* Room for the section headers: grow the header area when needed, as
         * long as it stays below the first section in memory. */
        table_end = pe.section_table_offset + (pe.number_of_sections + n_new) * PE_SECTION_HEADER_SIZE;
        if (!align_up_u64(table_end, pe.file_alignment, &new_headers))
                return KEEL_E_PE_IMAGE_TOO_LARGE;
        if (new_headers < pe.size_of_headers)
                new_headers = pe.size_of_headers;
        if (new_headers > lowest_section_address(&pe))
                return KEEL_E_PE_NO_HEADER_ROOM;
        delta = (uint32_t) (new_headers - pe.size_of_headers);

        data_end = pe_section_data_end(&pe);
        if (pe_data_directory(&pe, stub, stub_size, PE_DIRECTORY_SECURITY, &cert_offset, &cert_size) == KEEL_OK &&
            cert_size > 0)
                plan->dropped_signature = 1;
        plan->dropped_trailing = stub_size - data_end;

        /* The stub's data keeps its offsets (plus delta); new sections follow it. */
        if (!align_up_u64(data_end + delta, pe.file_alignment, &raw) ||
            !align_up_u64(image_end(&pe), pe.section_alignment, &va) || va > UINT32_MAX)
                return KEEL_E_PE_IMAGE_TOO_LARGE; /* SizeOfImage must still fit when nothing is added */

        raw_start = raw;
        out = calloc(1, (size_t) raw_start);
        if (!out)
                return KEEL_E_NO_MEMORY;
        memcpy(out, stub, pe.size_of_headers);
        memcpy(out + new_headers, stub + pe.size_of_headers, (size_t) (data_end - pe.size_of_headers));

        initialized_data = 0;
        for (size_t i = 0, k = 0; i < n_sections; i++) {
                struct pe_placed_section *p = &plan->placed[k];
                uint64_t raw_size, end;

                if (sections[i].size == 0 && !sections[i].keep_empty)
                        continue;
                /* An empty section still gets an address of its own inside
                 * SizeOfImage: EDK II refuses a section that starts at the
                 * image's end, even one with nothing to load. */
                if (!align_up_u64(sections[i].size, pe.file_alignment, &raw_size) || raw + raw_size > UINT32_MAX ||
                    va + sections[i].size > UINT32_MAX ||
                    !align_up_u64(va + (sections[i].size > 0 ? sections[i].size : 1), pe.section_alignment, &end) ||
                    end > UINT32_MAX) {
                        free(out);
                        return KEEL_E_PE_IMAGE_TOO_LARGE;
                }
                p->virtual_address = (uint32_t) va;
                p->raw_offset = raw_size > 0 ? (uint32_t) raw : 0; /* no data: PointerToRawData 0, as the spec says */
                p->raw_size = (uint32_t) raw_size;
                write_section_header(out + pe.section_table_offset + (pe.number_of_sections + k) * PE_SECTION_HEADER_SIZE,
                                     sections[i].name, (uint32_t) sections[i].size, p->virtual_address, p->raw_size,
                                     p->raw_offset);
                initialized_data += raw_size;
                raw += raw_size;
                va = end;
                k++;
        }

        /* Existing section headers move with their data. */
        for (size_t i = 0; delta > 0 && i < pe.number_of_sections; i++) {
                uint8_t *h = out + pe.section_table_offset + i * PE_SECTION_HEADER_SIZE;
                if (read_le32(h + 16) > 0)
                        write_le32(h + 20, read_le32(h + 20) + delta);
        }
        if (delta > 0) {
                r = shift_debug_directory(&pe, out, (size_t) (data_end + delta), pe.size_of_headers, delta);
                if (r != KEEL_OK) {
                        free(out);
                        return r;
                }
        }

        opt = out + pe.optional_header_offset;
        write_le16(out + pe.pe_offset + 4 + 2, (uint16_t) (pe.number_of_sections + n_new));
        write_le32(out + pe.pe_offset + 4 + FILE_HEADER_POINTER_TO_SYMBOL_TABLE, 0);
        write_le32(out + pe.pe_offset + 4 + FILE_HEADER_NUMBER_OF_SYMBOLS, 0);
        if (read_le32(opt + PE_OPT_SIZE_OF_INITIALIZED_DATA) + initialized_data > UINT32_MAX) {
                free(out);
                return KEEL_E_PE_IMAGE_TOO_LARGE;
        }
        write_le32(opt + PE_OPT_SIZE_OF_INITIALIZED_DATA,
                   (uint32_t) (read_le32(opt + PE_OPT_SIZE_OF_INITIALIZED_DATA) + initialized_data));
        write_le32(opt + PE_OPT_SIZE_OF_IMAGE, (uint32_t) va);
        write_le32(opt + PE_OPT_SIZE_OF_HEADERS, (uint32_t) new_headers);
        write_le32(opt + PE_OPT_CHECKSUM, 0);
        if (pe.number_of_data_directories > PE_DIRECTORY_SECURITY)
                memset(out + pe.data_directory_offset + PE_DIRECTORY_SECURITY * PE_DATA_DIRECTORY_SIZE, 0,
                       PE_DATA_DIRECTORY_SIZE);

        plan->prefix = out;
        plan->prefix_size = (size_t) raw_start;
        plan->checksum_offset = pe.optional_header_offset + PE_OPT_CHECKSUM;
        plan->n_placed = n_new;
        plan->file_size = raw;
        return KEEL_OK;
}

void pe_append_plan_free(struct pe_append_plan *plan) {
        free(plan->prefix);
        plan->prefix = NULL;
}
