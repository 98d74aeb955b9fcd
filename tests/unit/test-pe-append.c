/* SPDX-License-Identifier: MIT */
/* The PE CheckSum and the layout `keel uki build` gives the sections it
 * appends to a stub. The checksum is compared with a separate, plain
 * implementation of the algorithm; appended images are assembled in memory
 * and read back with the same PE reader the firmware side uses. */
#include "keel-test.h"
#include "pe-builder.h"

#include "common/pe.h"
#include "common/uki.h"
#include "host-tools/pe/pe-append.h"
#include "host-tools/pe/pe-checksum.h"

#define KEEL_EFI_PATH "build/keelx64.efi"
#define SYSTEMD_STUB_PATH "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
#define NO_FIELD SIZE_MAX

/* ---- checksum -------------------------------------------------------------- */

/* The algorithm as usually described: add the file as little-endian 16-bit
 * words (an odd last byte padded with zero), folding the carry back in after
 * every addition, with the four CheckSum bytes read as zero; then add the
 * file length. */
static uint32_t reference_checksum(const uint8_t *d, size_t n, size_t field) {
        uint32_t sum = 0;

        for (size_t i = 0; i < n; i += 2) {
                uint32_t lo = (i >= field && i - field < 4) ? 0 : d[i];
                uint32_t hi = i + 1 >= n ? 0 : (i + 1 >= field && i + 1 - field < 4) ? 0 : d[i + 1];
                sum += lo | (hi << 8);
                sum = (sum & 0xffff) + (sum >> 16);
        }
        return sum + (uint32_t) n;
}

/* xorshift: the same pseudo-random bytes on every run. */
static void fill_random(uint8_t *p, size_t n, uint64_t seed) {
        uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
        for (size_t i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                p[i] = (uint8_t) (x >> 24);
        }
}

static uint32_t checksum_whole(const uint8_t *d, size_t n) {
        struct pe_checksum c;
        pe_checksum_init(&c);
        pe_checksum_update(&c, d, n);
        return pe_checksum_final(&c);
}

static void test_checksum_known_values(void **state) {
        (void) state;

        assert_int_equal(checksum_whole((const uint8_t *) "", 0), 0);
        assert_int_equal(checksum_whole((const uint8_t[]) { 0x01 }, 1), 0x0001 + 1);
        assert_int_equal(checksum_whole((const uint8_t[]) { 0x34, 0x12 }, 2), 0x1234 + 2);
        assert_int_equal(checksum_whole((const uint8_t[]) { 0x34, 0x12, 0x78 }, 3), 0x1234 + 0x78 + 3);
        /* 0xffff + 0x0001 = 0x10000, whose carry folds back in as 0x0001. */
        assert_int_equal(checksum_whole((const uint8_t[]) { 0xff, 0xff, 0x01, 0x00 }, 4), 0x0001 + 4);
        assert_int_equal(checksum_whole((const uint8_t[]) { 0xff, 0xff }, 2), 0xffff + 2);
        assert_int_equal(checksum_whole((const uint8_t[]) { 0xff, 0xff, 0xff, 0xff }, 4), 0xffff + 4);
        /* The CheckSum field (here bytes 2..5) counts as zero. */
        assert_int_equal(pe_checksum_buffer((const uint8_t[]) { 1, 0, 9, 9, 9, 9, 2, 0 }, 8, 2), 3 + 8);
}

static void test_checksum_matches_reference(void **state) {
        uint8_t *buf = malloc(4096);
        (void) state;

        assert_non_null(buf);
        for (size_t n = 0; n <= 1100; n++) {
                size_t field = n >= 0xdc ? 0xd8 : NO_FIELD;
                uint8_t *copy;

                fill_random(buf, n, n);
                copy = exact_copy(buf, n);
                if (pe_checksum_buffer(copy, n, field) != reference_checksum(copy, n, field))
                        fail_msg("random data, %zu bytes: checksum differs from the reference", n);
                /* All ones: the most carries. */
                memset(copy, 0xff, n);
                if (pe_checksum_buffer(copy, n, field) != reference_checksum(copy, n, field))
                        fail_msg("0xff data, %zu bytes: checksum differs from the reference", n);
                free(copy);
        }
        free(buf);
}

