/* SPDX-License-Identifier: MIT */
/* Multi-profile UKIs (common/uki.c, common/entries.c). The expected section
 * sets follow systemd's pe_locate_profile_sections() (src/boot/pe.c, read
 * for the rule, not the code): the base is every section before the first
 * .profile; profile N adds the sections from the (N+1)th .profile up to the
 * next one, overriding the base; profile 0 of an image without .profile is
 * the base. The "@N" prefix follows systemd-stub 257's
 * parse_profile_from_cmdline(): '@', decimal digits up to UINT_MAX, then
 * the end or one space, which is dropped. Entry IDs and titles follow
 * systemd-boot 257's boot_entry_add_type2(). */
#include "keel-test.h"

#include "common/entries.h"
#include "common/uki.h"

/* A section table of names (each section 0x100 bytes; uki_find_profile_sections()
 * reads nothing else but whether a thin UKI's .linux is empty). */
static struct pe_image *image_of(const char *const *names) {
        struct pe_image *pe = calloc(1, sizeof(*pe));

        assert_non_null(pe);
        for (; *names; names++) {
                assert_true(pe->number_of_sections < PE_MAX_SECTIONS);
                snprintf(pe->sections[pe->number_of_sections].name, sizeof(pe->sections[0].name), "%s", *names);
                pe->sections[pe->number_of_sections].virtual_address = 0x1000u * (pe->number_of_sections + 1);
                pe->sections[pe->number_of_sections].virtual_size = 0x100;
                pe->sections[pe->number_of_sections].raw_size = 0x200;
                pe->number_of_sections++;
        }
        return pe;
}

/* The index in the table of the section the lookup chose for which, or -1. */
static int chosen(const struct pe_image *pe, const struct uki_sections *u, enum uki_section which) {
        return u->section[which] ? (int) (u->section[which] - pe->sections) : -1;
}

static void test_no_profiles(void **state) {
        static const char *const t[] = { ".text", ".linux", ".osrel", ".cmdline", NULL };
        struct pe_image *pe = image_of(t);
        struct uki_sections u;

        (void) state;
        assert_int_equal(uki_count_profiles(pe), 0);
        assert_keel(uki_find_profile_sections(pe, 0, &u), KEEL_OK);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_LINUX), 1);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_CMDLINE), 3);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_PROFILE), -1);
        assert_keel(uki_find_profile_sections(pe, 1, &u), KEEL_E_UKI_NO_SUCH_PROFILE);
        assert_keel(uki_find_profile_sections(pe, 255, &u), KEEL_E_UKI_NO_SUCH_PROFILE);
        /* A section twice in a UKI without profiles is refused as before. */
        free(pe);
        pe = image_of((const char *const[]) { ".linux", ".cmdline", ".cmdline", NULL });
        assert_keel(uki_find_sections(pe, &u), KEEL_E_UKI_DUPLICATE_SECTION);
        free(pe);
}

static void test_profiles(void **state) {
        /*                              0         1         2          3           4           5
         *                              6           7           8         9           10 */
        static const char *const t[] = { ".text", ".linux", ".osrel", ".cmdline", ".initrd", ".profile",
                                         ".profile", ".cmdline", ".profile", ".osrel", ".profile", NULL };
        struct pe_image *pe = image_of(t);
        struct uki_sections u;

        (void) state;
        assert_int_equal(uki_count_profiles(pe), 4);
        assert_keel(uki_find_profile_sections(pe, 0, &u), KEEL_OK);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_LINUX), 1);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_OSREL), 2);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_CMDLINE), 3);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_PROFILE), 5);
        assert_keel(uki_find_sections(pe, &u), KEEL_OK);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_PROFILE), 5);

        assert_keel(uki_find_profile_sections(pe, 1, &u), KEEL_OK);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_PROFILE), 6);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_CMDLINE), 7);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_OSREL), 2);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_INITRD), 4);

        assert_keel(uki_find_profile_sections(pe, 2, &u), KEEL_OK);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_PROFILE), 8);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_OSREL), 9);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_CMDLINE), 3); /* profile 1's is not inherited */

        assert_keel(uki_find_profile_sections(pe, 3, &u), KEEL_OK);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_PROFILE), 10);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_CMDLINE), 3);
        assert_keel(uki_find_profile_sections(pe, 4, &u), KEEL_E_UKI_NO_SUCH_PROFILE);
        free(pe);
}

