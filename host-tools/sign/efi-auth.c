/* SPDX-License-Identifier: MIT */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>

#include "host-tools/sign/efi-auth.h"
#include "host-tools/core/log.h"
#include "common/util.h"

#define GUID(a, b, c, d0, d1, d2, d3, d4, d5, d6, d7)                                                  \
        { { (a) & 0xff, ((a) >> 8) & 0xff, ((a) >> 16) & 0xff, ((a) >> 24) & 0xff, (b) & 0xff, ((b) >> 8) & 0xff, \
            (c) & 0xff, ((c) >> 8) & 0xff, d0, d1, d2, d3, d4, d5, d6, d7 } }

const efi_guid efi_global_variable_guid =
        GUID(0x8be4df61, 0x93ca, 0x11d2, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c);
const efi_guid efi_image_security_database_guid =
        GUID(0xd719b2cb, 0x3d3a, 0x4596, 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f);
static const efi_guid efi_cert_x509_guid =
        GUID(0xa5c059a1, 0x94e4, 0x4aa7, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72);
static const efi_guid efi_cert_type_pkcs7_guid =
        GUID(0x4aafd29d, 0x68df, 0x49ee, 0x8a, 0xa9, 0x34, 0x7d, 0x37, 0x56, 0x65, 0xa7);

#define ESL_HEADER_SIZE (16 + 4 + 4 + 4)  /* SignatureType, ListSize, HeaderSize, SignatureSize */
#define WIN_CERT_UEFI_GUID_HEADER_SIZE (4 + 2 + 2 + 16)
#define WIN_CERT_TYPE_EFI_GUID 0x0ef1
#define WIN_CERT_REVISION_2_0 0x0200

