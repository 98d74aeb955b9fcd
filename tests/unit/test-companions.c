/* SPDX-License-Identifier: MIT */
/* The stub's check of an initrd a loader offers (common/companions.c) and
 * the loader's classification of `extra` lines (common/sidecar.c). The
 * archives here are written by the test's own newc writer, field by field,
 * so that every field can be made hostile; keel's cpio writer is only the
 * last test's subject. */
#include "keel-test.h"
#include "common/companions.h"
#include "common/cpio.h"
#include "common/sidecar.h"

struct fields {
        uint32_t mode, uid, gid, nlink, filesize_override;
        bool override_filesize;
};

static uint8_t archive[8192];
static size_t used;
/* Where each archive of good_archives() ends. */
static size_t archive_ends[3];

static void put(const void *p, size_t n) {
        if (n == 0)
                return;
        assert_true(n <= sizeof(archive) - used);
        memcpy(archive + used, p, n);
        used += n;
}

static void pad(void) {
        while (used & 3)
                put("", 1);
}

/* One newc entry with the given fields, name and data. */
static void entry_with(const char *name, const struct fields *f, const void *data, size_t len) {
        char header[111];
        uint32_t filesize = f->override_filesize ? f->filesize_override : (uint32_t) len;

        snprintf(header, sizeof(header), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1u,
                 f->mode, f->uid, f->gid, f->nlink, 0u, filesize, 0u, 0u, 0u, 0u, (uint32_t) strlen(name) + 1, 0u);
        put(header, 110);
        put(name, strlen(name) + 1);
        pad();
        put(data, len);
        pad();
}

static void dir(const char *name, uint32_t permissions) {
        entry_with(name, &(struct fields) { .mode = 0040000 | permissions, .nlink = 2 }, NULL, 0);
}

static void file(const char *name, uint32_t permissions, const char *data) {
        entry_with(name, &(struct fields) { .mode = 0100000 | permissions, .nlink = 1 }, data, strlen(data));
}

static void trailer(void) {
        entry_with("TRAILER!!!", &(struct fields) { .nlink = 1 }, NULL, 0);
}

/* What systemd-boot 262 offers for one file of each kind. */
static void good_archives(void) {
        used = 0;
        dir(".extra", 0555);
        dir(".extra/credentials", 0500);
        file(".extra/credentials/a.cred", 0400, "secret");
        trailer();
        archive_ends[0] = used;
        dir(".extra", 0555);
        dir(".extra/sysext", 0555);
        file(".extra/sysext/tools.sysext.raw", 0444, "sysext-bytes");
        trailer();
        archive_ends[1] = used;
        dir(".extra", 0555);
        dir(".extra/confext", 0555);
        file(".extra/confext/etc.confext.raw", 0444, "confext");
        trailer();
        archive_ends[2] = used;
}

static int check_exact(void) {
        uint8_t *copy = exact_copy(archive, used);
        int r = companions_check(copy, used);
        free(copy);
        return r;
}

/* One archive: .extra, the kind's directory, one entry made by fn, trailer. */
static int check_one(const char *kind_dir, uint32_t dir_permissions, void (*fn)(void)) {
        used = 0;
        dir(".extra", 0555);
        dir(kind_dir, dir_permissions);
        fn();
        trailer();
        return check_exact();
}

static void test_good(void **state) {
        (void) state;
        good_archives();
        assert_keel(check_exact(), KEEL_OK);
        /* Zero bytes between archives and after the last, as the kernel skips them. */
        good_archives();
        put("\0\0\0\0\0\0\0\0", 8);
        assert_keel(check_exact(), KEEL_OK);
}

static void test_empty_and_zeros(void **state) {
        (void) state;
        assert_keel(companions_check(NULL, 0), KEEL_E_COMPANIONS_EMPTY);
        assert_keel(companions_check("", 0), KEEL_E_COMPANIONS_EMPTY);
        used = 0;
        put("\0\0\0\0", 4);
        assert_keel(check_exact(), KEEL_E_COMPANIONS_EMPTY);
        /* Only a trailer: nothing to take. */
        used = 0;
        trailer();
        assert_keel(check_exact(), KEEL_E_COMPANIONS_EMPTY);
        assert_keel(companions_check(archive, COMPANIONS_SIZE_MAX + 1), KEEL_E_COMPANIONS_TOO_LARGE);
}

