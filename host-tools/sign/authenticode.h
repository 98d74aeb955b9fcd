/* SPDX-License-Identifier: MIT */
/* Authenticode for UEFI images: the SHA-256 image hash, the PKCS#7
 * SignedData that carries it (SpcIndirectDataContent, as sbsign,
 * osslsigncode and signtool write it) and the verification of such a
 * signature the way UEFI firmware (EDK II) does it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "host-tools/pe/pe-checksum.h"
#include "common/authenticode.h"

#define AUTHENTICODE_DIGEST_SIZE 32 /* SHA-256 */

/* Hashes the regions of a file held in memory (data covers at least
 * l->image_end bytes). pad_zeros is the number of zero bytes a signer puts
 * after image_end to align the certificate table: they become trailing data
 * of the signed file and are hashed as such. When checksum is not NULL it
 * also sums, in the same pass, those bytes for the PE checksum, with the
 * CheckSum field and the certificate-table directory entry read as zeros. */
int authenticode_hash(const uint8_t *data, const struct authenticode_layout *l, size_t pad_zeros,
                      uint8_t ret_digest[AUTHENTICODE_DIGEST_SIZE], struct pe_checksum *checksum);
/* The same for a file, read with pread() (which the page cache serves
 * faster than a mapping). */
int authenticode_hash_fd(int fd, const struct authenticode_layout *l, size_t pad_zeros,
                         uint8_t ret_digest[AUTHENTICODE_DIGEST_SIZE], struct pe_checksum *checksum);

/* A DER PKCS#7 ContentInfo (SignedData over SpcIndirectDataContent) for an
 * image digest. Deterministic: no signing time, so the same image, key and
 * certificate always give the same bytes. The caller frees *ret with
 * OPENSSL_free(). */
int authenticode_sign_digest(const uint8_t digest[AUTHENTICODE_DIGEST_SIZE], EVP_PKEY *key, X509 *cert, uint8_t **ret,
                             size_t *ret_size);

/* The same with the signature made elsewhere: offline_sign() gets the
 * SHA-256 of the signed attributes (host-tools/sign/offline-sign.h). */
struct offline_signing;
int authenticode_sign_digest_offline(const uint8_t digest[AUTHENTICODE_DIGEST_SIZE], X509 *cert,
                                     struct offline_signing *offline, uint8_t **ret, size_t *ret_size);

enum authenticode_verdict {
        AUTHENTICODE_OK,
        AUTHENTICODE_MALFORMED,          /* not a PKCS#7 SignedData carrying SpcIndirectDataContent */
        AUTHENTICODE_UNSUPPORTED_DIGEST, /* the image digest is not SHA-256 */
        AUTHENTICODE_DIGEST_MISMATCH,    /* the signature is for other bytes */
        AUTHENTICODE_BAD_SIGNATURE,      /* the signature does not match its content */
        AUTHENTICODE_UNTRUSTED,          /* valid, but not by (a chain to) a trusted certificate */
};

const char *authenticode_verdict_text(enum authenticode_verdict v);

/* Checks one PKCS#7 blob from a certificate table against the image digest.
 * trusted holds the certificates the caller trusts; as in EDK II, any of
 * them may end the chain (it need not be self-signed), and neither validity
 * dates nor key-usage purposes are checked. When ret_signer is not NULL it
 * gets the signer's subject (caller frees with OPENSSL_free). */
enum authenticode_verdict authenticode_verify_blob(const uint8_t *der, size_t size,
                                                   const uint8_t digest[AUTHENTICODE_DIGEST_SIZE],
                                                   X509_STORE *trusted, char **ret_signer);

/* A store that trusts exactly these certificates, set up as above. */
X509_STORE *authenticode_trust_store(X509 *const *certs, size_t n_certs);
