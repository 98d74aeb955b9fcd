/* SPDX-License-Identifier: MIT */
/* common/boot-secret.c: the secret systemd-stub 261+ hands the OS as
 * /.extra/boot-secret. The derivation against what systemd-stub 262 really
 * produced under OVMF (the machine secret read back from the firmware's
 * variable store, the mixin from the ESP, /.extra/boot-secret from the
 * booted initrd; IMAGE_ID=keelimg); making a secret from the seed table and
 * evolving the table against a model written here with OpenSSL; the OS
 * identifier by systemd-stub's reading of .osrel, case by case. */
#include "keel-test.h"

#include <openssl/evp.h>

#include "common/boot-secret.h"

static void unhex(const char *hex, uint8_t *out, size_t n) {
        for (size_t i = 0; i < n; i++)
                assert_int_equal(sscanf(hex + 2 * i, "%2hhx", &out[i]), 1);
}

/* Two boots of systemd-stub 262.1 (Debian sid) on a fresh OVMF variable
 * store and ESP each: LoaderBootSecret (from OVMF_VARS.fd), the ESP's
 * \loader\boot-secret-mixin and the guest's /.extra/boot-secret. */
static void test_derive_systemd_262(void **state _unused_) {
        static const struct {
                const char *machine, *mixin, *secret;
        } boots[] = {
                { "021ea2504d0d65eb091b799e1446306986ce7bc8bef179615f19e07a98e70308",
                  "71b0fcbd55eba19e3064149b6c329628c713a7111adc83785a824341b18f5c7b",
                  "fde281caa2377f17a31757737305347f682c97242f8ea2fa1512f9ae0340f93c" },
                { "ddae4ae658c028860351f3e10cc64daa51cf8ce0d34d6f32c462efc672d6b4f8",
                  "ae04642ba402bdf571e741076d9090141ca4b62b9a9900c1228e7c02d814f8ea",
                  "fd374e95ffe622955ab9ed66bc433168e9654024dc4a34e0f6c1a1c08db9c21a" },
        };
        static const char osrel[] = "ID=keeltest\nIMAGE_ID=keelimg\nVERSION_ID=1\n";

        for (size_t i = 0; i < ARRAY_SIZE(boots); i++) {
                uint8_t machine[32], mixin[32], expected[32], secret[32];
                const char *id;
                size_t id_len;
                char *copy = (char *) exact_copy(osrel, sizeof(osrel) - 1);

                unhex(boots[i].machine, machine, 32);
                unhex(boots[i].mixin, mixin, 32);
                unhex(boots[i].secret, expected, 32);
                boot_secret_os_id(copy, sizeof(osrel) - 1, &id, &id_len);
                boot_secret_derive(machine, mixin, id, id_len, secret);
                assert_memory_equal(secret, expected, 32);
                /* Another OS on the same disk gets another secret. */
                boot_secret_derive(machine, mixin, "keelimh", 7, secret);
                assert_memory_not_equal(secret, expected, 32);
                free(copy);
        }
}

static void model(const char *label, const uint8_t *seed, uint32_t size, uint8_t out[32]) {
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        uint8_t le[4] = { (uint8_t) size, (uint8_t) (size >> 8), (uint8_t) (size >> 16), (uint8_t) (size >> 24) };
        unsigned n = 32;

        assert_non_null(c);
        EVP_DigestInit_ex(c, EVP_sha256(), NULL);
        EVP_DigestUpdate(c, label, strlen(label));
        EVP_DigestUpdate(c, le, 4);
        EVP_DigestUpdate(c, seed, size);
        EVP_DigestFinal_ex(c, out, &n);
        EVP_MD_CTX_free(c);
}

/* A secret from the table, then the table's first 32 bytes evolved (the
 * rest of a longer seed stays); two secrets in a row differ. */
