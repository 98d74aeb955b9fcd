/* SPDX-License-Identifier: MIT */
/* PKCS#11 URIs (RFC 7512) as --key/--cert take them: telling a URI from a
 * file, splitting off and decoding the query keel handles itself
 * (module-path, pin-value, pin-source), refusing what it cannot honour,
 * and never showing the PIN in a message. */
#include <fcntl.h>
#include <unistd.h>

#include "keel-test.h"

#include "host-tools/sign/pkcs11-uri.h"

/* Parses a heap copy of exactly strlen + 1 bytes, so that AddressSanitizer
 * sees any read past the NUL. */
static int parse(const char *uri, struct pkcs11_uri *u) {
        char *copy = (char *) exact_copy(uri, strlen(uri) + 1);
        int r = pkcs11_uri_parse(copy, u);

        free(copy);
        return r;
}

static void assert_refused(const char *uri) {
        struct pkcs11_uri u;

        if (parse(uri, &u) != -1)
                fail_msg("accepted: %s", uri);
        /* A refusal leaves nothing to free behind. */
        assert_null(u.path);
        assert_null(u.module_path);
        assert_null(u.pin_value);
        assert_null(u.pin_file);
}

static void test_is_uri(void **state) {
        (void) state;
        assert_true(pkcs11_is_uri("pkcs11:token=a;object=b"));
        assert_true(pkcs11_is_uri("PKCS11:object=b")); /* URI schemes are case-insensitive */
        assert_true(pkcs11_is_uri("pkcs11:"));
        assert_false(pkcs11_is_uri("pkcs11"));
        assert_false(pkcs11_is_uri("./pkcs11:object=b")); /* how to name such a file */
        assert_false(pkcs11_is_uri("/etc/keys/db.key"));
        assert_false(pkcs11_is_uri("db.key"));
        assert_false(pkcs11_is_uri(" pkcs11:object=b"));
        assert_false(pkcs11_is_uri("pkcs12:object=b"));
        assert_false(pkcs11_is_uri(""));
        assert_false(pkcs11_is_uri(NULL));
}

static void test_printable_length(void **state) {
        (void) state;
        assert_int_equal(pkcs11_printable_length("pkcs11:object=db?pin-value=1234"), strlen("pkcs11:object=db"));
        assert_int_equal(pkcs11_printable_length("pkcs11:object=db"), strlen("pkcs11:object=db"));
        /* A file name keeps its '?'. */
        assert_int_equal(pkcs11_printable_length("/keys/what?.pem"), strlen("/keys/what?.pem"));
        assert_int_equal(pkcs11_printable_length(""), 0);
}

static void test_plain(void **state) {
        struct pkcs11_uri u;

        (void) state;
        assert_int_equal(parse("pkcs11:token=keel-test;object=db;type=private", &u), 0);
        assert_string_equal(u.path, "pkcs11:token=keel-test;object=db;type=private");
        assert_null(u.module_path);
        assert_null(u.pin_value);
        assert_null(u.pin_file);
        assert_int_equal(u.type, PKCS11_TYPE_PRIVATE);
        pkcs11_uri_done(&u);

        /* The path goes to the engine as written: it decodes it itself. */
        assert_int_equal(parse("pkcs11:token=my%20token;id=%01%02", &u), 0);
        assert_string_equal(u.path, "pkcs11:token=my%20token;id=%01%02");
        assert_int_equal(u.type, PKCS11_TYPE_ANY);
        pkcs11_uri_done(&u);

        assert_int_equal(parse("pkcs11:object=db;type=cert", &u), 0);
        assert_int_equal(u.type, PKCS11_TYPE_CERT);
        pkcs11_uri_done(&u);
        assert_int_equal(parse("pkcs11:object=db;type=public", &u), 0);
        assert_int_equal(u.type, PKCS11_TYPE_OTHER);
        pkcs11_uri_done(&u);
        assert_int_equal(parse("pkcs11:object=db;type=", &u), 0);
        assert_int_equal(u.type, PKCS11_TYPE_OTHER);
        pkcs11_uri_done(&u);
        /* "privatekey" is not "private". */
        assert_int_equal(parse("pkcs11:object=db;type=privatekey", &u), 0);
        assert_int_equal(u.type, PKCS11_TYPE_OTHER);
        pkcs11_uri_done(&u);
}

static void test_query(void **state) {
        struct pkcs11_uri u;

        (void) state;
        assert_int_equal(parse("pkcs11:token=t;object=db;type=private?pin-value=12%2634&"
                               "module-path=%2Fusr%2Flib%2Fsofthsm%2Flibsofthsm2.so",
                               &u),
                         0);
        assert_string_equal(u.path, "pkcs11:token=t;object=db;type=private");
        assert_string_equal(u.pin_value, "12&34");
        assert_string_equal(u.module_path, "/usr/lib/softhsm/libsofthsm2.so");
        assert_null(u.pin_file);
        pkcs11_uri_done(&u);

        /* Empty query parts are nothing. */
        assert_int_equal(parse("pkcs11:object=db?", &u), 0);
        assert_string_equal(u.path, "pkcs11:object=db");
        pkcs11_uri_done(&u);
        assert_int_equal(parse("pkcs11:object=db?&&pin-value=1&", &u), 0);
        assert_string_equal(u.pin_value, "1");
        pkcs11_uri_done(&u);
        /* Only the first '?' starts the query. */
        assert_int_equal(parse("pkcs11:object=db?pin-value=a?b", &u), 0);
        assert_string_equal(u.pin_value, "a?b");
        pkcs11_uri_done(&u);
}