static void test_profile_duplicates_and_thin(void **state) {
        struct pe_image *pe;
        struct uki_sections u;

        (void) state;
        /* The same name in two profiles is the point; twice in one is refused, for that profile only. */
        pe = image_of((const char *const[]) { ".linux", ".profile", ".cmdline", ".profile", ".cmdline", ".cmdline",
                                              NULL });
        assert_keel(uki_find_profile_sections(pe, 0, &u), KEEL_OK);
        assert_keel(uki_find_profile_sections(pe, 1, &u), KEEL_E_UKI_DUPLICATE_SECTION);
        free(pe);
        pe = image_of((const char *const[]) { ".linux", ".linux", ".profile", NULL });
        assert_keel(uki_find_profile_sections(pe, 0, &u), KEEL_E_UKI_DUPLICATE_SECTION);
        free(pe);
        /* A profile naming a kernel (.tlinux) over an embedded base one: which would boot? */
        pe = image_of((const char *const[]) { ".linux", ".profile", ".profile", ".tlinux", NULL });
        assert_keel(uki_find_profile_sections(pe, 0, &u), KEEL_OK);
        assert_keel(uki_find_profile_sections(pe, 1, &u), KEEL_E_UKI_THIN_AND_FAT_LINUX);
        free(pe);
        /* A thin UKI's empty .linux is bootctl's mark, no kernel: it stands
         * beside .tlinux; with bytes it is a second kernel. */
        pe = image_of((const char *const[]) { ".osrel", ".tlinux", ".linux", NULL });
        pe->sections[2].virtual_size = pe->sections[2].raw_size = 0;
        assert_keel(uki_find_sections(pe, &u), KEEL_OK);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_LINUX), -1);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_TLINUX), 1);
        assert_true(uki_is_uki(&u) && uki_is_thin(&u));
        pe->sections[2].virtual_size = 1;
        assert_keel(uki_find_sections(pe, &u), KEEL_E_UKI_THIN_AND_FAT_LINUX);
        pe->sections[2].virtual_size = 0;
        pe->sections[2].raw_size = 0x200; /* raw data, no VirtualSize: not empty either */
        assert_keel(uki_find_sections(pe, &u), KEEL_E_UKI_THIN_AND_FAT_LINUX);
        free(pe);
        /* Without .tlinux an empty .linux stays what it is (the stub then
         * finds no kernel in it and refuses). */
        pe = image_of((const char *const[]) { ".osrel", ".linux", NULL });
        pe->sections[1].virtual_size = pe->sections[1].raw_size = 0;
        assert_keel(uki_find_sections(pe, &u), KEEL_OK);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_LINUX), 1);
        free(pe);
        /* A profile may bring its own kernel; an image starting with .profile has an empty base. */
        pe = image_of((const char *const[]) { ".profile", ".linux", ".profile", NULL });
        assert_keel(uki_find_profile_sections(pe, 0, &u), KEEL_OK);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_LINUX), 1);
        assert_keel(uki_find_profile_sections(pe, 1, &u), KEEL_OK);
        assert_int_equal(chosen(pe, &u, UKI_SECTION_LINUX), -1);
        free(pe);
}

/* Whether an image is a UKI is decided on the whole image, not on profile
 * 0: the stub's role and the loader's "no Type #1 initrd for a UKI" rule
 * both use uki_image_has_kernel(). */