static void test_from_seed(void **state _unused_) {
        for (uint32_t size = 32; size <= 64; size += 32) {
                uint8_t seed[64], before[64], secret[32], expected[32], evolved[32], second[32];

                for (size_t i = 0; i < sizeof(seed); i++)
                        seed[i] = (uint8_t) (i * 7 + size);
                memcpy(before, seed, sizeof(seed));
                model("systemd-stub random seed make secret label v1", before, size, expected);
                model("systemd-stub random seed evolve label v1", before, size, evolved);
                boot_secret_from_seed(seed, size, secret);
                assert_memory_equal(secret, expected, 32);
                assert_memory_equal(seed, evolved, 32);
                assert_memory_equal(seed + 32, before + 32, sizeof(seed) - 32);
                boot_secret_from_seed(seed, size, second);
                assert_memory_not_equal(second, secret, 32);
        }
}

static void expect_id(const char *osrel, size_t len, const char *expected) {
        char *copy = (char *) exact_copy(osrel, len);
        const char *id;
        size_t id_len;

        boot_secret_os_id(copy, len, &id, &id_len);
        if (id_len != strlen(expected) || memcmp(id, expected, id_len) != 0)
                fail_msg("os id of '%.*s': '%.*s', expected '%s'", (int) len, osrel, (int) id_len, id, expected);
        free(copy);
}

#define ID(text, expected) expect_id(text, sizeof(text) - 1, expected)

/* systemd-stub's line_get_key_value() and pick_id(), rule by rule. */
static void test_os_id(void **state _unused_) {
        ID("", "linux");
        ID("NAME=Foo\n", "linux");
        ID("ID=debian\n", "debian");
        ID("ID=a\nID=b\n", "b");                          /* the last ID= */
        ID("IMAGE_ID=img\nIMAGE_ID=other\nID=x\n", "img"); /* the first IMAGE_ID= */
        ID("ID=x\nIMAGE_ID=img\n", "img");
        ID("ID=\"debian\"\n", "debian");
        ID("ID='debian'\n", "'debian'");                  /* single quotes stay */
        ID("ID=\"a b\"  \n", "a b");                      /* trailing blanks go before the quote test */
        ID("ID=\"open\n", "\"open");
        ID("ID=\"\n", "");                                /* one quote is opening and closing */
        ID("ID=\"\"\n", "");
        ID("ID=\"a\\\"b\"\n", "a\\\"b");                  /* no escapes */
        ID("  \tID=deb\t \n", "deb");
        ID("ID = deb\n", "linux");                        /* the key is "ID " */
        ID("ID== deb\n", " deb");                         /* the run of '=' goes, blanks stay */
        ID("ID=a=b\n", "a=b");
        ID("#ID=no\n ID=yes\n", "yes");
        ID("  # ID=no\n", "linux");
        ID("ID=cr\rIMAGE_ID=im\r\n", "im");
        ID("ID=one\0ID=two\n", "one");                     /* the text ends at a NUL */
        ID("ID=last", "last");                             /* no final newline */
        ID("ID=\n", "");                                   /* an empty value is a value */
        ID("IMAGE_ID\nID=x\n", "x");                       /* no '=': not a key */
        ID("=ID\n", "linux");
        ID("\n\n\r\r  \n\t\n", "linux");
}

/* Every prefix of a text: the identifier lies inside the bytes given (or is
 * the static fallback), one line, no NUL. */
static void test_os_id_prefixes(void **state _unused_) {
        static const char text[] = "# c\n  NAME=\"x\"\r\nID=\"deb\"\nIMAGE_ID=\"img\"  \n";

        for (size_t len = 0; len <= sizeof(text) - 1; len++) {
                char *copy = (char *) exact_copy(text, len);
                const char *id;
                size_t id_len;

                boot_secret_os_id(copy, len, &id, &id_len);
                assert_true((id >= copy && id + id_len <= copy + len) || (id_len == 5 && memcmp(id, "linux", 5) == 0));
                assert_null(memchr(id, '\n', id_len));
                assert_null(memchr(id, '\0', id_len));
                free(copy);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_derive_systemd_262),
                cmocka_unit_test(test_from_seed),
                cmocka_unit_test(test_os_id),
                cmocka_unit_test(test_os_id_prefixes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
