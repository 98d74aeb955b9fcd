/* SPDX-License-Identifier: MIT */
/* PCR 11 events (common/measure.c), the PCR chain math and the PolicyPCR
 * digest (host-tools/pcr/), and key handling for signed policies.
 *
 * Known answers come from the peers, not from keel:
 *  - PCR values: systemd-measure 252 `calculate` over the section files that
 *    tpe_build() writes (content byte j of section i = 0xa5^(17i)^(31j),
 *    0x100+i bytes), e.g. for KAT 1:
 *      systemd-measure calculate --linux=s1 --osrel=s2 --cmdline=s0 --phase=
 *  - PolicyPCR digests: tpm2-tools 5.4 on swtpm, a trial session:
 *      tpm2_startauthsession -S s.ctx
 *      tpm2_policypcr -S s.ctx -l BANK:11 -f VALUE.bin -L policy.bin */
#include "keel-test.h"
#include "pe-builder.h"

#include <unistd.h>

#include <openssl/evp.h>
#include <json-c/json.h>
#include <openssl/pem.h>

#include "common/measure.h"
#include "host-tools/pcr/pcr-policy.h"
#include "host-tools/pcr/pcr-sign.h"
#include "host-tools/pcr/pcr.h"

static void hex_to_bytes(const char *hex, uint8_t *out, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
                out[i] = (uint8_t) v;
        }
}

static void assert_pcr_hex(const struct pcr_value *v, const char *hex) {
        char s[2 * PCR_DIGEST_MAX + 1];
        for (size_t i = 0; i < v->size; i++)
                snprintf(s + 2 * i, 3, "%02x", v->digest[i]);
        s[2 * v->size] = '\0';
        assert_string_equal(s, hex);
}

/* A PE with sections named as given, in this file order; section i holds
 * tpe_content_size(i) bytes of tpe_content_byte(i, j). */
static struct test_pe build_uki(const char *const *names, unsigned n) {
        struct test_pe t = tpe_build(PE_SPEC(n));
        for (unsigned i = 0; i < n; i++)
                tpe_set_name(&t, i, names[i]);
        return t;
}

static int events_of(const struct test_pe *t, enum measure_layout layout, struct measure_event *ev, size_t *n,
                     struct pe_image *pe, struct uki_sections *s) {
        int r = pe_parse_headers(t->data, t->size, pe);
        if (r == KEEL_OK)
                r = uki_find_sections(pe, s);
        if (r == KEEL_OK)
                r = measure_uki_events(s, t->data, t->size, layout, NULL, ev, n);
        return r;
}

/* KAT 1: sections in non-canonical file order are measured in canonical order. */
static void test_predict_matches_systemd_measure(void **state _unused_) {
        static const char *const names[] = { ".cmdline", ".linux", ".osrel" };
        static const char *const want[_PCR_BANK_MAX] = {
                "9c61ac9f162654ebedd661ab65f32ff971015805",
                "f5d1ef56d47b1b693ad45e2763528a58a0fe7e970a8cceb7f3ad4e5afa8863c0",
                "6e46ee48d64fb424e397ddb53ac71e379107a7fbb74ba0d54bec6d8f221dd0b341d36993f27c73701858152c0b403695",
                "a427f745ca85866c67a61b8fb2cd7496a5759ad17a4ac4db80d5eb659288c6e25d973ed53b40c4ab019d935c628d411d4f610c64b78b7ad574b4a23a094647fa",
        };
        struct test_pe t = build_uki(names, 3);
        uint8_t *exact = exact_copy(t.data, t.size);
        struct pcr_value v[_PCR_BANK_MAX];

        assert_int_equal(pcr11_predict_image("test", exact, t.size, PCR_BANK_MASK_ALL, v), 0);
        for (size_t b = 0; b < _PCR_BANK_MAX; b++)
                assert_pcr_hex(&v[b], want[b]);
        free(exact);
        tpe_free(&t);
}

/* A thin UKI (.tlinux naming section 1's bytes of KAT 1) predicts KAT 1,
 * systemd-measure's value for the fat image: the content is measured as
 * .linux in its canonical place. Content of another size, or none, fails. */
