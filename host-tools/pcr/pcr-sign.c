/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/pcr/pcr-policy.h"
#include "host-tools/pcr/pcr-sign.h"
#include "host-tools/pe/pe-checksum.h"
#include "host-tools/sign/offline-sign.h"
#include "host-tools/sign/pkcs11-uri.h"
#include "host-tools/sign/signer.h"
#include "common/error.h"
#include "common/uki.h"

#define KEY_FILE_MAX (1024 * 1024)
#define RSA_MIN_BITS 2048

const char *const pcr_default_phases[4] = {
        "enter-initrd",
        "enter-initrd:leave-initrd",
        "enter-initrd:leave-initrd:sysinit",
        "enter-initrd:leave-initrd:sysinit:ready",
};

const char *const pcr_initrd_phases[1] = { "enter-initrd" };

size_t pcr_uki_policy_groups(bool sign_initrd, struct pcr_policy_group ret[PCR_UKI_GROUPS_MAX]) {
        ret[0] = (struct pcr_policy_group) { pcr_default_phases, ARRAY_SIZE(pcr_default_phases), NULL };
        if (!sign_initrd)
                return 1;
        ret[1] = (struct pcr_policy_group) { pcr_initrd_phases, ARRAY_SIZE(pcr_initrd_phases), PCR_INITRD_POLICYREF };
        return 2;
}

/* The length of the UTF-8 sequence at s (at most n bytes), 0 if it is not
 * one (overlong, a surrogate, above U+10FFFF, cut short). */
static size_t utf8_sequence_length(const unsigned char *s, size_t n) {
        size_t len;
        uint32_t c;

        if (s[0] < 0x80)
                return 1;
        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                len = 2, c = s[0] & 0x1f;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                len = 3, c = s[0] & 0x0f;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                len = 4, c = s[0] & 0x07;
        else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) || (len == 4 && (c < 0x10000 || c > 0x10ffff)))
                return 0;
        return len;
}

int pcr_policyref_check(const char *what, const char *ref) {
        const unsigned char *p = (const unsigned char *) ref;
        size_t n = strlen(ref);

        if (n > PCR_POLICYREF_MAX)
                return log_error("%s: policy reference of %zu bytes is too long (at most %d)", what, n,
                                 PCR_POLICYREF_MAX);
        for (size_t i = 0; i < n;) {
                size_t len = utf8_sequence_length(p + i, n - i);

                if (len == 0)
                        return log_error("%s: policy reference is not UTF-8 (byte %zu)", what, i + 1);
                if (p[i] < 0x20 || p[i] == 0x7f)
                        return log_error("%s: policy reference has a control character (byte %zu)", what, i + 1);
                i += len;
        }
        return 0;
}

/* Never prompt on the terminal for a passphrase: an encrypted key is an error. */
static int no_passphrase(char *buf _unused_, int size _unused_, int rwflag _unused_, void *u _unused_) {
        return -1;
}

