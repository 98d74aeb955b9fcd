/* SPDX-License-Identifier: MIT */
/* PKCS#11 URIs (RFC 7512) naming a key or certificate in a token:
 *
 *   pkcs11:token=fleet;object=db;type=private?pin-source=file:/run/pin&module-path=/usr/lib/softhsm/libsofthsm2.so
 *
 * The path attributes (before '?') go to OpenSSL's pkcs11 engine as they
 * are; keel handles the query attributes itself: pin-value, pin-source (a
 * file; its first line is the PIN) and module-path (the PKCS#11 module,
 * as p11-kit reads it). Anything else in the query is an error rather than
 * silently ignored: a misspelt attribute would otherwise select another
 * module or no PIN. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Whether a --key/--cert value is a URI rather than a file: it starts
 * with the scheme "pkcs11:" (any case, as URI schemes are). A file whose
 * name starts so is still reachable as ./pkcs11:... */
bool pkcs11_is_uri(const char *s);

/* How many leading bytes of s may be shown in a message: a URI without its
 * query (which may hold the PIN), or the whole of a file name. */
int pkcs11_printable_length(const char *s);

/* The path's type= attribute: a --key URI may say private, a --cert URI
 * cert; the engine itself does not look. */
enum pkcs11_object_type {
        PKCS11_TYPE_ANY, /* no type= */
        PKCS11_TYPE_PRIVATE,
        PKCS11_TYPE_CERT,
        PKCS11_TYPE_OTHER, /* public, secret-key, data, or not a type */
};

struct pkcs11_uri {
        char *path;        /* "pkcs11:" and the path attributes, for the engine */
        char *module_path; /* decoded module-path=, or NULL */
        char *pin_value;   /* decoded pin-value=, or NULL */
        char *pin_file;    /* decoded pin-source= without its "file:" scheme, or NULL */
        enum pkcs11_object_type type;
};

/* Splits and decodes uri. Logs one line and returns -1 on a malformed URI:
 * a bad percent escape, an encoded NUL, an empty path, an unknown or
 * repeated query attribute, both pin-value and pin-source, a pin-source
 * that is not a local file. */
int pkcs11_uri_parse(const char *uri, struct pkcs11_uri *ret);
void pkcs11_uri_done(struct pkcs11_uri *u);
