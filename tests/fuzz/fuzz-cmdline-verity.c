/* SPDX-License-Identifier: MIT */
/* libFuzzer target for cmdline_bind(). Input: two bytes choosing where to
 * split (the low bit of the first also picks the mode), the outside command
 * line as UTF-16LE units, the UKI's .cmdline as UTF-8 (converted as the
 * stub does). The output buffer has exactly the documented bound. Checked:
 * the result ends at its NUL and within the bound (and the kernel's length
 * limit when the UKI binds); no word of it that a shell-style reader would
 * take for roothash=/usrhash= comes from outside; no "initrd="/"dtb=" is
 * left unless the UKI's own text has one; text a UKI without a .cmdline
 * does not bind comes through unchanged when nothing was dropped; binding
 * the result again changes nothing when the UKI's words are plain. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cmdline.h"
#include "common/error.h"
#include "common/utf.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

static void *xmalloc(size_t size) {
        void *p = malloc(size ? size : 1);
        if (!p)
                abort();
        return p;
}

static bool is_ws(uint16_t c) {
        return c == ' ' || c == '\t' || c == '\n';
}

static bool starts_with(const uint16_t *w, size_t len, const char *prefix) {
        size_t n = strlen(prefix);
        if (len < n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (w[i] != (uint8_t) prefix[i])
                        return false;
        return true;
}

static bool kernel_space(uint16_t c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Is the word a piece of the UKI's text that stands alone there (between
 * whitespace, quotes or the ends)? The UKI's words are copied verbatim, so
 * any piece a reader splits out of them is. */
static bool uki_has_word(const uint16_t *uki, size_t uki_len, const uint16_t *w, size_t len) {
        for (size_t p = 0; len <= uki_len && p <= uki_len - len; p++) {
                if (memcmp(uki + p, w, len * sizeof(uint16_t)) != 0)
                        continue;
                if ((p == 0 || kernel_space(uki[p - 1]) || uki[p - 1] == '"') &&
                    (p + len == uki_len || kernel_space(uki[p + len]) || uki[p + len] == '"'))
                        return true;
        }
        return false;
}

static bool contains(const uint16_t *s, size_t len, const char *needle) {
        size_t n = strlen(needle);
        for (size_t i = 0; n <= len && i <= len - n; i++) {
                size_t j = 0;
                while (j < n && s[i + j] == (uint8_t) needle[j])
                        j++;
                if (j == n)
                        return true;
        }
        return false;
}

static bool plain(const uint16_t *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (s[i] != ' ' && (s[i] < 0x21 || s[i] > 0x7e || s[i] == '"' || s[i] == '\'' || s[i] == '\\'))
                        return false;
        return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        size_t split, loader_units, loader_len, uki_bytes, uki_units, uki_len, bound, n = 0, n2 = 0, dropped = 0;
        uint16_t *loader, *uki, *out, *out2;
        enum cmdline_bind_mode mode;
        int r;

        if (size < 2)
                return 0;
        mode = data[0] & 1 ? CMDLINE_BIND_APPEND : CMDLINE_BIND_REPLACE;
        split = (size_t) (data[0] | data[1] << 8) % (size - 1);
        loader_units = split / 2;
        loader = xmalloc(loader_units * sizeof(uint16_t));
        memcpy(loader, data + 2, loader_units * sizeof(uint16_t));
        uki_bytes = size - 2 - split;
        uki = xmalloc((uki_bytes + 1) * sizeof(uint16_t));
        uki_units = utf8_to_utf16((const char *) data + 2 + split, uki_bytes, uki);

        loader_len = utf16_strnlen(loader, loader_units);
        uki_len = utf16_strnlen(uki, uki_units);

        bound = CMDLINE_BIND_MAX_UNITS(loader_units, uki_units);
        out = xmalloc(bound * sizeof(uint16_t));
        r = cmdline_bind(loader, loader_units, uki, uki_units, mode, out, bound, &n, &dropped);
        check(r == KEEL_OK || (r == KEEL_E_CMDLINE_TOO_LONG && uki_len > 0));
        if (r == KEEL_OK) {
                check(n < bound && out[n] == 0 && utf16_strnlen(out, n) == n);
                check(uki_len == 0 || n < CMDLINE_KERNEL_MAX_BYTES);
                if (!contains(uki, uki_len, "initrd=") && !contains(uki, uki_len, "dtb="))
                        check(!contains(out, n, "initrd=") && !contains(out, n, "dtb="));
                if (uki_len == 0 && dropped == 0)
                        check(n == loader_len && memcmp(out, loader, n * sizeof(uint16_t)) == 0);
                for (size_t i = 0; uki_len > 0 && i < n;) {
                        size_t start;
                        while (i < n && is_ws(out[i]))
                                i++;
                        start = i;
                        while (i < n && !is_ws(out[i]))
                                i++;
                        if (starts_with(out + start, i - start, "roothash=") ||
                            starts_with(out + start, i - start, "usrhash=") ||
                            starts_with(out + start, i - start, "rd.roothash=") ||
                            starts_with(out + start, i - start, "systemd.verity"))
                                check(uki_has_word(uki, uki_units, out + start, i - start));
                }
                if (mode == CMDLINE_BIND_REPLACE && uki_len > 0 && plain(uki, uki_units)) {
                        size_t b2 = CMDLINE_BIND_MAX_UNITS(n, uki_units);
                        out2 = xmalloc(b2 * sizeof(uint16_t));
                        check(cmdline_bind(out, n, uki, uki_units, mode, out2, b2, &n2, NULL) == KEEL_OK);
                        check(n2 == n && memcmp(out2, out, n * sizeof(uint16_t)) == 0);
                        free(out2);
                }
        }
        free(out);
        free(uki);
        free(loader);
        return 0;
}