static int check_rsa(const char *what, EVP_PKEY *key) {
        if (!EVP_PKEY_is_a(key, "RSA"))
                return log_error("%s: not an RSA key (%s); systemd-cryptsetup only checks RSA signatures", what,
                                 EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown type");
        if (EVP_PKEY_get_bits(key) < RSA_MIN_BITS)
                return log_error("%s: RSA key of %d bits is too short (at least %d)", what, EVP_PKEY_get_bits(key),
                                 RSA_MIN_BITS);
        return 0;
}

int pcr_public_pem_check(const char *what, const void *pem, size_t size, EVP_PKEY **ret_key) {
        EVP_PKEY *key;
        BIO *bio;

        if (size > KEY_FILE_MAX)
                return log_error("%s: too large for a public key", what);
        bio = BIO_new_mem_buf(pem, (int) size);
        if (!bio)
                return log_error("out of memory");
        key = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
        BIO_free(bio);
        ERR_clear_error();
        if (!key)
                return log_error("%s: not a PEM public key", what);
        if (check_rsa(what, key) < 0) {
                EVP_PKEY_free(key);
                return -1;
        }
        if (ret_key)
                *ret_key = key;
        else
                EVP_PKEY_free(key);
        return 0;
}

static int load_private_key(const char *path, EVP_PKEY **ret) {
        uint8_t *data = NULL;
        size_t size;
        BIO *bio;
        EVP_PKEY *key;

        if (pkcs11_is_uri(path)) {
                /* A key in a token (host-tools/sign/pkcs11.c), named without its PIN. */
                char name[4097];

                snprintf(name, sizeof(name), "%.*s", pkcs11_printable_length(path), path);
                if (!(key = private_key_load(path, NULL)))
                        return -1;
                if (check_rsa(name, key) < 0) {
                        EVP_PKEY_free(key);
                        return -1;
                }
                *ret = key;
                return 0;
        }
        if (read_file(path, KEY_FILE_MAX, &data, &size) < 0)
                return -1;
        bio = BIO_new_mem_buf(data, (int) size);
        key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
        BIO_free(bio);
        OPENSSL_cleanse(data, size);
        free(data);
        ERR_clear_error();
        if (!key)
                return log_error("%s: not an unencrypted PEM private key", path);
        if (check_rsa(path, key) < 0) {
                EVP_PKEY_free(key);
                return -1;
        }
        *ret = key;
        return 0;
}

/* What systemd's pubkey_fingerprint() hashes: i2d_PublicKey(), for RSA the
 * PKCS#1 RSAPublicKey (not the SubjectPublicKeyInfo). */
static int fingerprint(EVP_PKEY *key, uint8_t out[32]) {
        unsigned char *der = NULL;
        int n = i2d_PublicKey(key, &der);
        int r = 0;

        if (n <= 0)
                return log_error("cannot encode the public key");
        if (EVP_Digest(der, (size_t) n, out, NULL, EVP_sha256(), NULL) != 1)
                r = log_error("SHA-256 failed");
        OPENSSL_free(der);
        return r;
}

int pcr_signer_load(const char *private_key_path, const char *public_key_path, struct pcr_signer *ret) {
        memset(ret, 0, sizeof(*ret));
        if (load_private_key(private_key_path, &ret->private_key) < 0)
                return -1;

        if (public_key_path) {
                uint8_t *pem = NULL;
                size_t size;
                int r;

                if (read_file(public_key_path, KEY_FILE_MAX, &pem, &size) < 0)
                        goto err;
                r = pcr_public_pem_check(public_key_path, pem, size, &ret->public_key);
                free(pem);
                if (r < 0)
                        goto err;
                if (EVP_PKEY_eq(ret->private_key, ret->public_key) != 1) {
                        log_error("%s: not the public key of %.*s", public_key_path,
                                  pkcs11_printable_length(private_key_path), private_key_path);
                        goto err;
                }
        } else {
                /* The private key object carries the public half too. */
                if (EVP_PKEY_up_ref(ret->private_key) != 1) {
                        log_error("out of memory");
                        goto err;
                }
                ret->public_key = ret->private_key;
        }
        if (fingerprint(ret->public_key, ret->fingerprint) < 0)
                goto err;
        return 0;

err:
        pcr_signer_done(ret);
        return -1;
}

void pcr_signer_done(struct pcr_signer *s) {
        EVP_PKEY_free(s->private_key);
        EVP_PKEY_free(s->public_key);
        s->private_key = s->public_key = NULL;
}

int pcr_signer_public_pem(const struct pcr_signer *s, char **ret, size_t *ret_size) {
        BIO *bio = BIO_new(BIO_s_mem());
        char *data;
        long n;

        if (!bio || PEM_write_bio_PUBKEY(bio, s->public_key) != 1) {
                BIO_free(bio);
                return log_error("cannot encode the public key as PEM");
        }
        n = BIO_get_mem_data(bio, &data);
        *ret = n > 0 ? malloc((size_t) n + 1) : NULL;
        if (!*ret) {
                BIO_free(bio);
                return log_error("out of memory");
        }
        memcpy(*ret, data, (size_t) n);
        (*ret)[n] = '\0';
        *ret_size = (size_t) n;
        BIO_free(bio);
        return 0;
}

static json_object *hex_string(const uint8_t *d, size_t n) {
        char s[2 * PCR_DIGEST_MAX + 1];

        for (size_t i = 0; i < n && i < PCR_DIGEST_MAX; i++)
                snprintf(s + 2 * i, 3, "%02x", d[i]);
        s[2 * n] = '\0';
        return json_object_new_string(s);
}

/* What the TPM's PolicyAuthorize checks the signature against: pol, and
 * the SHA-256 of the policy reference when there is one. */
static size_t to_be_signed(const uint8_t pol[PCR_POLICY_DIGEST_SIZE], const char *ref,
                           uint8_t ret[PCR_POLICY_DIGEST_SIZE + 32]) {
        memcpy(ret, pol, PCR_POLICY_DIGEST_SIZE);
        if (!ref || !ref[0])
                return PCR_POLICY_DIGEST_SIZE;
        if (EVP_Digest(ref, strlen(ref), ret + PCR_POLICY_DIGEST_SIZE, NULL, EVP_sha256(), NULL) != 1)
                return 0;
        return PCR_POLICY_DIGEST_SIZE + 32;
}

/* RSASSA-PKCS1-v1_5 with SHA-256 over pol (|| SHA-256(ref)), whatever the
 * bank, as systemd-measure 262. */
static int sign_here(const struct pcr_signer *s, const uint8_t *tbs, size_t tbs_size, uint8_t **ret,
                     size_t *ret_size) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        size_t sig_size = 0;
        int r = -1;

        *ret = NULL;
        if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, s->private_key) != 1 ||
            EVP_DigestSign(ctx, NULL, &sig_size, tbs, tbs_size) != 1 || !(*ret = malloc(sig_size)) ||
            EVP_DigestSign(ctx, *ret, &sig_size, tbs, tbs_size) != 1)
                goto out;
        *ret_size = sig_size;
        r = 0;
