/* SPDX-License-Identifier: MIT */
/* Keys and certificates in a PKCS#11 token (a smart card, an HSM,
 * SoftHSM2), named by RFC 7512 URIs (host-tools/sign/pkcs11-uri.h) and
 * reached through OpenSSL's pkcs11 engine (libp11: Debian's
 * libengine-pkcs11-openssl). The PKCS#11 module is the URI's module-path=,
 * else $KEEL_PKCS11_MODULE, else the engine's default (p11-kit-proxy,
 * which offers every module p11-kit knows). One module per run.
 *
 * The PIN comes from the URI (pin-source=file:PATH, pin-value=); keel
 * never prompts. A key stays in the token: the EVP_PKEY signs there. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Both log one "keel: ..." line and return NULL on failure: no engine, no
 * module, no such token or object, no or a wrong PIN. */
EVP_PKEY *pkcs11_load_private_key(const char *uri);
X509 *pkcs11_load_certificate(const char *uri);
