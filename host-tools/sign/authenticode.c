/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "host-tools/sign/authenticode.h"
#include "host-tools/core/log.h"
#include "host-tools/sign/offline-sign.h"

#define SPC_INDIRECT_DATA_OID "1.3.6.1.4.1.311.2.1.4"
#define SPC_STATEMENT_TYPE_OID "1.3.6.1.4.1.311.2.1.11"
#define SPC_SP_OPUS_INFO_OID "1.3.6.1.4.1.311.2.1.12"
#define SPC_PE_IMAGE_DATA_OID "1.3.6.1.4.1.311.2.1.15"
#define SPC_INDIVIDUAL_CODE_SIGNING_OID "1.3.6.1.4.1.311.2.1.21"

/* ---- ASN.1 ---------------------------------------------------------------
 * From the Authenticode specification:
 *
 *   SpcIndirectDataContent ::= SEQUENCE {
 *       data                    SpcAttributeTypeAndOptionalValue,
 *       messageDigest           DigestInfo }
 *   SpcAttributeTypeAndOptionalValue ::= SEQUENCE {
 *       type                    OBJECT IDENTIFIER,
 *       value                   ANY DEFINED BY type OPTIONAL }
 *   DigestInfo ::= SEQUENCE {
 *       digestAlgorithm         AlgorithmIdentifier,
 *       digest                  OCTET STRING }
 *   SpcPeImageData ::= SEQUENCE {
 *       flags                   SpcPeImageFlags DEFAULT { includeResources },
 *       file                    [0] EXPLICIT SpcLink OPTIONAL }
 *   SpcLink ::= CHOICE {
 *       url                     [0] IMPLICIT IA5STRING,
 *       moniker                 [1] IMPLICIT SpcSerializedObject,
 *       file                    [2] EXPLICIT SpcString }
 *   SpcString ::= CHOICE {
 *       unicode                 [0] IMPLICIT BMPSTRING,
 *       ascii                   [1] IMPLICIT IA5STRING }
 *
 * Verification reads only the type and the digest, so `value` stays ANY and
 * any SpcPeImageData shape (sbsign leaves out the flags) is accepted.
 * SpcLink's moniker is never written and so not declared. */

typedef struct {
        int type;
        union {
                ASN1_BMPSTRING *unicode;
                ASN1_IA5STRING *ascii;
        } value;
} SpcString;

ASN1_CHOICE(SpcString) = {
        ASN1_IMP(SpcString, value.unicode, ASN1_BMPSTRING, 0),
        ASN1_IMP(SpcString, value.ascii, ASN1_IA5STRING, 1),
} static_ASN1_CHOICE_END(SpcString)

typedef struct {
        int type;
        union {
                ASN1_IA5STRING *url;
                SpcString *file;
        } value;
} SpcLink;

ASN1_CHOICE(SpcLink) = {
        ASN1_IMP(SpcLink, value.url, ASN1_IA5STRING, 0),
        ASN1_EXP(SpcLink, value.file, SpcString, 2),
} static_ASN1_CHOICE_END(SpcLink)

typedef struct {
        ASN1_BIT_STRING *flags;
        SpcLink *file;
} SpcPeImageData;

ASN1_SEQUENCE(SpcPeImageData) = {
        ASN1_OPT(SpcPeImageData, flags, ASN1_BIT_STRING),
        ASN1_EXP_OPT(SpcPeImageData, file, SpcLink, 0),
} static_ASN1_SEQUENCE_END(SpcPeImageData)

typedef struct {
        ASN1_OBJECT *type;
        ASN1_TYPE *value;
} SpcAttributeTypeAndOptionalValue;

ASN1_SEQUENCE(SpcAttributeTypeAndOptionalValue) = {
        ASN1_SIMPLE(SpcAttributeTypeAndOptionalValue, type, ASN1_OBJECT),
        ASN1_OPT(SpcAttributeTypeAndOptionalValue, value, ASN1_ANY),
} static_ASN1_SEQUENCE_END(SpcAttributeTypeAndOptionalValue)