/* Bigger than the blocks the implementation sums before folding. */
static void test_checksum_large(void **state) {
        size_t n = 5 * 1024 * 1024 + 3;
        uint8_t *buf = malloc(n);
        (void) state;

        assert_non_null(buf);
        memset(buf, 0xff, n);
        assert_int_equal(pe_checksum_buffer(buf, n, 0xd8), reference_checksum(buf, n, 0xd8));
        fill_random(buf, n, 42);
        assert_int_equal(pe_checksum_buffer(buf, n, 0xd8), reference_checksum(buf, n, 0xd8));
        assert_int_equal(checksum_whole(buf, n), reference_checksum(buf, n, NO_FIELD));
        free(buf);
}

/* The UKI writer checksums the file piece by piece as it writes it; the
 * pieces have arbitrary, often odd, sizes. */
static void test_checksum_chunked(void **state) {
        static const struct {
                size_t n;
                size_t sizes[5];
        } patterns[] = {
                { 1, { 1 } }, { 1, { 3 } }, { 2, { 2, 1 } }, { 3, { 1, 0, 2 } }, { 4, { 7, 5, 1, 1 } },
                { 3, { 511, 1, 513 } }, { 5, { 4095, 3, 0, 1, 2 } },
        };
        size_t n = 70001;
        uint8_t *buf = malloc(n);
        (void) state;

        assert_non_null(buf);
        fill_random(buf, n, 7);
        for (size_t p = 0; p < ARRAY_SIZE(patterns); p++) {
                struct pe_checksum c;
                size_t done = 0, k = 0;

                pe_checksum_init(&c);
                while (done < n) {
                        size_t size = patterns[p].sizes[k++ % patterns[p].n];
                        if (size > n - done)
                                size = n - done;
                        pe_checksum_update(&c, buf + done, size);
                        done += size;
                }
                if (pe_checksum_final(&c) != reference_checksum(buf, n, NO_FIELD))
                        fail_msg("chunk pattern %zu: checksum differs from the reference", p);
        }
        free(buf);
}

/* Writing a checksum into the field must not change the checksum. */
static void test_checksum_field_ignored(void **state) {
        uint8_t buf[1000];
        uint32_t before;
        (void) state;

        fill_random(buf, sizeof(buf), 3);
        before = pe_checksum_buffer(buf, sizeof(buf), 0xd8);
        write_le32(buf + 0xd8, before);
        assert_int_equal(pe_checksum_buffer(buf, sizeof(buf), 0xd8), before);
        /* Any other byte does count. */
        buf[0xd7] ^= 0x40;
        assert_int_not_equal(pe_checksum_buffer(buf, sizeof(buf), 0xd8), before);
}

/* objcopy stores a CheckSum in keelx64.efi: binutils agrees with keel. */
static void test_checksum_real_file(void **state) {
        struct pe_image pe;
        size_t size;
        uint8_t *file = slurp(KEEL_EFI_PATH, &size);
        uint32_t stored;
        (void) state;

        if (!file) {
                printf("# %s not built, skipping\n", KEEL_EFI_PATH);
                skip();
        }
        assert_keel(pe_parse_headers(file, size, &pe), KEEL_OK);
        stored = read_le32(file + pe.optional_header_offset + PE_OPT_CHECKSUM);
        assert_int_not_equal(stored, 0);
        assert_int_equal(pe_checksum_buffer(file, size, pe.optional_header_offset + PE_OPT_CHECKSUM), stored);
        free(file);
}

/* ---- append plan ---------------------------------------------------------- */

static struct pe_image pe;

/* Content byte j of new section k. */
static uint8_t new_byte(size_t k, uint64_t j) {
        return (uint8_t) (0x3c + k * 41 + j * 7);
}

/* The output file the plan describes: prefix, then each non-empty new
 * section's content padded with zeros to its raw size. */
