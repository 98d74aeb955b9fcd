/* SPDX-License-Identifier: MIT */
/* Signing with keys that are not on this machine (`keel install --prepare`
 * and `--join`): every signature keel makes goes through offline_sign(),
 * which, for the digest to be signed, returns the signature brought back
 * in the requests directory (checked with the public key when it was
 * read) or, when there is none, records a request and returns a
 * placeholder of the signature's size. The code that signs online runs
 * unchanged around it, so a joined install is byte for byte the online
 * one (RSASSA-PKCS1-v1_5 is deterministic).
 *
 * The Authenticode signature of a UKI covers its .pcrsig, which holds the
 * PCR signatures: while a PCR signature is missing, the UKIs' Authenticode
 * digests are not final and are not requested (a second round asks for
 * them). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "host-tools/sign/signing-manifest.h"

#define OFFLINE_SIGNATURE_MAX 1024 /* RSA 8192 */

struct offline_entry {
        struct signing_request request;
        uint8_t signature[OFFLINE_SIGNATURE_MAX];
        size_t signature_size;          /* 0: none (a request made by this run) */
        bool used;
};

struct offline_signing {
        const char *dir;
        bool joining;                   /* --join: the directory has a manifest and signatures */
        EVP_PKEY *public_key[_SIGNING_KEY_MAX]; /* NULL: that key does not sign here */
        struct offline_entry *entries;  /* the manifest's (with their signatures), then this run's requests */
        size_t n_entries, n_known, capacity;
        size_t n_deferred;              /* Authenticode digests left for the next round */
        bool sizing;                    /* signatures only for their size: no request */
        const char *context;            /* what is being built now, for the requests' "for" */
};

/* The keys the requests are for (either may be NULL; references are
 * taken). --join also reads DIR's manifest and signatures and checks each
 * signature with its key: a missing, cut or wrong one is refused (one
 * line). --prepare needs DIR to be empty or absent. */
int offline_signing_init(struct offline_signing *o, const char *dir, bool joining, EVP_PKEY *db_key,
                         EVP_PKEY *pcr_key);
void offline_signing_done(struct offline_signing *o);

/* The signature by key of digest (a SHA-256 digest, signed as
 * RSASSA-PKCS1-v1_5 with SHA-256): the returned one, or a placeholder of
 * its size. purpose says what it is for. *ret is malloc'd. */
int offline_sign(struct offline_signing *o, enum signing_key key, const uint8_t digest[SIGNING_DIGEST_SIZE],
                 const char *purpose, uint8_t **ret, size_t *ret_size);

enum offline_outcome {
        OFFLINE_COMPLETE,               /* every signature is there: install */
        OFFLINE_REQUESTED,              /* requests were written to the directory */
};

/* After everything was signed: refuses (one line) a join whose
 * requests do not all match what this run signed (the inputs changed since
 * --prepare) or that needs a PCR signature --prepare did not ask for;
 * otherwise writes the new requests (digest files, then the manifest). */
int offline_signing_finish(struct offline_signing *o, enum offline_outcome *ret);