static void test_predict_thin_is_fat_twin(void **state _unused_) {
        static const char *const names[] = { ".cmdline", ".tlinux", ".osrel" };
        struct test_pe t = build_uki(names, 3);
        uint32_t size = tpe_content_size(1);
        uint8_t *content = malloc(size), *hdr = tpe_section_header(&t, 1);
        struct measure_thin_content thin = {};
        struct pcr_value v[_PCR_BANK_MAX];
        struct thin_ref ref = {};
        char text[THIN_REF_TEXT_MAX];
        size_t len;

        assert_non_null(content);
        for (uint32_t j = 0; j < size; j++)
                content[j] = tpe_content_byte(1, j);
        assert_int_equal(EVP_Digest(content, size, ref.sha256, NULL, EVP_sha256(), NULL), 1);
        ref.size = size;
        snprintf(ref.path, sizeof(ref.path), "/EFI/keel/content/x.linux");
        len = thin_ref_format(&ref, text, sizeof(text));
        assert_true(len > 0 && len < 0x200);
        /* The ref replaces section 1's bytes; VirtualSize is the text's length. */
        memset(t.data + read_le32(hdr + SH_RAW_OFFSET), 0, read_le32(hdr + SH_RAW_SIZE));
        memcpy(t.data + read_le32(hdr + SH_RAW_OFFSET), text, len);
        write_le32(hdr + SH_VIRTUAL_SIZE, (uint32_t) len);

        thin.linux_data = content;
        thin.linux_size = size;
        assert_int_equal(pcr11_predict_file_thin("test", -1, t.data, t.size, &thin, 1u << PCR_BANK_SHA256, v), 0);
        assert_pcr_hex(&v[PCR_BANK_SHA256], "f5d1ef56d47b1b693ad45e2763528a58a0fe7e970a8cceb7f3ad4e5afa8863c0");
        thin.linux_size = size - 1;
        assert_int_equal(pcr11_predict_file_thin("test", -1, t.data, t.size, &thin, 1u << PCR_BANK_SHA256, v), -1);
        assert_int_equal(pcr11_predict_file_thin("test", -1, t.data, t.size, NULL, 1u << PCR_BANK_SHA256, v), -1);
        assert_int_equal(pcr11_predict_image("test", t.data, t.size, 1u << PCR_BANK_SHA256, v), -1);
        free(content);
        tpe_free(&t);
}

/* The same image read with pread() (what `keel pcr predict` does); a file
 * that shrank under the mapping fails instead of hashing short data. */
static void test_predict_file(void **state _unused_) {
        static const char *const names[] = { ".cmdline", ".linux", ".osrel" };
        struct test_pe t = build_uki(names, 3);
        char path[] = "/tmp/keel-test-pcr-XXXXXX";
        int fd = mkstemp(path);
        struct pcr_value v[_PCR_BANK_MAX];

        assert_true(fd >= 0);
        assert_int_equal(write(fd, t.data, t.size), (ssize_t) t.size);
        assert_int_equal(pcr11_predict_file("test", fd, t.data, t.size, 1u << PCR_BANK_SHA256, v), 0);
        assert_pcr_hex(&v[PCR_BANK_SHA256], "f5d1ef56d47b1b693ad45e2763528a58a0fe7e970a8cceb7f3ad4e5afa8863c0");
        /* Into the last section's contents (.osrel, 258 bytes in a 0x200-byte slot). */
        assert_int_equal(ftruncate(fd, (off_t) t.size - 0x200 + 100), 0);
        assert_int_equal(pcr11_predict_file("test", fd, t.data, t.size, 1u << PCR_BANK_SHA256, v), -1);
        close(fd);
        unlink(path);
        tpe_free(&t);
}

/* KAT 2: with .pcrpkey and the phases systemd-pcrphase adds. */
static void test_predict_pcrpkey_and_phases(void **state _unused_) {
        static const char *const names[] = { ".cmdline", ".linux", ".osrel", ".pcrpkey", ".pcrsig" };
        struct test_pe t = build_uki(names, 5);
        struct pcr_value v[_PCR_BANK_MAX], p;

        assert_int_equal(pcr11_predict_image("test", t.data, t.size, 1u << PCR_BANK_SHA256, v), 0);
        /* .pcrsig (section 4) is never measured: this is systemd-measure's value without it. */
        assert_pcr_hex(&v[PCR_BANK_SHA256], "951158b896b7432a17aa462cde3c6c82fd18fa796e9bc4cb2e21b705fde8566a");
        p = v[PCR_BANK_SHA256];
        assert_int_equal(pcr_extend_phase(&p, "enter-initrd:leave-initrd"), 0);
        assert_pcr_hex(&p, "7c416257f4708ece9d97387c29bf4f4dd9996256256df45eb36374f697571d1f");
        /* Empty words do not count, as in systemd-measure. */
        p = v[PCR_BANK_SHA256];
        assert_int_equal(pcr_extend_phase(&p, ":enter-initrd::leave-initrd:"), 0);
        assert_pcr_hex(&p, "7c416257f4708ece9d97387c29bf4f4dd9996256256df45eb36374f697571d1f");
        tpe_free(&t);
}

/* The chain by hand (two extends: name with NUL, then contents) against
 * systemd-measure calculate --linux=s1 --phase= --bank=sha1 --bank=sha256. */
static void test_chain_math(void **state _unused_) {
        static const char *const names[] = { ".other", ".linux" };
        struct test_pe t = build_uki(names, 2);
        struct pcr_value by_hand, predicted[_PCR_BANK_MAX];
        struct pe_image pe;

        assert_keel(pe_parse_headers(t.data, t.size, &pe), KEEL_OK);
        pcr_value_init(&by_hand, PCR_BANK_SHA1);
        assert_int_equal(pcr_extend_data(&by_hand, ".linux", 7), 0);
        assert_int_equal(pcr_extend_data(&by_hand, t.data + pe.sections[1].raw_offset, tpe_content_size(1)), 0);
        assert_pcr_hex(&by_hand, "a94d8e9ceed392fbc399068900895c135c0228b2");
        assert_int_equal(pcr11_predict_image("test", t.data, t.size, (1u << PCR_BANK_SHA1) | (1u << PCR_BANK_SHA256),
                                             predicted),
                         0);
        assert_pcr_hex(&predicted[PCR_BANK_SHA1], "a94d8e9ceed392fbc399068900895c135c0228b2");
        assert_pcr_hex(&predicted[PCR_BANK_SHA256], "398e43c458326a08040401cf1adeeb566a0ae8a47f67652609e9b1c14ce32da6");
        /* Banks not asked for stay zero. */
        assert_int_equal(predicted[PCR_BANK_SHA512].digest[0] | predicted[PCR_BANK_SHA512].digest[63], 0);
        tpe_free(&t);
}