static uint8_t *assemble(const struct pe_append_plan *plan, const struct pe_new_section *s, size_t n) {
        uint8_t *out = calloc(1, (size_t) plan->file_size);
        size_t k = 0;

        assert_non_null(out);
        assert_true(plan->prefix_size <= plan->file_size);
        memcpy(out, plan->prefix, plan->prefix_size);
        for (size_t i = 0; i < n; i++) {
                const struct pe_placed_section *p = &plan->placed[k];
                if (s[i].size == 0)
                        continue;
                assert_true(range_fits(plan->file_size, p->raw_offset, p->raw_size));
                for (uint64_t j = 0; j < s[i].size; j++)
                        out[p->raw_offset + j] = new_byte(i, j);
                k++;
        }
        assert_int_equal(k, plan->n_placed);
        return out;
}

static uint32_t align_up(uint32_t v, uint32_t a) {
        return (v + a - 1) & ~(a - 1);
}

/* What a signing tool or a firmware cares about in the result: it parses,
 * the raw data of all sections is one contiguous run from SizeOfHeaders to
 * the end of the file (no gaps, no overlaps), and SizeOfImage is the aligned
 * end of the last section. */
static void check_output(const uint8_t *file, uint64_t size) {
        uint32_t expected_raw = 0, end = 0;
        bool used[PE_MAX_SECTIONS] = {};

        assert_keel(pe_parse_headers(file, size, &pe), KEEL_OK);
        assert_keel(pe_check_file_layout(&pe, size), KEEL_OK);
        expected_raw = pe.size_of_headers;
        for (size_t n = 0; n < pe.number_of_sections; n++) {
                size_t lowest = SIZE_MAX;
                for (size_t i = 0; i < pe.number_of_sections; i++)
                        if (!used[i] && pe.sections[i].raw_size > 0 &&
                            (lowest == SIZE_MAX || pe.sections[i].raw_offset < pe.sections[lowest].raw_offset))
                                lowest = i;
                if (lowest == SIZE_MAX)
                        break;
                used[lowest] = true;
                if (pe.sections[lowest].raw_offset != expected_raw)
                        fail_msg("section %s starts at file offset 0x%x, expected 0x%x (gap or overlap)",
                                 pe.sections[lowest].name, pe.sections[lowest].raw_offset, expected_raw);
                expected_raw += pe.sections[lowest].raw_size;
        }
        assert_int_equal(expected_raw, size);
        for (size_t i = 0; i < pe.number_of_sections; i++) {
                uint32_t e = pe.sections[i].virtual_address + pe.sections[i].virtual_size;
                if (e > end)
                        end = e;
        }
        assert_int_equal(pe.size_of_image, align_up(end, pe.section_alignment));
        assert_int_equal(read_le32(file + pe.optional_header_offset + PE_OPT_CHECKSUM), 0);
}

/* The placed sections: aligned, one after the other in the file and in
 * memory, after everything the stub had. */
static void check_placement(const struct pe_append_plan *plan, const struct pe_new_section *s, size_t n,
                            uint32_t stub_data_end, uint32_t stub_image_end, uint32_t file_alignment,
                            uint32_t section_alignment) {
        uint32_t raw = align_up(stub_data_end, file_alignment);
        uint32_t va = align_up(stub_image_end, section_alignment);
        size_t k = 0;

        assert_int_equal(plan->prefix_size, raw);
        for (size_t i = 0; i < n; i++) {
                const struct pe_placed_section *p = &plan->placed[k];
                if (s[i].size == 0)
                        continue;
                assert_int_equal(p->raw_offset % file_alignment, 0);
                assert_int_equal(p->virtual_address % section_alignment, 0);
                assert_int_equal(p->raw_offset, raw);
                assert_int_equal(p->raw_size, align_up((uint32_t) s[i].size, file_alignment));
                assert_int_equal(p->virtual_address, va);
                raw += p->raw_size;
                va = align_up(va + (uint32_t) s[i].size, section_alignment);
                k++;
        }
        assert_int_equal(plan->n_placed, k);
        assert_int_equal(plan->file_size, raw);
}