typedef struct {
        X509_ALGOR *digestAlgorithm;
        ASN1_OCTET_STRING *digest;
} DigestInfo;

ASN1_SEQUENCE(DigestInfo) = {
        ASN1_SIMPLE(DigestInfo, digestAlgorithm, X509_ALGOR),
        ASN1_SIMPLE(DigestInfo, digest, ASN1_OCTET_STRING),
} static_ASN1_SEQUENCE_END(DigestInfo)

typedef struct {
        SpcAttributeTypeAndOptionalValue *data;
        DigestInfo *messageDigest;
} SpcIndirectDataContent;

ASN1_SEQUENCE(SpcIndirectDataContent) = {
        ASN1_SIMPLE(SpcIndirectDataContent, data, SpcAttributeTypeAndOptionalValue),
        ASN1_SIMPLE(SpcIndirectDataContent, messageDigest, DigestInfo),
} static_ASN1_SEQUENCE_END(SpcIndirectDataContent)

/* ---- image hash ----------------------------------------------------------- */

/* Chunks small enough to stay in the cache between the checksum and SHA-256. */
#define HASH_CHUNK (256u * 1024)

/* Where the bytes come from: memory, or a file read with pread() into a
 * buffer. Reading beats walking a mapping of the file: on the VMs keel
 * builds on, faulting in and TLB-missing 18,000 mapped pages costs more
 * than the copy (bench/sign.sh). */
struct source {
        const uint8_t *data;     /* memory: the whole file */
        int fd;                  /* otherwise */
        uint8_t *buf;
};

