/* SPDX-License-Identifier: MIT */
/* Signed PCR policies in the format of systemd-measure 262 `sign`, which
 * systemd-stub hands to the initrd (.pcrsig) and systemd-cryptenroll
 * --tpm2-public-key / systemd-cryptsetup / systemd-tpm2-setup check:
 *
 *   {"sha256":[{"pcrs":[11],"pkfp":"<hex>","ref":"initrd","pol":"<hex>","sig":"<base64>"},...],...}
 *
 * one object per bank, one entry per phase (and policy reference). pkfp is
 * the SHA-256 of the public key in DER as i2d_PublicKey() writes it (for
 * RSA the PKCS#1 RSAPublicKey: this is what systemd computes and compares),
 * ref the policy reference (absent when there is none), pol the PolicyPCR
 * digest of PCR 11's predicted value, and sig an RSASSA-PKCS1-v1_5
 * signature with SHA-256, whatever the bank, over pol || SHA-256(ref) (over
 * pol alone without a reference): the aHash that TPM2_PolicyAuthorize
 * checks with TPM2_VerifySignature, which systemd always asks for with
 * SHA-256. (systemd-measure 252 signed each bank with the bank's own hash,
 * which systemd's unlock code can only use for the sha256 bank.) */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "host-tools/pcr/pcr.h"

/* The default phases of systemd-measure: from entering the initrd to the
 * system being up. */
extern const char *const pcr_default_phases[4];

/* ukify 262 --sign-initrd-pcrs: one more signature of the first key, for the
 * phase "enter-initrd" only, bound to the policy reference "initrd". A
 * resource locked with that reference (systemd-tpm2-setup's NvPCRs,
 * systemd-cryptenroll --tpm2-public-key-policyref=initrd) opens only in
 * the initrd of a UKI so signed. */
#define PCR_INITRD_POLICYREF "initrd"
extern const char *const pcr_initrd_phases[1];

/* A policy reference is any text systemd-measure --policyref= takes that
 * JSON can carry as it is: UTF-8 without control characters, at most this
 * many bytes. "" is no reference. */
#define PCR_POLICYREF_MAX 255
int pcr_policyref_check(const char *what, const char *ref);

/* What one `systemd-measure sign` run signs: phases (normalised, as
 * pcr_phase_normalize() returns them) under one policy reference (NULL or
 * "": none). */
struct pcr_policy_group {
        const char *const *phases;
        size_t n_phases;
        const char *policyref;
};

/* What ukify 262 signs when it builds a UKI: systemd-measure's default
 * phases without a reference, then, with sign_initrd, the initrd group.
 * Returns the number of groups written (1 or 2). */
#define PCR_UKI_GROUPS_MAX 2
size_t pcr_uki_policy_groups(bool sign_initrd, struct pcr_policy_group ret[PCR_UKI_GROUPS_MAX]);

struct offline_signing;

struct pcr_signer {
        EVP_PKEY *private_key;          /* NULL with offline */
        EVP_PKEY *public_key;
        uint8_t fingerprint[32];
        struct offline_signing *offline; /* set: signed elsewhere (host-tools/sign/offline-sign.h) */
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

/* The signed-policy JSON for PCR 11 after each phase of each group (in the
 * order given), starting from base (PCR 11 of the image), for each bank in
 * bank_mask: the groups' outputs merged as ukify merges its systemd-measure
 * runs (per bank, the entries in order, an entry already present with the
 * same pol and ref left out). Returns a malloc'd NUL-terminated string. */
int pcr_sign_json(const struct pcr_signer *s, const struct pcr_value base[_PCR_BANK_MAX], unsigned bank_mask,
                  const struct pcr_policy_group *groups, size_t n_groups, char **ret_json, size_t *ret_size);

/* How `keel uki build` / `keel install` sign, as ukify 262's options:
 * --pcr-banks (0: all four, as ukify without it) and
 * --sign-initrd-pcrs (off by default, as in ukify). */
struct pcr_uki_options {
        unsigned bank_mask;
        bool sign_initrd;
        /* keel install --prepare/--join: with --pcrpkey and no private key,
         * the policies are signed offline with the key of --pcrpkey. */
        struct offline_signing *offline;
};

/* `keel uki build --pcrpkey P.pem --pcr-private-key K`: the .pcrpkey bytes,
 * and a .pcrsig laid out with a placeholder of the signed JSON's exact size,
 * filled in once the whole image is written. */
struct uki_pcr_signing {
        bool sign;
        struct pcr_signer signer;
        unsigned bank_mask;
        struct pcr_policy_group groups[PCR_UKI_GROUPS_MAX];
        size_t n_groups;
        char *pcrpkey;
        size_t pcrpkey_size;
        char *pcrsig_placeholder;
        size_t pcrsig_size;
};

/* Either path may be NULL. Without a private key only .pcrpkey is
 * embedded (unless opts->offline signs with its key); without --pcrpkey the public key is derived from the private
 * key. opts may be NULL (ukify's defaults). */
int uki_pcr_signing_prepare(const char *pcrpkey_path, const char *private_key_path, const struct pcr_uki_options *opts,
                            struct uki_pcr_signing *ret);

/* The image is complete in fd (size bytes, checksummed): computes PCR 11 of
 * the sections as they are in the file (the same code as `keel pcr
 * predict`), signs it, writes the JSON over the placeholder and recomputes
 * the PE checksum. thin: a thin UKI's content (NULL for a fat one). */
int uki_pcr_signing_finish(struct uki_pcr_signing *s, int fd, uint64_t size, const struct measure_thin_content *thin);

void uki_pcr_signing_done(struct uki_pcr_signing *s);
