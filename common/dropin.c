/* SPDX-License-Identifier: MIT */
#include "dropin.h"

static uint16_t ascii_lower(uint16_t c) {
        return c >= 'A' && c <= 'Z' ? (uint16_t) (c + ('a' - 'A')) : c;
}

static size_t units_of(const uint16_t *s) {
        size_t n = 0;
        while (s[n])
                n++;
        return n;
}

/* Whether name (len units) ends in suffix, ASCII case-insensitively. */
static bool ends_with_no_case(const uint16_t *name, size_t len, const uint16_t *suffix) {
        size_t n = units_of(suffix);

        if (n > len)
                return false;
        for (size_t i = 0; i < n; i++)
                if (ascii_lower(name[len - n + i]) != ascii_lower(suffix[i]))
                        return false;
        return true;
}

enum dropin_verdict dropin_check_name(const uint16_t *name, size_t max_units, const uint16_t *suffix,
                                      const uint16_t *exclude_suffix) {
        size_t len = 0;
        bool terminated = false;

        if (!name || max_units == 0 || name[0] == 0)
                return DROPIN_OTHER;
        for (; len < max_units; len++)
                if (name[len] == 0) {
                        terminated = true;
                        break;
                }
        /* systemd-stub's order of tests: hidden, suffix, excluded suffix, then
         * ASCII and length. Only what passes the first three is ours to judge. */
        if (name[0] == '.')
                return DROPIN_OTHER;
        /* A name not terminated within its buffer is no name at all (a
         * broken directory entry): whether it would end in the suffix cannot
         * be told, so it is passed over like any other file. */
        if (!terminated)
                return DROPIN_OTHER;
        if (suffix && !ends_with_no_case(name, len, suffix))
                return DROPIN_OTHER;
        if (exclude_suffix && ends_with_no_case(name, len, exclude_suffix))
                return DROPIN_OTHER;
        for (size_t i = 0; i < len; i++)
                if (name[i] > 0x7f)
                        return DROPIN_NOT_ASCII;
        if (len > DROPIN_NAME_MAX)
                return DROPIN_TOO_LONG;
        for (size_t i = 0; i < len; i++)
                if (name[i] == '/' || name[i] == '\\')
                        return DROPIN_SEPARATOR;
        for (size_t i = 0; i < len; i++)
                if (name[i] < 0x20 || name[i] == 0x7f)
                        return DROPIN_CONTROL;
        return DROPIN_TAKE;
}

const char *dropin_verdict_text(enum dropin_verdict v) {
        switch (v) {
        case DROPIN_NOT_ASCII:
                return "name is not ASCII";
        case DROPIN_TOO_LONG:
                return "name is longer than 255 characters";
        case DROPIN_SEPARATOR:
                return "name holds a path separator";
        case DROPIN_CONTROL:
                return "name holds a control character";
        default:
                return "";
        }
}

int dropin_name_compare(const uint16_t *a, const uint16_t *b) {
        for (;; a++, b++) {
                if (*a != *b)
                        return *a < *b ? -1 : 1;
                if (*a == 0)
                        return 0;
        }
}

bool dropin_keep_sorted(const uint16_t **names, size_t *n, size_t max, const uint16_t *name,
                        const uint16_t **ret_dropped) {
        size_t lo = 0, hi = *n;

        *ret_dropped = NULL;
        if (max == 0) {
                *ret_dropped = name;
                return false;
        }
        /* First position whose name sorts after this one (binary search). */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (dropin_name_compare(names[mid], name) <= 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (*n >= max) {
                if (lo >= max) {
                        *ret_dropped = name;
                        return false;
                }
                *ret_dropped = names[max - 1];
                *n = max - 1;
        }
        memmove(names + lo + 1, names + lo, (*n - lo) * sizeof(*names));
        names[lo] = name;
        (*n)++;
        return true;
}
