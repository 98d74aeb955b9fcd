/* SPDX-License-Identifier: MIT */
/* libFuzzer target for what `keel verify` parses: the input as a whole PE
 * file (hashed regions, certificate table, each PKCS#7 entry against the
 * image digest), as a bare certificate table, and as a bare PKCS#7 blob.
 * The seeds in corpus/fuzz-authenticode are a tiny EFI image signed by keel,
 * by sbsign, twice, and with trailing data; they are signed by the
 * certificate below (its key was thrown away), so mutations start from
 * signatures that really verify. The guarantees authenticode.h documents are
 * checked and abort() when broken; every hashed byte is read from the input
 * buffer, so AddressSanitizer catches a region that reaches past it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "common/authenticode.h"
#include "common/error.h"
#include "host-tools/sign/authenticode.h"

static const char seed_cert_pem[] =
        "-----BEGIN CERTIFICATE-----\n"
        "MIIDFTCCAf2gAwIBAgIUeJLhmO28B/FrUJMI4KFlujriKnMwDQYJKoZIhvcNAQEL\n"
        "BQAwGTEXMBUGA1UEAwwOa2VlbCBmdXp6IHNlZWQwIBcNMjYxMTI1MTgyNjU0WhgP\n"
        "MjEyNjExMDExODI2NTRaMBkxFzAVBgNVBAMMDmtlZWwgZnV6eiBzZWVkMIIBIjAN\n"
        "BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1mPXy2affOHinQLNBgwPyIYfc2zt\n"
        "uzx7KC3yyYtYI0DqZnRPfgKloYkoqoOP/nRdldurIOYhi/Ct4xZW52qcxYEg25eO\n"
        "6n+S6Ti4bfyOHSZsMcjjh9lTTtPFvFYlEGXSB853C8I7jMbSI5Ff+kfTtNN+mkSe\n"
        "7Xrt+sD/ZJCYyEEzEvLbUv6GR65Q0zcPuGT9aZR/pyizLFcTZKAvLCAH/lnlqNSU\n"
        "99Zo/yPgUogOMTgMFnDMUD7ub9YWn8kaYpWd2gtWNSeGVrd0yhuquC0ogoICN3W9\n"
        "9gHE/Oy6koBFbw1X+dZ0omyzW/kAGJmzMh/GZk4SMlQBj18gyHni6FoDdwIDAQAB\n"
        "o1MwUTAdBgNVHQ4EFgQUSB+eMnrFFEqhWVZaFaZH0YFvggIwHwYDVR0jBBgwFoAU\n"
        "SB+eMnrFFEqhWVZaFaZH0YFvggIwDwYDVR0TAQH/BAUwAwEB/zANBgkqhkiG9w0B\n"
        "AQsFAAOCAQEATTjSamhpmbS+YYmTnmE0ne6qeADOHXZOpF/qmPc8hOCvQzoOZP+U\n"
        "oAdeETdX7ItmVNVRJmyosFQN94piYSbmiaJwM5w89jCr5jhUPmqPeEPKL0qDM36p\n"
        "zde7T8wXd8RVUrCuMVPEGAMrzssrmY78l6qF5YtSvbOhCDmP7G0mjoEmgYxxNImn\n"
        "Qklaj/oJJTAIofqVih0kSI6cHIWvYbZ+c+BMI1mp4ng6ZYLObmZx22wK6NseHNu6\n"
        "y2DhIGisd2zqPja+KoTIj28j609Z/rMsSvYiFobgoF6QJc36rcSd0SfqcsdWRXff\n"
        "NTRHREK9rT+0YDpcwR2VuRZvhTW+RAcgZw==\n"
        "-----END CERTIFICATE-----\n";

static X509_STORE *store;

static void check(bool condition) {
        if (!condition)
                abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        BIO *bio = BIO_new_mem_buf(seed_cert_pem, -1);
        X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

        (void) argc;
        (void) argv;
        check(cert != NULL);
        store = authenticode_trust_store(&cert, 1);
        check(store != NULL);
        X509_free(cert);
        BIO_free(bio);
        return 0;
}

static void check_table(const uint8_t *table, size_t size, const struct win_certificate *e, size_t n) {
        for (size_t i = 0; i < n; i++) {
                check(e[i].offset % WIN_CERT_ALIGNMENT == 0);
                check(e[i].length >= WIN_CERT_HEADER_SIZE && e[i].length <= size - e[i].offset);
                check(e[i].data == table + e[i].offset + WIN_CERT_HEADER_SIZE);
                check(e[i].data_size == e[i].length - WIN_CERT_HEADER_SIZE);
                check(i == 0 || e[i].offset > e[i - 1].offset);
        }
}

static void check_layout(const struct authenticode_layout *l, size_t size) {
        uint64_t end = 0;

        check(l->image_end <= size);
        check(l->checksum_offset + 4 <= l->cert_dir_offset);
        if (l->cert_table_size > 0) {
                check(l->image_end == l->cert_table_offset);
                check((uint64_t) l->cert_table_offset + l->cert_table_size == size);
        } else
                check(l->image_end == size);
        check(l->n_regions <= AUTHENTICODE_MAX_REGIONS);
        for (size_t i = 0; i < l->n_regions; i++) {
                const struct authenticode_region *r = &l->regions[i];
                check(r->size > 0 && r->offset <= l->image_end && r->size <= l->image_end - r->offset);
                /* Neither CheckSum nor the directory entry is ever hashed. */
                check(r->offset + r->size <= l->checksum_offset || r->offset >= l->checksum_offset + 4);
                check(r->offset + r->size <= l->cert_dir_offset || r->offset >= l->cert_dir_offset + 8);
                if (l->in_file_order)
                        check(r->offset >= end);
                end = r->offset + r->size;
        }
}

static const uint8_t zero_digest[AUTHENTICODE_DIGEST_SIZE];

static void verify_entries(const uint8_t *table, size_t size, const uint8_t digest[AUTHENTICODE_DIGEST_SIZE]) {
        struct win_certificate e[WIN_CERT_MAX_ENTRIES];
        size_t n;

        if (win_certificate_parse(table, size, e, WIN_CERT_MAX_ENTRIES, &n) != KEEL_OK)
                return;
        check(n <= WIN_CERT_MAX_ENTRIES);
        check_table(table, size, e, n);
        for (size_t i = 0; i < n; i++) {
                char *who = NULL;
                enum authenticode_verdict v = authenticode_verify_blob(e[i].data, e[i].data_size, digest, store, &who);
                check(v <= AUTHENTICODE_UNTRUSTED);
                check(v != AUTHENTICODE_OK || memcmp(digest, zero_digest, sizeof(zero_digest)) != 0);
                OPENSSL_free(who);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct authenticode_layout l;
        uint8_t digest[AUTHENTICODE_DIGEST_SIZE];
        struct pe_checksum c;

        /* As a PE file. */
        if (authenticode_layout(data, size, size, &l) == KEEL_OK) {
                check_layout(&l, size);
                check(authenticode_hash(data, &l, 0, digest, &c) == 0);
                check(c.length == l.image_end);
                if (l.cert_table_size > 0)
                        verify_entries(data + l.cert_table_offset, l.cert_table_size, digest);
        }
        /* As a bare table and a bare PKCS#7 blob. Nothing can be a valid
         * signature over the zero digest: the seed key no longer exists. */
        verify_entries(data, size, zero_digest);
        check(authenticode_verify_blob(data, size, zero_digest, store, NULL) != AUTHENTICODE_OK);
        return 0;
}
