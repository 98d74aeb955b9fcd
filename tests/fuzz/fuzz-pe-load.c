/* SPDX-License-Identifier: MIT */
/* libFuzzer target for keel's own PE loader (common/pe-load.c). An input
 * that pe_load_check() accepts is loaded into a heap block of exactly
 * SizeOfImage bytes at two addresses, so AddressSanitizer reports any copy
 * or relocation outside it; what pe-load.h promises (sections where their
 * headers say, zeros past their data, protection ranges inside the image,
 * in order and page-aligned) is checked and abort()s when broken. The last
 * two input bytes choose the machine and the load address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/pe-load.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

static void check_protections(const struct pe_image *pe, const struct pe_load_info *info) {
        static struct pe_load_range ranges[PE_MAX_SECTIONS + 1];
        size_t n = pe_load_protections(pe, info, ranges);
        uint64_t end = 0;

        check(n <= PE_MAX_SECTIONS + 1u);
        check(n == 0 || info->nx_compat);
        for (size_t i = 0; i < n; i++) {
                check(ranges[i].rva % PE_LOAD_PAGE_SIZE == 0 && ranges[i].size % PE_LOAD_PAGE_SIZE == 0);
                check(ranges[i].rva >= end);
                end = (uint64_t) ranges[i].rva + ranges[i].size;
                check(end <= ((uint64_t) info->size_of_image + PE_LOAD_PAGE_SIZE - 1) / PE_LOAD_PAGE_SIZE *
                                     PE_LOAD_PAGE_SIZE);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static struct pe_image pe;
        struct pe_load_info info;
        uint16_t machine;
        uint64_t load;
        uint8_t *dest;

        if (size < 2)
                return 0;
        machine = (data[size - 1] & 1) ? PE_MACHINE_AARCH64 : PE_MACHINE_X86_64;
        load = (uint64_t) data[size - 2] << 20;
        size -= 2;
        if (pe_parse_headers(data, size, &pe) != KEEL_OK)
                return 0;
        if (pe_load_check(&pe, data, size, machine, &info) != KEEL_OK)
                return 0;
        check(pe.machine == machine);
        check(info.size_of_image == pe.size_of_image && info.size_of_image <= PE_LOAD_MAX_IMAGE_SIZE);
        check(info.entry_point < info.size_of_image);
        check(is_power_of_two(info.alignment) && info.alignment >= PE_LOAD_PAGE_SIZE);
        if (info.reloc_size)
                check((uint64_t) info.reloc_file_offset + info.reloc_size <= size);
        check_protections(&pe, &info);

        /* Large images are fine but slow to zero: the fuzzer does not need them. */
        if (info.size_of_image > (16u << 20))
                return 0;
        dest = malloc(info.size_of_image);
        if (!dest)
                return 0;
        check(pe_load_copy(&pe, &info, data, size, dest, info.size_of_image, load) == KEEL_OK);
        if (info.reloc_size == 0 || load == info.image_base) {
                check(memcmp(dest, data, pe.size_of_headers) == 0);
                for (size_t i = 0; i < pe.number_of_sections; i++) {
                        const struct pe_section *s = &pe.sections[i];
                        check(memcmp(dest + s->virtual_address, data + s->raw_offset, pe_section_file_size(s)) == 0);
                }
        }
        for (size_t i = 0; i < pe.number_of_sections; i++) {
                const struct pe_section *s = &pe.sections[i];
                for (uint32_t j = pe_section_file_size(s); j < s->virtual_size; j++)
                        if (info.reloc_size == 0)
                                check(dest[s->virtual_address + j] == 0);
        }
        check(pe_load_copy(&pe, &info, data, size, dest, info.size_of_image, info.image_base) == KEEL_OK);
        free(dest);
        return 0;
}