static void test_append_basic(void **state) {
        struct pe_spec spec = PE_SPEC(3);
        struct test_pe stub;
        const struct pe_new_section s[] = {
                { ".osrel", 23, false }, { ".cmdline", 0, false }, { ".uname", 10, false }, { ".initrd", 16, false }, { ".linux", 0x3001, false },
        };
        struct pe_append_plan plan;
        struct uki_sections u;
        uint8_t *out;
        (void) state;

        spec.header_slack = 0x400; /* more room than the new headers need */
        stub = tpe_build(spec);
        tpe_set_name(&stub, 0, ".text");
        tpe_set_name(&stub, 2, ".sbat");
        write_le32(tpe_opt(&stub) + PE_OPT_CHECKSUM, 0x12345678);
        write_le32(tpe_opt(&stub) + PE_OPT_SIZE_OF_INITIALIZED_DATA, 0x1000);

        assert_keel(pe_append_plan(stub.data, stub.size, s, ARRAY_SIZE(s), &plan), KEEL_OK);
        assert_int_equal(plan.n_placed, 4);
        assert_int_equal(plan.dropped_signature, 0);
        assert_int_equal(plan.dropped_trailing, 0);
        assert_int_equal(plan.checksum_offset, TPE_OPT + PE_OPT_CHECKSUM);
        check_placement(&plan, s, ARRAY_SIZE(s), (uint32_t) stub.size, stub.image_size, 0x200, 0x1000);

        out = assemble(&plan, s, ARRAY_SIZE(s));
        check_output(out, plan.file_size);
        assert_int_equal(pe.size_of_headers, stub.headers);
        assert_int_equal(pe.number_of_sections, 7);
        assert_string_equal(pe.sections[0].name, ".text");
        assert_string_equal(pe.sections[3].name, ".osrel");
        assert_string_equal(pe.sections[4].name, ".uname");
        assert_string_equal(pe.sections[5].name, ".initrd");
        assert_string_equal(pe.sections[6].name, ".linux");
        assert_int_equal(pe.sections[6].virtual_size, 0x3001);
        assert_int_equal(pe.sections[6].raw_size, 0x3200);
        assert_int_equal(pe.sections[6].characteristics, PE_SCN_CNT_INITIALIZED_DATA | PE_SCN_MEM_READ);
        assert_int_equal(read_le32(out + pe.optional_header_offset + PE_OPT_SIZE_OF_INITIALIZED_DATA),
                         0x1000 + 0x200 + 0x200 + 0x200 + 0x3200);
        /* Headers and the stub's sections are carried over unchanged. */
        assert_int_equal(pe.entry_point, read_le32(tpe_opt(&stub) + PE_OPT_ENTRY_POINT));
        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(pe.sections[i].raw_offset, read_le32(tpe_section_header(&stub, i) + SH_RAW_OFFSET));
                assert_memory_equal(out + pe.sections[i].raw_offset, stub.data + pe.sections[i].raw_offset,
                                    pe.sections[i].raw_size);
        }
        /* The UKI sections are where the reader finds them. */
        assert_keel(uki_find_sections(&pe, &u), KEEL_OK);
        assert_true(uki_is_uki(&u));
        assert_null(u.section[UKI_SECTION_CMDLINE]);
        assert_int_equal(out[u.section[UKI_SECTION_LINUX]->raw_offset + 0x3000], new_byte(4, 0x3000));
        assert_int_equal(out[u.section[UKI_SECTION_INITRD]->raw_offset], new_byte(3, 0));
        free(out);
        pe_append_plan_free(&plan);
        assert_null(plan.prefix);
        tpe_free(&stub);
}

/* Sixteen sections fill a 0x400-byte header area up to 0x3c8; one more
 * header still fits, two do not. */