static void test_events_order_and_bytes(void **state _unused_) {
        static const char *const names[] = { ".pcrpkey", ".sbat", ".pcrsig", ".uname", ".initrd", ".linux", ".ucode",
                                             ".dtb", ".splash", ".osrel", ".cmdline", ".other" };
        static const char *const order[] = { ".linux", ".osrel", ".cmdline", ".initrd", ".ucode", ".splash",
                                             ".dtb",   ".uname", ".sbat",    ".pcrpkey" };
        struct test_pe t = build_uki(names, 12);
        struct measure_event ev[MEASURE_UKI_EVENTS_MAX];
        struct uki_sections s;
        struct pe_image pe;
        size_t n;

        assert_keel(events_of(&t, MEASURE_LAYOUT_FILE, ev, &n, &pe, &s), KEEL_OK);
        assert_int_equal(n, 2 * ARRAY_SIZE(order));
        for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
                const struct pe_section *sec = s.section[ev[2 * k + 1].section];
                assert_int_equal(ev[2 * k].pcr, 11);
                assert_string_equal(ev[2 * k].description, order[k]);
                assert_string_equal(ev[2 * k + 1].description, order[k]);
                assert_int_equal(ev[2 * k].size, strlen(order[k]) + 1);
                assert_memory_equal(ev[2 * k].data, order[k], strlen(order[k]) + 1);
                assert_ptr_equal(ev[2 * k + 1].data, t.data + sec->raw_offset);
                assert_int_equal(ev[2 * k + 1].size, sec->virtual_size);
                assert_int_equal(ev[2 * k + 1].zero_tail, 0);
        }
        tpe_free(&t);
}

static void test_events_memory_layout(void **state _unused_) {
        static const char *const names[] = { ".osrel", ".linux" };
        struct test_pe t = build_uki(names, 2);
        struct measure_event ev[MEASURE_UKI_EVENTS_MAX];
        uint8_t *mem = calloc(1, t.image_size);
        struct uki_sections s;
        struct pe_image pe;
        size_t n;

        assert_non_null(mem);
        assert_keel(pe_parse_headers(t.data, t.size, &pe), KEEL_OK);
        memcpy(mem, t.data, t.headers);
        for (unsigned i = 0; i < 2; i++)
                memcpy(mem + pe.sections[i].virtual_address, t.data + pe.sections[i].raw_offset,
                       pe.sections[i].virtual_size);
        assert_keel(uki_find_sections(&pe, &s), KEEL_OK);
        assert_keel(measure_uki_events(&s, mem, t.image_size, MEASURE_LAYOUT_MEMORY, NULL, ev, &n), KEEL_OK);
        assert_int_equal(n, 4);
        assert_string_equal(ev[1].description, ".linux");
        assert_ptr_equal(ev[1].data, mem + pe.sections[1].virtual_address);
        /* A loaded image one byte too short for .linux. */
        assert_keel(measure_uki_events(&s, mem, pe.sections[1].virtual_address + pe.sections[1].virtual_size - 1,
                                       MEASURE_LAYOUT_MEMORY, NULL, ev, &n),
                    KEEL_E_MEASURE_SECTION_OUTSIDE_BUFFER);
        assert_int_equal(n, 0);
        free(mem);
        tpe_free(&t);
}

/* VirtualSize beyond the raw data reads as zeros (the loader's fill); an
 * empty section counts as absent, as in systemd-stub. One with VirtualSize 0
 * but raw data is refused: the firmware would load those bytes, and a
 * measurement that left them out would describe another image. */
static void test_events_zero_tail_and_empty(void **state _unused_) {
        static const char *const names[] = { ".linux", ".osrel", ".cmdline" };
        struct test_pe t = build_uki(names, 3);
        struct measure_event ev[MEASURE_UKI_EVENTS_MAX];
        struct uki_sections s;
        struct pe_image pe;
        struct pcr_value v[_PCR_BANK_MAX], by_hand;
        uint8_t *padded;
        size_t n;

        /* .osrel: raw 0x200 bytes, VirtualSize 0x300 (fits: SectionAlignment 0x1000). */
        write_le32(tpe_section_header(&t, 1) + SH_VIRTUAL_SIZE, 0x300);
        write_le32(tpe_section_header(&t, 2) + SH_VIRTUAL_SIZE, 0);
        assert_keel(events_of(&t, MEASURE_LAYOUT_FILE, ev, &n, &pe, &s), KEEL_E_PE_SECTION_HIDDEN_DATA);
        write_le32(tpe_section_header(&t, 2) + SH_RAW_SIZE, 0);
        write_le32(tpe_section_header(&t, 2) + SH_RAW_OFFSET, 0);
        assert_keel(events_of(&t, MEASURE_LAYOUT_FILE, ev, &n, &pe, &s), KEEL_OK);
        assert_int_equal(n, 4);
        assert_string_equal(ev[3].description, ".osrel");
        assert_int_equal(ev[3].size, 0x200);
        assert_int_equal(ev[3].zero_tail, 0x100);

        assert_int_equal(pcr_replay_events(ev, n, 1u << PCR_BANK_SHA256, v), 0);
        padded = calloc(1, 0x300);
        assert_non_null(padded);
        memcpy(padded, t.data + pe.sections[1].raw_offset, 0x200);
        pcr_value_init(&by_hand, PCR_BANK_SHA256);
        assert_int_equal(pcr_extend_data(&by_hand, ".linux", 7), 0);
        assert_int_equal(pcr_extend_data(&by_hand, t.data + pe.sections[0].raw_offset, tpe_content_size(0)), 0);
        assert_int_equal(pcr_extend_data(&by_hand, ".osrel", 7), 0);
        assert_int_equal(pcr_extend_data(&by_hand, padded, 0x300), 0);
        assert_memory_equal(by_hand.digest, v[PCR_BANK_SHA256].digest, 32);
        free(padded);
        tpe_free(&t);
}