static void test_not_newc(void **state) {
        static const uint8_t gzip[] = { 0x1f, 0x8b, 0x08, 0x00 }, crc[] = "070702";
        (void) state;
        used = 0;
        put(gzip, sizeof(gzip));
        assert_keel(check_exact(), KEEL_E_COMPANIONS_TRUNCATED);
        good_archives();
        memcpy(archive, crc, 6);
        assert_keel(check_exact(), KEEL_E_COMPANIONS_NOT_NEWC);
        /* A compressed archive after a good one (the kernel would unpack it). */
        good_archives();
        for (size_t i = 0; i < 200; i++)
                put("\x1f", 1);
        pad();
        assert_keel(check_exact(), KEEL_E_COMPANIONS_NOT_NEWC);
}

static void test_truncated_everywhere(void **state) {
        size_t full;
        (void) state;
        good_archives();
        full = used;
        /* Every cut but those at an archive's end (whole archives are fine). */
        for (size_t cut = 1; cut < full; cut++) {
                uint8_t *copy = exact_copy(archive, cut);
                int r = companions_check(copy, cut);
                free(copy);
                if (cut == archive_ends[0] || cut == archive_ends[1]) {
                        assert_keel(r, KEEL_OK);
                        continue;
                }
                if (r == KEEL_OK)
                        fail_msg("accepted a cut at %zu of %zu", cut, full);
                assert_true(r == KEEL_E_COMPANIONS_TRUNCATED || r == KEEL_E_COMPANIONS_UNTERMINATED);
        }
}

static void test_unterminated(void **state) {
        (void) state;
        used = 0;
        dir(".extra", 0555);
        dir(".extra/credentials", 0500);
        file(".extra/credentials/a.cred", 0400, "x");
        assert_keel(check_exact(), KEEL_E_COMPANIONS_UNTERMINATED);
}

static void test_misaligned(void **state) {
        size_t first;
        (void) state;
        good_archives();
        first = used;
        used = 0;
        good_archives();
        /* One zero byte, then the next archive off its 4-byte boundary. */
        memmove(archive + 1, archive, first);
        archive[0] = 0;
        used = first + 1;
        assert_keel(check_exact(), KEEL_E_COMPANIONS_MISALIGNED);
}

static void test_bad_numbers(void **state) {
        (void) state;
        for (size_t field = 0; field < 13; field++) {
                good_archives();
                archive[6 + 8 * field + 3] = 'g';
                assert_keel(check_exact(), KEEL_E_COMPANIONS_BAD_NUMBER);
                good_archives();
                archive[6 + 8 * field] = ' ';
                assert_keel(check_exact(), KEEL_E_COMPANIONS_BAD_NUMBER);
        }
}

static void test_hostile_sizes(void **state) {
        (void) state;
        /* A name size of 0, 1, past the end and 0xffffffff. */
        static const char *names[] = { "00000000", "00000001", "00000FFF", "FFFFFFFF" };
        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                good_archives();
                memcpy(archive + 6 + 8 * 11, names[i], 8);
                if (companions_check(archive, used) == KEEL_OK)
                        fail_msg("accepted name size %s", names[i]);
        }
        /* A file size past the end, and the largest. */
        used = 0;
        dir(".extra", 0555);
        dir(".extra/credentials", 0500);
        entry_with(".extra/credentials/a.cred",
                   &(struct fields) { .mode = 0100400, .nlink = 1, .override_filesize = true, .filesize_override = 0xffffffffu },
                   "abcd", 4);
        assert_keel(check_exact(), KEEL_E_COMPANIONS_TRUNCATED);
        /* A directory with data. */
        used = 0;
        entry_with(".extra", &(struct fields) { .mode = 0040555, .nlink = 2 }, "abcd", 4);
        trailer();
        assert_keel(check_exact(), KEEL_E_COMPANIONS_BAD_TYPE);
}

static void test_bad_names(void **state) {
        (void) state;
        good_archives();
        /* The name's terminating NUL replaced (".extra" + 'X'). */
        archive[110 + 6] = 'X';
        assert_keel(check_exact(), KEEL_E_COMPANIONS_BAD_NAME);
        good_archives();
        archive[110 + 2] = '\0';
        assert_keel(check_exact(), KEEL_E_COMPANIONS_BAD_NAME);
}

