/* SPDX-License-Identifier: MIT */
/* glob_match against its reference, glibc fnmatch(3) with FNM_CASEFOLD:
 * the input is "PATTERN\0TEXT". Without backslashes the two must agree
 * (abort otherwise); patterns with backslashes, NUL bytes or sizes beyond
 * what the oracle handles in reasonable time are only run for crashes.
 * POSIX bracket syntax ("[[:alpha:]]", "[[.a.]]", "[[=a=]]") is not
 * implemented by keel (nor by systemd-boot) and is left out of the
 * comparison. Sizes are capped at what the loader can meet: patterns from
 * EFI variables (4096 UTF-16 units, 12 KiB as UTF-8) against entry IDs
 * (under 256 bytes). */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "common/glob.h"

#define PATTERN_MAX (12 * 1024)
#define TEXT_MAX 255
#define ORACLE_MAX 64
#define ORACLE_STARS 6

/* A heap copy of exactly n bytes (AddressSanitizer sees a read past it),
 * or with a NUL after them for fnmatch. */
static char *copy(const uint8_t *p, size_t n, bool terminate) {
        char *c = malloc(n + terminate + (n + terminate == 0));
        if (!c)
                abort();
        memcpy(c, p, n);
        if (terminate)
                c[n] = '\0';
        return c;
}

static bool oracle_applies(const char *pattern, size_t plen, const char *text, size_t tlen) {
        size_t stars = 0;

        if (plen > ORACLE_MAX || tlen > ORACLE_MAX)
                return false;
        if (memchr(pattern, '\0', plen) || memchr(text, '\0', tlen) || memchr(pattern, '\\', plen))
                return false;
        if (strstr(pattern, "[:") || strstr(pattern, "[.") || strstr(pattern, "[="))
                return false;
        for (size_t i = 0; i < plen; i++)
                stars += pattern[i] == '*';
        /* glibc's fnmatch backtracks: exponential in the number of stars. */
        return stars <= ORACLE_STARS;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *nul = memchr(data, '\0', size);
        size_t plen = nul ? (size_t) (nul - data) : size / 2;
        size_t tstart = nul ? plen + 1 : plen, tlen = size - tstart;
        char *pattern, *text;
        bool keel;

        if (plen > PATTERN_MAX || tlen > TEXT_MAX)
                return 0;
        pattern = copy(data, plen, false);
        text = copy(data + tstart, tlen, false);
        keel = glob_match(slice_from(pattern, plen), slice_from(text, tlen));
        free(pattern);
        free(text);

        pattern = copy(data, plen, true);
        text = copy(data + tstart, tlen, true);
        if (oracle_applies(pattern, plen, text, tlen) && keel != (fnmatch(pattern, text, FNM_CASEFOLD) == 0))
                abort();
        free(pattern);
        free(text);
        return 0;
}