static void test_append_grows_headers(void **state) {
        struct test_pe stub = tpe_build(PE_SPEC(16));
        const struct pe_new_section s[] = { { ".cmdline", 5, false }, { ".linux", 0x1234, false } };
        struct pe_append_plan plan;
        uint8_t *out;
        (void) state;

        assert_int_equal(stub.headers, 0x400);

        assert_keel(pe_append_plan(stub.data, stub.size, s, 1, &plan), KEEL_OK);
        out = assemble(&plan, s, 1);
        check_output(out, plan.file_size);
        assert_int_equal(pe.size_of_headers, 0x400);
        for (unsigned i = 0; i < 16; i++)
                assert_int_equal(pe.sections[i].raw_offset, read_le32(tpe_section_header(&stub, i) + SH_RAW_OFFSET));
        free(out);
        pe_append_plan_free(&plan);

        assert_keel(pe_append_plan(stub.data, stub.size, s, 2, &plan), KEEL_OK);
        check_placement(&plan, s, 2, (uint32_t) stub.size + 0x200, stub.image_size, 0x200, 0x1000);
        out = assemble(&plan, s, 2);
        check_output(out, plan.file_size);
        assert_int_equal(pe.number_of_sections, 18);
        assert_int_equal(pe.size_of_headers, 0x600);
        assert_int_equal(pe.size_of_image, plan.placed[1].virtual_address + 0x2000);
        for (unsigned i = 0; i < 16; i++) {
                const uint8_t *h = tpe_section_header(&stub, i);
                /* Every stub section moved by the same 0x200 in the file, not in memory... */
                assert_int_equal(pe.sections[i].raw_offset, read_le32(h + SH_RAW_OFFSET) + 0x200);
                assert_int_equal(pe.sections[i].virtual_address, read_le32(h + SH_VIRTUAL_ADDRESS));
                /* ...and its data went with it. */
                assert_memory_equal(out + pe.sections[i].raw_offset, stub.data + read_le32(h + SH_RAW_OFFSET),
                                    read_le32(h + SH_RAW_SIZE));
        }
        assert_string_equal(pe.sections[16].name, ".cmdline");
        assert_string_equal(pe.sections[17].name, ".linux");
        free(out);
        pe_append_plan_free(&plan);
        tpe_free(&stub);
}

/* The header area cannot grow into the first section in memory. */
static void test_append_no_header_room(void **state) {
        struct pe_spec spec = PE_SPEC(16);
        struct test_pe stub;
        const struct pe_new_section s[] = { { ".cmdline", 5, false }, { ".linux", 0x1234, false } };
        struct pe_append_plan plan;
        (void) state;

        spec.section_alignment = 0x200;
        stub = tpe_build(spec);
        assert_int_equal(read_le32(tpe_section_header(&stub, 0) + SH_VIRTUAL_ADDRESS), stub.headers);

        assert_keel(pe_append_plan(stub.data, stub.size, s, 2, &plan), KEEL_E_PE_NO_HEADER_ROOM);
        assert_null(plan.prefix);
        /* One more header fits in the existing header area. */
        assert_keel(pe_append_plan(stub.data, stub.size, s, 1, &plan), KEEL_OK);
        pe_append_plan_free(&plan);
        tpe_free(&stub);
}

static void test_append_too_many_sections(void **state) {
        struct test_pe stub = tpe_build(PE_SPEC(PE_MAX_SECTIONS - 1));
        const struct pe_new_section two[] = { { ".cmdline", 5, false }, { ".linux", 0x1234, false } };
        const struct pe_new_section one_empty[] = { { ".cmdline", 0, false }, { ".linux", 0x1234, false } };
        struct pe_append_plan plan;
        uint8_t *out;
        (void) state;

        assert_keel(pe_append_plan(stub.data, stub.size, two, 2, &plan), KEEL_E_PE_TOO_MANY_SECTIONS);
        assert_null(plan.prefix);
        /* Empty sections are not added, so they do not count. */
        assert_keel(pe_append_plan(stub.data, stub.size, one_empty, 2, &plan), KEEL_OK);
        out = assemble(&plan, one_empty, 2);
        check_output(out, plan.file_size);
        assert_int_equal(pe.number_of_sections, PE_MAX_SECTIONS);
        assert_string_equal(pe.sections[PE_MAX_SECTIONS - 1].name, ".linux");
        free(out);
        pe_append_plan_free(&plan);
        tpe_free(&stub);

        stub = tpe_build(PE_SPEC(PE_MAX_SECTIONS));
        assert_keel(pe_append_plan(stub.data, stub.size, two + 1, 1, &plan), KEEL_E_PE_TOO_MANY_SECTIONS);
        tpe_free(&stub);
}

/* A signed stub: its certificate table sits after the last section and the
 * security directory points at it. The signature covers the stub, not the
 * UKI, so it is left out and the directory cleared. */