/* size <= HASH_CHUNK bytes at offset, or NULL after logging. */
static const uint8_t *source_get(struct source *src, uint64_t offset, size_t size) {
        size_t done = 0;

        if (src->data)
                return src->data + offset;
        while (done < size) {
                ssize_t n = pread(src->fd, src->buf + done, size - done, (off_t) (offset + done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        log_errno(n < 0 ? errno : EIO, "cannot read the image");
                        return NULL;
                }
                done += (size_t) n;
        }
        return src->buf;
}

/* Feeds the chunk's part [a, b) (file offsets; the chunk holds the bytes
 * from chunk_start on) to the checksum, with the CheckSum field and the
 * directory entry replaced by zeros: their new values are added later. */
static void checksum_span(struct pe_checksum *c, const uint8_t *chunk, uint64_t chunk_start, uint64_t a, uint64_t b,
                          const struct authenticode_layout *l) {
        static const uint8_t zeros[PE_DATA_DIRECTORY_SIZE];
        const struct authenticode_region holes[] = {
                { l->checksum_offset, 4 },
                { l->cert_dir_offset, PE_DATA_DIRECTORY_SIZE },
        };

        for (size_t i = 0; i < ARRAY_SIZE(holes) && a < b; i++) {
                uint64_t hs = holes[i].offset, he = hs + holes[i].size, stop;
                if (he <= a || hs >= b)
                        continue;
                if (hs > a) {
                        pe_checksum_update(c, chunk + (a - chunk_start), hs - a);
                        a = hs;
                }
                stop = he < b ? he : b;
                pe_checksum_update(c, zeros, stop - a);
                a = stop;
        }
        if (a < b)
                pe_checksum_update(c, chunk + (a - chunk_start), b - a);
}

static int digest_update(EVP_MD_CTX *md, const uint8_t *p, uint64_t size) {
        return EVP_DigestUpdate(md, p, size) == 1 ? 0 : log_error("SHA-256 failed");
}

/* One front-to-back pass: each chunk goes to the checksum and, where it
 * meets a hashed region, to SHA-256, while it is still in the cache. */
static int hash_sequential(EVP_MD_CTX *md, struct source *src, const struct authenticode_layout *l,
                           struct pe_checksum *c) {
        size_t r = 0;

        for (uint64_t pos = 0; pos < l->image_end;) {
                uint64_t end = l->image_end - pos < HASH_CHUNK ? l->image_end : pos + HASH_CHUNK;
                const uint8_t *chunk = source_get(src, pos, end - pos);

                if (!chunk)
                        return -1;
                if (c)
                        checksum_span(c, chunk, pos, pos, end, l);
                while (r < l->n_regions && l->regions[r].offset < end) {
                        uint64_t rs = l->regions[r].offset, re = rs + l->regions[r].size;
                        uint64_t a = rs > pos ? rs : pos, b = re < end ? re : end;
                        if (a < b && digest_update(md, chunk + (a - pos), b - a) < 0)
                                return -1;
                        if (re > end)
                                break;
                        r++;
                }
                pos = end;
        }
        return 0;
}

/* Gaps between sections: the regions jump back, so each is hashed on its
 * own, and the checksum gets a pass of its own. */
static int hash_by_region(EVP_MD_CTX *md, struct source *src, const struct authenticode_layout *l,
                          struct pe_checksum *c) {
        for (size_t i = 0; i < l->n_regions; i++)
                for (uint64_t pos = l->regions[i].offset, end = pos + l->regions[i].size; pos < end;) {
                        size_t n = end - pos < HASH_CHUNK ? (size_t) (end - pos) : HASH_CHUNK;
                        const uint8_t *chunk = source_get(src, pos, n);
                        if (!chunk || digest_update(md, chunk, n) < 0)
                                return -1;
                        pos += n;
                }
        for (uint64_t pos = 0; c && pos < l->image_end;) {
                size_t n = l->image_end - pos < HASH_CHUNK ? (size_t) (l->image_end - pos) : HASH_CHUNK;
                const uint8_t *chunk = source_get(src, pos, n);
                if (!chunk)
                        return -1;
                checksum_span(c, chunk, pos, pos, pos + n, l);
                pos += n;
        }
        return 0;
}

static int hash_source(struct source *src, const struct authenticode_layout *l, size_t pad_zeros,
                       uint8_t ret_digest[AUTHENTICODE_DIGEST_SIZE], struct pe_checksum *checksum) {
        static const uint8_t zeros[WIN_CERT_ALIGNMENT];
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        unsigned int n = 0;
        int r = -1;

        if (!md)
                return log_error("out of memory");
        if (pad_zeros > sizeof(zeros)) {
                log_error("internal error: %zu bytes of padding", pad_zeros);
                goto err_free;
        }
        if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
                log_error("SHA-256 is not available");
                goto err_free;
        }
        if (checksum)
                pe_checksum_init(checksum);
        if ((l->in_file_order ? hash_sequential : hash_by_region)(md, src, l, checksum) < 0)
                goto err_free;

        /* The padding extends the trailing data, which always runs up to
         * image_end: appended to the hash it lands where a verifier of the
         * signed file reads it. */
        if (digest_update(md, zeros, pad_zeros) < 0)
                goto err_free;
        if (checksum)
                pe_checksum_update(checksum, zeros, pad_zeros);
        if (EVP_DigestFinal_ex(md, ret_digest, &n) != 1 || n != AUTHENTICODE_DIGEST_SIZE) {
                log_error("SHA-256 failed");
                goto err_free;
        }
        r = 0;
err_free:
        EVP_MD_CTX_free(md);
        return r;
}

int authenticode_hash(const uint8_t *data, const struct authenticode_layout *l, size_t pad_zeros,
                      uint8_t ret_digest[AUTHENTICODE_DIGEST_SIZE], struct pe_checksum *checksum) {
        struct source src = { .data = data, .fd = -1 };
        return hash_source(&src, l, pad_zeros, ret_digest, checksum);
}

int authenticode_hash_fd(int fd, const struct authenticode_layout *l, size_t pad_zeros,
                         uint8_t ret_digest[AUTHENTICODE_DIGEST_SIZE], struct pe_checksum *checksum) {
        struct source src = { .fd = fd, .buf = malloc(HASH_CHUNK) };
        int r;

        if (!src.buf)
                return log_error("out of memory");
        r = hash_source(&src, l, pad_zeros, ret_digest, checksum);
        free(src.buf);
        return r;
}