/* A section with no bytes in the file is all zero fill: where its
 * PointerToRawData points does not matter (pe_check_file_layout() ignores it
 * too), so `keel pcr predict` accepts what `keel uki build` wrote from such a
 * stub (found by fuzz-pe-append). */
static void test_events_no_file_data(void **state _unused_) {
        static const char *const names[] = { ".linux", ".sbat" };
        struct test_pe t = build_uki(names, 2);
        struct measure_event ev[MEASURE_UKI_EVENTS_MAX];
        struct uki_sections s;
        struct pe_image pe;
        size_t n;

        write_le32(tpe_section_header(&t, 1) + SH_RAW_SIZE, 0);
        write_le32(tpe_section_header(&t, 1) + SH_RAW_OFFSET, 0x7fff0000);
        assert_keel(events_of(&t, MEASURE_LAYOUT_FILE, ev, &n, &pe, &s), KEEL_OK);
        assert_int_equal(n, 4);
        assert_string_equal(ev[3].description, ".sbat");
        assert_int_equal(ev[3].size, 0);
        assert_int_equal(ev[3].zero_tail, tpe_content_size(1));
        tpe_free(&t);
}

static void test_no_linux(void **state _unused_) {
        static const char *const names[] = { ".osrel", ".cmdline" };
        struct test_pe t = build_uki(names, 2);
        struct measure_event ev[MEASURE_UKI_EVENTS_MAX];
        struct pcr_value v[_PCR_BANK_MAX];
        struct uki_sections s;
        struct pe_image pe;
        size_t n = 99;

        assert_keel(events_of(&t, MEASURE_LAYOUT_FILE, ev, &n, &pe, &s), KEEL_E_UKI_NO_LINUX);
        assert_int_equal(n, 0);
        assert_int_equal(pcr11_predict_image("test", t.data, t.size, PCR_BANK_MASK_ALL, v), -1);
        tpe_free(&t);
}

static void test_hostile_images(void **state _unused_) {
        static const char *const names[] = { ".linux", ".initrd" };
        struct test_pe t = build_uki(names, 2);
        struct pcr_value v[_PCR_BANK_MAX];
        uint8_t *exact;

        /* Truncated file: .initrd's raw data past the end. */
        for (size_t cut = 0; cut < t.size; cut += 97) {
                exact = exact_copy(t.data, cut);
                assert_int_equal(pcr11_predict_image("test", exact, cut, PCR_BANK_MASK_ALL, v), -1);
                free(exact);
        }
        /* Raw data pointing far outside the file. */
        write_le32(tpe_section_header(&t, 1) + SH_RAW_OFFSET, 0xfffffe00u);
        exact = exact_copy(t.data, t.size);
        assert_int_equal(pcr11_predict_image("test", exact, t.size, PCR_BANK_MASK_ALL, v), -1);
        free(exact);
        /* Two .linux sections. */
        tpe_set_name(&t, 1, ".linux");
        write_le32(tpe_section_header(&t, 1) + SH_RAW_OFFSET, t.headers + 0x200);
        assert_int_equal(pcr11_predict_image("test", t.data, t.size, PCR_BANK_MASK_ALL, v), -1);
        tpe_free(&t);
}

