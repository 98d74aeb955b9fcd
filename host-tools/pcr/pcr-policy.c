/* SPDX-License-Identifier: MIT */
#include <string.h>

#include <openssl/evp.h>

#include "host-tools/core/log.h"
#include "host-tools/pcr/pcr-policy.h"

#define TPM_CC_POLICY_PCR 0x0000017fu
#define PCR_SELECT_MAX 24 /* sizeofSelect 3: the PC client platform's 24 PCRs */

int pcr_selection_encode(enum pcr_bank bank, uint32_t pcr, uint8_t out[PCR_SELECTION_ENCODED_SIZE]) {
        uint16_t alg = pcr_bank_tpm_alg(bank);

        if (alg == 0 || pcr >= PCR_SELECT_MAX)
                return -1;
        memset(out, 0, PCR_SELECTION_ENCODED_SIZE);
        out[3] = 1;                          /* UINT32 count */
        out[4] = (uint8_t) (alg >> 8);       /* TPMI_ALG_HASH hash */
        out[5] = (uint8_t) alg;
        out[6] = 3;                          /* UINT8 sizeofSelect */
        out[7 + pcr / 8] = (uint8_t) (1u << (pcr % 8));
        return 0;
}

static int sha256(const void *a, size_t a_size, const void *b, size_t b_size, uint8_t out[32]) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int ok;

        if (!ctx)
                return -1;
        ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(ctx, a, a_size) == 1 &&
             (b_size == 0 || EVP_DigestUpdate(ctx, b, b_size) == 1) && EVP_DigestFinal_ex(ctx, out, NULL) == 1;
        EVP_MD_CTX_free(ctx);
        return ok ? 0 : -1;
}

int pcr_policy_digest(const struct pcr_value *value, uint32_t pcr, uint8_t ret[PCR_POLICY_DIGEST_SIZE]) {
        uint8_t buf[PCR_POLICY_DIGEST_SIZE + 4 + PCR_SELECTION_ENCODED_SIZE + 32];
        uint8_t *p = buf;

        if (value->size != pcr_bank_digest_size(value->bank))
                return log_error("PCR value has %zu bytes, the %s bank %zu", value->size, pcr_bank_name(value->bank),
                                 pcr_bank_digest_size(value->bank));
        memset(p, 0, PCR_POLICY_DIGEST_SIZE); /* a fresh session's policyDigest */
        p += PCR_POLICY_DIGEST_SIZE;
        p[0] = (uint8_t) (TPM_CC_POLICY_PCR >> 24);
        p[1] = (uint8_t) (TPM_CC_POLICY_PCR >> 16);
        p[2] = (uint8_t) (TPM_CC_POLICY_PCR >> 8);
        p[3] = (uint8_t) TPM_CC_POLICY_PCR;
        p += 4;
        if (pcr_selection_encode(value->bank, pcr, p) < 0)
                return log_error("cannot select PCR %u of the %s bank", pcr, pcr_bank_name(value->bank));
        p += PCR_SELECTION_ENCODED_SIZE;
        /* pcrDigest uses the session's hash (SHA-256) over the selected values, whatever their bank. */
        if (sha256(value->digest, value->size, NULL, 0, p) < 0)
                return log_error("SHA-256 failed");
        p += 32;
        if (sha256(buf, (size_t) (p - buf), NULL, 0, ret) < 0)
                return log_error("SHA-256 failed");
        return 0;
}
