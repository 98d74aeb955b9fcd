/* SPDX-License-Identifier: MIT */
/* The signing requests of keel install --prepare/--join
 * (host-tools/sign/signing-manifest.c, offline-sign.c), read back as
 * whoever carried the directory may have rewritten it: the manifest names
 * only plain files in the directory, each digest once; a signature is used
 * only for a digest keel computed itself and only when it verifies with
 * the public key; a request nothing matches any more is refused. */
#include "keel-test.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <unistd.h>

#include "host-tools/sign/offline-sign.h"
#include "host-tools/sign/signing-manifest.h"

#define H64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define REQ(key, digest, file, sig, purpose)                                                                  \
        "{\"key\":\"" key "\",\"algorithm\":\"rsa-pkcs1-v1_5-sha256\",\"digest\":\"" digest "\",\"file\":\"" \
        file "\",\"signature\":\"" sig "\",\"for\":\"" purpose "\"}"
#define MANIFEST(...) "{\"format\":\"keel-signing-requests-1\",\"requests\":[" __VA_ARGS__ "]}"

static int parse(const char *text, struct signing_request **ret, size_t *ret_n) {
        char error[256];
        uint8_t *copy = exact_copy(text, strlen(text));
        int r = signing_manifest_parse(copy, strlen(text), ret, ret_n, error, sizeof(error));

        free(copy);
        return r;
}

static void test_parse_good(void **state) {
        struct signing_request *q;
        size_t n;
        (void) state;

        assert_int_equal(parse(MANIFEST(REQ("pcr", H64, "0001-pcr.digest", "0001-pcr.sig", "gen 1: PCR 11 policy") ","
                                         REQ("db", H64, "0002-db.digest", "0002-db.sig", "loader")) "\n",
                               &q, &n),
                         0);
        assert_int_equal(n, 2);
        assert_int_equal(q[0].key, SIGNING_KEY_PCR);
        assert_int_equal(q[1].key, SIGNING_KEY_DB); /* the same digest for another key is another request */
        assert_int_equal(q[0].digest[1], 0x11);
        assert_string_equal(q[1].signature_file, "0002-db.sig");
        assert_string_equal(q[0].purpose, "gen 1: PCR 11 policy");
        free(q);
        assert_int_equal(parse(MANIFEST(), &q, &n), 0);
        assert_int_equal(n, 0);
        assert_null(q);
}

static void test_parse_hostile(void **state) {
        static const char *const bad[] = {
                "", "[]", "null", "{}", "{\"format\":\"keel-signing-requests-2\",\"requests\":[]}",
                "{\"format\":\"keel-signing-requests-1\",\"requests\":{}}",
                "{\"format\":\"keel-signing-requests-1\"}",
                MANIFEST() " x", MANIFEST() MANIFEST(), MANIFEST("1"), MANIFEST("{}"),
                MANIFEST(REQ("kek", H64, "a.digest", "a.sig", "")),
                MANIFEST(REQ("DB", H64, "a.digest", "a.sig", "")),
                MANIFEST("{\"key\":\"db\",\"algorithm\":\"rsa-pss-sha256\",\"digest\":\"" H64
                         "\",\"file\":\"a.digest\",\"signature\":\"a.sig\",\"for\":\"\"}"),
                MANIFEST("{\"key\":\"db\",\"algorithm\":\"rsa-pkcs1-v1_5-sha256\",\"digest\":\"" H64
                         "\",\"file\":\"a.digest\",\"signature\":\"a.sig\",\"for\":1}"),
                MANIFEST("{\"key\":\"db\",\"algorithm\":\"rsa-pkcs1-v1_5-sha256\",\"digest\":\"" H64
                         "\",\"file\":\"a.digest\",\"signature\":\"a.sig\"}"),
                MANIFEST(REQ("db", "00", "a.digest", "a.sig", "")),
                MANIFEST(REQ("db", H64 "00", "a.digest", "a.sig", "")),
                MANIFEST(REQ("db", "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff", "a.digest",
                             "a.sig", "")),
                MANIFEST(REQ("db", "0011223344556677889xaabbccddeeff00112233445566778899aabbccddeeff", "a.digest",
                             "a.sig", "")),
                MANIFEST(REQ("db", H64, "a.digest", "../a.sig", "")),
                MANIFEST(REQ("db", H64, "a.digest", "x/a.sig", "")),
                MANIFEST(REQ("db", H64, "a.digest", "/etc/a.sig", "")),
                MANIFEST(REQ("db", H64, "a.digest", ".a.sig", "")),
                MANIFEST(REQ("db", H64, "a.digest", "a.sig\\u0000", "")),
                MANIFEST(REQ("db", H64, "a.digest", "a sig.sig", "")),
                MANIFEST(REQ("db", H64, "a.digest", "manifest.json", "")),
                MANIFEST(REQ("db", H64, "a.digest", ".sig", "")),
                MANIFEST(REQ("db", H64, "a.sig", "a.sig", "")),
                MANIFEST(REQ("db", H64, "a.digest", "a.digest", "")),
                MANIFEST(REQ("db", H64, "a.digest", "a.sig", "tab\\there")),
                MANIFEST(REQ("db", H64, "a.digest", "a.sig", "nul\\u0000")),
                MANIFEST(REQ("db", H64, "a.digest", "a.sig", "") "," REQ("db", H64, "b.digest", "b.sig", "")),
                MANIFEST(REQ("db", H64, "a.digest", "a.sig", "") ","
                         REQ("pcr", "ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "a.digest",
                             "b.sig", "")),
                MANIFEST(REQ("db", H64, "a.digest", "a.sig", "") ","
                         REQ("pcr", "ff112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "b.digest",
                             "a.sig", "")),
                "{\"format\":\"keel-signing-requests-1\",\"requests\":[[[[[[[[[[[[[[]]]]]]]]]]]]]]}",
        };
        struct signing_request *q = (void *) 1;
        size_t n = 1;
        (void) state;

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                if (parse(bad[i], &q, &n) != -1)
                        fail_msg("accepted: %s", bad[i]);
                assert_null(q);
                assert_int_equal(n, 0);
        }
}

