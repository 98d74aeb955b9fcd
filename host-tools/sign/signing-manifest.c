/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "host-tools/sign/signing-manifest.h"
#include "common/strutil.h"

#define JSON_DEPTH_MAX 8

const char *signing_key_name(enum signing_key key) {
        return key == SIGNING_KEY_DB ? "db" : key == SIGNING_KEY_PCR ? "pcr" : "?";
}

const char *signing_file_name_problem(const char *name, const char *suffix) {
        size_t len = strlen(name), suffix_len = strlen(suffix);

        if (len == 0)
                return "empty file name";
        if (len > SIGNING_NAME_MAX)
                return "file name too long";
        if (name[0] == '.')
                return "file name starts with '.'";
        if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") != len)
                return "file name has a character other than A-Z a-z 0-9 . _ -";
        if (len <= suffix_len || strcmp(name + len - suffix_len, suffix) != 0)
                return suffix_len == 4 ? "signature file name does not end with .sig"
                                       : "digest file name does not end with .digest";
        return NULL;
}

void signing_request_name(size_t index, struct signing_request *r) {
        snprintf(r->digest_file, sizeof(r->digest_file), "%04zu-%s.digest", index + 1, signing_key_name(r->key));
        snprintf(r->signature_file, sizeof(r->signature_file), "%04zu-%s.sig", index + 1, signing_key_name(r->key));
}

static int failf(char *error, size_t error_size, const char *format, ...) {
        va_list ap;

        va_start(ap, format);
        vsnprintf(error, error_size, format, ap);
        va_end(ap);
        return -1;
}

/* The string member name of o, or NULL when absent, not a string or
 * holding a NUL ("a.sig\u0000" is not the name "a.sig"). */
static const char *member_string(json_object *o, const char *name) {
        json_object *v;
        const char *s;

        if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        s = json_object_get_string(v);
        return strlen(s) == (size_t) json_object_get_string_len(v) ? s : NULL;
}