static void test_append_drops_certificate(void **state) {
        struct test_pe stub = tpe_build(PE_SPEC(2));
        const struct pe_new_section s[] = { { ".linux", 0x1234, false } };
        struct pe_append_plan plan;
        uint8_t cert[0x108];
        uint32_t address = 1, size = 1, stub_data_end = (uint32_t) stub.size;
        uint8_t *out;
        (void) state;

        memset(cert, 0x5a, sizeof(cert));
        write_le32(cert, sizeof(cert));  /* WIN_CERTIFICATE.dwLength */
        write_le16(cert + 4, 0x0200);     /* wRevision */
        write_le16(cert + 6, 0x0002);     /* WIN_CERT_TYPE_PKCS_SIGNED_DATA */
        tpe_append(&stub, cert, sizeof(cert));
        tpe_set_directory(&stub, PE_DIRECTORY_SECURITY, stub_data_end, sizeof(cert));

        assert_keel(pe_append_plan(stub.data, stub.size, s, 1, &plan), KEEL_OK);
        assert_int_equal(plan.dropped_signature, 1);
        assert_int_equal(plan.dropped_trailing, sizeof(cert));
        check_placement(&plan, s, 1, stub_data_end, stub.image_size, 0x200, 0x1000);
        out = assemble(&plan, s, 1);
        check_output(out, plan.file_size);
        assert_keel(pe_data_directory(&pe, out, plan.file_size, PE_DIRECTORY_SECURITY, &address, &size), KEEL_OK);
        assert_int_equal(address, 0);
        assert_int_equal(size, 0);
        assert_null(memmem(out, plan.file_size, cert, 16));
        free(out);
        pe_append_plan_free(&plan);
        tpe_free(&stub);

        /* Trailing bytes without a certificate table are reported too. */
        stub = tpe_build(PE_SPEC(2));
        tpe_append(&stub, "junk", 4);
        assert_keel(pe_append_plan(stub.data, stub.size, s, 1, &plan), KEEL_OK);
        assert_int_equal(plan.dropped_signature, 0);
        assert_int_equal(plan.dropped_trailing, 4);
        assert_int_equal(plan.placed[0].raw_offset, stub.size - 4);
        pe_append_plan_free(&plan);
        tpe_free(&stub);
}

/* When the section data moves, the debug directory's file pointers move
 * with it. */
static void test_append_shifts_debug_directory(void **state) {
        struct test_pe stub = tpe_build(PE_SPEC(16));
        const struct pe_new_section s[] = { { ".cmdline", 5, false }, { ".linux", 0x1234, false } };
        struct pe_append_plan plan;
        uint32_t s1_va = read_le32(tpe_section_header(&stub, 1) + SH_VIRTUAL_ADDRESS);
        uint32_t s1_raw = read_le32(tpe_section_header(&stub, 1) + SH_RAW_OFFSET);
        uint32_t s2_raw = read_le32(tpe_section_header(&stub, 2) + SH_RAW_OFFSET);
        uint8_t *entry = stub.data + s1_raw + 0x20, *out;
        (void) state;

        /* One IMAGE_DEBUG_DIRECTORY entry in section 1, describing data in section 2. */
        memset(entry, 0, 28);
        write_le32(entry + 12, 2);        /* Type: CodeView */
        write_le32(entry + 16, 0x40);     /* SizeOfData */
        write_le32(entry + 24, s2_raw);   /* PointerToRawData */
        tpe_set_directory(&stub, PE_DIRECTORY_DEBUG, s1_va + 0x20, 28);

        assert_keel(pe_append_plan(stub.data, stub.size, s, 2, &plan), KEEL_OK);
        out = assemble(&plan, s, 2);
        check_output(out, plan.file_size);
        assert_int_equal(pe.size_of_headers, 0x600);
        assert_int_equal(read_le32(out + pe.sections[1].raw_offset + 0x20 + 24), s2_raw + 0x200);
        assert_int_equal(read_le32(out + pe.sections[1].raw_offset + 0x20 + 24), pe.sections[2].raw_offset);
        free(out);
        pe_append_plan_free(&plan);
        tpe_free(&stub);
}

