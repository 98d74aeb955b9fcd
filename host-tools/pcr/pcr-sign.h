/* SPDX-License-Identifier: MIT */
/* Signed PCR policies in the format of systemd-measure 252 `sign`, which
 * systemd-stub hands to the initrd (.pcrsig) and systemd-cryptenroll
 * --tpm2-public-key / systemd-cryptsetup check:
 *
 *   {"sha256":[{"pcrs":[11],"pkfp":"<hex>","pol":"<hex>","sig":"<base64>"},...],...}
 *
 * one object per bank, one entry per phase. pkfp is the SHA-256 of the
 * public key in DER as i2d_PublicKey() writes it (for RSA the PKCS#1
 * RSAPublicKey: this is what systemd computes and compares), pol the
 * PolicyPCR digest of PCR 11's predicted value, sig an RSASSA-PKCS1-v1_5
 * signature over pol made with the bank's own hash, as systemd-measure 252
 * does (systemd-cryptsetup verifies SHA-256 signatures, i.e. the sha256
 * bank's entries). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "host-tools/pcr/pcr.h"

/* The default phases of systemd-measure 252: from entering the initrd to
 * the system being up. */
extern const char *const pcr_default_phases[4];

struct pcr_signer {
        EVP_PKEY *private_key;
        EVP_PKEY *public_key;
        uint8_t fingerprint[32];
};

/* Loads an unencrypted PEM RSA private key (at least 2048 bits) and, when
 * public_key_path is given, a PEM public key that must be its pair;
 * otherwise the public key is derived from the private one. Logs and
 * returns -1 on failure. */
int pcr_signer_load(const char *private_key_path, const char *public_key_path, struct pcr_signer *ret);
void pcr_signer_done(struct pcr_signer *s);

/* The public key as PEM (SubjectPublicKeyInfo), malloc'd. */
int pcr_signer_public_pem(const struct pcr_signer *s, char **ret, size_t *ret_size);

/* Validates a PEM public key file's contents for .pcrpkey: an RSA key. */
int pcr_public_pem_check(const char *what, const void *pem, size_t size, EVP_PKEY **ret_key);

/* The signed-policy JSON for PCR 11 after each phase (in the order given),
 * starting from base (PCR 11 of the image), for each bank in bank_mask.
 * Returns a malloc'd NUL-terminated string. */
int pcr_sign_json(const struct pcr_signer *s, const struct pcr_value base[_PCR_BANK_MAX], unsigned bank_mask,
                  const char *const *phases, size_t n_phases, char **ret_json, size_t *ret_size);

/* `keel uki build --pcrpkey P.pem --pcr-private-key K`: the .pcrpkey bytes,
 * and a .pcrsig laid out with a placeholder of the signed JSON's exact size,
 * filled in once the whole image is written. */
struct uki_pcr_signing {
        bool sign;
        struct pcr_signer signer;
        char *pcrpkey;
        size_t pcrpkey_size;
        char *pcrsig_placeholder;
        size_t pcrsig_size;
};

/* Either path may be NULL. Without a private key only .pcrpkey is
 * embedded; without --pcrpkey the public key is derived from the private
 * key. */
int uki_pcr_signing_prepare(const char *pcrpkey_path, const char *private_key_path, struct uki_pcr_signing *ret);

/* The image is complete in fd (size bytes, checksummed): computes PCR 11 of
 * the sections as they are in the file (the same code as `keel pcr
 * predict`), signs it, writes the JSON over the placeholder and recomputes
 * the PE checksum. thin: a thin UKI's content (NULL for a fat one). */
int uki_pcr_signing_finish(struct uki_pcr_signing *s, int fd, uint64_t size, const struct measure_thin_content *thin);

void uki_pcr_signing_done(struct uki_pcr_signing *s);
