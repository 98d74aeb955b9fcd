/* SPDX-License-Identifier: MIT */
/* A signing key and its certificate, loaded and checked once: the key must
 * be RSA (what UEFI firmware verifies) and belong to the certificate. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

struct offline_signing;

struct signer {
        EVP_PKEY *key;                  /* NULL: signed offline */
        X509 *cert;
        struct offline_signing *offline; /* with key NULL (keel install --prepare/--join) */
};

/* Every key_path and cert_path below is either a file or a PKCS#11 URI
 * ("pkcs11:...", RFC 7512; see host-tools/sign/pkcs11.h): a key in a
 * token signs there and never touches the disk. */

/* key_path: a PEM (or DER) private key, encrypted or not, or a URI;
 * passphrase_path, when not NULL, names a file whose first line is the
 * passphrase (for files only: a token's PIN is in its URI). An encrypted
 * key without a passphrase is an error, never a prompt. Logs one line and
 * returns NULL on failure. The key type is not checked here. */
EVP_PKEY *private_key_load(const char *key_path, const char *passphrase_path);

/* private_key_load() and certificate_load(), then checks: the key is RSA
 * and the certificate's. */
int signer_load(const char *key_path, const char *cert_path, const char *passphrase_path, struct signer *ret);
void signer_free(struct signer *s);

/* A certificate in PEM or DER, or a URI. */
X509 *certificate_load(const char *path);