/* ---- signing ---------------------------------------------------------------- */

/* "<<<Obsolete>>>" as a BMPString (UTF-16BE), what every Authenticode
 * signer puts in SpcPeImageData.file. */
static int set_obsolete_link(SpcPeImageData *pe) {
        static const char text[] = "<<<Obsolete>>>";
        uint8_t bmp[2 * (sizeof(text) - 1)];
        SpcString *s;

        for (size_t i = 0; i < sizeof(text) - 1; i++) {
                bmp[2 * i] = 0;
                bmp[2 * i + 1] = (uint8_t) text[i];
        }
        pe->file = (SpcLink *) ASN1_item_new(ASN1_ITEM_rptr(SpcLink));
        s = (SpcString *) ASN1_item_new(ASN1_ITEM_rptr(SpcString));
        if (!pe->file || !s) {
                ASN1_item_free((ASN1_VALUE *) s, ASN1_ITEM_rptr(SpcString));
                return -1;
        }
        pe->file->type = 1; /* file [2] */
        pe->file->value.file = s;
        s->type = 0;        /* unicode [0] */
        s->value.unicode = ASN1_BMPSTRING_new();
        if (!s->value.unicode || !ASN1_STRING_set(s->value.unicode, bmp, sizeof(bmp)))
                return -1;
        return 0;
}

/* SpcPeImageData as DER: empty flags (as signtool and osslsigncode write
 * them) and the obsolete file link. */
static int encode_pe_image_data(uint8_t **ret, int *ret_size) {
        SpcPeImageData *pe = (SpcPeImageData *) ASN1_item_new(ASN1_ITEM_rptr(SpcPeImageData));
        int n = -1;

        *ret = NULL;
        if (!pe)
                return -1;
        pe->flags = ASN1_BIT_STRING_new();
        if (pe->flags && set_obsolete_link(pe) == 0)
                n = ASN1_item_i2d((ASN1_VALUE *) pe, ret, ASN1_ITEM_rptr(SpcPeImageData));
        ASN1_item_free((ASN1_VALUE *) pe, ASN1_ITEM_rptr(SpcPeImageData));
        if (n <= 0)
                return -1;
        *ret_size = n;
        return 0;
}

/* The DER of SpcIndirectDataContent for an image digest. */
static int encode_indirect_data(const uint8_t digest[AUTHENTICODE_DIGEST_SIZE], uint8_t **ret, int *ret_size) {
        SpcIndirectDataContent *idc = (SpcIndirectDataContent *) ASN1_item_new(ASN1_ITEM_rptr(SpcIndirectDataContent));
        uint8_t *pe_der = NULL;
        int pe_size = 0, n = -1;
        ASN1_STRING *seq = NULL;

        *ret = NULL;
        if (!idc || encode_pe_image_data(&pe_der, &pe_size) < 0)
                goto err_free;
        idc->data->type = OBJ_txt2obj(SPC_PE_IMAGE_DATA_OID, 1);
        idc->data->value = ASN1_TYPE_new();
        seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE);
        if (!idc->data->type || !idc->data->value || !seq || !ASN1_STRING_set(seq, pe_der, pe_size))
                goto err_free;
        ASN1_TYPE_set(idc->data->value, V_ASN1_SEQUENCE, seq);
        seq = NULL;
        if (!X509_ALGOR_set0(idc->messageDigest->digestAlgorithm, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) ||
            !ASN1_OCTET_STRING_set(idc->messageDigest->digest, digest, AUTHENTICODE_DIGEST_SIZE))
                goto err_free;
        n = ASN1_item_i2d((ASN1_VALUE *) idc, ret, ASN1_ITEM_rptr(SpcIndirectDataContent));
        if (n > 0)
                *ret_size = n;
err_free:
        ASN1_STRING_free(seq);
        OPENSSL_free(pe_der);
        ASN1_item_free((ASN1_VALUE *) idc, ASN1_ITEM_rptr(SpcIndirectDataContent));
        return n > 0 ? 0 : -1;
}