void efi_guid_to_string(const efi_guid *g, char ret[37]) {
        const uint8_t *b = g->b;
        snprintf(ret, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[3], b[2], b[1], b[0],
                 b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void efi_time_from_unix(int64_t t, uint8_t ret[EFI_TIME_SIZE]) {
        time_t tt = (time_t) t;
        struct tm tm;

        memset(ret, 0, EFI_TIME_SIZE);
        gmtime_r(&tt, &tm);
        write_le16(ret, (uint16_t) (tm.tm_year + 1900));
        ret[2] = (uint8_t) (tm.tm_mon + 1);  /* EFI_TIME months count from 1 */
        ret[3] = (uint8_t) tm.tm_mday;
        ret[4] = (uint8_t) tm.tm_hour;
        ret[5] = (uint8_t) tm.tm_min;
        ret[6] = (uint8_t) (tm.tm_sec > 59 ? 59 : tm.tm_sec);
}

int efi_signature_list_x509(const efi_guid *owner, X509 *cert, uint8_t **ret, size_t *ret_size) {
        uint8_t *der = NULL, *list;
        int n = i2d_X509(cert, &der);
        size_t size;

        if (n <= 0)
                return log_error("cannot encode the certificate");
        size = ESL_HEADER_SIZE + 16 + (size_t) n;
        list = malloc(size);
        if (!list) {
                OPENSSL_free(der);
                return log_error("out of memory");
        }
        memcpy(list, efi_cert_x509_guid.b, 16);
        write_le32(list + 16, (uint32_t) size);       /* SignatureListSize */
        write_le32(list + 20, 0);                     /* SignatureHeaderSize */
        write_le32(list + 24, (uint32_t) (16 + n));   /* SignatureSize: owner + data */
        memcpy(list + ESL_HEADER_SIZE, owner->b, 16);
        memcpy(list + ESL_HEADER_SIZE + 16, der, (size_t) n);
        OPENSSL_free(der);
        *ret = list;
        *ret_size = size;
        return 0;
}

/* name || vendor || attributes || timestamp || data: what the PKCS#7
 * signature of an authenticated write covers (UEFI 2.10, 8.2.2). */
static int signed_payload(const char *name, const efi_guid *vendor, uint32_t attributes,
                          const uint8_t timestamp[EFI_TIME_SIZE], const uint8_t *data, size_t data_size, uint8_t **ret,
                          size_t *ret_size) {
        size_t name_len = strlen(name), size = 2 * name_len + 16 + 4 + EFI_TIME_SIZE + data_size;
        uint8_t *p = malloc(size), *q;

        if (!p)
                return log_error("out of memory");
        q = p;
        for (size_t i = 0; i < name_len; i++, q += 2)
                write_le16(q, (uint8_t) name[i]);  /* variable names here are ASCII */
        memcpy(q, vendor->b, 16);
        q += 16;
        write_le32(q, attributes);
        q += 4;
        memcpy(q, timestamp, EFI_TIME_SIZE);
        q += EFI_TIME_SIZE;
        memcpy(q, data, data_size);
        *ret = p;
        *ret_size = size;
        return 0;
}

/* DER SignedData (no ContentInfo around it) of a detached signature. */
static int sign_detached(const uint8_t *payload, size_t size, EVP_PKEY *key, X509 *cert, uint8_t **ret, int *ret_size) {
        const int flags = PKCS7_BINARY | PKCS7_DETACHED | PKCS7_NOATTR;
        BIO *in = size <= INT_MAX ? BIO_new_mem_buf(payload, (int) size) : NULL;
        PKCS7 *p7 = NULL;
        int n = -1;

        *ret = NULL;
        if (!in)
                goto err_free;
        p7 = PKCS7_sign(NULL, NULL, NULL, NULL, flags | PKCS7_PARTIAL);
        if (!p7 || !PKCS7_sign_add_signer(p7, cert, key, EVP_sha256(), flags) || !PKCS7_final(p7, in, flags))
                goto err_free;
        n = i2d_PKCS7_SIGNED(p7->d.sign, ret);
err_free:
        if (n <= 0) {
                unsigned long e = ERR_peek_last_error();
                log_error("cannot sign the variable%s%s", e ? ": " : "", e ? ERR_reason_error_string(e) : "");
        }
        ERR_clear_error();
        PKCS7_free(p7);
        BIO_free(in);
        *ret_size = n;
        return n > 0 ? 0 : -1;
}

int efi_auth2_create(const char *name, const efi_guid *vendor, uint32_t attributes, const uint8_t timestamp[EFI_TIME_SIZE],
                     const uint8_t *data, size_t data_size, EVP_PKEY *key, X509 *cert, uint8_t **ret, size_t *ret_size) {
        uint8_t *payload = NULL, *sig = NULL, *out, *q;
        size_t payload_size = 0, size;
        int sig_size, r = -1;

        if (signed_payload(name, vendor, attributes, timestamp, data, data_size, &payload, &payload_size) < 0)
                return -1;
        if (sign_detached(payload, payload_size, key, cert, &sig, &sig_size) < 0)
                goto err_free;

        size = EFI_TIME_SIZE + WIN_CERT_UEFI_GUID_HEADER_SIZE + (size_t) sig_size + data_size;
        out = malloc(size);
        if (!out) {
                log_error("out of memory");
                goto err_free;
        }
        q = out;
        memcpy(q, timestamp, EFI_TIME_SIZE);
        q += EFI_TIME_SIZE;
        write_le32(q, (uint32_t) (WIN_CERT_UEFI_GUID_HEADER_SIZE + sig_size)); /* dwLength */
        write_le16(q + 4, WIN_CERT_REVISION_2_0);
        write_le16(q + 6, WIN_CERT_TYPE_EFI_GUID);
        memcpy(q + 8, efi_cert_type_pkcs7_guid.b, 16);
        q += WIN_CERT_UEFI_GUID_HEADER_SIZE;
        memcpy(q, sig, (size_t) sig_size);
        q += sig_size;
        memcpy(q, data, data_size);
        *ret = out;
        *ret_size = size;
        r = 0;
err_free:
        OPENSSL_free(sig);
        free(payload);
        return r;
}