static void test_banks(void **state _unused_) {
        enum pcr_bank b;
        unsigned mask = 0;

        assert_int_equal(pcr_bank_from_string("sha256", &b), 0);
        assert_int_equal(b, PCR_BANK_SHA256);
        assert_int_equal(pcr_bank_from_string("SHA384", &b), 0);
        assert_int_equal(b, PCR_BANK_SHA384);
        assert_int_equal(pcr_bank_from_string("md5", &b), -1);
        assert_int_equal(pcr_bank_from_string("sha224", &b), -1);
        assert_int_equal(pcr_bank_from_string("", &b), -1);
        assert_int_equal(pcr_bank_mask_parse("sha1,sha512", &mask), 0);
        assert_int_equal(mask, (1u << PCR_BANK_SHA1) | (1u << PCR_BANK_SHA512));
        mask = 0;
        assert_int_equal(pcr_bank_mask_parse(",", &mask), -1);
        mask = 0;
        assert_int_equal(pcr_bank_mask_parse("sha256,sm3", &mask), -1);
        /* ukify --pcr-banks: white space or commas, a trailing comma. */
        mask = 0;
        assert_int_equal(pcr_bank_mask_parse("sha384 sha512,\tsha1,", &mask), 0);
        assert_int_equal(mask, (1u << PCR_BANK_SHA1) | (1u << PCR_BANK_SHA384) | (1u << PCR_BANK_SHA512));
        /* A list naming no bank is refused even when earlier lists named some. */
        assert_int_equal(pcr_bank_mask_parse(" , ", &mask), -1);
        assert_int_equal(pcr_bank_digest_size(PCR_BANK_SHA384), 48);
        assert_int_equal(pcr_bank_tpm_alg(PCR_BANK_SHA1), 0x0004);
        assert_int_equal(pcr_bank_tpm_alg(PCR_BANK_SHA512), 0x000d);
}

static void test_phase_normalize(void **state _unused_) {
        static const char *const cases[][2] = {
                { "", "" }, { ":", "" }, { "::enter-initrd:", "enter-initrd" }, { "a::b", "a:b" }, { "a:b", "a:b" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
                char *s = pcr_phase_normalize(cases[i][0]);
                assert_non_null(s);
                assert_string_equal(s, cases[i][1]);
                free(s);
        }
}

static void test_selection_encoding(void **state _unused_) {
        static const uint8_t want[PCR_SELECTION_ENCODED_SIZE] = { 0, 0, 0, 1, 0x00, 0x0b, 3, 0x00, 0x08, 0x00 };
        uint8_t out[PCR_SELECTION_ENCODED_SIZE];

        assert_int_equal(pcr_selection_encode(PCR_BANK_SHA256, 11, out), 0);
        assert_memory_equal(out, want, sizeof(want));
        assert_int_equal(pcr_selection_encode(PCR_BANK_SHA1, 0, out), 0);
        assert_int_equal(out[5], 0x04);
        assert_int_equal(out[7], 0x01);
        assert_int_equal(pcr_selection_encode(PCR_BANK_SHA1, 23, out), 0);
        assert_int_equal(out[9], 0x80);
        assert_int_equal(pcr_selection_encode(PCR_BANK_SHA1, 24, out), -1);
        assert_int_equal(pcr_selection_encode(_PCR_BANK_MAX, 11, out), -1);
}

static void test_policy_digest_kat(void **state _unused_) {
        static const struct {
                enum pcr_bank bank;
                const char *value, *policy;
        } kat[] = {
                { PCR_BANK_SHA1, "9c61ac9f162654ebedd661ab65f32ff971015805",
                  "e6414e1bd8dca62a96b97d81e798bfaa873c38bee96bd27b32f04db87594de1f" },
                { PCR_BANK_SHA256, "f5d1ef56d47b1b693ad45e2763528a58a0fe7e970a8cceb7f3ad4e5afa8863c0",
                  "410b020e92401d9b49319a72376441b5ab1826f78002bb9b5f4323b966d7f05d" },
                { PCR_BANK_SHA384,
                  "6e46ee48d64fb424e397ddb53ac71e379107a7fbb74ba0d54bec6d8f221dd0b341d36993f27c73701858152c0b403695",
                  "476c6e06ab0ebe8c623f2672384b50743867bef304a33f2819d09dc51c9fd8e1" },
                { PCR_BANK_SHA512,
                  "a427f745ca85866c67a61b8fb2cd7496a5759ad17a4ac4db80d5eb659288c6e25d973ed53b40c4ab019d935c628d411d4f610c64b78b7ad574b4a23a094647fa",
                  "549b8cadba51e0d3c47bcc01ace70db9a20d23459bb12987ec66968fec22a171" },
                { PCR_BANK_SHA256, "0000000000000000000000000000000000000000000000000000000000000000",
                  "fd32fa22c52cfc8e1a0c29eb38519f87084cab0b04b0d8f020a4d38b2f4e223e" },
        };
        for (size_t i = 0; i < ARRAY_SIZE(kat); i++) {
                struct pcr_value v;
                uint8_t want[32], got[32];

                pcr_value_init(&v, kat[i].bank);
                hex_to_bytes(kat[i].value, v.digest, v.size);
                hex_to_bytes(kat[i].policy, want, 32);
                assert_int_equal(pcr_policy_digest(&v, 11, got), 0);
                assert_memory_equal(got, want, 32);
        }
}

/* Keys written to a temporary directory for the loaders under test. */
struct keydir {
        char dir[64];
        char path[10][128];
};

static const char *write_key(struct keydir *k, unsigned slot, const char *name, EVP_PKEY *key, bool public_only,
                             const char *passphrase) {
        char dir[sizeof(k->dir)];
        FILE *f;


        memcpy(dir, k->dir, sizeof(dir));
        snprintf(k->path[slot], sizeof(k->path[slot]), "%s/%s", dir, name);
        f = fopen(k->path[slot], "w");
        assert_non_null(f);
        if (public_only)
                assert_int_equal(PEM_write_PUBKEY(f, key), 1);
        else if (passphrase)
                assert_int_equal(PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(), (unsigned char *) passphrase,
                                                      (int) strlen(passphrase), NULL, NULL),
                                 1);
        else
                assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
        fclose(f);
        return k->path[slot];
}