static void symlink_entry(void) {
        entry_with(".extra/credentials/a.cred", &(struct fields) { .mode = 0120777, .nlink = 1 }, "/etc/shadow", 11);
}
static void device_entry(void) {
        entry_with(".extra/credentials/a.cred", &(struct fields) { .mode = 0060400, .nlink = 1 }, NULL, 0);
}
static void hardlink_entry(void) {
        entry_with(".extra/credentials/a.cred", &(struct fields) { .mode = 0100400, .nlink = 2 }, "x", 1);
}
static void owned_entry(void) {
        entry_with(".extra/credentials/a.cred", &(struct fields) { .mode = 0100400, .nlink = 1, .uid = 1000 }, "x", 1);
}
static void grouped_entry(void) {
        entry_with(".extra/credentials/a.cred", &(struct fields) { .mode = 0100400, .nlink = 1, .gid = 1 }, "x", 1);
}
static void writable_entry(void) {
        file(".extra/credentials/a.cred", 0600, "x");
}
static void setuid_entry(void) {
        file(".extra/credentials/a.cred", 04400, "x");
}
static void readable_entry(void) {
        file(".extra/credentials/a.cred", 0444, "x");
}

static void test_bad_entries(void **state) {
        (void) state;
        assert_keel(check_one(".extra/credentials", 0500, symlink_entry), KEEL_E_COMPANIONS_BAD_TYPE);
        assert_keel(check_one(".extra/credentials", 0500, device_entry), KEEL_E_COMPANIONS_BAD_TYPE);
        assert_keel(check_one(".extra/credentials", 0500, hardlink_entry), KEEL_E_COMPANIONS_BAD_TYPE);
        assert_keel(check_one(".extra/credentials", 0500, owned_entry), KEEL_E_COMPANIONS_BAD_OWNER);
        assert_keel(check_one(".extra/credentials", 0500, grouped_entry), KEEL_E_COMPANIONS_BAD_OWNER);
        assert_keel(check_one(".extra/credentials", 0500, writable_entry), KEEL_E_COMPANIONS_BAD_MODE);
        assert_keel(check_one(".extra/credentials", 0500, setuid_entry), KEEL_E_COMPANIONS_BAD_MODE);
        assert_keel(check_one(".extra/credentials", 0500, readable_entry), KEEL_E_COMPANIONS_BAD_MODE);
        /* Directory permissions: .extra must stay 0555, credentials 0500. */
        assert_keel(check_one(".extra/credentials", 0555, readable_entry), KEEL_E_COMPANIONS_BAD_MODE);
        used = 0;
        dir(".extra", 0000);
        trailer();
        assert_keel(check_exact(), KEEL_E_COMPANIONS_BAD_MODE);
}

/* Paths that are no companion: elsewhere, another kind's directory, a
 * suffix that does not fit, nested, traversal, the stub's own files. */
static void test_not_extra(void **state) {
        static const char *paths[] = {
                "init", "/init", "etc/passwd", ".extra/os-release", ".extra/tpm2-pcr-signature.json",
                ".extra/global_credentials/a.cred", ".extra/credentials/a.raw", ".extra/credentials/.cred",
                ".extra/credentials/sub/a.cred", ".extra/credentials/../../init.cred", ".extra/credentials//a.cred",
                ".extra/sysext/a.raw", ".extra/sysext/a.confext.raw", ".extra/confext/a.sysext.raw",
                ".extra/credentials/a\x01.cred", ".extra/credentials/a\x7f.cred", ".extra/credentials/\xc3\xa9.cred",
                ".extra/credentialsX/a.cred", ".extra/credentials", "./.extra/credentials/a.cred", ".extra/boot-secret",
        };
        char long_name[300];
        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
                used = 0;
                dir(".extra", 0555);
                file(paths[i], 0400, "x");
                trailer();
                if (check_exact() != KEEL_E_COMPANIONS_NOT_EXTRA)
                        fail_msg("%s: %s", paths[i], keel_strerror(check_exact()));
        }
        /* Directories other than the four. */
        used = 0;
        dir(".extra/credentials/sub", 0500);
        trailer();
        assert_keel(check_exact(), KEEL_E_COMPANIONS_NOT_EXTRA);
        used = 0;
        dir("etc", 0555);
        trailer();
        assert_keel(check_exact(), KEEL_E_COMPANIONS_NOT_EXTRA);
        /* A file name of 256 bytes. */
        snprintf(long_name, sizeof(long_name), ".extra/credentials/%0251d.cred", 0);
        used = 0;
        file(long_name, 0400, "x");
        trailer();
        assert_keel(check_exact(), KEEL_E_COMPANIONS_NOT_EXTRA);
        /* 255 bytes is fine. */
        snprintf(long_name, sizeof(long_name), ".extra/credentials/%0250d.cred", 0);
        used = 0;
        file(long_name, 0400, "x");
        trailer();
        assert_keel(check_exact(), KEEL_OK);
}

