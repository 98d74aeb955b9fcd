/* SPDX-License-Identifier: MIT */
#include "strutil.h"

bool slice_eq(struct slice a, const char *s) {
        size_t n = strlen(s);
        return a.len == n && memcmp(a.ptr, s, n) == 0;
}

bool slice_eq_nocase(struct slice a, struct slice b) {
        if (a.len != b.len)
                return false;
        for (size_t i = 0; i < a.len; i++)
                if (ascii_tolower(a.ptr[i]) != ascii_tolower(b.ptr[i]))
                        return false;
        return true;
}

bool slice_has_suffix_nocase(struct slice a, const char *suffix) {
        size_t n = strlen(suffix);
        if (a.len < n)
                return false;
        return slice_eq_nocase(slice_from(a.ptr + a.len - n, n), slice_from(suffix, n));
}

bool slice_has_prefix(struct slice a, const char *prefix) {
        size_t n = strlen(prefix);
        return a.len >= n && memcmp(a.ptr, prefix, n) == 0;
}

struct slice slice_strip(struct slice s) {
        while (s.len > 0 && ascii_isspace(s.ptr[0])) {
                s.ptr++;
                s.len--;
        }
        while (s.len > 0 && ascii_isspace(s.ptr[s.len - 1]))
                s.len--;
        return s;
}

int slice_cmp(struct slice a, struct slice b) {
        size_t n = a.len < b.len ? a.len : b.len;
        int r = memcmp(a.ptr, b.ptr, n);
        if (r != 0)
                return r < 0 ? -1 : 1;
        return a.len < b.len ? -1 : a.len > b.len ? 1 : 0;
}

void line_reader_init(struct line_reader *r, const void *buf, size_t len) {
        r->buf = buf;
        r->len = buf ? len : 0;
        r->pos = 0;
        r->line_number = 0;
}

bool line_reader_next(struct line_reader *r, struct slice *ret_line) {
        size_t start = r->pos, end;

        if (r->pos >= r->len)
                return false;
        end = start;
        while (end < r->len && r->buf[end] != '\n' && r->buf[end] != '\r' && r->buf[end] != '\0')
                end++;
        *ret_line = slice_from(r->buf + start, end - start);
        if (end < r->len && r->buf[end] == '\r' && r->len - end > 1 && r->buf[end + 1] == '\n')
                end++;
        r->pos = end < r->len ? end + 1 : end;
        r->line_number++;
        return true;
}

void split_key_value(struct slice line, struct slice *ret_key, struct slice *ret_value) {
        size_t i = 0;

        while (i < line.len && !ascii_isspace(line.ptr[i]))
                i++;
        *ret_key = slice_from(line.ptr, i);
        *ret_value = slice_strip(slice_from(line.ptr + i, line.len - i));
}

bool parse_uint(struct slice s, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (s.len == 0)
                return false;
        for (size_t i = 0; i < s.len; i++) {
                unsigned digit;
                if (!ascii_isdigit(s.ptr[i]))
                        return false;
                digit = (unsigned) (s.ptr[i] - '0');
                if (v > (max - digit) / 10)
                        return false;
                v = v * 10 + digit;
        }
        *ret = v;
        return true;
}

int parse_boolean(struct slice s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
                if (slice_eq_nocase(s, slice_from_cstr(yes[i])))
                        return 1;
        for (size_t i = 0; i < ARRAY_SIZE(no); i++)
                if (slice_eq_nocase(s, slice_from_cstr(no[i])))
                        return 0;
        return -1;
}
