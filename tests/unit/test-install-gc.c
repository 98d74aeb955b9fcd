/* SPDX-License-Identifier: MIT */
/* keel install's entry names and GC decision (host-tools/install/gc.c):
 * what a user expects to stay on the ESP after an update — the newest
 * generations, the one running, the last one that booted well — and that
 * files keel did not write are never taken for its own: not as entries, not
 * as leftover temporaries (host-tools/core/fileio.c's temporary names,
 * host-tools/install/esp-writer.c's clean-up, on a real directory). */
#include "keel-test.h"

#include <unistd.h>

#include "host-tools/core/fileio.h"
#include "host-tools/install/esp-writer.h"
#include "host-tools/install/gc.h"

static struct generation_entry parsed(const char *name) {
        struct generation_entry e;
        char *copy = (char *) exact_copy(name, strlen(name) + 1);

        if (!generation_entry_parse(copy, &e))
                fail_msg("%s not parsed", name);
        free(copy);
        return e;
}

static void test_names(void **state) {
        struct generation_entry e;
        (void) state;

        e = parsed("nixos-generation-12.efi");
        assert_int_equal(e.generation, 12);
        assert_false(e.has_counter);
        assert_string_equal(e.id, "nixos-generation-12.efi");

        e = parsed("nixos-generation-3+2-1.efi");
        assert_int_equal(e.generation, 3);
        assert_true(e.has_counter);
        assert_int_equal(e.tries_left, 2);
        assert_string_equal(e.id, "nixos-generation-3.efi");

        e = parsed("nixos-generation-3-specialisation-gpu+0-3.efi");
        assert_int_equal(e.generation, 3);
        assert_int_equal(e.tries_left, 0);
        assert_string_equal(e.id, "nixos-generation-3-specialisation-gpu.efi");

        /* Not keel's: never removed, never counted. */
        static const char *const foreign[] = {
                "nixos-generation-.efi", "nixos-generation-01.efi", "nixos-generation-3x.efi",
                "nixos-generation-3-specialisation-.efi", "nixos-generation-3.conf", "nixos-generation-3",
                "debian-6.1.efi", "nixos-generation-99999999999999999999999.efi", "Nixos-generation-3.efi",
                "nixos-generation-3-foo.efi", "",
        };
        for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
                char *copy = (char *) exact_copy(foreign[i], strlen(foreign[i]) + 1);
                if (generation_entry_parse(copy, &e))
                        fail_msg("%s taken for a generation entry", foreign[i]);
                free(copy);
        }
}

static void test_entry_ids(void **state) {
        unsigned long g = 0;
        (void) state;

        assert_true(generation_of_entry_id("nixos-generation-7.efi", &g));
        assert_int_equal(g, 7);
        assert_true(generation_of_entry_id("nixos-generation-8+1-2.efi", &g));
        assert_int_equal(g, 8);
        assert_true(generation_of_entry_id("nixos-generation-9-specialisation-x.efi@2", &g));
        assert_int_equal(g, 9);
        assert_true(generation_of_entry_id("nixos-generation-10", &g));
        assert_int_equal(g, 10);
        assert_true(generation_of_entry_id("nixos-generation-11.conf", &g)); /* systemd-boot's Type #1 ID */
        assert_int_equal(g, 11);
        assert_false(generation_of_entry_id("auto-reboot-to-firmware-setup", &g));
        assert_false(generation_of_entry_id("debian.conf", &g));
        assert_false(generation_of_entry_id("", &g));
}

/* Runs gc_decide over named files and returns the kept names, space-separated. */
static char *kept(const struct gc_policy *policy, const char *const *names, size_t n, bool last_good_from_names) {
        struct generation_entry *e = calloc(n, sizeof(*e));
        bool *remove = calloc(n, sizeof(*remove));
        struct gc_policy p = *policy;
        char *out = calloc(1, 4096);

        for (size_t i = 0; i < n; i++)
                e[i] = parsed(names[i]);
        if (last_good_from_names)
                p.has_last_good = gc_last_good(e, n, &p.last_good);
        gc_decide(&p, e, n, remove);
        for (size_t i = 0; i < n; i++)
                if (!remove[i]) {
                        strcat(out, out[0] ? " " : "");
                        strcat(out, names[i]);
                }
        free(e);
        free(remove);
        return out;
}

static void test_limit_keeps_newest_booted_and_last_good(void **state) {
        /* Generations 1..4 in the profile; 4 new and untested, 3 booted and
         * blessed, 1 and 2 older: limit 2 keeps 4 and 3 only. */
        static const char *const names[] = {
                "nixos-generation-1.efi", "nixos-generation-2.efi", "nixos-generation-3.efi",
                "nixos-generation-4+3.efi",
        };
        static const unsigned long live[] = { 1, 2, 3, 4 };
        struct gc_policy p = { .live = live, .n_live = 4, .limit = 2, .has_booted = true, .booted = 3 };
        char *k = kept(&p, names, 4, true);
        (void) state;

        assert_string_equal(k, "nixos-generation-3.efi nixos-generation-4+3.efi");
        free(k);
}

