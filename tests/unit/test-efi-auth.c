/* SPDX-License-Identifier: MIT */
/* The Secure Boot variable payloads `keel keys create` writes, field by
 * field as UEFI 2.10 lays them out (32.4.1 EFI_SIGNATURE_LIST, 8.2.2
 * EFI_VARIABLE_AUTHENTICATION_2), with the signature checked by OpenSSL's
 * PKCS#7 verifier over bytes assembled here from the specification. */
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "keel-test.h"

#include "common/util.h"
#include "host-tools/sign/efi-auth.h"

static EVP_PKEY *key, *other_key;
static X509 *cert, *other_cert;

static X509 *self_signed(EVP_PKEY *k, const char *cn) {
        X509 *x = X509_new();
        X509_NAME *name = X509_get_subject_name(x);

        X509_set_version(x, X509_VERSION_3);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 3600);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *) cn, -1, -1, 0);
        X509_set_issuer_name(x, name);
        X509_set_pubkey(x, k);
        X509_sign(x, k, EVP_sha256());
        return x;
}

static int setup(void **state) {
        (void) state;
        key = EVP_RSA_gen(2048);
        other_key = EVP_RSA_gen(2048);
        if (!key || !other_key)
                return -1;
        cert = self_signed(key, "efi-auth test");
        other_cert = self_signed(other_key, "someone else");
        return 0;
}

static int teardown(void **state) {
        (void) state;
        EVP_PKEY_free(key);
        EVP_PKEY_free(other_key);
        X509_free(cert);
        X509_free(other_cert);
        return 0;
}

static void test_guid_text(void **state) {
        char text[37];
        (void) state;

        efi_guid_to_string(&efi_global_variable_guid, text);
        assert_string_equal(text, "8be4df61-93ca-11d2-aa0d-00e098032b8c");
        efi_guid_to_string(&efi_image_security_database_guid, text);
        assert_string_equal(text, "d719b2cb-3d3a-4596-a3bc-dad00e67656f");
        /* In memory the first three fields are little-endian. */
        assert_memory_equal(efi_global_variable_guid.b, "\x61\xdf\xe4\x8b\xca\x93\xd2\x11", 8);
}

static void test_time(void **state) {
        uint8_t t[EFI_TIME_SIZE];
        (void) state;

        efi_time_from_unix(951825905, t); /* 2000-02-29 12:05:05 UTC */
        assert_memory_equal(t, "\xd0\x07\x02\x1d\x0c\x05\x05\x00", 8);
        assert_memory_equal(t + 8, "\0\0\0\0\0\0\0\0", 8); /* Nanosecond, TimeZone, Daylight, pads */
        efi_time_from_unix(1796083199, t); /* 2026-11-30 23:59:59 UTC */
        assert_memory_equal(t, "\xea\x07\x0b\x1e\x17\x3b\x3b\x00", 8);
}

static void test_signature_list(void **state) {
        static const efi_guid owner = { { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 } };
        uint8_t *esl, *der = NULL;
        size_t size;
        int n = i2d_X509(cert, &der);
        (void) state;

        assert_true(n > 0);
        assert_int_equal(efi_signature_list_x509(&owner, cert, &esl, &size), 0);
        assert_int_equal(size, 28 + 16 + (size_t) n);
        /* EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072 */
        assert_memory_equal(esl, "\xa1\x59\xc0\xa5\xe4\x94\xa7\x4a\x87\xb5\xab\x15\x5c\x2b\xf0\x72", 16);
        assert_int_equal(read_le32(esl + 16), size);          /* SignatureListSize */
        assert_int_equal(read_le32(esl + 20), 0);             /* SignatureHeaderSize */
        assert_int_equal(read_le32(esl + 24), 16 + n);        /* SignatureSize */
        assert_memory_equal(esl + 28, owner.b, 16);
        assert_memory_equal(esl + 44, der, (size_t) n);
        free(esl);
        OPENSSL_free(der);
}

/* Verifies the detached PKCS#7 SignedData of an .auth over bytes built
 * here: name as UTF-16LE without NUL, vendor GUID, attributes, timestamp,
 * data. Returns 1 when it verifies with trusted. */
