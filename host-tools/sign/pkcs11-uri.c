/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host-tools/core/log.h"
#include "host-tools/sign/pkcs11-uri.h"
#include "common/strutil.h"

#define SCHEME "pkcs11:"
#define SCHEME_LEN (sizeof(SCHEME) - 1)

bool pkcs11_is_uri(const char *s) {
        return s && strncasecmp(s, SCHEME, SCHEME_LEN) == 0;
}

int pkcs11_printable_length(const char *s) {
        size_t n = pkcs11_is_uri(s) ? strcspn(s, "?") : strlen(s);

        return n > 4096 ? 4096 : (int) n;
}


/* RFC 3986 percent-decoding of the n bytes at s into a new string; NULL
 * (and *ret_bad set) on a truncated or non-hex escape or an encoded NUL,
 * which would cut a path or PIN short without anyone noticing. */
static char *percent_decode(const char *s, size_t n, bool *ret_bad) {
        char *out = malloc(n + 1);
        size_t o = 0;

        *ret_bad = false;
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                int hi, lo;

                if (s[i] != '%') {
                        out[o++] = s[i];
                        continue;
                }
                if (n - i < 3 || (hi = hex_digit_value(s[i + 1])) < 0 || (lo = hex_digit_value(s[i + 2])) < 0 ||
                    (hi == 0 && lo == 0)) {
                        *ret_bad = true;
                        free(out);
                        return NULL;
                }
                out[o++] = (char) (hi << 4 | lo);
                i += 2;
        }
        out[o] = '\0';
        return out;
}

/* Reads the path attributes keel looks at itself: whether an object is
 * named at all ("pkcs11:" alone, or only a token, would let the engine
 * pick whichever key it finds first) and its type=, if any. */
static void scan_path(const char *attrs, size_t n, bool *ret_names_object, enum pkcs11_object_type *ret_type) {
        *ret_names_object = false;
        *ret_type = PKCS11_TYPE_ANY;
        while (n > 0) {
                size_t len = 0;

                while (len < n && attrs[len] != ';')
                        len++;
                if ((len > 7 && strncmp(attrs, "object=", 7) == 0) || (len > 3 && strncmp(attrs, "id=", 3) == 0))
                        *ret_names_object = true;
                else if (len >= 5 && strncmp(attrs, "type=", 5) == 0) {
                        const char *v = attrs + 5;
                        size_t vlen = len - 5;

                        if (vlen == 7 && strncmp(v, "private", 7) == 0)
                                *ret_type = PKCS11_TYPE_PRIVATE;
                        else if (vlen == 4 && strncmp(v, "cert", 4) == 0)
                                *ret_type = PKCS11_TYPE_CERT;
                        else
                                *ret_type = PKCS11_TYPE_OTHER;
                }
                if (len == n)
                        break;
                attrs += len + 1;
                n -= len + 1;
        }
}

/* pin-source is a URI reference; keel reads local files only (no
 * "|command", no remote schemes). */
static int pin_source_file(const char *shown, int shown_len, char *value, char **ret) {
        const char *p = value;

        if (strncasecmp(p, "file://", 7) == 0) {
                p += 7;
                if (*p != '/') {
                        free(value);
                        return log_error("%.*s: pin-source must be a local file (file:///PATH or file:PATH)", shown_len,
                                         shown);
                }
        } else if (strncasecmp(p, "file:", 5) == 0)
                p += 5;
        else if (*p == '|') {
                /* Some tools run "|COMMAND" for the PIN; keel runs nothing. */
                free(value);
                return log_error("%.*s: pin-source must be a file, not a command", shown_len, shown);
        } else if (*p != '/' && strchr(p, ':')) {
                free(value);
                return log_error("%.*s: pin-source must be a file (file:PATH)", shown_len, shown);
        }
        if (*p == '\0') {
                free(value);
                return log_error("%.*s: pin-source names no file", shown_len, shown);
        }
        memmove(value, p, strlen(p) + 1);
        *ret = value;
        return 0;
}

int pkcs11_uri_parse(const char *uri, struct pkcs11_uri *ret) {
        int shown = pkcs11_printable_length(uri);
        const char *query = strchr(uri, '?');
        size_t path_len = query ? (size_t) (query - uri) : strlen(uri);
        bool names_object;

        memset(ret, 0, sizeof(*ret));
        if (!pkcs11_is_uri(uri))
                return log_error("%.*s: not a PKCS#11 URI", shown, uri);
        scan_path(uri + SCHEME_LEN, path_len - SCHEME_LEN, &names_object, &ret->type);
        if (!names_object)
                return log_error("%.*s: the PKCS#11 URI names no object (give object= or id=)", shown, uri);
        ret->path = strndup(uri, path_len);
        if (!ret->path)
                return log_error("out of memory");

        /* Query attributes are separated by '&' (RFC 7512 2.3). */
        for (const char *p = query ? query + 1 : NULL; p;) {
                const char *end = strchr(p, '&');
                size_t len = end ? (size_t) (end - p) : strlen(p);
                const char *eq = memchr(p, '=', len);
                size_t name_len = eq ? (size_t) (eq - p) : len;
                char **slot = NULL, *value;
                bool bad;

                if (name_len == 11 && strncmp(p, "module-path", 11) == 0)
                        slot = &ret->module_path;
                else if (name_len == 9 && strncmp(p, "pin-value", 9) == 0)
                        slot = &ret->pin_value;
                else if (name_len == 10 && strncmp(p, "pin-source", 10) == 0)
                        slot = &ret->pin_file;
                else if (name_len == 11 && strncmp(p, "module-name", 11) == 0) {
                        log_error("%.*s: module-name= is not supported; give module-path= or KEEL_PKCS11_MODULE",
                                  shown, uri);
                        goto err;
                } else if (len == 0) {
                        /* "?" alone or "&&": nothing to read. */
                        p = end ? end + 1 : NULL;
                        continue;
                } else {
                        /* The name is shown only up to its '=': the value may be a PIN. */
                        log_error("%.*s: unknown PKCS#11 URI query attribute '%.*s'", shown, uri,
                                  (int) (name_len > 64 ? 64 : name_len), p);
                        goto err;
                }
                if (!eq || eq + 1 == p + len) {
                        log_error("%.*s: %.*s= needs a value", shown, uri, (int) name_len, p);
                        goto err;
                }
                if (*slot) {
                        log_error("%.*s: %.*s= is given twice", shown, uri, (int) name_len, p);
                        goto err;
                }
                value = percent_decode(eq + 1, len - name_len - 1, &bad);
                if (!value) {
                        if (bad)
                                log_error("%.*s: %.*s= has a bad percent escape", shown, uri, (int) name_len, p);
                        else
                                log_error("out of memory");
                        goto err;
                }
                if (slot == &ret->pin_file) {
                        if (pin_source_file(uri, shown, value, slot) < 0)
                                goto err;
                } else
                        *slot = value;
                p = end ? end + 1 : NULL;
        }
        if (ret->pin_value && ret->pin_file) {
                log_error("%.*s: give pin-value= or pin-source=, not both", shown, uri);
                goto err;
        }
        return 0;
err:
        pkcs11_uri_done(ret);
        return -1;
}

void pkcs11_uri_done(struct pkcs11_uri *u) {
        free(u->path);
        free(u->module_path);
        if (u->pin_value) {
                /* The PIN does not stay behind in freed memory. */
                explicit_bzero(u->pin_value, strlen(u->pin_value));
                free(u->pin_value);
        }
        free(u->pin_file);
        memset(u, 0, sizeof(*u));
}