/* Where the contents of a DER SEQUENCE start: the Authenticode message
 * digest covers SpcIndirectDataContent without its tag and length. */
static int sequence_contents(const uint8_t *der, long size, const uint8_t **ret, long *ret_size) {
        const uint8_t *p = der;
        long len;
        int tag, class;

        if (ASN1_get_object(&p, &len, &tag, &class, size) & 0x80)
                return -1;
        if (tag != V_ASN1_SEQUENCE || class != V_ASN1_UNIVERSAL || len != size - (p - der))
                return -1;
        *ret = p;
        *ret_size = len;
        return 0;
}

static int add_attribute(STACK_OF(X509_ATTRIBUTE) *attrs, const char *oid, int type, const void *der, int size) {
        ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
        X509_ATTRIBUTE *a = obj ? X509_ATTRIBUTE_create_by_OBJ(NULL, obj, type, der, size) : NULL;

        ASN1_OBJECT_free(obj);
        if (!a || !sk_X509_ATTRIBUTE_push(attrs, a)) {
                X509_ATTRIBUTE_free(a);
                return -1;
        }
        return 0;
}

/* contentType, SpcStatementType (individual code signing), an empty
 * SpcSpOpusInfo and messageDigest: what signtool writes, minus the signing
 * time (firmware ignores it and it would make signatures irreproducible). */
static int set_signed_attributes(PKCS7_SIGNER_INFO *si, const uint8_t *content, long content_size) {
        /* SEQUENCE { OID 1.3.6.1.4.1.311.2.1.21 } */
        static const uint8_t statement_type[] = { 0x30, 0x0c, 0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01,
                                                  0x82, 0x37, 0x02, 0x01, 0x15 };
        static const uint8_t empty_opus_info[] = { 0x30, 0x00 };
        STACK_OF(X509_ATTRIBUTE) *attrs = sk_X509_ATTRIBUTE_new_null();
        ASN1_OBJECT *content_type = OBJ_txt2obj(SPC_INDIRECT_DATA_OID, 1);
        uint8_t md[EVP_MAX_MD_SIZE];
        unsigned int md_size = 0;
        int r = -1;

        if (!attrs || !content_type)
                goto err_free;
        if (add_attribute(attrs, SPC_STATEMENT_TYPE_OID, V_ASN1_SEQUENCE, statement_type, sizeof(statement_type)) < 0 ||
            add_attribute(attrs, SPC_SP_OPUS_INFO_OID, V_ASN1_SEQUENCE, empty_opus_info, sizeof(empty_opus_info)) < 0)
                goto err_free;
        if (!PKCS7_set_signed_attributes(si, attrs))
                goto err_free;
        if (!PKCS7_add_attrib_content_type(si, content_type))
                goto err_free;
        content_type = NULL; /* owned by si now */
        if (EVP_Digest(content, (size_t) content_size, md, &md_size, EVP_sha256(), NULL) != 1 ||
            !PKCS7_add1_attrib_digest(si, md, (int) md_size))
                goto err_free;
        r = 0;
err_free:
        ASN1_OBJECT_free(content_type);
        sk_X509_ATTRIBUTE_pop_free(attrs, X509_ATTRIBUTE_free);
        return r;
}

/* Puts SpcIndirectDataContent into the SignedData as its content, typed
 * with its own OID (not wrapped in an OCTET STRING, unlike CMS data). */
static int set_indirect_content(PKCS7 *p7, const uint8_t *idc, int idc_size) {
        PKCS7 *inner = PKCS7_new();
        ASN1_STRING *seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE);

        if (!inner || !seq || !ASN1_STRING_set(seq, idc, idc_size))
                goto err_free;
        inner->type = OBJ_txt2obj(SPC_INDIRECT_DATA_OID, 1);
        inner->d.other = ASN1_TYPE_new();
        if (!inner->type || !inner->d.other)
                goto err_free;
        ASN1_TYPE_set(inner->d.other, V_ASN1_SEQUENCE, seq);
        seq = NULL;
        if (!PKCS7_set_content(p7, inner))
                goto err_free;
        return 0;