static void test_pin_source(void **state) {
        static const struct {
                const char *uri, *file;
        } cases[] = {
                { "pkcs11:object=db?pin-source=file:/run/pin", "/run/pin" },
                { "pkcs11:object=db?pin-source=FILE:/run/pin", "/run/pin" },
                { "pkcs11:object=db?pin-source=file:///run/pin", "/run/pin" },
                { "pkcs11:object=db?pin-source=file:pin.txt", "pin.txt" },
                { "pkcs11:object=db?pin-source=/run/pin", "/run/pin" },
                { "pkcs11:object=db?pin-source=pin.txt", "pin.txt" },
                { "pkcs11:object=db?pin-source=file:/run/my%20pin", "/run/my pin" },
                { "pkcs11:object=db?pin-source=/a:b", "/a:b" },
        };
        struct pkcs11_uri u;

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                if (parse(cases[i].uri, &u) != 0)
                        fail_msg("refused: %s", cases[i].uri);
                assert_string_equal(u.pin_file, cases[i].file);
                assert_null(u.pin_value);
                pkcs11_uri_done(&u);
        }
}

static void test_refused(void **state) {
        static const char *const cases[] = {
                "/etc/keys/db.key",
                /* no object: the engine would take any key it finds */
                "pkcs11:",
                "pkcs11:token=t",
                "pkcs11:token=t;type=private",
                "pkcs11:object=",
                "pkcs11:id=",
                "pkcs11:token=t?pin-value=1&object=db",
                /* bad percent escapes, an encoded NUL */
                "pkcs11:object=db?pin-value=%",
                "pkcs11:object=db?pin-value=12%4",
                "pkcs11:object=db?pin-value=%zz",
                "pkcs11:object=db?pin-value=%0g",
                "pkcs11:object=db?pin-value=12%00",
                "pkcs11:object=db?module-path=/lib/a.so%00.txt",
                /* unknown, repeated, empty, conflicting attributes */
                "pkcs11:object=db?pin=1234",
                "pkcs11:object=db?x-vendor=1",
                "pkcs11:object=db?module-name=softhsm2",
                "pkcs11:object=db?pin-value=1&pin-value=2",
                "pkcs11:object=db?module-path=/a.so&module-path=/b.so",
                "pkcs11:object=db?pin-value=1&pin-source=file:/run/pin",
                "pkcs11:object=db?pin-value=",
                "pkcs11:object=db?pin-value",
                "pkcs11:object=db?module-path=",
                "pkcs11:object=db?=1",
                /* PIN sources keel does not read */
                "pkcs11:object=db?pin-source=|/usr/bin/get-pin",
                "pkcs11:object=db?pin-source=https://vault/pin",
                "pkcs11:object=db?pin-source=file://host/run/pin",
                "pkcs11:object=db?pin-source=file:",
                "pkcs11:object=db?pin-source=file://",
        };

        (void) state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_refused(cases[i]);
}

/* The one error line shows the URI without its query: a PIN given in it
 * does not end up in a terminal, a CI log or a bug report. */
static void test_messages_hide_pin(void **state) {
        static const char *const cases[] = {
                "pkcs11:object=db?pin-value=S3CRET&bogus=1",
                "pkcs11:object=db?pin-value=S3CRET&pin-value=S3CRET",
                "pkcs11:object=db?pin-value=S3CRET&pin-source=/x",
                "pkcs11:token=t?pin-value=S3CRET",
                "pkcs11:object=db?bogus=S3CRET",
                "pkcs11:object=db?pin-value=S3CRET%",
        };
        char path[] = "/tmp/keel-test-pkcs11-XXXXXX";
        int fd = mkstemp(path), saved = dup(STDERR_FILENO);
        uint8_t *text;
        size_t size, lines = 0;

        (void) state;
        assert_true(fd >= 0 && saved >= 0);
        fflush(stderr);
        assert_true(dup2(fd, STDERR_FILENO) >= 0);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_refused(cases[i]);
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        close(fd);
        text = slurp(path, &size);
        unlink(path);
        assert_non_null(text);
        text[size] = '\0';
        /* One line per refusal, each naming the URI. */
        for (size_t i = 0; i < size; i++)
                lines += text[i] == '\n';
        assert_int_equal(lines, sizeof(cases) / sizeof(cases[0]));
        assert_null(strstr((char *) text, "S3CRET"));
        assert_non_null(strstr((char *) text, "keel: pkcs11:object=db: "));
        free(text);
}

/* Long hostile values: no fixed-size buffer anywhere. */
static void test_long(void **state) {
        size_t n = 100000;
        char *uri = malloc(n + 64);
        struct pkcs11_uri u;

        (void) state;
        assert_non_null(uri);
        strcpy(uri, "pkcs11:object=db?pin-value=");
        memset(uri + strlen(uri), 'A', n);
        uri[27 + n] = '\0';
        assert_int_equal(parse(uri, &u), 0);
        assert_int_equal(strlen(u.pin_value), n);
        pkcs11_uri_done(&u);

        memset(uri, ';', n);
        memcpy(uri, "pkcs11:", 7);
        uri[n] = '\0';
        assert_refused(uri);
        free(uri);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_is_uri),
                cmocka_unit_test(test_printable_length),
                cmocka_unit_test(test_plain),
                cmocka_unit_test(test_query),
                cmocka_unit_test(test_pin_source),
                cmocka_unit_test(test_refused),
                cmocka_unit_test(test_messages_hide_pin),
                cmocka_unit_test(test_long),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
