/* SPDX-License-Identifier: MIT */
#include "thin.h"
#include "error.h"
#include "sha256.h"
#include "strutil.h"
#include "util.h"

static const char hex_digits[] = "0123456789abcdef";


static bool is_path_char(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '_' || c == '-' || c == '/';
}

bool thin_path_is_valid(const char *path, size_t len) {
        size_t component_start;

        if (len < 2 || len > THIN_PATH_MAX || path[0] != '/')
                return false;
        component_start = 1;
        for (size_t i = 1; i <= len; i++) {
                size_t component_len;

                if (i < len && path[i] != '/') {
                        if (!is_path_char(path[i]))
                                return false;
                        continue;
                }
                /* A component ends at i: not empty ("//", a final "/"), not "." or "..". */
                component_len = i - component_start;
                if (component_len == 0)
                        return false;
                if (path[component_start] == '.' &&
                    (component_len == 1 || (component_len == 2 && path[component_start + 1] == '.')))
                        return false;
                component_start = i + 1;
        }
        return true;
}

int thin_ref_parse(const void *buf, size_t len, struct thin_ref *ret) {
        const char *p = buf;
        size_t i = 0, digits, path_start, path_len;
        uint64_t size = 0;

        memset(ret, 0, sizeof(*ret));

        /* 64 hex digits and a space. */
        if (len < 2 * THIN_SHA256_SIZE + 1)
                return KEEL_E_THIN_BAD_HASH;
        for (; i < 2 * THIN_SHA256_SIZE; i += 2) {
                int hi = hex_digit_value_lower(p[i]), lo = hex_digit_value_lower(p[i + 1]);
                if (hi < 0 || lo < 0)
                        return KEEL_E_THIN_BAD_HASH;
                ret->sha256[i / 2] = (uint8_t) (hi << 4 | lo);
        }
        if (p[i++] != ' ')
                return KEEL_E_THIN_BAD_HASH;

        /* The size: at most 10 digits are looked at, so it cannot overflow. */
        for (digits = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++, digits++) {
                if (digits == 10)
                        return KEEL_E_THIN_BAD_SIZE;
                size = size * 10 + (uint64_t) (p[i] - '0');
        }
        if (digits == 0 || (digits > 1 && p[i - digits] == '0') || size == 0 || size > THIN_CONTENT_MAX)
                return KEEL_E_THIN_BAD_SIZE;
        if (i >= len || p[i] != ' ')
                return KEEL_E_THIN_BAD_SIZE;
        i++;
        ret->size = size;

        /* The path is the run of path characters; what follows it may only be one "\n". */
        path_start = i;
        while (i < len && is_path_char(p[i]))
                i++;
        path_len = i - path_start;
        if (!thin_path_is_valid(p + path_start, path_len))
                return KEEL_E_THIN_BAD_PATH;
        if (i < len && p[i] == '\n')
                i++;
        if (i != len)
                return KEEL_E_THIN_TRAILING_DATA;
        memcpy(ret->path, p + path_start, path_len);
        ret->path[path_len] = '\0';
        return KEEL_OK;
}

size_t thin_ref_format(const struct thin_ref *ref, char *buf, size_t buf_size) {
        char digits[20];
        size_t n_digits = 0, path_len, need, o = 0;
        uint64_t v = ref->size;

        /* A ref from a caller need not be NUL-terminated: never read past path[]. */
        for (path_len = 0; path_len < sizeof(ref->path) && ref->path[path_len] != '\0'; path_len++)
                ;
        if (path_len == sizeof(ref->path) || ref->size == 0 || ref->size > THIN_CONTENT_MAX || !thin_path_is_valid(ref->path, path_len))
                return 0;
        for (; v > 0; v /= 10)
                digits[n_digits++] = (char) ('0' + v % 10);
        need = 2 * THIN_SHA256_SIZE + 1 + n_digits + 1 + path_len + 1;
        if (buf_size < need)
                return 0;
        for (size_t k = 0; k < THIN_SHA256_SIZE; k++) {
                buf[o++] = hex_digits[ref->sha256[k] >> 4];
                buf[o++] = hex_digits[ref->sha256[k] & 0xf];
        }
        buf[o++] = ' ';
        while (n_digits > 0)
                buf[o++] = digits[--n_digits];
        buf[o++] = ' ';
        memcpy(buf + o, ref->path, path_len);
        o += path_len;
        buf[o++] = '\n';
        return o;
}

int thin_ref_check_content(const struct thin_ref *ref, const void *data, size_t size) {
        uint8_t digest[SHA256_DIGEST_SIZE];

        if (size != ref->size)
                return KEEL_E_THIN_SIZE_MISMATCH;
        sha256(data, size, digest);
        /* Not secret: the hash is in the UKI for anyone to read; memcmp's timing reveals nothing. */
        if (memcmp(digest, ref->sha256, THIN_SHA256_SIZE) != 0)
                return KEEL_E_THIN_HASH_MISMATCH;
        return KEEL_OK;
}
