/* SPDX-License-Identifier: MIT */
/* The signing requests of `keel install --prepare`: a directory that
 * travels to the machine holding the keys and back, so everything in it is
 * untrusted. manifest.json names, for each request, the key that signs it
 * (db: the Secure Boot certificate's key, for an Authenticode signature;
 * pcr: the PCR policy key, for a signed PCR 11 policy), the algorithm, the
 * SHA-256 digest to sign, the file holding that digest (raw, 32 bytes), the
 * file the signature goes to, and what it is for:
 *
 *   {"format":"keel-signing-requests-1","requests":[
 *     {"key":"pcr","algorithm":"rsa-pkcs1-v1_5-sha256","digest":"<hex>",
 *      "file":"0001-pcr.digest","signature":"0001-pcr.sig","for":"..."}]}
 *
 * Every request is an RSASSA-PKCS1-v1_5 signature over a SHA-256 digest:
 * `openssl pkeyutl -sign -inkey KEY -pkeyopt digest:sha256 -in F.digest
 * -out F.sig`. The manifest only indexes the directory: `--join` uses a
 * signature only for a digest it computed itself, after checking it with
 * the public key. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGNING_FORMAT "keel-signing-requests-1"
#define SIGNING_ALGORITHM "rsa-pkcs1-v1_5-sha256"
#define SIGNING_MANIFEST_NAME "manifest.json"
#define SIGNING_MANIFEST_MAX (16u * 1024 * 1024)
#define SIGNING_DIGEST_SIZE 32
#define SIGNING_REQUESTS_MAX 16384
#define SIGNING_NAME_MAX 64
#define SIGNING_PURPOSE_MAX 255

enum signing_key {
        SIGNING_KEY_DB,         /* Authenticode: the key of --cert */
        SIGNING_KEY_PCR,        /* a PCR 11 policy: the key of --pcrpkey */
        _SIGNING_KEY_MAX,
};

const char *signing_key_name(enum signing_key key);

struct signing_request {
        enum signing_key key;
        uint8_t digest[SIGNING_DIGEST_SIZE];
        char digest_file[SIGNING_NAME_MAX + 1];
        char signature_file[SIGNING_NAME_MAX + 1];
        char purpose[SIGNING_PURPOSE_MAX + 1];
};

/* Why name cannot be a file of the directory (NULL: it can): a plain name
 * of A-Z a-z 0-9 . _ -, not starting with '.', at most SIGNING_NAME_MAX
 * bytes, ending with suffix. */
const char *signing_file_name_problem(const char *name, const char *suffix);

/* The file names of request number index (0-based): NNNN-KEY.digest and
 * NNNN-KEY.sig. */
void signing_request_name(size_t index, struct signing_request *r);

/* Parses a manifest. Refuses (-1, the reason in error) anything but the
 * shape above: a wrong format or algorithm, an unknown key, a digest that
 * is not 64 lowercase hex digits, a bad file name, a purpose with a control
 * character or too long, more than SIGNING_REQUESTS_MAX requests, a digest
 * requested twice of one key, a file named twice. *ret is malloc'd (NULL
 * when there is no request). Logs nothing. */
int signing_manifest_parse(const void *text, size_t size, struct signing_request **ret, size_t *ret_n, char *error,
                           size_t error_size);

/* The manifest text for n requests (malloc'd, NUL-terminated). */
int signing_manifest_format(const struct signing_request *requests, size_t n, char **ret, size_t *ret_size);