out:
        EVP_MD_CTX_free(ctx);
        return r;
}

/* Offline, the key signs SHA-256(tbs) as a digest: the same signature. */
static int sign_offline(const struct pcr_signer *s, const uint8_t *tbs, size_t tbs_size, const char *purpose,
                        uint8_t **ret, size_t *ret_size) {
        uint8_t md[SIGNING_DIGEST_SIZE];

        *ret = NULL;
        if (EVP_Digest(tbs, tbs_size, md, NULL, EVP_sha256(), NULL) != 1)
                return -1;
        return offline_sign(s->offline, SIGNING_KEY_PCR, md, purpose, ret, ret_size);
}

static int sign_policy(const struct pcr_signer *s, const uint8_t pol[PCR_POLICY_DIGEST_SIZE], const char *ref,
                       const char *purpose, json_object **ret) {
        uint8_t tbs[PCR_POLICY_DIGEST_SIZE + 32];
        size_t tbs_size = to_be_signed(pol, ref, tbs);
        unsigned char *sig = NULL;
        char *b64 = NULL;
        size_t sig_size = 0;
        int r = -1;

        if (tbs_size == 0)
                goto out;
        if ((s->offline ? sign_offline(s, tbs, tbs_size, purpose, &sig, &sig_size)
                        : sign_here(s, tbs, tbs_size, &sig, &sig_size)) < 0)
                goto out;
        b64 = malloc(4 * ((sig_size + 2) / 3) + 1);
        if (!b64)
                goto out;
        EVP_EncodeBlock((unsigned char *) b64, sig, (int) sig_size);
        *ret = json_object_new_string(b64);
        r = *ret ? 0 : -1;
out:
        if (r < 0)
                log_error("signing the PCR policy failed");
        ERR_clear_error();
        free(sig);
        free(b64);
        return r;
}

/* systemd-measure's member order: pcrs, pkfp, ref, pol, sig. */
static int policy_entry(const struct pcr_signer *s, const uint8_t pol[PCR_POLICY_DIGEST_SIZE], const char *ref,
                        const char *purpose, json_object **ret) {
        json_object *entry, *pcrs, *sig = NULL;
        bool has_ref = ref && ref[0];

        if (sign_policy(s, pol, ref, purpose, &sig) < 0)
                return -1;
        entry = json_object_new_object();
        pcrs = json_object_new_array();
        if (!entry || !pcrs) {
                json_object_put(entry);
                json_object_put(pcrs);
                json_object_put(sig);
                return log_error("out of memory");
        }
        json_object_array_add(pcrs, json_object_new_int(MEASURE_PCR_KERNEL_IMAGE));
        json_object_object_add(entry, "pcrs", pcrs);
        json_object_object_add(entry, "pkfp", hex_string(s->fingerprint, sizeof(s->fingerprint)));
        if (has_ref)
                json_object_object_add(entry, "ref", json_object_new_string(ref));
        json_object_object_add(entry, "pol", hex_string(pol, PCR_POLICY_DIGEST_SIZE));
        json_object_object_add(entry, "sig", sig);
        *ret = entry;
        return 0;
}

/* An entry of array with this pol and reference: ukify merges its
 * systemd-measure runs without repeating one (the key is the same, so is the
 * signature). */
