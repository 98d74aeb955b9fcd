/* SPDX-License-Identifier: MIT */
/* A Secure Boot key set as `keel keys create` makes it: DIR/{PK,KEK,db}.
 * {key,crt,esl,auth} and DIR/GUID. `keel install --keys-dir` signs with
 * its db key and stages its .auth files for enrollment. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum keys_state {
        KEYS_NONE,              /* none of the set's files (DIR may be missing) */
        KEYS_COMPLETE,          /* every file of the set */
        KEYS_PARTIAL,           /* some: never completed nor overwritten */
};

/* Which of the set's files dir holds; *ret_missing (PARTIAL) names the
 * first missing one (static). Logs and returns -1 when dir cannot be read. */
int keys_state(const char *dir, enum keys_state *ret, const char **ret_missing);

/* Creates the set (certificates "CN PK", "CN KEK", "CN db") in dir, which
 * must be missing or empty: it is built next to dir and renamed into place,
 * so that it appears complete or not at all; dir 0700, private keys 0600.
 * Never overwrites a key. Logs and returns -1. */
int keys_create(const char *dir, const char *cn);

/* The db.auth of the complete set in dir with more certificates in db:
 * DIR/db.esl followed by one EFI_SIGNATURE_LIST per certificate (PEM or
 * DER files, owned by the set's owner GUID), signed by DIR/KEK.key with
 * DIR/db.auth's own timestamp, so that the same inputs give the same
 * bytes. Caller frees *ret. Logs and returns -1. */
int keys_db_auth_with_certs(const char *dir, const char *const *cert_paths, size_t n, uint8_t **ret, size_t *ret_size);