err_free:
        ASN1_STRING_free(seq);
        PKCS7_free(inner);
        return -1;
}

/* What PKCS7_SIGNER_INFO_sign() does, with the signature over the SHA-256
 * of the signed attributes made elsewhere (offline_sign()). */
static int sign_attributes_offline(PKCS7_SIGNER_INFO *si, struct offline_signing *offline) {
        uint8_t *attrs = NULL, md[SIGNING_DIGEST_SIZE], *sig = NULL;
        size_t sig_size = 0;
        int n = ASN1_item_i2d((ASN1_VALUE *) si->auth_attr, &attrs, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN)), r = -1;

        if (n <= 0 || EVP_Digest(attrs, (size_t) n, md, NULL, EVP_sha256(), NULL) != 1)
                goto out;
        if (offline_sign(offline, SIGNING_KEY_DB, md, "Authenticode signature", &sig, &sig_size) < 0 ||
            sig_size > INT_MAX || !ASN1_STRING_set(si->enc_digest, sig, (int) sig_size))
                goto out;
        r = 0;
out:
        OPENSSL_free(attrs);
        free(sig);
        return r;
}

/* key signs here, or, when NULL, offline (the certificate's public key
 * sets up the SignerInfo). */
static int sign_digest(const uint8_t digest[AUTHENTICODE_DIGEST_SIZE], EVP_PKEY *key, X509 *cert,
                       struct offline_signing *offline, uint8_t **ret, size_t *ret_size) {
        PKCS7 *p7 = PKCS7_new();
        PKCS7_SIGNER_INFO *si;
        uint8_t *idc = NULL, *der = NULL;
        const uint8_t *contents;
        long contents_size;
        int idc_size = 0, n, r = -1;

        if (!p7 || !PKCS7_set_type(p7, NID_pkcs7_signed))
                goto err_free;
        if (encode_indirect_data(digest, &idc, &idc_size) < 0 ||
            sequence_contents(idc, idc_size, &contents, &contents_size) < 0)
                goto err_free;
        si = PKCS7_add_signature(p7, cert, key ? key : X509_get0_pubkey(cert), EVP_sha256());
        if (!si || !PKCS7_add_certificate(p7, cert))
                goto err_free;
        if (set_indirect_content(p7, idc, idc_size) < 0 || set_signed_attributes(si, contents, contents_size) < 0)
                goto err_free;
        if (key ? PKCS7_SIGNER_INFO_sign(si) <= 0 : sign_attributes_offline(si, offline) < 0)
                goto err_free;
        n = i2d_PKCS7(p7, &der);
        if (n <= 0)
                goto err_free;
        *ret = der;
        *ret_size = (size_t) n;
        r = 0;
err_free:
        if (r < 0) {
                unsigned long e = ERR_peek_last_error();
                log_error("cannot create the Authenticode signature%s%s", e ? ": " : "",
                          e ? ERR_reason_error_string(e) : "");
                ERR_clear_error();
        }
        OPENSSL_free(idc);
        PKCS7_free(p7);
        return r;
}

int authenticode_sign_digest(const uint8_t digest[AUTHENTICODE_DIGEST_SIZE], EVP_PKEY *key, X509 *cert, uint8_t **ret,
                             size_t *ret_size) {
        return sign_digest(digest, key, cert, NULL, ret, ret_size);
}

int authenticode_sign_digest_offline(const uint8_t digest[AUTHENTICODE_DIGEST_SIZE], X509 *cert,
                                     struct offline_signing *offline, uint8_t **ret, size_t *ret_size) {
        return sign_digest(digest, NULL, cert, offline, ret, ret_size);
}

/* ---- verification ------------------------------------------------------------ */

const char *authenticode_verdict_text(enum authenticode_verdict v) {
        switch (v) {
        case AUTHENTICODE_OK: return "valid";
        case AUTHENTICODE_MALFORMED: return "not an Authenticode PKCS#7 signature";
        case AUTHENTICODE_UNSUPPORTED_DIGEST: return "image digest is not SHA-256";
        case AUTHENTICODE_DIGEST_MISMATCH: return "image digest does not match (the file was changed after signing)";
        case AUTHENTICODE_BAD_SIGNATURE: return "signature does not verify";
        case AUTHENTICODE_UNTRUSTED: return "not signed by a trusted certificate";
        }
        return "unknown";
}