static void test_keys(void **state _unused_) {
        EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
        EVP_PKEY *rsa2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
        EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 1024);
        EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        struct keydir k = {};
        struct pcr_signer s;
        struct uki_pcr_signing u;
        const char *priv, *pub, *pub2, *garbage;
        FILE *f;

        assert_non_null(rsa);
        assert_non_null(rsa2);
        assert_non_null(small);
        assert_non_null(ec);
        assert_non_null(ed);
        snprintf(k.dir, sizeof(k.dir), "/tmp/keel-test-pcr-XXXXXX");
        assert_non_null(mkdtemp(k.dir));
        priv = write_key(&k, 0, "priv.pem", rsa, false, NULL);
        pub = write_key(&k, 1, "pub.pem", rsa, true, NULL);
        pub2 = write_key(&k, 2, "pub2.pem", rsa2, true, NULL);
        snprintf(k.path[3], sizeof(k.path[3]), "%s/garbage.pem", k.dir);
        garbage = k.path[3];
        f = fopen(garbage, "w");
        assert_non_null(f);
        fputs("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n", f);
        fclose(f);

        assert_int_equal(pcr_signer_load(priv, NULL, &s), 0);
        pcr_signer_done(&s);
        assert_int_equal(pcr_signer_load(priv, pub, &s), 0);
        pcr_signer_done(&s);
        /* A public key that is not the private key's pair. */
        assert_int_equal(pcr_signer_load(priv, pub2, &s), -1);
        /* Missing, garbage, a public key where a private one belongs, encrypted. */
        assert_int_equal(pcr_signer_load("/nonexistent/key.pem", NULL, &s), -1);
        assert_int_equal(pcr_signer_load(garbage, NULL, &s), -1);
        assert_int_equal(pcr_signer_load(pub, NULL, &s), -1);
        assert_int_equal(pcr_signer_load(write_key(&k, 4, "enc.pem", rsa, false, "secret"), NULL, &s), -1);
        /* Not RSA, or too short. */
        assert_int_equal(pcr_signer_load(write_key(&k, 5, "ec.pem", ec, false, NULL), NULL, &s), -1);
        assert_int_equal(pcr_signer_load(write_key(&k, 6, "ed.pem", ed, false, NULL), NULL, &s), -1);
        assert_int_equal(pcr_signer_load(write_key(&k, 7, "small.pem", small, false, NULL), NULL, &s), -1);
        assert_int_equal(pcr_signer_load(priv, write_key(&k, 8, "ecpub.pem", ec, true, NULL), &s), -1);

        /* uki build: a .pcrpkey that does not verify the .pcrsig is refused. */
        assert_int_equal(uki_pcr_signing_prepare(pub2, priv, NULL, &u), -1);
        assert_int_equal(uki_pcr_signing_prepare(garbage, NULL, NULL, &u), -1);
        assert_int_equal(uki_pcr_signing_prepare(pub, priv, NULL, &u), 0);
        assert_true(u.sign);
        assert_true(u.pcrsig_size > 0);
        assert_int_equal(strlen(u.pcrsig_placeholder), u.pcrsig_size);
        /* ukify's defaults: four banks, four phases, no policy reference. */
        assert_non_null(strstr(u.pcrsig_placeholder, "\"sha1\""));
        assert_non_null(strstr(u.pcrsig_placeholder, "\"sha512\""));
        assert_null(strstr(u.pcrsig_placeholder, "\"ref\""));
        assert_int_equal(u.n_groups, 1);
        uki_pcr_signing_done(&u);
        /* --pcr-banks sha256 --sign-initrd-pcrs: room for the initrd entry too. */
        assert_int_equal(uki_pcr_signing_prepare(
                                 pub, priv, &(struct pcr_uki_options) { .bank_mask = 1u << PCR_BANK_SHA256, .sign_initrd = true },
                                 &u),
                         0);
        assert_null(strstr(u.pcrsig_placeholder, "\"sha1\""));
        assert_non_null(strstr(u.pcrsig_placeholder, "\"ref\":\"initrd\""));
        assert_int_equal(u.n_groups, 2);
        uki_pcr_signing_done(&u);
        /* Without --pcrpkey the public key is derived. */
        assert_int_equal(uki_pcr_signing_prepare(NULL, priv, NULL, &u), 0);
        assert_non_null(strstr(u.pcrpkey, "-----BEGIN PUBLIC KEY-----"));
        uki_pcr_signing_done(&u);

        for (unsigned i = 0; i < ARRAY_SIZE(k.path); i++)
                if (k.path[i][0])
                        unlink(k.path[i]);
        assert_int_equal(rmdir(k.dir), 0);
        EVP_PKEY_free(rsa);
        EVP_PKEY_free(rsa2);
        EVP_PKEY_free(small);
        EVP_PKEY_free(ec);
        EVP_PKEY_free(ed);
}

/* What TPM2_PolicyAuthorize has the TPM check, computed here with OpenSSL
 * alone: SHA-256 over pol, followed by SHA-256(ref) when there is a
 * reference (systemd-measure 262; `openssl pkeyutl -verifyrecover` of its
 * signatures shows this digest). */