static void test_last_good_survives_limit_one(void **state) {
        /* 5 and 6 never booted well (counters), 4 did: with limit 1 and no
         * booted generation known, 6 (newest) and 4 (last good) stay. */
        static const char *const names[] = {
                "nixos-generation-4.efi", "nixos-generation-5+0-3.efi", "nixos-generation-6+3.efi",
                "nixos-generation-6-specialisation-a+3.efi",
        };
        static const unsigned long live[] = { 4, 5, 6 };
        struct gc_policy p = { .live = live, .n_live = 3, .limit = 1 };
        char *k = kept(&p, names, 4, true);
        (void) state;

        assert_string_equal(k, "nixos-generation-4.efi nixos-generation-6+3.efi nixos-generation-6-specialisation-a+3.efi");
        free(k);
}

static void test_booted_kept_even_when_gone_from_profile(void **state) {
        /* The profile no longer lists 2 (deleted), but it is running. */
        static const char *const names[] = {
                "nixos-generation-2+1-2.efi", "nixos-generation-7+2.efi", "nixos-generation-8+3.efi",
        };
        static const unsigned long live[] = { 7, 8 };
        struct gc_policy p = { .live = live, .n_live = 2, .limit = 0, .has_booted = true, .booted = 2 };
        char *k = kept(&p, names, 3, true);
        (void) state;

        assert_string_equal(k, "nixos-generation-2+1-2.efi nixos-generation-7+2.efi nixos-generation-8+3.efi");
        free(k);
}

static void test_deleted_generations_go(void **state) {
        static const char *const names[] = {
                "nixos-generation-1+0-3.efi", "nixos-generation-2+0-3.efi", "nixos-generation-3+3.efi",
        };
        static const unsigned long live[] = { 3 };
        struct gc_policy p = { .live = live, .n_live = 1 };
        char *k = kept(&p, names, 3, true);
        (void) state;

        /* No entry without a counter: there is no last good one to keep. */
        assert_string_equal(k, "nixos-generation-3+3.efi");
        free(k);
}

static void test_unreadable_generations_kept(void **state) {
        /* 2's boot.json is malformed this time: GC cannot know whether it
         * is still wanted, so it stays, whatever the limit says. */
        static const char *const names[] = {
                "nixos-generation-1+0-3.efi", "nixos-generation-2+0-3.efi", "nixos-generation-3+3.efi",
        };
        static const unsigned long live[] = { 1, 3 };
        static const unsigned long unreadable[] = { 2 };
        struct gc_policy p = { .live = live, .n_live = 2, .unreadable = unreadable, .n_unreadable = 1, .limit = 1 };
        char *k = kept(&p, names, 3, true);
        (void) state;

        assert_string_equal(k, "nixos-generation-2+0-3.efi nixos-generation-3+3.efi");
        free(k);
}

static void test_last_good_judged_before_the_run(void **state) {
        /* The policy's last good generation (from the state before this
         * run) wins over the names now on disk. */
        static const char *const names[] = { "nixos-generation-1+3.efi", "nixos-generation-2+3.efi" };
        static const unsigned long live[] = { 2 };
        struct gc_policy p = { .live = live, .n_live = 1, .has_last_good = true, .last_good = 1 };
        char *k = kept(&p, names, 2, false);
        (void) state;

        assert_string_equal(k, "nixos-generation-1+3.efi nixos-generation-2+3.efi");
        free(k);
}

static void test_rollback_default_kept(void **state) {
        /* Rolled back to 2 while 5 runs: loader.conf's default names 2, so
         * limit 2 must not take it away (the menu would silently boot 5). */
        static const char *const names[] = {
                "nixos-generation-1.efi", "nixos-generation-2.efi", "nixos-generation-3.efi",
                "nixos-generation-4.efi", "nixos-generation-5.efi",
        };
        static const unsigned long live[] = { 1, 2, 3, 4, 5 };
        struct gc_policy p = { .live = live, .n_live = 5, .limit = 2, .has_booted = true, .booted = 5,
                               .has_default = true, .default_generation = 2 };
        char *k = kept(&p, names, 5, true);
        (void) state;

        assert_string_equal(k, "nixos-generation-2.efi nixos-generation-4.efi nixos-generation-5.efi");
        free(k);
}