X509_STORE *authenticode_trust_store(X509 *const *certs, size_t n_certs) {
        X509_STORE *store = X509_STORE_new();

        if (!store)
                return NULL;
        for (size_t i = 0; i < n_certs; i++)
                if (!X509_STORE_add_cert(store, certs[i])) {
                        X509_STORE_free(store);
                        return NULL;
                }
        /* EDK II's Pkcs7Verify: trusted certificates may sit anywhere in the
         * chain, and firmware has no trustworthy clock. sbverify likewise
         * accepts any purpose. */
        X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
        X509_STORE_set_purpose(store, X509_PURPOSE_ANY);
        return store;
}

/* The SpcIndirectDataContent DER inside a SignedData, or -1. */
static int indirect_data_of(PKCS7 *p7, const uint8_t **ret, long *ret_size) {
        PKCS7 *inner;
        ASN1_OBJECT *expected;
        int same;

        if (!PKCS7_type_is_signed(p7) || !p7->d.sign || !(inner = p7->d.sign->contents) || !inner->type)
                return -1;
        expected = OBJ_txt2obj(SPC_INDIRECT_DATA_OID, 1);
        same = expected && OBJ_cmp(inner->type, expected) == 0;
        ASN1_OBJECT_free(expected);
        if (!same || !inner->d.other || inner->d.other->type != V_ASN1_SEQUENCE || !inner->d.other->value.sequence)
                return -1;
        *ret = inner->d.other->value.sequence->data;
        *ret_size = inner->d.other->value.sequence->length;
        return 0;
}

static enum authenticode_verdict check_digest(const uint8_t *idc_der, long idc_size,
                                              const uint8_t digest[AUTHENTICODE_DIGEST_SIZE]) {
        const uint8_t *p = idc_der;
        SpcIndirectDataContent *idc =
                (SpcIndirectDataContent *) ASN1_item_d2i(NULL, &p, idc_size, ASN1_ITEM_rptr(SpcIndirectDataContent));
        ASN1_OBJECT *pe_type = OBJ_txt2obj(SPC_PE_IMAGE_DATA_OID, 1);
        enum authenticode_verdict v = AUTHENTICODE_MALFORMED;
        const ASN1_OBJECT *alg;

        if (!idc || !pe_type || p != idc_der + idc_size || OBJ_cmp(idc->data->type, pe_type) != 0)
                goto err_free;
        X509_ALGOR_get0(&alg, NULL, NULL, idc->messageDigest->digestAlgorithm);
        if (OBJ_obj2nid(alg) != NID_sha256) {
                v = AUTHENTICODE_UNSUPPORTED_DIGEST;
                goto err_free;
        }
        if (ASN1_STRING_length(idc->messageDigest->digest) != AUTHENTICODE_DIGEST_SIZE ||
            memcmp(ASN1_STRING_get0_data(idc->messageDigest->digest), digest, AUTHENTICODE_DIGEST_SIZE) != 0) {
                v = AUTHENTICODE_DIGEST_MISMATCH;
                goto err_free;
        }
        v = AUTHENTICODE_OK;
err_free:
        ASN1_OBJECT_free(pe_type);
        ASN1_item_free((ASN1_VALUE *) idc, ASN1_ITEM_rptr(SpcIndirectDataContent));
        return v;
}

/* An AlgorithmIdentifier naming one of the nids, with absent or NULL
 * parameters. */
static bool algorithm_is(const X509_ALGOR *alg, int nid1, int nid2) {
        const ASN1_OBJECT *obj;
        const void *value;
        int param_type, nid;

        if (!alg)
                return false;
        X509_ALGOR_get0(&obj, &param_type, &value, alg);
        nid = OBJ_obj2nid(obj);
        return (nid == nid1 || nid == nid2) && (param_type == V_ASN1_UNDEF || param_type == V_ASN1_NULL);
}