/* The suffix is matched without regard to case, as by the loader. */
static void test_suffix_case(void **state) {
        (void) state;
        used = 0;
        file(".extra/sysext/A.SYSEXT.RAW", 0444, "x");
        file(".extra/credentials/B.Cred", 0400, "x");
        trailer();
        assert_keel(check_exact(), KEEL_OK);
}

/* `extra` lines: kind by suffix, name by last component. */
static void test_classify(void **state) {
        struct slice name;
        size_t kind;
        char long_path[300];
        (void) state;
        assert_keel(entry_extra_classify(slice_from_cstr("/loader/x/a.cred"), &kind, &name), KEEL_OK);
        assert_int_equal(kind, 0);
        assert_true(slice_eq(name, "a.cred"));
        assert_keel(entry_extra_classify(slice_from_cstr("\\EFI\\b.SYSEXT.raw"), &kind, &name), KEEL_OK);
        assert_int_equal(kind, 1);
        assert_true(slice_eq(name, "b.SYSEXT.raw"));
        assert_keel(entry_extra_classify(slice_from_cstr("c.confext.raw"), &kind, &name), KEEL_OK);
        assert_int_equal(kind, 2);
        assert_keel(entry_extra_classify(slice_from_cstr("/d.raw"), &kind, &name), KEEL_E_EXTRA_UNKNOWN_KIND);
        assert_keel(entry_extra_classify(slice_from_cstr("/e.addon.efi"), &kind, &name), KEEL_E_EXTRA_UNKNOWN_KIND);
        assert_keel(entry_extra_classify(slice_from_cstr("/f.cred/"), &kind, &name), KEEL_E_EXTRA_UNKNOWN_KIND);
        assert_keel(entry_extra_classify(slice_from_cstr(""), &kind, &name), KEEL_E_EXTRA_UNKNOWN_KIND);
        assert_keel(entry_extra_classify(slice_from_cstr("/\xc3\xa9.cred"), &kind, &name), KEEL_E_EXTRA_BAD_NAME);
        assert_keel(entry_extra_classify(slice_from_cstr("/a\tb.cred"), &kind, &name), KEEL_E_EXTRA_BAD_NAME);
        assert_keel(entry_extra_classify(slice_from_cstr("/.cred"), &kind, &name), KEEL_E_EXTRA_BAD_NAME);
        snprintf(long_path, sizeof(long_path), "/%0251d.cred", 0);
        assert_keel(entry_extra_classify(slice_from_cstr(long_path), &kind, &name), KEEL_E_EXTRA_BAD_NAME);
        snprintf(long_path, sizeof(long_path), "/%0250d.cred", 0);
        assert_keel(entry_extra_classify(slice_from_cstr(long_path), &kind, &name), KEEL_OK);
}

/* What keel's loader packs (common/cpio.c with entry_extra_kinds) passes. */
static void test_loader_archives_pass(void **state) {
        struct cpio_file files[] = { { "a.cred", "x", 1 }, { "b.cred", "yy", 2 } };
        struct cpio_writer w;
        (void) state;
        used = 0;
        for (size_t k = 0; k < ENTRY_EXTRA_KINDS; k++) {
                const struct sidecar_kind *kind = &entry_extra_kinds[k];
                struct cpio_file f[2] = { files[0], files[1] };
                char n0[64], n1[64];

                snprintf(n0, sizeof(n0), "a%s", kind->suffix);
                snprintf(n1, sizeof(n1), "b%s", kind->suffix);
                f[0].name = n0;
                f[1].name = n1;
                cpio_writer_init(&w, archive + used, sizeof(archive) - used);
                assert_keel(cpio_pack_directory(&w, kind->target, kind->dir_mode, kind->file_mode, f, 2), KEEL_OK);
                used += w.used;
        }
        assert_keel(check_exact(), KEEL_OK);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good),
                cmocka_unit_test(test_empty_and_zeros),
                cmocka_unit_test(test_not_newc),
                cmocka_unit_test(test_truncated_everywhere),
                cmocka_unit_test(test_unterminated),
                cmocka_unit_test(test_misaligned),
                cmocka_unit_test(test_bad_numbers),
                cmocka_unit_test(test_hostile_sizes),
                cmocka_unit_test(test_bad_names),
                cmocka_unit_test(test_bad_entries),
                cmocka_unit_test(test_not_extra),
                cmocka_unit_test(test_suffix_case),
                cmocka_unit_test(test_classify),
                cmocka_unit_test(test_loader_archives_pass),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