static bool parse_digest(const char *hex, uint8_t out[SIGNING_DIGEST_SIZE]) {
        if (strlen(hex) != 2 * SIGNING_DIGEST_SIZE)
                return false;
        for (size_t i = 0; i < SIGNING_DIGEST_SIZE; i++) {
                int hi = hex_digit_value_lower(hex[2 * i]), lo = hex_digit_value_lower(hex[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return false;
                out[i] = (uint8_t) (hi << 4 | lo);
        }
        return true;
}

static bool purpose_ok(const char *s, size_t len) {
        if (len > SIGNING_PURPOSE_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f)
                        return false;
        return true;
}

static int parse_request(json_object *o, struct signing_request *r, char *error, size_t error_size) {
        const char *key, *algorithm, *digest, *file, *sig, *purpose, *problem;

        memset(r, 0, sizeof(*r));
        if (!json_object_is_type(o, json_type_object))
                return failf(error, error_size, "not an object");
        key = member_string(o, "key");
        algorithm = member_string(o, "algorithm");
        digest = member_string(o, "digest");
        file = member_string(o, "file");
        sig = member_string(o, "signature");
        purpose = member_string(o, "for");
        if (!key || !algorithm || !digest || !file || !sig || !purpose)
                return failf(error, error_size, "key, algorithm, digest, file, signature and for must be strings "
                                                "without NUL");
        if (strcmp(key, "db") == 0)
                r->key = SIGNING_KEY_DB;
        else if (strcmp(key, "pcr") == 0)
                r->key = SIGNING_KEY_PCR;
        else
                return failf(error, error_size, "unknown key (db or pcr)");
        if (strcmp(algorithm, SIGNING_ALGORITHM) != 0)
                return failf(error, error_size, "algorithm is not " SIGNING_ALGORITHM);
        if (!parse_digest(digest, r->digest))
                return failf(error, error_size, "digest is not 64 lowercase hex digits");
        if ((problem = signing_file_name_problem(file, ".digest")) || (problem = signing_file_name_problem(sig, ".sig")))
                return failf(error, error_size, "%s", problem);
        if (!purpose_ok(purpose, strlen(purpose)))
                return failf(error, error_size, "'for' is longer than %d bytes or has a control character",
                             SIGNING_PURPOSE_MAX);
        snprintf(r->digest_file, sizeof(r->digest_file), "%s", file);
        snprintf(r->signature_file, sizeof(r->signature_file), "%s", sig);
        snprintf(r->purpose, sizeof(r->purpose), "%s", purpose);
        return 0;
}

/* Two requests may share neither a digest of one key nor a file: checked
 * on sorted pointers, so that a manifest of SIGNING_REQUESTS_MAX requests
 * costs n log n comparisons, not n squared. */
static int by_key_and_digest(const void *a, const void *b) {
        const struct signing_request *x = *(const struct signing_request *const *) a;
        const struct signing_request *y = *(const struct signing_request *const *) b;

        if (x->key != y->key)
                return x->key < y->key ? -1 : 1;
        return memcmp(x->digest, y->digest, SIGNING_DIGEST_SIZE);
}

static int by_digest_file(const void *a, const void *b) {
        return strcmp((*(const struct signing_request *const *) a)->digest_file,
                      (*(const struct signing_request *const *) b)->digest_file);
}

static int by_signature_file(const void *a, const void *b) {
        return strcmp((*(const struct signing_request *const *) a)->signature_file,
                      (*(const struct signing_request *const *) b)->signature_file);
}

static int check_clashes(const struct signing_request *list, size_t n, char *error, size_t error_size) {
        static const struct {
                int (*compare)(const void *, const void *);
                const char *problem;
        } orders[] = {
                { by_key_and_digest, "the same digest is requested twice" },
                { by_digest_file, "a file is named twice" },
                { by_signature_file, "a file is named twice" },
        };
        const struct signing_request **sorted;

        if (n < 2)
                return 0;
        sorted = calloc(n, sizeof(*sorted));
        if (!sorted)
                return failf(error, error_size, "out of memory");
        for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
                for (size_t i = 0; i < n; i++)
                        sorted[i] = &list[i];
                qsort(sorted, n, sizeof(*sorted), orders[o].compare);
                for (size_t i = 1; i < n; i++)
                        if (orders[o].compare(&sorted[i - 1], &sorted[i]) == 0) {
                                size_t later = sorted[i] > sorted[i - 1] ? (size_t) (sorted[i] - list)
                                                                         : (size_t) (sorted[i - 1] - list);
                                free(sorted);
                                return failf(error, error_size, "request %zu: %s", later + 1, orders[o].problem);
                        }
        }
        free(sorted);
        return 0;
}

static int parse_root(json_object *root, struct signing_request **ret, size_t *ret_n, char *error, size_t error_size) {
        json_object *requests;
        struct signing_request *list;
        const char *format;
        size_t n;

        if (!json_object_is_type(root, json_type_object))
                return failf(error, error_size, "not a JSON object");
        format = member_string(root, "format");
        if (!format || strcmp(format, SIGNING_FORMAT) != 0)
                return failf(error, error_size, "format is not " SIGNING_FORMAT);
        if (!json_object_object_get_ex(root, "requests", &requests) || !json_object_is_type(requests, json_type_array))
                return failf(error, error_size, "requests is not an array");
        n = json_object_array_length(requests);
        if (n > SIGNING_REQUESTS_MAX)
                return failf(error, error_size, "more than %d requests", SIGNING_REQUESTS_MAX);
        list = n ? calloc(n, sizeof(*list)) : NULL;
        if (n && !list)
                return failf(error, error_size, "out of memory");
        for (size_t i = 0; i < n; i++) {
                char why[128];

                if (parse_request(json_object_array_get_idx(requests, i), &list[i], why, sizeof(why)) < 0) {
                        free(list);
                        return failf(error, error_size, "request %zu: %s", i + 1, why);
                }
        }
        if (check_clashes(list, n, error, error_size) < 0) {
                free(list);
                return -1;
        }
        *ret = list;
        *ret_n = n;
        return 0;
}

int signing_manifest_parse(const void *text, size_t size, struct signing_request **ret, size_t *ret_n, char *error,
                           size_t error_size) {
        json_tokener *tok;
        json_object *root;
        size_t end;
        int r;

        *ret = NULL;
        *ret_n = 0;
        if (size > SIGNING_MANIFEST_MAX)
                return failf(error, error_size, "larger than %u bytes", SIGNING_MANIFEST_MAX);
        if (memchr(text, '\0', size))
                return failf(error, error_size, "has a NUL byte");
        tok = json_tokener_new_ex(JSON_DEPTH_MAX);
        if (!tok)
                return failf(error, error_size, "out of memory");
        root = json_tokener_parse_ex(tok, text, (int) size);
        end = json_tokener_get_parse_end(tok);
        if (!root || json_tokener_get_error(tok) != json_tokener_success) {
                json_object_put(root);
                json_tokener_free(tok);
                return failf(error, error_size, "not JSON");
        }
        json_tokener_free(tok);
        /* Nothing but white space after the object. */
        for (const char *p = (const char *) text + end; p < (const char *) text + size; p++)
                if (!strchr(" \t\r\n", *p)) {
                        json_object_put(root);
                        return failf(error, error_size, "text after the JSON object");
                }
        r = parse_root(root, ret, ret_n, error, error_size);
        json_object_put(root);
        return r;
}

int signing_manifest_format(const struct signing_request *requests, size_t n, char **ret, size_t *ret_size) {
        json_object *root = json_object_new_object(), *array = json_object_new_array();
        const char *text;
        int r = -1;

        if (!root || !array) {
                json_object_put(array);
                goto out;
        }
        json_object_object_add(root, "format", json_object_new_string(SIGNING_FORMAT));
        json_object_object_add(root, "requests", array);
        for (size_t i = 0; i < n; i++) {
                const struct signing_request *q = &requests[i];
                json_object *o = json_object_new_object();
                char hex[2 * SIGNING_DIGEST_SIZE + 1];

                if (!o)
                        goto out;
                for (size_t k = 0; k < SIGNING_DIGEST_SIZE; k++)
                        snprintf(hex + 2 * k, 3, "%02x", q->digest[k]);
                json_object_object_add(o, "key", json_object_new_string(signing_key_name(q->key)));
                json_object_object_add(o, "algorithm", json_object_new_string(SIGNING_ALGORITHM));
                json_object_object_add(o, "digest", json_object_new_string(hex));
                json_object_object_add(o, "file", json_object_new_string(q->digest_file));
                json_object_object_add(o, "signature", json_object_new_string(q->signature_file));
                json_object_object_add(o, "for", json_object_new_string(q->purpose));
                json_object_array_add(array, o);
        }
        text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (text && (*ret = malloc(strlen(text) + 2))) {
                *ret_size = (size_t) sprintf(*ret, "%s\n", text);
                r = 0;
        }
out:
        json_object_put(root);
        return r;
}
