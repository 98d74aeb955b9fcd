/* SPDX-License-Identifier: MIT */
/* The TPM 2.0 policy digest of TPM2_PolicyPCR, computed in software (TPM 2.0
 * Library, Part 3, 23.7): what a trial session on a real TPM reports after
 * `tpm2_policypcr -l BANK:PCR -f VALUES`, and what systemd-cryptsetup has
 * the TPM compute before it checks a .pcrsig signature against it. */
#pragma once

#include "host-tools/pcr/pcr.h"

#define PCR_POLICY_DIGEST_SIZE 32 /* systemd's policy sessions are SHA-256 */

/* The TPML_PCR_SELECTION for one PCR of one bank: count 1, the bank's
 * TPM_ALG_ID, sizeofSelect 3, a 24-bit PCR bitmap; big-endian. */
#define PCR_SELECTION_ENCODED_SIZE 10
int pcr_selection_encode(enum pcr_bank bank, uint32_t pcr, uint8_t out[PCR_SELECTION_ENCODED_SIZE]);

/* policyDigest_new = SHA256(policyDigest_old || TPM_CC_PolicyPCR ||
 * TPML_PCR_SELECTION || SHA256(value of the selected PCR)), starting from
 * the all-zero digest of a fresh session. Logs and returns -1 on failure. */
int pcr_policy_digest(const struct pcr_value *value, uint32_t pcr, uint8_t ret[PCR_POLICY_DIGEST_SIZE]);
