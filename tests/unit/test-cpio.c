/* SPDX-License-Identifier: MIT */
/* The newc writer against GNU cpio, the reference reader: what the stub
 * packs must unpack to the same names, modes and bytes. */
#include "keel-test.h"
#include "common/cpio.h"

#include <sys/wait.h>
#include <unistd.h>

static const char signature[] = "{\"sha256\":[{\"pcrs\":[11],\"pkfp\":\"ab\",\"pol\":\"cd\",\"sig\":\"ef\"}]}\n";

/* Packs .extra/NAME the way the stub does, into an exact-size heap buffer. */
static uint8_t *pack_extra(const char *name, const void *data, size_t len, size_t *ret_size) {
        struct cpio_writer w;
        uint8_t *buf;

        cpio_writer_init(&w, NULL, 0);
        assert_keel(cpio_pack_file_in_directory(&w, ".extra", 0555, name, 0444, data, len), KEEL_OK);
        buf = malloc(w.used);
        assert_non_null(buf);
        *ret_size = w.used;
        cpio_writer_init(&w, buf, *ret_size);
        assert_keel(cpio_pack_file_in_directory(&w, ".extra", 0555, name, 0444, data, len), KEEL_OK);
        assert_int_equal(w.used, *ret_size);
        return buf;
}

static int run(const char *cmd) {
        int status = system(cmd);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void write_file(const char *path, const void *data, size_t len) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, len, f), len);
        fclose(f);
}

/* GNU cpio unpacks it: the directory 0555, the file 0444 with the bytes. */
static void test_gnu_cpio_reads_it(void **state) {
        char dir[] = "/tmp/keel-cpio-XXXXXX", cmd[512], path[256];
        struct stat st;
        size_t size, got_size;
        uint8_t *archive = pack_extra("tpm2-pcr-signature.json", signature, sizeof(signature) - 1, &size), *got;
        (void) state;

        if (run("command -v cpio >/dev/null") != 0) {
                printf("# GNU cpio not installed, skipping\n");
                free(archive);
                skip();
        }
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/archive.cpio", dir);
        write_file(path, archive, size);
        snprintf(cmd, sizeof(cmd), "cd %s && mkdir out && cd out && cpio -idm --quiet -H newc <../archive.cpio", dir);
        assert_int_equal(run(cmd), 0);

        snprintf(path, sizeof(path), "%s/out/.extra", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0555);
        snprintf(path, sizeof(path), "%s/out/.extra/tpm2-pcr-signature.json", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0444);
        got = slurp(path, &got_size);
        assert_non_null(got);
        assert_int_equal(got_size, sizeof(signature) - 1);
        assert_memory_equal(got, signature, got_size);
        free(got);

        /* Exactly the two entries, then the trailer. */
        snprintf(cmd, sizeof(cmd), "cd %s && test \"$(cpio -it --quiet -H newc <archive.cpio | tr '\\n' ' ')\" = "
                                   "'.extra .extra/tpm2-pcr-signature.json '", dir);
        assert_int_equal(run(cmd), 0);
        snprintf(cmd, sizeof(cmd), "chmod -R u+w %s && rm -rf %s", dir, dir);
        assert_int_equal(run(cmd), 0);
        free(archive);
}

/* The layout by hand: header fields, name padding, data padding. */
static void test_layout(void **state) {
        static const char data[] = "abcde"; /* 5 bytes: 3 bytes of padding */
        size_t size;
        uint8_t *a = pack_extra("k", data, 5, &size);
        (void) state;

        /* ".extra": 110 + 7 = 117 -> 120; ".extra/k": 110 + 9 = 119 -> 120, data 5 -> 8;
         * "TRAILER!!!": 110 + 11 = 121 -> 124. */
        assert_int_equal(size, 120 + 120 + 8 + 124);
        assert_memory_equal(a, "070701", 6);
        assert_memory_equal(a + 6 + 8, "0000416d", 8);          /* mode: directory 0555 */
        assert_memory_equal(a + 6 + 8 * 11, "00000007", 8);     /* namesize with the NUL */
        assert_memory_equal(a + 110, ".extra\0\0\0\0", 10);
        assert_memory_equal(a + 120 + 6 + 8, "00008124", 8);    /* mode: regular 0444 */
        assert_memory_equal(a + 120 + 6 + 8 * 6, "00000005", 8); /* filesize */
        assert_memory_equal(a + 120 + 110, ".extra/k\0", 9);
        assert_memory_equal(a + 240, "abcde\0\0\0", 8);
        assert_memory_equal(a + 248 + 110, "TRAILER!!!\0", 11);
        free(a);
}

