/* SPDX-License-Identifier: MIT */
#include "authenticode.h"
#include "error.h"

static void add_region(struct authenticode_layout *l, uint64_t offset, uint64_t size) {
        if (size == 0)
                return;
        l->regions[l->n_regions++] = (struct authenticode_region) { .offset = offset, .size = size };
}

/* Section indices with raw data, sorted by PointerToRawData (insertion sort:
 * at most PE_MAX_SECTIONS entries). */
static size_t sections_by_raw_offset(const struct pe_image *pe, uint8_t order[PE_MAX_SECTIONS]) {
        size_t n = 0;

        for (size_t i = 0; i < pe->number_of_sections; i++) {
                size_t j;

                if (pe->sections[i].raw_size == 0)
                        continue;
                for (j = n; j > 0 && pe->sections[order[j - 1]].raw_offset > pe->sections[i].raw_offset; j--)
                        order[j] = order[j - 1];
                order[j] = (uint8_t) i;
                n++;
        }
        return n;
}

static int check_cert_table(const struct pe_image *pe, uint64_t file_size, uint32_t offset, uint32_t size) {
        if (!range_fits(file_size, offset, size))
                return KEEL_E_PE_CERT_TABLE_OUTSIDE_FILE;
        if (offset < pe_section_data_end(pe))
                return KEEL_E_PE_CERT_TABLE_OVERLAPS_IMAGE;
        /* The hash covers everything up to FILE_SIZE minus the table; that
         * is only the data before the table when the table comes last. */
        if (file_size - offset != size)
                return KEEL_E_PE_CERT_TABLE_NOT_AT_END;
        return KEEL_OK;
}

int authenticode_layout(const void *head, size_t head_len, uint64_t file_size, struct authenticode_layout *ret) {
        struct pe_image pe;
        uint8_t order[PE_MAX_SECTIONS];
        uint32_t table_offset, table_size;
        uint64_t hashed;
        size_t n;
        int r;

        if (!head || !ret)
                return KEEL_E_INVALID_ARGUMENT;
        memset(ret, 0, sizeof(*ret));

        r = pe_parse_headers(head, head_len, &pe);
        if (r != KEEL_OK)
                return r;
        r = pe_check_file_layout(&pe, file_size);
        if (r != KEEL_OK)
                return r;
        r = pe_data_directory(&pe, head, head_len, PE_DIRECTORY_SECURITY, &table_offset, &table_size);
        if (r == KEEL_E_PE_DATA_DIRECTORY_MISSING)
                return KEEL_E_PE_NO_CERT_DIRECTORY;
        if (r != KEEL_OK)
                return r;

        /* A size of zero means "no table", whatever the offset says (EDK II
         * reads it the same way). */
        if (table_size > 0) {
                r = check_cert_table(&pe, file_size, table_offset, table_size);
                if (r != KEEL_OK)
                        return r;
                ret->cert_table_offset = table_offset;
                ret->cert_table_size = table_size;
                ret->image_end = table_offset;
        } else
                ret->image_end = file_size;

        /* pe_parse_headers() guarantees CheckSum < directory entry < end of
         * the optional header <= SizeOfHeaders, all below 4 GiB. */
        ret->checksum_offset = pe.optional_header_offset + PE_OPT_CHECKSUM;
        ret->cert_dir_offset = pe.data_directory_offset + PE_DIRECTORY_SECURITY * PE_DATA_DIRECTORY_SIZE;
        add_region(ret, 0, ret->checksum_offset);
        add_region(ret, ret->checksum_offset + 4, ret->cert_dir_offset - (ret->checksum_offset + 4));
        add_region(ret, ret->cert_dir_offset + PE_DATA_DIRECTORY_SIZE,
                   pe.size_of_headers - (ret->cert_dir_offset + PE_DATA_DIRECTORY_SIZE));

        hashed = pe.size_of_headers;
        n = sections_by_raw_offset(&pe, order);
        for (size_t i = 0; i < n; i++) {
                const struct pe_section *s = &pe.sections[order[i]];
                add_region(ret, s->raw_offset, s->raw_size);
                hashed += s->raw_size;
        }

        /* SUM_OF_BYTES_HASHED <= image_end: sections lie after the headers
         * without overlapping, inside the file and before the table. */
        if (ret->image_end > hashed)
                add_region(ret, hashed, ret->image_end - hashed);

        ret->in_file_order = true;
        for (size_t i = 1; i < ret->n_regions; i++)
                if (ret->regions[i].offset < ret->regions[i - 1].offset + ret->regions[i - 1].size)
                        ret->in_file_order = false;
        return KEEL_OK;
}

int win_certificate_parse(const void *table, size_t table_size, struct win_certificate *entries, size_t max_entries,
                          size_t *ret_n) {
        const uint8_t *t = table;
        size_t offset = 0, n = 0;

        if ((!table && table_size > 0) || !ret_n)
                return KEEL_E_INVALID_ARGUMENT;
        *ret_n = 0;

        while (offset < table_size) {
                size_t left = table_size - offset, step;
                uint32_t length;

                if (left < WIN_CERT_HEADER_SIZE)
                        return KEEL_E_WIN_CERT_TRUNCATED;
                length = read_le32(t + offset);
                if (length < WIN_CERT_HEADER_SIZE || length > left)
                        return KEEL_E_WIN_CERT_BAD_LENGTH;
                if (n == max_entries)
                        return KEEL_E_WIN_CERT_TOO_MANY;
                entries[n++] = (struct win_certificate) {
                        .offset = (uint32_t) offset,
                        .length = length,
                        .revision = read_le16(t + offset + 4),
                        .type = read_le16(t + offset + 6),
                        .data = t + offset + WIN_CERT_HEADER_SIZE,
                        .data_size = length - WIN_CERT_HEADER_SIZE,
                };
                /* The next entry starts 8-byte aligned; the last one's padding
                 * may be missing. length <= left < SIZE_MAX - 7. */
                step = ((size_t) length + WIN_CERT_ALIGNMENT - 1) & ~(size_t) (WIN_CERT_ALIGNMENT - 1);
                offset += step < left ? step : left;
        }
        *ret_n = n;
        return KEEL_OK;
}