static void test_parse_nul_and_limits(void **state) {
        static const char text[] = MANIFEST() "\0";
        char error[256], name[SIGNING_NAME_MAX + 8];
        struct signing_request *q;
        size_t n;
        (void) state;

        /* A NUL inside the size given: refused, not read as a shorter text. */
        assert_int_equal(signing_manifest_parse(text, sizeof(text) - 1, &q, &n, error, sizeof(error)), -1);
        assert_string_equal(error, "has a NUL byte");
        assert_int_equal(signing_manifest_parse(text, SIGNING_MANIFEST_MAX + 1, &q, &n, error, sizeof(error)), -1);

        memset(name, 'a', sizeof(name));
        strcpy(name + SIGNING_NAME_MAX - 4, ".sig");
        assert_null(signing_file_name_problem(name, ".sig"));
        memset(name, 'a', sizeof(name));
        strcpy(name + SIGNING_NAME_MAX - 3, ".sig");
        assert_non_null(signing_file_name_problem(name, ".sig"));
        assert_non_null(signing_file_name_problem("", ".sig"));
        assert_non_null(signing_file_name_problem("a.sig", ".digest"));
        assert_null(signing_file_name_problem("0001-db.digest", ".digest"));
}

static void test_format_round_trip(void **state) {
        struct signing_request in[3] = {}, *out;
        char *text;
        size_t size, n;
        (void) state;

        for (size_t i = 0; i < 3; i++) {
                in[i].key = i == 1 ? SIGNING_KEY_DB : SIGNING_KEY_PCR;
                memset(in[i].digest, (int) i + 1, sizeof(in[i].digest));
                signing_request_name(i, &in[i]);
                snprintf(in[i].purpose, sizeof(in[i].purpose), "EFI/Linux/x-%zu: \"quoted\" \\ ü", i);
        }
        assert_string_equal(in[1].digest_file, "0002-db.digest");
        assert_string_equal(in[2].signature_file, "0003-pcr.sig");
        assert_int_equal(signing_manifest_format(in, 3, &text, &size), 0);
        assert_int_equal(strlen(text), size);
        assert_int_equal(parse(text, &out, &n), 0);
        assert_int_equal(n, 3);
        assert_memory_equal(in, out, sizeof(in));
        free(out);
        free(text);
}

/* ---- offline_sign(): what a run signs against what the directory holds ---- */

static EVP_PKEY *test_key(void) {
        static EVP_PKEY *key;

        if (!key)
                key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t) 2048);
        assert_non_null(key);
        return key;
}

static void sign_digest(EVP_PKEY *key, const uint8_t digest[32], uint8_t sig[256]) {
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
        size_t size = 256;

        assert_true(ctx && EVP_PKEY_sign_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
                    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
                    EVP_PKEY_sign(ctx, sig, &size, digest, 32) == 1 && size == 256);
        EVP_PKEY_CTX_free(ctx);
}

static char dir[64];

static void write_in_dir(const char *name, const void *data, size_t size) {
        char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fwrite(data, 1, size, f), size);
        fclose(f);
}

static void remove_dir(void) {
        static const char *const names[] = { "manifest.json", "0001-pcr.digest", "0002-db.digest", "0001-pcr.sig",
                                             "0002-db.sig", "0003-db.digest" };
        char path[128];

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
                unlink(path);
        }
        rmdir(dir);
}