/* Every buffer shorter than the archive fails cleanly, writing nothing past
 * its end (AddressSanitizer watches the exact-size copies) and leaving the
 * writer where it was. */
static void test_no_room(void **state) {
        size_t size;
        uint8_t *full = pack_extra("tpm2-pcr-public-key.pem", signature, sizeof(signature) - 1, &size);
        (void) state;

        for (size_t n = 0; n < size; n++) {
                uint8_t *buf = exact_copy(full, n);
                struct cpio_writer w;

                cpio_writer_init(&w, buf, n);
                assert_keel(cpio_pack_file_in_directory(&w, ".extra", 0555, "tpm2-pcr-public-key.pem", 0444, signature,
                                                        sizeof(signature) - 1),
                            KEEL_E_CPIO_NO_ROOM);
                assert_int_equal(w.used, 0);
                assert_int_equal(w.next_inode, 1);
                free(buf);
        }
        free(full);
}

static void test_bad_names(void **state) {
        struct cpio_writer w;
        char *long_name = malloc(CPIO_PATH_MAX + 2);
        (void) state;

        assert_non_null(long_name);
        memset(long_name, 'a', CPIO_PATH_MAX + 1);
        long_name[CPIO_PATH_MAX + 1] = '\0';
        cpio_writer_init(&w, NULL, 0);
        assert_keel(cpio_add_file(&w, "", 0444, "x", 1), KEEL_E_CPIO_BAD_NAME);
        assert_keel(cpio_add_file(&w, "/abs", 0444, "x", 1), KEEL_E_CPIO_BAD_NAME);
        /* The kernel would end the archive at an entry with the trailer's name. */
        assert_keel(cpio_add_directory(&w, "TRAILER!!!", 0555), KEEL_E_CPIO_BAD_NAME);
        assert_keel(cpio_pack_file_in_directory(&w, "TRAILER!!!", 0555, "a", 0444, "x", 1), KEEL_E_CPIO_BAD_NAME);
        assert_keel(cpio_add_file(&w, NULL, 0444, "x", 1), KEEL_E_CPIO_BAD_NAME);
        assert_keel(cpio_add_file(&w, long_name, 0444, "x", 1), KEEL_E_CPIO_BAD_NAME);
        long_name[CPIO_PATH_MAX] = '\0';
        assert_keel(cpio_add_file(&w, long_name, 0444, "x", 1), KEEL_OK);
        assert_keel(cpio_add_file(&w, "f", 0444, NULL, 1), KEEL_E_INVALID_ARGUMENT);
        assert_keel(cpio_pack_file_in_directory(&w, ".extra", 0555, "a/b", 0444, "x", 1), KEEL_E_CPIO_BAD_NAME);
        assert_keel(cpio_pack_file_in_directory(&w, "", 0555, "a", 0444, "x", 1), KEEL_E_CPIO_BAD_NAME);
        assert_keel(cpio_pack_file_in_directory(&w, ".extra", 0555, long_name, 0444, "x", 1), KEEL_E_CPIO_BAD_NAME);
        free(long_name);
}

/* An empty file is a valid entry (systemd-stub packs whatever the section holds). */
static void test_empty_file(void **state) {
        struct cpio_writer w;
        (void) state;

        cpio_writer_init(&w, NULL, 0);
        assert_keel(cpio_add_file(&w, "empty", 0444, NULL, 0), KEEL_OK);
        assert_int_equal(w.used, 110 + 6); /* "empty" and its NUL end 4-aligned: no padding */
}

/* What systemd-stub's pack_cpio() writes for a drop-in directory: the
 * prefix directories (.extra 0555, .extra/credentials 0500), the files
 * 0400 in the order given, and systemd's trailer — GNU cpio unpacks it to
 * those names, modes and bytes. */