static void test_image_has_kernel(void **state) {
        const char *const *const ukis[] = {
                (const char *const[]) { ".text", ".linux", NULL },
                (const char *const[]) { ".text", ".tlinux", NULL },
                /* Only in profile 1: profile 0 has no kernel, the image is still a UKI. */
                (const char *const[]) { ".text", ".osrel", ".profile", ".profile", ".linux", NULL },
                (const char *const[]) { ".profile", ".cmdline", ".profile", ".profile", ".tlinux", NULL },
        };
        const char *const *const plain[] = {
                (const char *const[]) { ".setup", ".reloc", ".compat", ".text", NULL },
                (const char *const[]) { ".text", ".osrel", ".cmdline", ".profile", ".profile", NULL },
                (const char *const[]) { ".text", ".linuxx", ".linu", "linux", NULL },
        };
        struct uki_sections u;
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(ukis); i++) {
                struct pe_image *pe = image_of(ukis[i]);
                assert_true(uki_image_has_kernel(pe));
                free(pe);
        }
        for (size_t i = 0; i < ARRAY_SIZE(plain); i++) {
                struct pe_image *pe = image_of(plain[i]);
                assert_false(uki_image_has_kernel(pe));
                free(pe);
        }
        /* The case the old profile-0 check missed. */
        {
                struct pe_image *pe = image_of(ukis[2]);
                assert_keel(uki_find_sections(pe, &u), KEEL_OK);
                assert_false(uki_is_uki(&u));
                assert_true(uki_image_has_kernel(pe));
                free(pe);
        }
}

static void test_profile_is_measured(void **state) {
        (void) state;
        assert_string_equal(uki_section_name(UKI_SECTION_PROFILE), ".profile");
        assert_true(uki_section_is_measured(UKI_SECTION_PROFILE));
        /* systemd's canonical order: .profile right after .pcrpkey. */
        assert_int_equal(UKI_SECTION_PROFILE, UKI_SECTION_PCRPKEY + 1);
        assert_int_equal(UKI_SECTION_PCRPKEY, 10);
}

struct prefix_case {
        const char *text; /* ASCII; '#' stands for a NUL unit */
        bool match;
        unsigned profile;
        size_t skip;
};

static void test_prefix(void **state) {
        static const struct prefix_case cases[] = {
                { "@1", true, 1, 2 },
                { "@1 quiet", true, 1, 3 },
                { "@1  quiet", true, 1, 3 },  /* exactly one space goes */
                { "@12#junk", true, 12, 3 },
                { "@0", true, 0, 2 },
                { "@007 x", true, 7, 5 },
                { "@4294967295", true, 4294967295u, 11 },
                { "@4294967296", false, 0, 0 },
                { "@99999999999999999999999", false, 0, 0 },
                { "@", false, 0, 0 },
                { "@ 1", false, 0, 0 },
                { "@x", false, 0, 0 },
                { "@1x", false, 0, 0 },
                { "@1\tquiet", false, 0, 0 },
                { "1", false, 0, 0 },
                { "quiet @1", false, 0, 0 },
                { "", false, 0, 0 },
        };

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint16_t units[64];
                size_t n = strlen(cases[i].text), skip = 99;
                unsigned profile = 99;
                bool r;

                for (size_t k = 0; k < n; k++)
                        units[k] = cases[i].text[k] == '#' ? 0 : (uint16_t) cases[i].text[k];
                r = uki_parse_profile_prefix(units, n, &profile, &skip);
                if (r != cases[i].match || profile != cases[i].profile || skip != cases[i].skip)
                        fail_msg("\"%s\": got %d %u %zu, expected %d %u %zu", cases[i].text, r, profile, skip,
                                 cases[i].match, cases[i].profile, cases[i].skip);
        }
}

static void test_profile_info(void **state) {
        char id[UKI_PROFILE_VALUE_MAX], title[UKI_PROFILE_VALUE_MAX];
        static const char text[] = "# a comment\nID=debug\nTITLE=\"Debug boot\"\n";
        char big[600];
        uint8_t *copy = exact_copy(text, sizeof(text) - 1);

        (void) state;
        assert_keel(uki_profile_info(copy, sizeof(text) - 1, id, title), KEEL_OK);
        assert_string_equal(id, "debug");
        assert_string_equal(title, "Debug boot");
        free(copy);
        assert_keel(uki_profile_info("", 0, id, title), KEEL_OK);
        assert_string_equal(id, "");
        memset(big, 'a', sizeof(big));
        memcpy(big, "TITLE=", 6);
        copy = exact_copy(big, sizeof(big));
        assert_keel(uki_profile_info(copy, sizeof(big), id, title), KEEL_E_VALUE_TOO_LONG);
        assert_string_equal(title, "");
        free(copy);
}