/* PKCS#7 leaves versions and algorithm identifiers outside the signature;
 * Authenticode fixes them: SignedData and SignerInfo version 1, SHA-256
 * alone, an RSA signature. Anything else is not a signature keel (or UEFI
 * firmware) can check. */
static bool authenticode_shape(PKCS7 *p7) {
        PKCS7_SIGNED *sd = p7->d.sign;
        PKCS7_SIGNER_INFO *si;

        if (ASN1_INTEGER_get(sd->version) != 1 || sk_X509_ALGOR_num(sd->md_algs) != 1 ||
            !algorithm_is(sk_X509_ALGOR_value(sd->md_algs, 0), NID_sha256, NID_sha256))
                return false;
        if (sk_PKCS7_SIGNER_INFO_num(sd->signer_info) != 1)
                return false;
        si = sk_PKCS7_SIGNER_INFO_value(sd->signer_info, 0);
        return ASN1_INTEGER_get(si->version) == 1 && algorithm_is(si->digest_alg, NID_sha256, NID_sha256) &&
               algorithm_is(si->digest_enc_alg, NID_rsaEncryption, NID_sha256WithRSAEncryption);
}

static char *signer_subject(PKCS7 *p7) {
        STACK_OF(X509) *signers = PKCS7_get0_signers(p7, NULL, 0);
        char *name = NULL;

        if (signers && sk_X509_num(signers) == 1)
                name = X509_NAME_oneline(X509_get_subject_name(sk_X509_value(signers, 0)), NULL, 0);
        sk_X509_free(signers);
        ERR_clear_error();
        return name;
}

/* Maps the PKCS7_verify() failure to a verdict. */
static enum authenticode_verdict verify_failure(void) {
        unsigned long e;
        enum authenticode_verdict v = AUTHENTICODE_BAD_SIGNATURE;

        while ((e = ERR_get_error()) != 0)
                if (ERR_GET_LIB(e) == ERR_LIB_PKCS7 && ERR_GET_REASON(e) == PKCS7_R_CERTIFICATE_VERIFY_ERROR)
                        v = AUTHENTICODE_UNTRUSTED;
        return v;
}

enum authenticode_verdict authenticode_verify_blob(const uint8_t *der, size_t size,
                                                   const uint8_t digest[AUTHENTICODE_DIGEST_SIZE],
                                                   X509_STORE *trusted, char **ret_signer) {
        const uint8_t *p = der, *idc, *contents;
        long idc_size, contents_size;
        enum authenticode_verdict v = AUTHENTICODE_MALFORMED;
        PKCS7 *p7 = NULL;
        BIO *content = NULL;

        if (ret_signer)
                *ret_signer = NULL;
        if (size > LONG_MAX)
                return AUTHENTICODE_MALFORMED;
        p7 = d2i_PKCS7(NULL, &p, (long) size);
        if (!p7 || !PKCS7_type_is_signed(p7) || !p7->d.sign || !authenticode_shape(p7))
                goto err_free;
        if (indirect_data_of(p7, &idc, &idc_size) < 0 || sequence_contents(idc, idc_size, &contents, &contents_size) < 0)
                goto err_free;
        if (ret_signer)
                *ret_signer = signer_subject(p7);
        v = check_digest(idc, idc_size, digest);
        if (v != AUTHENTICODE_OK)
                goto err_free;

        /* The signature covers the content without its SEQUENCE header, as
         * EDK II's AuthenticodeVerify() hands it to Pkcs7Verify(). */
        if (contents_size > INT_MAX)
                goto err_free;
        content = BIO_new_mem_buf(contents, (int) contents_size);
        if (!content)
                goto err_free;
        if (PKCS7_verify(p7, NULL, trusted, content, NULL, PKCS7_BINARY) != 1)
                v = verify_failure();
err_free:
        ERR_clear_error();
        BIO_free(content);
        PKCS7_free(p7);
        return v;
}