static bool signature_verifies(EVP_PKEY *key, const char *sig_b64, const uint8_t pol[32], const char *ref) {
        unsigned char sig[512], tbs[64];
        size_t b64_len = strlen(sig_b64), tbs_size = 32;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int n;
        bool ok;

        assert_non_null(ctx);
        assert_true(b64_len <= 4 * sizeof(sig) / 3);
        n = EVP_DecodeBlock(sig, (const unsigned char *) sig_b64, (int) b64_len);
        /* EVP_DecodeBlock counts the "=" padding as zero bytes. */
        while (b64_len > 0 && sig_b64[b64_len - 1] == '=') {
                b64_len--;
                n--;
        }
        assert_int_equal(n, EVP_PKEY_get_size(key));
        memcpy(tbs, pol, 32);
        if (ref) {
                assert_int_equal(EVP_Digest(ref, strlen(ref), tbs + 32, NULL, EVP_sha256(), NULL), 1);
                tbs_size = 64;
        }
        assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
        ok = EVP_DigestVerify(ctx, sig, (size_t) n, tbs, tbs_size) == 1;
        EVP_MD_CTX_free(ctx);
        return ok;
}

static void pcr_sign_fixture(struct keydir *k, EVP_PKEY **ret_key, struct pcr_signer *ret_signer,
                             struct pcr_value base[_PCR_BANK_MAX]) {
        *ret_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
        assert_non_null(*ret_key);
        snprintf(k->dir, sizeof(k->dir), "/tmp/keel-test-pcr-XXXXXX");
        assert_non_null(mkdtemp(k->dir));
        assert_int_equal(pcr_signer_load(write_key(k, 0, "priv.pem", *ret_key, false, NULL), NULL, ret_signer), 0);
        for (size_t b = 0; b < _PCR_BANK_MAX; b++) {
                pcr_value_init(&base[b], (enum pcr_bank) b);
                memset(base[b].digest, 0x11 * (int) (b + 1), base[b].size);
        }
}

static void pcr_sign_fixture_done(struct keydir *k, EVP_PKEY *key, struct pcr_signer *s) {
        pcr_signer_done(s);
        unlink(k->path[0]);
        assert_int_equal(rmdir(k->dir), 0);
        EVP_PKEY_free(key);
}

/* Every bank's entries, in systemd-measure 262's member order, signed with
 * SHA-256 whatever the bank; ukify 262's initrd group follows the phases. */
static void test_sign_json_verifies(void **state _unused_) {
        static const char *const phases[] = { "", "enter-initrd" };
        static const char *const member_order[] = { "pcrs", "pkfp", "ref", "pol", "sig" };
        const struct pcr_policy_group groups[] = {
                { phases, 2, NULL },
                { pcr_initrd_phases, 1, PCR_INITRD_POLICYREF },
        };
        struct keydir k = {};
        struct pcr_signer s;
        struct pcr_value base[_PCR_BANK_MAX];
        EVP_PKEY *rsa;
        json_object *root;
        char *json = NULL;
        size_t size;

        pcr_sign_fixture(&k, &rsa, &s, base);
        assert_int_equal(pcr_sign_json(&s, base, PCR_BANK_MASK_ALL, groups, 2, &json, &size), 0);
        assert_int_equal(strlen(json), size);
        root = json_tokener_parse(json);
        assert_non_null(root);
        assert_int_equal(json_object_object_length(root), _PCR_BANK_MAX);
        for (size_t b = 0; b < _PCR_BANK_MAX; b++) {
                json_object *array;

                assert_true(json_object_object_get_ex(root, pcr_bank_name((enum pcr_bank) b), &array));
                assert_int_equal(json_object_array_length(array), 3);
                for (size_t i = 0; i < 3; i++) {
                        json_object *e = json_object_array_get_idx(array, i), *v;
                        const char *ref = i == 2 ? "initrd" : NULL;
                        struct pcr_value after = base[b];
                        uint8_t pol[32];
                        char pol_hex[65];
                        size_t m = 0;

                        assert_int_equal(pcr_extend_phase(&after, i == 0 ? "" : "enter-initrd"), 0);
                        assert_int_equal(pcr_policy_digest(&after, 11, pol), 0);
                        for (size_t x = 0; x < 32; x++)
                                snprintf(pol_hex + 2 * x, 3, "%02x", pol[x]);
                        json_object_object_foreach(e, key, val) {
                                (void) val;
                                if (!ref && m == 2)
                                        m++; /* no "ref" member without a reference */
                                assert_true(m < ARRAY_SIZE(member_order));
                                assert_string_equal(key, member_order[m++]);
                        }
                        assert_int_equal(m, ARRAY_SIZE(member_order));
                        assert_true(json_object_object_get_ex(e, "pol", &v));
                        assert_string_equal(json_object_get_string(v), pol_hex);
                        if (ref) {
                                assert_true(json_object_object_get_ex(e, "ref", &v));
                                assert_string_equal(json_object_get_string(v), ref);
                        }
                        assert_true(json_object_object_get_ex(e, "sig", &v));
                        assert_true(signature_verifies(rsa, json_object_get_string(v), pol, ref));
                        /* The same signature over pol alone, or with another reference, does not verify. */
                        assert_false(signature_verifies(rsa, json_object_get_string(v), pol, ref ? NULL : "initrd"));
                }
        }
        json_object_put(root);
        free(json);

        /* One bank only: the others are absent. */
        assert_int_equal(pcr_sign_json(&s, base, 1u << PCR_BANK_SHA384, groups, 1, &json, &size), 0);
        assert_null(strstr(json, "sha256"));
        assert_non_null(strstr(json, "\"sha384\""));
        free(json);
        pcr_sign_fixture_done(&k, rsa, &s);
}