static void test_pack_directory(void **state) {
        static const struct cpio_file files[] = {
                { "Two.CRED", "two", 3 },
                { "a..b.cred", "", 0 },
                { "one.cred", "secret-one\n", 11 },
        };
        char dir[] = "/tmp/keel-cpio-XXXXXX", cmd[768], path[256];
        struct cpio_writer w;
        struct stat st;
        uint8_t *buf;
        size_t size;
        (void) state;

        cpio_writer_init(&w, NULL, 0);
        assert_keel(cpio_pack_directory(&w, ".extra/credentials", 0500, 0400, files, 3), KEEL_OK);
        size = w.used;
        buf = malloc(size);
        assert_non_null(buf);
        cpio_writer_init(&w, buf, size);
        assert_keel(cpio_pack_directory(&w, ".extra/credentials", 0500, 0400, files, 3), KEEL_OK);
        assert_int_equal(w.used, size);
        assert_int_equal(size % 4, 0);
        /* One byte less: nothing written, counter as before. */
        cpio_writer_init(&w, buf, size - 1);
        assert_keel(cpio_pack_directory(&w, ".extra/credentials", 0500, 0400, files, 3), KEEL_E_CPIO_NO_ROOM);
        assert_int_equal(w.used, 0);
        assert_int_equal(w.next_inode, 1);
        /* A file name with a '/' spoils the whole archive. */
        {
                struct cpio_file bad = { "a/b", "x", 1 };
                cpio_writer_init(&w, NULL, 0);
                assert_keel(cpio_pack_directory(&w, ".extra/sysext", 0555, 0444, &bad, 1), KEEL_E_CPIO_BAD_NAME);
                assert_int_equal(w.used, 0);
                assert_keel(cpio_pack_directory(&w, ".extra/sysext", 0555, 0444, NULL, 1), KEEL_E_INVALID_ARGUMENT);
                /* No files: the directories and the trailer (systemd-stub when no file could be read). */
                assert_keel(cpio_pack_directory(&w, ".extra/sysext", 0555, 0444, NULL, 0), KEEL_OK);
        }

        if (run("command -v cpio >/dev/null") != 0) {
                printf("# GNU cpio not installed, skipping the unpacking\n");
                free(buf);
                return;
        }
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/archive.cpio", dir);
        write_file(path, buf, size);
        snprintf(cmd, sizeof(cmd), "cd %s && test \"$(cpio -it --quiet -H newc <archive.cpio | tr '\\n' ' ')\" = "
                                   "'.extra .extra/credentials .extra/credentials/Two.CRED .extra/credentials/a..b.cred "
                                   ".extra/credentials/one.cred '", dir);
        assert_int_equal(run(cmd), 0);
        snprintf(cmd, sizeof(cmd), "cd %s && mkdir out && cd out && cpio -idm --quiet -H newc <../archive.cpio", dir);
        assert_int_equal(run(cmd), 0);
        snprintf(path, sizeof(path), "%s/out/.extra", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0555);
        snprintf(path, sizeof(path), "%s/out/.extra/credentials", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0500);
        snprintf(path, sizeof(path), "%s/out/.extra/credentials/one.cred", dir);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0400);
        assert_int_equal(st.st_size, 11);
        snprintf(cmd, sizeof(cmd), "cd %s/out/.extra/credentials && test \"$(cat one.cred)\" = secret-one && "
                                   "test \"$(cat Two.CRED)\" = two && test ! -s a..b.cred", dir);
        assert_int_equal(run(cmd), 0);
        snprintf(cmd, sizeof(cmd), "chmod -R u+w %s && rm -rf %s", dir, dir);
        assert_int_equal(run(cmd), 0);
        free(buf);
}

/* The trailer is systemd-stub 252's, byte for byte: found in its binary. */
static void test_trailer_is_systemd_stubs(void **state) {
        struct cpio_writer w;
        uint8_t trailer[124], *bin;
        size_t size;
        bool found = false;
        (void) state;

        cpio_writer_init(&w, trailer, sizeof(trailer));
        assert_keel(cpio_add_trailer(&w), KEEL_OK);
        assert_int_equal(w.used, 124);
        bin = slurp("/usr/lib/systemd/boot/efi/linuxx64.efi.stub", &size);
        if (!bin) {
                printf("# systemd-stub 252 not installed, skipping\n");
                skip();
        }
        for (size_t i = 0; !found && i + sizeof(trailer) <= size; i++)
                found = memcmp(bin + i, trailer, sizeof(trailer)) == 0;
        free(bin);
        assert_true(found);
        cpio_writer_init(&w, trailer, 123);
        assert_keel(cpio_add_trailer(&w), KEEL_E_CPIO_NO_ROOM);
        assert_int_equal(w.used, 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gnu_cpio_reads_it),
                cmocka_unit_test(test_layout),
                cmocka_unit_test(test_no_room),
                cmocka_unit_test(test_bad_names),
                cmocka_unit_test(test_empty_file),
                cmocka_unit_test(test_pack_directory),
                cmocka_unit_test(test_trailer_is_systemd_stubs),
        };
        return cmocka_run_group_tests_name("cpio", tests, NULL, NULL);
}