static bool has_entry(json_object *array, const uint8_t pol[PCR_POLICY_DIGEST_SIZE], const char *ref) {
        json_object *pol_hex = hex_string(pol, PCR_POLICY_DIGEST_SIZE);
        bool found = false;

        for (size_t i = 0; pol_hex && !found && i < json_object_array_length(array); i++) {
                json_object *e = json_object_array_get_idx(array, i), *p, *r;
                const char *their_ref = json_object_object_get_ex(e, "ref", &r) ? json_object_get_string(r) : "";

                found = json_object_object_get_ex(e, "pol", &p) &&
                        strcmp(json_object_get_string(p), json_object_get_string(pol_hex)) == 0 &&
                        strcmp(their_ref, ref ? ref : "") == 0;
        }
        json_object_put(pol_hex);
        return found;
}

int pcr_sign_json(const struct pcr_signer *s, const struct pcr_value base[_PCR_BANK_MAX], unsigned bank_mask,
                  const struct pcr_policy_group *groups, size_t n_groups, char **ret_json, size_t *ret_size) {
        json_object *root = json_object_new_object();
        json_object *arrays[_PCR_BANK_MAX] = {};
        const char *text;
        int r = -1;

        if (!root)
                return log_error("out of memory");
        for (size_t b = 0; b < _PCR_BANK_MAX; b++) {
                if (!(bank_mask & (1u << b)))
                        continue;
                arrays[b] = json_object_new_array();
                if (!arrays[b]) {
                        log_error("out of memory");
                        goto out;
                }
                json_object_object_add(root, pcr_bank_name((enum pcr_bank) b), arrays[b]);
        }
        for (size_t g = 0; g < n_groups; g++)
                for (size_t p = 0; p < groups[g].n_phases; p++)
                        for (size_t b = 0; b < _PCR_BANK_MAX; b++) {
                                char purpose[160] = "";
                                struct pcr_value v = base[b];
                                uint8_t pol[PCR_POLICY_DIGEST_SIZE];
                                json_object *entry = NULL;

                                if (!arrays[b])
                                        continue;
                                if (pcr_extend_phase(&v, groups[g].phases[p]) < 0 ||
                                    pcr_policy_digest(&v, MEASURE_PCR_KERNEL_IMAGE, pol) < 0)
                                        goto out;
                                if (has_entry(arrays[b], pol, groups[g].policyref))
                                        continue;
                                if (s->offline)
                                        snprintf(purpose, sizeof(purpose), "PCR 11 policy, %s bank, phase %s%s%s",
                                                 pcr_bank_name((enum pcr_bank) b), groups[g].phases[p],
                                                 groups[g].policyref ? ", reference " : "",
                                                 groups[g].policyref ? groups[g].policyref : "");
                                if (policy_entry(s, pol, groups[g].policyref, purpose, &entry) < 0)
                                        goto out;
                                json_object_array_add(arrays[b], entry);
                        }

        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (!text || !(*ret_json = strdup(text))) {
                log_error("out of memory");
                goto out;
        }
        *ret_size = strlen(*ret_json);
        r = 0;
out:
        json_object_put(root);
        return r;
}

int uki_pcr_signing_prepare(const char *pcrpkey_path, const char *private_key_path, const struct pcr_uki_options *opts,
                            struct uki_pcr_signing *ret) {
        struct pcr_value zero[_PCR_BANK_MAX];
        EVP_PKEY *embedded = NULL;
        int r;

        memset(ret, 0, sizeof(*ret));
        ret->bank_mask = opts && opts->bank_mask ? opts->bank_mask : PCR_BANK_MASK_ALL;
        ret->n_groups = pcr_uki_policy_groups(opts && opts->sign_initrd, ret->groups);
        if (private_key_path) {
                if (pcr_signer_load(private_key_path, NULL, &ret->signer) < 0)
                        return -1;
                ret->sign = true;
        }
        if (pcrpkey_path) {
                uint8_t *pem;

                if (read_file(pcrpkey_path, KEY_FILE_MAX, &pem, &ret->pcrpkey_size) < 0)
                        goto err;
                ret->pcrpkey = (char *) pem;
                if (pcr_public_pem_check(pcrpkey_path, ret->pcrpkey, ret->pcrpkey_size, &embedded) < 0)
                        goto err;
                /* A .pcrpkey that cannot verify the .pcrsig next to it would make every unlock fail. */
                if (ret->sign && EVP_PKEY_eq(embedded, ret->signer.private_key) != 1) {
                        log_error("%s: not the public key of %.*s", pcrpkey_path,
                                  pkcs11_printable_length(private_key_path), private_key_path);
                        goto err;
                }
                if (!ret->sign && opts && opts->offline) {
                        /* Signed elsewhere with the key of --pcrpkey. */
                        ret->signer.public_key = embedded;
                        embedded = NULL;
                        ret->signer.offline = opts->offline;
                        if (fingerprint(ret->signer.public_key, ret->signer.fingerprint) < 0)
                                goto err;
                        ret->sign = true;
                }
                EVP_PKEY_free(embedded);
                embedded = NULL;
        } else if (ret->sign && pcr_signer_public_pem(&ret->signer, &ret->pcrpkey, &ret->pcrpkey_size) < 0)
                goto err;

        if (ret->sign) {
                /* Hex and base64 lengths depend only on the key and hash sizes: a
                 * signature of all-zero PCR values has the final JSON's length. */
                for (size_t b = 0; b < _PCR_BANK_MAX; b++)
                        pcr_value_init(&zero[b], (enum pcr_bank) b);
                if (ret->signer.offline)
                        ret->signer.offline->sizing = true;
                r = pcr_sign_json(&ret->signer, zero, ret->bank_mask, ret->groups, ret->n_groups,
                                  &ret->pcrsig_placeholder, &ret->pcrsig_size);
                if (ret->signer.offline)
                        ret->signer.offline->sizing = false;
                if (r < 0)
                        goto err;
        }
        return 0;

err:
        EVP_PKEY_free(embedded);
        uki_pcr_signing_done(ret);
        return -1;
}