static void test_append_invalid_stub(void **state) {
        struct test_pe stub = tpe_build(PE_SPEC(2));
        const struct pe_new_section s[] = { { ".linux", 0x1234, false } };
        struct pe_append_plan plan;
        (void) state;

        memcpy(stub.data, "ZM", 2);
        assert_keel(pe_append_plan(stub.data, stub.size, s, 1, &plan), KEEL_E_PE_BAD_DOS_MAGIC);
        assert_null(plan.prefix);
        memcpy(stub.data, "MZ", 2);
        /* A stub cut short: its last section's data is missing. */
        assert_keel(pe_append_plan(stub.data, stub.size - 1, s, 1, &plan), KEEL_E_PE_SECTION_OUTSIDE_FILE);
        assert_null(plan.prefix);
        tpe_free(&stub);
}

static void append_to_real_stub(const char *path) {
        const struct pe_new_section s[] = {
                { ".osrel", 40, false }, { ".cmdline", 13, false }, { ".uname", 12, false }, { ".initrd", 4097, false }, { ".linux", 100001, false },
        };
        struct pe_append_plan plan;
        struct uki_sections u;
        struct pe_image stub_pe;
        uint32_t data_end = 0, image_end = 0;
        size_t size;
        uint8_t *stub = slurp(path, &size), *out;

        if (!stub) {
                printf("# %s missing, skipping\n", path);
                skip();
        }
        assert_keel(pe_parse_headers(stub, size, &stub_pe), KEEL_OK);
        for (size_t i = 0; i < stub_pe.number_of_sections; i++) {
                const struct pe_section *x = &stub_pe.sections[i];
                uint32_t vsize = x->virtual_size > x->raw_size ? x->virtual_size : x->raw_size;
                if (x->raw_offset + x->raw_size > data_end)
                        data_end = x->raw_offset + x->raw_size;
                if (x->virtual_address + vsize > image_end)
                        image_end = x->virtual_address + vsize;
        }

        assert_keel(pe_append_plan(stub, size, s, ARRAY_SIZE(s), &plan), KEEL_OK);
        assert_int_equal(plan.n_placed, 5);
        check_placement(&plan, s, ARRAY_SIZE(s), data_end, image_end, stub_pe.file_alignment,
                        stub_pe.section_alignment);
        out = assemble(&plan, s, ARRAY_SIZE(s));
        check_output(out, plan.file_size);
        assert_int_equal(pe.number_of_sections, stub_pe.number_of_sections + 5);
        assert_keel(uki_find_sections(&pe, &u), KEEL_OK);
        assert_true(uki_is_uki(&u));
        assert_int_equal(u.section[UKI_SECTION_LINUX]->virtual_size, 100001);
        assert_non_null(u.section[UKI_SECTION_SBAT]);
        assert_memory_equal(out + u.section[UKI_SECTION_SBAT]->raw_offset, "sbat,1,", 7);
        free(out);
        pe_append_plan_free(&plan);
        free(stub);
}

static void test_append_real_keel_efi(void **state) {
        (void) state;
        append_to_real_stub(KEEL_EFI_PATH);
}

static void test_append_real_systemd_stub(void **state) {
        (void) state;
        append_to_real_stub(SYSTEMD_STUB_PATH);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_checksum_known_values),
                cmocka_unit_test(test_checksum_matches_reference),
                cmocka_unit_test(test_checksum_large),
                cmocka_unit_test(test_checksum_chunked),
                cmocka_unit_test(test_checksum_field_ignored),
                cmocka_unit_test(test_checksum_real_file),
                cmocka_unit_test(test_append_basic),
                cmocka_unit_test(test_append_grows_headers),
                cmocka_unit_test(test_append_no_header_room),
                cmocka_unit_test(test_append_too_many_sections),
                cmocka_unit_test(test_append_drops_certificate),
                cmocka_unit_test(test_append_shifts_debug_directory),
                cmocka_unit_test(test_append_invalid_stub),
                cmocka_unit_test(test_append_real_keel_efi),
                cmocka_unit_test(test_append_real_systemd_stub),
        };
        return cmocka_run_group_tests_name("pe-append", tests, NULL, NULL);
}
