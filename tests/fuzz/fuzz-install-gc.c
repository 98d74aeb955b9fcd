/* SPDX-License-Identifier: MIT */
/* libFuzzer target for keel install's reading of \EFI\Linux names and its
 * GC decision (host-tools/install/gc.c). The input: a first line with the
 * policy ("LIMIT BOOTED LIVE,LIVE,... UNREADABLE,..."), then one file name
 * per line, as an attacker of the ESP may name files. Promises checked:
 * names parse without reading past them; a parsed name's ID is the name
 * without its counter; GC keeps every entry of the booted, the last good,
 * the unreadable and the newest live generations, and removes every entry
 * of a generation that is none of these. Each name is also read as a
 * possible leftover temporary (host-tools/core/fileio.c): only
 * "<final>.keel-tmp-" and six of [A-Za-z0-9] is one, and its final name is
 * exactly what precedes them. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz-host.h"
#include "host-tools/core/fileio.h"
#include "host-tools/install/gc.h"

#define MAX_ENTRIES 64
#define MAX_LIST 16

static size_t parse_list(const char *s, unsigned long *out) {
        size_t n = 0;
        while (*s && n < MAX_LIST) {
                char *end;
                unsigned long v = strtoul(s, &end, 10);
                if (end == s)
                        break;
                out[n++] = v % 64;
                s = *end == ',' ? end + 1 : end;
        }
        return n;
}

static bool is_alnum(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static void check_temporary_name(const char *name, size_t len) {
        const size_t infix = strlen(ATOMIC_FILE_TEMP_INFIX);
        char final[64];

        if (!atomic_file_temporary_of(name, final, sizeof(final)))
                return;
        check(len > infix + 6);
        check(strlen(final) == len - infix - 6);
        check(memcmp(final, name, strlen(final)) == 0);
        check(memcmp(name + strlen(final), ATOMIC_FILE_TEMP_INFIX, infix) == 0);
        for (size_t i = len - 6; i < len; i++)
                check(is_alnum(name[i]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1), *line, *save = NULL;
        struct generation_entry entries[MAX_ENTRIES];
        unsigned long live[MAX_LIST], unreadable[MAX_LIST], limit = 0, booted = 0;
        char live_s[128] = "", unreadable_s[128] = "";
        bool remove[MAX_ENTRIES];
        size_t n = 0;
        struct gc_policy p = {};

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        line = strtok_r(text, "\n", &save);
        if (line && sscanf(line, "%lu %lu %127s %127s", &limit, &booted, live_s, unreadable_s) >= 2) {
                p.limit = limit % 8;
                p.has_booted = booted % 2 == 0;
                p.booted = (booted / 2) % 64;
                p.n_live = parse_list(live_s, live);
                p.live = live;
                p.n_unreadable = parse_list(unreadable_s, unreadable);
                p.unreadable = unreadable;
                line = strtok_r(NULL, "\n", &save);
        }
        for (; line && n < MAX_ENTRIES; line = strtok_r(NULL, "\n", &save)) {
                size_t len = strlen(line);
                char *exact = malloc(len + 1);
                memcpy(exact, line, len + 1);
                check_temporary_name(exact, len);
                if (generation_entry_parse(exact, &entries[n])) {
                        check(strlen(entries[n].id) <= len);
                        check(strncmp(entries[n].id, GENERATION_ENTRY_PREFIX, strlen(GENERATION_ENTRY_PREFIX)) == 0);
                        entries[n].generation %= 64;
                        n++;
                } else {
                        unsigned long g;
                        (void) generation_of_entry_id(exact, &g);
                }
                free(exact);
        }
        p.has_last_good = gc_last_good(entries, n, &p.last_good);
        gc_decide(&p, entries, n, remove);
        for (size_t i = 0; i < n; i++) {
                unsigned long g = entries[i].generation;
                size_t newer = 0;
                bool is_live = false, is_unreadable = false;
                for (size_t k = 0; k < p.n_live; k++) {
                        is_live |= live[k] == g;
                        newer += live[k] > g;
                }
                for (size_t k = 0; k < p.n_unreadable; k++)
                        is_unreadable |= unreadable[k] == g;
                bool must_keep = (p.has_booted && g == p.booted) || (p.has_last_good && g == p.last_good) ||
                                 is_unreadable || (is_live && p.limit == 0);
                /* With distinct live numbers, fewer than `limit` newer ones keeps it. */
                if (must_keep)
                        check(!remove[i]);
                if (!is_live && !is_unreadable && !(p.has_booted && g == p.booted) &&
                    !(p.has_last_good && g == p.last_good))
                        check(remove[i]);
                (void) newer;
        }
        free(text);
        return 0;
}
