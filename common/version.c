/* SPDX-License-Identifier: MIT */
#include "version.h"

static bool is_version_char(char c) {
        return ascii_isdigit(c) || ascii_isalpha(c) || c == '~' || c == '-' || c == '^' || c == '.';
}

/* The character at i, or NUL past the end: the algorithm is defined on
 * NUL-terminated strings. */
static char at(struct slice s, size_t i) {
        return i < s.len ? s.ptr[i] : '\0';
}

static int cmp_bool(bool a, bool b) {
        return (int) a - (int) b;
}

static int cmp_signed_char(char a, char b) {
        signed char x = (signed char) a, y = (signed char) b;
        return (x > y) - (x < y);
}

/* One separator step: when either side has c here, the side without it is
 * newer (for '~': older); otherwise both skip it. */
static int compare_separator(struct slice a, size_t *i, struct slice b, size_t *j, char c) {
        int r;

        if (at(a, *i) != c && at(b, *j) != c)
                return 0;
        r = cmp_bool(at(a, *i) != c, at(b, *j) != c);
        if (r != 0)
                return r;
        (*i)++;
        (*j)++;
        return 0;
}

static int compare_numbers(struct slice a, size_t *i, struct slice b, size_t *j) {
        size_t ai = *i, bj = *j, a_end, b_end;
        int r;

        for (a_end = ai; ascii_isdigit(at(a, a_end)); a_end++)
                ;
        for (b_end = bj; ascii_isdigit(at(b, b_end)); b_end++)
                ;
        /* A numeric segment is newer than none at all. */
        r = cmp_bool(a_end != ai, b_end != bj);
        if (r != 0)
                return r;
        while (at(a, ai) == '0')
                ai++;
        while (at(b, bj) == '0')
                bj++;
        /* The longer number (without leading zeros) is larger. */
        if (a_end - ai != b_end - bj)
                return a_end - ai < b_end - bj ? -1 : 1;
        r = memcmp(a.ptr + ai, b.ptr + bj, a_end - ai);
        if (r != 0)
                return r < 0 ? -1 : 1;
        *i = a_end;
        *j = b_end;
        return 0;
}

static int compare_letters(struct slice a, size_t *i, struct slice b, size_t *j) {
        size_t a_end, b_end, n;
        int r;

        for (a_end = *i; ascii_isalpha(at(a, a_end)); a_end++)
                ;
        for (b_end = *j; ascii_isalpha(at(b, b_end)); b_end++)
                ;
        n = a_end - *i < b_end - *j ? a_end - *i : b_end - *j;
        r = memcmp(a.ptr + *i, b.ptr + *j, n);
        if (r != 0)
                return r < 0 ? -1 : 1;
        /* abc is newer than ab */
        if (a_end - *i != b_end - *j)
                return a_end - *i < b_end - *j ? -1 : 1;
        *i = a_end;
        *j = b_end;
        return 0;
}

int version_compare(struct slice a, struct slice b) {
        size_t i = 0, j = 0;
        int r;

        /* No special case for empty strings: systemd 252 runs them through
         * the same steps, so "" is older than "1" but newer than "~1", and
         * equal to "_". */
        for (;;) {
                /* Characters outside the version alphabet are ignored. */
                while (i < a.len && !is_version_char(a.ptr[i]))
                        i++;
                while (j < b.len && !is_version_char(b.ptr[j]))
                        j++;

                /* '~' marks a pre-release: the side that has it is older. */
                if (at(a, i) == '~' || at(b, j) == '~') {
                        r = cmp_bool(at(a, i) != '~', at(b, j) != '~');
                        if (r != 0)
                                return r;
                        i++;
                        j++;
                }

                /* At the end of either string, the one with more left is newer.
                 * systemd compares the next characters as (signed) chars here,
                 * so a byte >= 0x80 right after a '~' counts as less than the end. */
                if (i >= a.len || j >= b.len)
                        return cmp_signed_char(at(a, i), at(b, j));

                if ((r = compare_separator(a, &i, b, &j, '-')) != 0 ||
                    (r = compare_separator(a, &i, b, &j, '^')) != 0 ||
                    (r = compare_separator(a, &i, b, &j, '.')) != 0)
                        return r;

                if (ascii_isdigit(at(a, i)) || ascii_isdigit(at(b, j)))
                        r = compare_numbers(a, &i, b, &j);
                else
                        r = compare_letters(a, &i, b, &j);
                if (r != 0)
                        return r;
        }
}
