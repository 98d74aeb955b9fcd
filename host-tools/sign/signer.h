/* SPDX-License-Identifier: MIT */
/* A signing key and its certificate, loaded and checked once: the key must
 * be RSA (what UEFI firmware verifies) and belong to the certificate. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

struct signer {
        EVP_PKEY *key;
        X509 *cert;
};

/* key_path: a PEM private key, encrypted or not; passphrase_path, when not
 * NULL, names a file whose first line is the passphrase. An encrypted key
 * without a passphrase is an error, never a prompt. */
int signer_load(const char *key_path, const char *cert_path, const char *passphrase_path, struct signer *ret);
void signer_free(struct signer *s);

/* A certificate in PEM or DER. */
X509 *certificate_load(const char *path);