/* ukify merges its systemd-measure runs without repeating an entry: a group
 * that already signs enter-initrd for "initrd" makes the initrd group's
 * entry a repeat; the same phase without a reference is not one. */
static void test_sign_json_merges_like_ukify(void **state _unused_) {
        static const char *const enter[] = { "enter-initrd" };
        const struct pcr_policy_group same[] = {
                { enter, 1, "initrd" },
                { pcr_initrd_phases, 1, PCR_INITRD_POLICYREF },
        };
        const struct pcr_policy_group differ[] = {
                { enter, 1, "" },
                { pcr_initrd_phases, 1, PCR_INITRD_POLICYREF },
        };
        struct pcr_policy_group uki[PCR_UKI_GROUPS_MAX];
        struct keydir k = {};
        struct pcr_signer s;
        struct pcr_value base[_PCR_BANK_MAX];
        EVP_PKEY *rsa;
        json_object *root, *array;
        char *json = NULL;
        size_t size;

        pcr_sign_fixture(&k, &rsa, &s, base);
        assert_int_equal(pcr_sign_json(&s, base, 1u << PCR_BANK_SHA256, same, 2, &json, &size), 0);
        root = json_tokener_parse(json);
        assert_true(json_object_object_get_ex(root, "sha256", &array));
        assert_int_equal(json_object_array_length(array), 1);
        json_object_put(root);
        free(json);
        assert_int_equal(pcr_sign_json(&s, base, 1u << PCR_BANK_SHA256, differ, 2, &json, &size), 0);
        root = json_tokener_parse(json);
        assert_true(json_object_object_get_ex(root, "sha256", &array));
        assert_int_equal(json_object_array_length(array), 2);
        json_object_put(root);
        free(json);

        /* What ukify 262 build signs: the four default phases, then (with
         * --sign-initrd-pcrs) enter-initrd for "initrd". */
        assert_int_equal(pcr_uki_policy_groups(false, uki), 1);
        assert_int_equal(uki[0].n_phases, 4);
        assert_null(uki[0].policyref);
        assert_string_equal(uki[0].phases[3], "enter-initrd:leave-initrd:sysinit:ready");
        assert_int_equal(pcr_uki_policy_groups(true, uki), 2);
        assert_int_equal(uki[1].n_phases, 1);
        assert_string_equal(uki[1].phases[0], "enter-initrd");
        assert_string_equal(uki[1].policyref, "initrd");
        pcr_sign_fixture_done(&k, rsa, &s);
}

static void test_policyref_check(void **state _unused_) {
        static const char *const good[] = { "", "initrd", "luks-root", "a b/c\"d\\e", "\xc3\xbc" "ber", "\xf0\x9f\x94\x91" };
        static const char *const bad[] = {
                "in\x01itrd", "tab\there", "del\x7f", "\xff", "\xc0\xaf" /* overlong '/' */,
                "\xed\xa0\x80" /* a surrogate */, "cut \xe2\x82", "\xf4\x90\x80\x80" /* above U+10FFFF */,
        };
        char longest[PCR_POLICYREF_MAX + 2];

        for (size_t i = 0; i < ARRAY_SIZE(good); i++)
                assert_int_equal(pcr_policyref_check("test", good[i]), 0);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
                assert_int_equal(pcr_policyref_check("test", bad[i]), -1);
        memset(longest, 'r', sizeof(longest) - 2);
        longest[sizeof(longest) - 2] = '\0';
        assert_int_equal(pcr_policyref_check("test", longest), 0);
        longest[sizeof(longest) - 2] = 'r';
        longest[sizeof(longest) - 1] = '\0';
        assert_int_equal(pcr_policyref_check("test", longest), -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_predict_matches_systemd_measure),
                cmocka_unit_test(test_predict_file),
                cmocka_unit_test(test_predict_pcrpkey_and_phases),
                cmocka_unit_test(test_chain_math),
                cmocka_unit_test(test_events_order_and_bytes),
                cmocka_unit_test(test_events_memory_layout),
                cmocka_unit_test(test_events_zero_tail_and_empty),
                cmocka_unit_test(test_events_no_file_data),
                cmocka_unit_test(test_no_linux),
                cmocka_unit_test(test_hostile_images),
                cmocka_unit_test(test_banks),
                cmocka_unit_test(test_phase_normalize),
                cmocka_unit_test(test_selection_encoding),
                cmocka_unit_test(test_policy_digest_kat),
                cmocka_unit_test(test_keys),
                cmocka_unit_test(test_sign_json_verifies),
                cmocka_unit_test(test_sign_json_merges_like_ukify),
                cmocka_unit_test(test_policyref_check),
                cmocka_unit_test(test_predict_thin_is_fat_twin),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