static void test_prepare_then_join(void **state) {
        EVP_PKEY *key = test_key();
        uint8_t pcr[32], db[32], sig[256], *out;
        size_t size;
        struct offline_signing o;
        enum offline_outcome outcome;
        (void) state;

        memset(pcr, 0xa1, sizeof(pcr));
        memset(db, 0xd2, sizeof(db));
        snprintf(dir, sizeof(dir), "/tmp/keel-test-offline.%d", (int) getpid());
        remove_dir();

        /* Prepare: the loader's Authenticode, a PCR policy; a UKI's
         * Authenticode after it is deferred; the size run asks for nothing. */
        assert_int_equal(offline_signing_init(&o, dir, false, key, key), 0);
        assert_int_equal(offline_sign(&o, SIGNING_KEY_DB, db, "loader", &out, &size), 0);
        assert_int_equal(size, 256);
        free(out);
        o.sizing = true;
        assert_int_equal(offline_sign(&o, SIGNING_KEY_PCR, db, "zeros", &out, &size), 0);
        free(out);
        o.sizing = false;
        assert_int_equal(offline_sign(&o, SIGNING_KEY_PCR, pcr, "policy", &out, &size), 0);
        free(out);
        assert_int_equal(offline_sign(&o, SIGNING_KEY_PCR, pcr, "policy again", &out, &size), 0);
        free(out);
        assert_int_equal(offline_sign(&o, SIGNING_KEY_DB, pcr, "uki", &out, &size), 0);
        free(out);
        assert_int_equal(o.n_entries, 2);
        assert_int_equal(o.n_deferred, 1);
        assert_int_equal(offline_signing_finish(&o, &outcome), 0);
        assert_int_equal(outcome, OFFLINE_REQUESTED);
        offline_signing_done(&o);

        /* Join without the signatures: refused. */
        assert_int_equal(offline_signing_init(&o, dir, true, key, key), -1);
        sign_digest(key, db, sig);
        write_in_dir("0001-db.sig", sig, sizeof(sig));
        sign_digest(key, pcr, sig);
        sig[10] ^= 1;
        write_in_dir("0002-pcr.sig", sig, sizeof(sig));
        assert_int_equal(offline_signing_init(&o, dir, true, key, key), -1); /* does not verify */
        sig[10] ^= 1;
        write_in_dir("0002-pcr.sig", sig, 255);
        assert_int_equal(offline_signing_init(&o, dir, true, key, key), -1); /* cut */
        write_in_dir("0002-pcr.sig", sig, sizeof(sig));
        assert_int_equal(offline_signing_init(&o, dir, true, key, NULL), -1); /* no PCR key given */

        /* Join: the returned signature for exactly that digest. */
        assert_int_equal(offline_signing_init(&o, dir, true, key, key), 0);
        assert_int_equal(offline_sign(&o, SIGNING_KEY_PCR, pcr, "policy", &out, &size), 0);
        assert_memory_equal(out, sig, sizeof(sig));
        free(out);
        assert_int_equal(offline_sign(&o, SIGNING_KEY_DB, db, "loader", &out, &size), 0);
        free(out);
        assert_int_equal(offline_sign(&o, SIGNING_KEY_DB, pcr, "uki", &out, &size), 0);
        free(out);
        assert_int_equal(offline_signing_finish(&o, &outcome), 0);
        assert_int_equal(outcome, OFFLINE_REQUESTED); /* the UKI's request, 0003-db */
        offline_signing_done(&o);

        /* A run that no longer signs the PCR digest: stale, refused. */
        sign_digest(key, pcr, sig);
        write_in_dir("0003-db.sig", sig, sizeof(sig));
        assert_int_equal(offline_signing_init(&o, dir, true, key, key), 0);
        assert_int_equal(offline_sign(&o, SIGNING_KEY_DB, db, "loader", &out, &size), 0);
        free(out);
        assert_int_equal(offline_sign(&o, SIGNING_KEY_DB, pcr, "uki", &out, &size), 0);
        free(out);
        assert_int_equal(offline_signing_finish(&o, &outcome), -1);
        offline_signing_done(&o);

        /* A PCR digest --prepare never asked for: refused. */
        assert_int_equal(offline_signing_init(&o, dir, true, key, key), 0);
        memset(pcr, 0x77, sizeof(pcr));
        assert_int_equal(offline_sign(&o, SIGNING_KEY_PCR, pcr, "new", &out, &size), 0);
        free(out);
        assert_int_equal(offline_signing_finish(&o, &outcome), -1);
        offline_signing_done(&o);

        /* --prepare into the directory now holding requests: refused. */
        assert_int_equal(offline_signing_init(&o, dir, false, key, key), -1);
        remove_dir();
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_good),
                cmocka_unit_test(test_parse_hostile),
                cmocka_unit_test(test_parse_nul_and_limits),
                cmocka_unit_test(test_format_round_trip),
                cmocka_unit_test(test_prepare_then_join),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