static void test_entries(void **state) {
        struct boot_entry storage[8];
        static char arena[65536];
        struct entry_list l;
        char buf[ENTRY_BOOT_OPTIONS_MAX];
        static const char osrel[] = "ID=t\nPRETTY_NAME=\"Test OS\"\nVERSION_ID=3\n";
        static const char p0[] = "ID=default\nTITLE=Default\n", p1[] = "ID=debug\n", p2[] = "X=1\n";

        (void) state;
        entry_list_init(&l, storage, 8, arena, sizeof(arena), NULL, NULL);
        /* Added out of order: the sort puts the profiles of one UKI together, 0 first. */
        assert_true(entries_add_type2_profile(&l, ENTRY_SOURCE_ESP, slice_from_cstr("os+2.efi"), 2, p2,
                                              sizeof(p2) - 1, osrel, sizeof(osrel) - 1, "b", 1));
        assert_true(entries_add_type2_profile(&l, ENTRY_SOURCE_ESP, slice_from_cstr("os+2.efi"), 0, p0,
                                              sizeof(p0) - 1, osrel, sizeof(osrel) - 1, "a", 1));
        assert_true(entries_add_type2_profile(&l, ENTRY_SOURCE_ESP, slice_from_cstr("os+2.efi"), 1, p1,
                                              sizeof(p1) - 1, osrel, sizeof(osrel) - 1, NULL, 0));
        assert_true(entries_add_type2(&l, ENTRY_SOURCE_ESP, slice_from_cstr("plain.efi"), osrel, sizeof(osrel) - 1,
                                      NULL, 0));
        entries_sort(&l);
        assert_int_equal(l.n_entries, 4);
        assert_string_equal(l.entries[0].id, "plain.efi");
        assert_string_equal(l.entries[0].title, "Test OS");
        assert_string_equal(l.entries[1].id, "os.efi");
        assert_string_equal(l.entries[1].title, "Test OS (Default)");
        assert_int_equal(l.entries[1].tries_left, 2);
        assert_string_equal(l.entries[2].id, "os.efi@1");
        assert_string_equal(l.entries[2].title, "Test OS (debug)");
        assert_string_equal(l.entries[3].id, "os.efi@2");
        assert_string_equal(l.entries[3].title, "Test OS (Profile #3)");
        assert_string_equal(l.entries[3].filename, "os+2.efi");
        assert_int_equal(entries_find(&l, "os.efi@1", false), 2);

        /* Load options: nothing for profile 0 (the UKI's own .cmdline), "@N" otherwise. */
        assert_null(entry_boot_options(&l.entries[1], NULL, buf, sizeof(buf)));
        assert_string_equal(entry_boot_options(&l.entries[1], "x=1", buf, sizeof(buf)), "x=1");
        assert_string_equal(entry_boot_options(&l.entries[3], NULL, buf, sizeof(buf)), "@2");
        assert_string_equal(entry_boot_options(&l.entries[2], "x=1 y", buf, sizeof(buf)), "@1 x=1 y");
        /* An edit that does not fit is dropped, never cut. */
        assert_string_equal(entry_boot_options(&l.entries[2], "0123456789abcdef", buf, 18), "@1");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_no_profiles),
                cmocka_unit_test(test_profiles),
                cmocka_unit_test(test_profile_duplicates_and_thin),
                cmocka_unit_test(test_image_has_kernel),
                cmocka_unit_test(test_profile_is_measured),
                cmocka_unit_test(test_prefix),
                cmocka_unit_test(test_profile_info),
                cmocka_unit_test(test_entries),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
