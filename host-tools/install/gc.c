/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host-tools/install/gc.h"
#include "common/bootcount.h"
#include "common/error.h"

/* N without a sign, leading zeros or overflow. */
static bool parse_generation_number(const char *s, size_t len, unsigned long *ret) {
        unsigned long n = 0;

        if (len == 0 || (len > 1 && s[0] == '0'))
                return false;
        for (size_t i = 0; i < len; i++) {
                if (!isdigit((unsigned char) s[i]))
                        return false;
                if (n > (unsigned long) -1 / 10 || n * 10 > (unsigned long) -1 - (unsigned long) (s[i] - '0'))
                        return false;
                n = n * 10 + (unsigned long) (s[i] - '0');
        }
        *ret = n;
        return true;
}

/* stem: "nixos-generation-N" or "nixos-generation-N-specialisation-NAME". */
static bool parse_stem(const char *stem, size_t len, unsigned long *ret) {
        const size_t prefix = strlen(GENERATION_ENTRY_PREFIX);
        const char *digits, *rest;
        size_t n_digits;

        if (len <= prefix || memcmp(stem, GENERATION_ENTRY_PREFIX, prefix) != 0)
                return false;
        digits = stem + prefix;
        for (n_digits = 0; prefix + n_digits < len && isdigit((unsigned char) digits[n_digits]); n_digits++)
                ;
        if (!parse_generation_number(digits, n_digits, ret))
                return false;
        rest = digits + n_digits;
        len -= prefix + n_digits;
        if (len == 0)
                return true;
        return len > strlen("-specialisation-") && memcmp(rest, "-specialisation-", strlen("-specialisation-")) == 0;
}

bool generation_entry_parse(const char *filename, struct generation_entry *ret) {
        struct bootcount_name name;

        memset(ret, 0, sizeof(*ret));
        if (bootcount_parse(slice_from_cstr(filename), &name) != KEEL_OK)
                return false;
        if (name.extension.len != 4 || strncasecmp(name.extension.ptr, ".efi", 4) != 0)
                return false;
        if (!parse_stem(name.stem.ptr, name.stem.len, &ret->generation))
                return false;
        if (!bootcount_id(&name, ret->id, sizeof(ret->id)))
                return false;
        ret->has_counter = name.tries_left != BOOTCOUNT_UNKNOWN;
        ret->tries_left = name.tries_left;
        return true;
}

bool generation_of_entry_id(const char *id, unsigned long *ret) {
        const char *end = id + strcspn(id, "@");
        char copy[256];
        struct generation_entry e;
        size_t len = (size_t) (end - id);

        /* "nixos-generation-3.efi", "nixos-generation-3+2-1.efi", "...@1". */
        if (len + sizeof(".efi") > sizeof(copy))
                return false;
        memcpy(copy, id, len);
        copy[len] = '\0';
        if (len >= 5 && strcasecmp(copy + len - 5, ".conf") == 0)
                copy[len -= 5] = '\0';
        if (len < 4 || strcasecmp(copy + len - 4, ".efi") != 0)
                strcat(copy, ".efi");
        if (!generation_entry_parse(copy, &e))
                return false;
        *ret = e.generation;
        return true;
}

bool gc_last_good(const struct generation_entry *entries, size_t n, unsigned long *ret) {
        bool found = false;

        for (size_t i = 0; i < n; i++)
                if (!entries[i].has_counter && (!found || entries[i].generation > *ret)) {
                        *ret = entries[i].generation;
                        found = true;
                }
        return found;
}

static bool contains(const unsigned long *list, size_t n, unsigned long g) {
        for (size_t i = 0; i < n; i++)
                if (list[i] == g)
                        return true;
        return false;
}

/* The `limit`-th newest live generation: live ones at or above it stay. */
static bool newest_live_cutoff(const struct gc_policy *p, unsigned long *ret) {
        size_t newer;

        if (p->limit == 0 || p->n_live <= p->limit)
                return false;
        for (size_t i = 0; i < p->n_live; i++) {
                newer = 0;
                for (size_t j = 0; j < p->n_live; j++)
                        newer += p->live[j] > p->live[i];
                if (newer == p->limit - 1) {
                        *ret = p->live[i];
                        return true;
                }
        }
        return false;
}

bool gc_keeps(const struct gc_policy *p, unsigned long g) {
        unsigned long cutoff = 0;
        bool has_cutoff = newest_live_cutoff(p, &cutoff);

        return contains(p->unreadable, p->n_unreadable, g) || (p->has_booted && g == p->booted) ||
               (p->has_last_good && g == p->last_good) || (p->has_default && g == p->default_generation) ||
               (contains(p->live, p->n_live, g) && (!has_cutoff || g >= cutoff));
}

void gc_decide(const struct gc_policy *p, const struct generation_entry *entries, size_t n, bool *ret_remove) {
        for (size_t i = 0; i < n; i++)
                ret_remove[i] = !gc_keeps(p, entries[i].generation);
}
