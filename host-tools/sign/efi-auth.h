/* SPDX-License-Identifier: MIT */
/* UEFI Secure Boot variable payloads (UEFI 2.10, 32.4 and 8.2.2): an
 * EFI_SIGNATURE_LIST holding one X.509 certificate, and a time-based
 * authenticated write (EFI_VARIABLE_AUTHENTICATION_2 followed by the new
 * value) that firmware accepts from SetVariable(). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

typedef struct {
        uint8_t b[16];          /* in EFI_GUID memory order */
} efi_guid;

extern const efi_guid efi_global_variable_guid;        /* 8be4df61-93ca-11d2-aa0d-00e098032b8c: PK, KEK */
extern const efi_guid efi_image_security_database_guid; /* d719b2cb-3d3a-4596-a3bc-dad00e67656f: db, dbx */

#define EFI_VARIABLE_NON_VOLATILE 0x00000001u
#define EFI_VARIABLE_BOOTSERVICE_ACCESS 0x00000002u
#define EFI_VARIABLE_RUNTIME_ACCESS 0x00000004u
#define EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS 0x00000020u
/* What PK, KEK and db are written with. */
#define EFI_SECURE_BOOT_VARIABLE_ATTRIBUTES                                                    \
        (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS | \
         EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS)

#define EFI_TIME_SIZE 16

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower case. */
void efi_guid_to_string(const efi_guid *g, char ret[37]);

/* An EFI_TIME for a time-based authenticated write: the date and time in
 * UTC, everything else (Pad1, Nanosecond, TimeZone, Daylight, Pad2) zero. */
void efi_time_from_unix(int64_t t, uint8_t ret[EFI_TIME_SIZE]);

/* EFI_SIGNATURE_LIST of type EFI_CERT_X509_GUID with the certificate's DER
 * as its one signature, owned by owner. Caller frees *ret. */
int efi_signature_list_x509(const efi_guid *owner, X509 *cert, uint8_t **ret, size_t *ret_size);

/* The payload for SetVariable(name, vendor, attributes, ...): an
 * EFI_VARIABLE_AUTHENTICATION_2 with timestamp and a PKCS#7 SignedData
 * (detached, SHA-256, no signed attributes, the signer's certificate
 * included, no ContentInfo wrapper: as sbvarsign writes it) over
 * name (UTF-16LE, no NUL) || vendor || attributes || timestamp || data,
 * then data. Caller frees *ret. */
int efi_auth2_create(const char *name, const efi_guid *vendor, uint32_t attributes, const uint8_t timestamp[EFI_TIME_SIZE],
                     const uint8_t *data, size_t data_size, EVP_PKEY *key, X509 *cert, uint8_t **ret, size_t *ret_size);