int uki_pcr_signing_finish(struct uki_pcr_signing *s, int fd, uint64_t size, const struct measure_thin_content *thin) {
        struct pcr_value pcr11[_PCR_BANK_MAX];
        struct uki_sections sections;
        struct pe_image *pe = NULL;
        const struct pe_section *sig;
        char *json = NULL;
        size_t json_size;
        uint8_t *map;
        uint8_t checksum[4];
        unsigned n_profiles;
        int r = -1;

        if (!s->sign)
                return 0;
        map = mmap(NULL, (size_t) size, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED)
                return log_errno(errno, "cannot map the UKI being written");
        pe = malloc(sizeof(*pe));
        if (!pe) {
                log_error("out of memory");
                goto out;
        }
        if (pe_parse_headers(map, (size_t) size, pe) != KEEL_OK) {
                log_error("internal error: the UKI written does not parse");
                goto out;
        }
        /* A multi-profile UKI has a .pcrsig in each profile (ukify's layout),
         * each signing the PCR 11 of booting that profile. */
        n_profiles = uki_count_profiles(pe);
        for (unsigned p = 0; p < (n_profiles ? n_profiles : 1); p++) {
                if (uki_find_profile_sections(pe, p, &sections) != KEEL_OK ||
                    !(sig = sections.section[UKI_SECTION_PCRSIG]) || sig->virtual_size != s->pcrsig_size ||
                    pe_section_file_size(sig) != s->pcrsig_size) {
                        log_error("internal error: the UKI written has no .pcrsig placeholder");
                        goto out;
                }
                /* The sections exactly as they are in the file, through the code `keel pcr predict` runs. */
                if (pcr11_predict_file_profile("UKI being written", fd, map, (size_t) size, thin, p, s->bank_mask,
                                               pcr11) < 0)
                        goto out;
                free(json);
                json = NULL;
                if (pcr_sign_json(&s->signer, pcr11, s->bank_mask, s->groups, s->n_groups, &json, &json_size) < 0)
                        goto out;
                if (json_size != s->pcrsig_size) {
                        log_error("internal error: signed policy is %zu bytes, %zu were reserved", json_size,
                                  s->pcrsig_size);
                        goto out;
                }
                if (pwrite(fd, json, json_size, sig->raw_offset) != (ssize_t) json_size) {
                        log_errno(errno, "cannot write .pcrsig");
                        goto out;
                }
        }
        /* The shared mapping sees the new bytes: recompute the checksum over them. */
        write_le32(checksum, pe_checksum_buffer(map, (size_t) size, pe->optional_header_offset + PE_OPT_CHECKSUM));
        if (pwrite(fd, checksum, sizeof(checksum), pe->optional_header_offset + PE_OPT_CHECKSUM) != sizeof(checksum)) {
                log_errno(errno, "cannot write the PE checksum");
                goto out;
        }
        r = 0;
out:
        free(json);
        free(pe);
        munmap(map, (size_t) size);
        return r;
}

void uki_pcr_signing_done(struct uki_pcr_signing *s) {
        pcr_signer_done(&s->signer);
        free(s->pcrpkey);
        free(s->pcrsig_placeholder);
        memset(s, 0, sizeof(*s));
}
