/* SPDX-License-Identifier: MIT */
#include "glob.h"

/* Matches one text character against the bracket expression starting at
 * pattern[*p] == '['. On success *p is moved past the closing ']'. A '['
 * without a closing ']' is an ordinary character, as in fnmatch. */
static bool bracket_match(struct slice pattern, size_t *p, char c, bool *ret_is_bracket) {
        size_t i = *p + 1;
        bool negate = false, matched = false;

        if (i < pattern.len && (pattern.ptr[i] == '!' || pattern.ptr[i] == '^')) {
                negate = true;
                i++;
        }
        for (bool first = true; i < pattern.len; first = false) {
                char lo, hi;

                if (pattern.ptr[i] == ']' && !first) {
                        *p = i + 1;
                        *ret_is_bracket = true;
                        return matched != negate;
                }
                if (pattern.ptr[i] == '\\' && i + 1 < pattern.len)
                        i++;
                lo = ascii_tolower(pattern.ptr[i++]);
                hi = lo;
                /* A range with no end ("[a-" closing the pattern): fnmatch fails
                 * at this position unless an earlier element already matched, in
                 * which case the '[' falls back to an ordinary character. */
                if (pattern.len - i == 1 && pattern.ptr[i] == '-') {
                        if (lo == c)
                                matched = true;
                        if (!matched) {
                                *p = pattern.len;
                                *ret_is_bracket = true;
                                return false;
                        }
                }
                if (i + 1 < pattern.len && pattern.ptr[i] == '-' && pattern.ptr[i + 1] != ']') {
                        i++;
                        if (pattern.ptr[i] == '\\' && i + 1 < pattern.len)
                                i++;
                        hi = ascii_tolower(pattern.ptr[i++]);
                }
                /* Bytes compare unsigned, as in fnmatch: [a-\xff] holds 'z'. */
                if ((uint8_t) lo <= (uint8_t) c && (uint8_t) c <= (uint8_t) hi)
                        matched = true;
        }
        *ret_is_bracket = false;
        return false;
}

/* Whether the pattern element at *p matches c; advances *p past it. */
static bool element_match(struct slice pattern, size_t *p, char c) {
        char pc = pattern.ptr[*p];
        bool is_bracket;

        if (pc == '?') {
                (*p)++;
                return true;
        }
        if (pc == '[') {
                size_t q = *p;
                bool m = bracket_match(pattern, &q, c, &is_bracket);
                if (is_bracket) {
                        *p = q;
                        return m;
                }
        } else if (pc == '\\') {
                /* A trailing backslash escapes nothing and never matches, in
                 * fnmatch and in systemd-boot alike. */
                if (pattern.len - *p == 1) {
                        (*p)++;
                        return false;
                }
                pc = pattern.ptr[++*p];
        }
        (*p)++;
        return ascii_tolower(pc) == c;
}

bool glob_match(struct slice pattern, struct slice text) {
        size_t p = 0, t = 0, star_p = SIZE_MAX, star_t = 0;

        while (t < text.len) {
                if (p < pattern.len && pattern.ptr[p] == '*') {
                        /* Remember where to resume if what follows does not match. */
                        star_p = ++p;
                        star_t = t;
                        continue;
                }
                if (p < pattern.len) {
                        size_t next = p;
                        if (element_match(pattern, &next, ascii_tolower(text.ptr[t]))) {
                                p = next;
                                t++;
                                continue;
                        }
                }
                if (star_p == SIZE_MAX)
                        return false;
                /* Let the last '*' swallow one more character. */
                p = star_p;
                t = ++star_t;
        }
        while (p < pattern.len && pattern.ptr[p] == '*')
                p++;
        return p == pattern.len;
}