static int verify_auth(const uint8_t *auth, size_t size, const char *name, const efi_guid *vendor, uint32_t attributes,
                       X509 *trusted) {
        uint32_t len = read_le32(auth + 16);
        const uint8_t *p = auth + 40;
        PKCS7_SIGNED *sd = d2i_PKCS7_SIGNED(NULL, &p, len - 24);
        PKCS7 *p7 = PKCS7_new();
        uint8_t buf[4096], *q = buf;
        X509_STORE *store = X509_STORE_new();
        BIO *bio;
        int ok;

        assert_non_null(sd);
        assert_true(p == auth + 16 + len); /* the DER fills dwLength exactly */
        for (const char *c = name; *c; c++, q += 2)
                write_le16(q, (uint8_t) *c);
        memcpy(q, vendor->b, 16);
        q += 16;
        write_le32(q, attributes);
        q += 4;
        memcpy(q, auth, 16);
        q += 16;
        memcpy(q, auth + 16 + len, size - 16 - len);
        q += size - 16 - len;
        bio = BIO_new_mem_buf(buf, (int) (q - buf));

        p7->type = OBJ_nid2obj(NID_pkcs7_signed);
        p7->d.sign = sd;
        X509_STORE_add_cert(store, trusted);
        X509_STORE_set_purpose(store, X509_PURPOSE_ANY);
        ok = PKCS7_verify(p7, NULL, store, bio, NULL, PKCS7_BINARY) == 1;
        /* UEFI 2.10 8.2.2: no authenticated attributes. */
        assert_true(sk_X509_ATTRIBUTE_num(sk_PKCS7_SIGNER_INFO_value(sd->signer_info, 0)->auth_attr) <= 0);
        ERR_clear_error();
        BIO_free(bio);
        X509_STORE_free(store);
        PKCS7_free(p7);
        return ok;
}

static void test_auth2(void **state) {
        static const efi_guid owner = { { 0xaa } };
        uint8_t ts[EFI_TIME_SIZE], *esl, *auth;
        size_t esl_size, size;
        uint32_t len;
        (void) state;

        efi_time_from_unix(1796083199, ts);
        assert_int_equal(efi_signature_list_x509(&owner, cert, &esl, &esl_size), 0);
        assert_int_equal(efi_auth2_create("db", &efi_image_security_database_guid, EFI_SECURE_BOOT_VARIABLE_ATTRIBUTES, ts,
                                          esl, esl_size, key, cert, &auth, &size),
                         0);
        assert_int_equal(EFI_SECURE_BOOT_VARIABLE_ATTRIBUTES, 0x27);
        assert_memory_equal(auth, ts, EFI_TIME_SIZE);
        len = read_le32(auth + 16);                             /* AuthInfo.Hdr.dwLength */
        assert_int_equal(read_le16(auth + 20), 0x0200);         /* wRevision */
        assert_int_equal(read_le16(auth + 22), 0x0ef1);         /* WIN_CERT_TYPE_EFI_GUID */
        /* EFI_CERT_TYPE_PKCS7_GUID 4aafd29d-68df-49ee-8aa9-347d375665a7 */
        assert_memory_equal(auth + 24, "\x9d\xd2\xaf\x4a\xdf\x68\xee\x49\x8a\xa9\x34\x7d\x37\x56\x65\xa7", 16);
        assert_int_equal(size, 16 + len + esl_size);
        assert_memory_equal(auth + 16 + len, esl, esl_size);    /* the new value follows */

        assert_int_equal(verify_auth(auth, size, "db", &efi_image_security_database_guid, 0x27, cert), 1);
        /* Any other name, vendor, attributes or signer fails. */
        assert_int_equal(verify_auth(auth, size, "dB", &efi_image_security_database_guid, 0x27, cert), 0);
        assert_int_equal(verify_auth(auth, size, "db", &efi_global_variable_guid, 0x27, cert), 0);
        assert_int_equal(verify_auth(auth, size, "db", &efi_image_security_database_guid, 0x67, cert), 0);
        assert_int_equal(verify_auth(auth, size, "db", &efi_image_security_database_guid, 0x27, other_cert), 0);
        free(esl);
        free(auth);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_guid_text),
                cmocka_unit_test(test_time),
                cmocka_unit_test(test_signature_list),
                cmocka_unit_test(test_auth2),
        };
        return cmocka_run_group_tests_name("efi-auth", tests, setup, teardown);
}