static void test_temporary_names(void **state) {
        char final[32];
        (void) state;

        assert_true(atomic_file_temporary_of("BOOTX64.EFI.keel-tmp-a1B2c3", final, sizeof(final)));
        assert_string_equal(final, "BOOTX64.EFI");
        assert_true(atomic_file_temporary_of("x.keel-tmp-000000", final, sizeof(final)));
        assert_string_equal(final, "x");

        /* Others' names, and near misses of keel's own form. */
        static const char *const foreign[] = {
                "BOOTX64.EFI.backup", "bootx64.efi.shim15", "loader.conf.backup", "keelx64.efi.orig01",
                "nixos-generation-1.efi.backup", "x.keel-tmp-abc12", "x.keel-tmp-abc1234", "x.keel-tmp-ab_123",
                "x.keel-tmp-ab.123", "x.keel-tmp-ab\xc3\xa9" "12", ".keel-tmp-abcdef", "x.KEEL-TMP-abcdef", "x-keel-tmp-abcdef",
                "x.keel-tmp-", "keel-tmp-abcdef", "", "x.keel-tmp-abcde\n",
        };
        for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
                char *copy = (char *) exact_copy(foreign[i], strlen(foreign[i]) + 1);
                if (atomic_file_temporary_of(copy, final, sizeof(final)))
                        fail_msg("'%s' taken for keel's temporary of '%s'", foreign[i], final);
                free(copy);
        }
        /* A final name that does not fit is no answer, not a cut one. */
        assert_false(atomic_file_temporary_of("abcdefgh.keel-tmp-abcdef", final, 8));
        assert_true(atomic_file_temporary_of("abcdefg.keel-tmp-abcdef", final, 8));
        assert_string_equal(final, "abcdefg");
}

static bool names_keels(const char *name) {
        return strcmp(name, "BOOTX64.EFI") == 0 || strcmp(name, "loader.conf") == 0;
}

static bool exists_in(const char *dir, const char *name) {
        char path[384];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return lstat(path, &st) == 0;
}

static void touch_in(const char *dir, const char *name) {
        char path[384];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        assert_non_null(f);
        fputs("data", f);
        fclose(f);
}

/* What a crashed atomic write really leaves (atomic_file_open()'s own
 * temporary) goes; files of anyone else, however named, stay. */
static void test_stale_temporaries_removed_only_if_keels(void **state) {
        char root[] = "/tmp/keel-test-install-gc.XXXXXX", dir[64], leftover[256] = "", final[128];
        struct esp_write_log log;
        struct esp_writer w;
        struct atomic_file f;
        static const char *const others[] = {
                "BOOTX64.EFI.backup", "bootx64.efi.shim15", "BOOTX64.EFI.keel-tmp-abc12", "BOOTX64.EFI.keel-tmp-abc_12",
                "other.efi.keel-tmp-abcdef", "BOOTX64.EFI", "loader.conf.backup",
        };
        (void) state;

        assert_non_null(mkdtemp(root));
        snprintf(dir, sizeof(dir), "%s/EFI", root);
        assert_int_equal(mkdir(dir, 0755), 0);
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
                touch_in(dir, others[i]);
        snprintf(final, sizeof(final), "%s/BOOTX64.EFI", dir);
        assert_int_equal(atomic_file_open(final, &f), 0);
        assert_int_equal(atomic_file_write(&f, "half", 4), 0);
        /* The crash: the temporary stays, nothing is renamed or removed. */
        close(f.fd);
        snprintf(leftover, sizeof(leftover), "%s", strrchr(f.temp_path, '/') + 1);
        assert_true(exists_in(dir, leftover));

        esp_write_log_init(&log);
        assert_int_equal(esp_writer_init(&w, root, &log), 0);
        assert_int_equal(esp_writer_remove_stale_temporaries(&w, "EFI", names_keels), 0);
        esp_writer_done(&w);

        assert_false(exists_in(dir, leftover));
        assert_int_equal(log.operations, 1);
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
                if (!exists_in(dir, others[i]))
                        fail_msg("%s was removed", others[i]);
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
                char path[384];
                snprintf(path, sizeof(path), "%s/%s", dir, others[i]);
                unlink(path);
        }
        free(f.temp_path);
        free(f.final_path);
        rmdir(dir);
        rmdir(root);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_names),
                cmocka_unit_test(test_entry_ids),
                cmocka_unit_test(test_limit_keeps_newest_booted_and_last_good),
                cmocka_unit_test(test_last_good_survives_limit_one),
                cmocka_unit_test(test_booted_kept_even_when_gone_from_profile),
                cmocka_unit_test(test_deleted_generations_go),
                cmocka_unit_test(test_unreadable_generations_kept),
                cmocka_unit_test(test_last_good_judged_before_the_run),
                cmocka_unit_test(test_rollback_default_kept),
                cmocka_unit_test(test_temporary_names),
                cmocka_unit_test(test_stale_temporaries_removed_only_if_keels),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
