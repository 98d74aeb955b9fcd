/* SPDX-License-Identifier: MIT */
#include "cmdline.h"
#include "error.h"
#include "utf.h"

static bool load_options_are_text(const void *load_options, size_t size) {
        if (!load_options || size < sizeof(uint16_t))
                return false;
        return read_le16(load_options) > 0x1f;
}

enum cmdline_source cmdline_choose(bool secure_boot, bool uki_has_cmdline, size_t uki_cmdline_len,
                                   const void *load_options, size_t load_options_size) {
        bool loader_may_override = !secure_boot || !uki_has_cmdline;

        if (loader_may_override && load_options_are_text(load_options, load_options_size))
                return CMDLINE_SOURCE_LOADER;
        if (uki_cmdline_len > 0)
                return CMDLINE_SOURCE_UKI;
        return CMDLINE_SOURCE_NONE;
}

/* The kernel's isspace() for ASCII; Linux also splits words on the byte
 * 0xa0, which only ever appears inside the UTF-8 of a non-ASCII character. */
static bool is_space(uint16_t c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_key_char(uint16_t c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
               c == '_';
}

/* The next word as Linux's next_arg() delimits it: double quotes toggle
 * quoting, unquoted whitespace ends a word. */
static bool next_word(const uint16_t *s, size_t len, size_t *pos, size_t *ret_start, size_t *ret_end) {
        size_t i = *pos;
        bool quoted = false;

        while (i < len && is_space(s[i]))
                i++;
        if (i == len)
                return false;
        *ret_start = i;
        for (; i < len && (quoted || !is_space(s[i])); i++)
                if (s[i] == '"')
                        quoted = !quoted;
        *ret_end = i;
        *pos = i;
        return true;
}

/* Matches pattern at w[i], skipping the quote characters systemd removes and
 * taking '-' and '_' as equal, as systemd compares keys. Returns the index
 * after the match, or len + 1 when it does not match. */
static size_t match_key(const uint16_t *w, size_t len, size_t i, const char *pattern) {
        for (const char *p = pattern; *p; p++) {
                uint16_t c;
                char want = *p == '-' ? '_' : *p;

                while (i < len && (w[i] == '"' || w[i] == '\''))
                        i++;
                if (i == len)
                        return len + 1;
                c = w[i] == '-' ? '_' : w[i];
                if (c != (uint16_t) (uint8_t) want)
                        return len + 1;
                i++;
        }
        return i;
}

static bool verity_key_at(const uint16_t *w, size_t len, size_t i) {
        size_t after_rd = match_key(w, len, i, "rd.");
        size_t starts[2] = { i, after_rd };

        for (size_t k = 0; k < 2; k++) {
                size_t at = starts[k];

                if (at > len)
                        continue;
                if (match_key(w, len, at, "systemd.verity") <= len)
                        return true;
                for (size_t n = 0; n < 2; n++) {
                        size_t end = match_key(w, len, at, n == 0 ? "roothash" : "usrhash");
                        if (end > len)
                                continue;
                        while (end < len && (w[end] == '"' || w[end] == '\''))
                                end++;
                        if (end == len || !is_key_char(w[end]))
                                return true;
                }
        }
        return false;
}

/* True when some reader of /proc/cmdline could find a verity key in this
 * word: at its start, after whitespace inside quotes (shell-style splitting)
 * or after a non-ASCII character (Linux splits on the byte 0xa0). */
static bool word_is_verity(const uint16_t *w, size_t len) {
        for (size_t i = 0; i < len; i++)
                if ((i == 0 || is_space(w[i - 1]) || w[i - 1] >= 0x80) && verity_key_at(w, len, i))
                        return true;
        return false;
}

/* A word that Linux and systemd split and unquote the same way, and that
 * cannot leave a quote open over the words after it. */
static bool word_is_clean(const uint16_t *w, size_t len) {
        size_t quotes = 0;

        for (size_t i = 0; i < len; i++) {
                if (w[i] < 0x20 || w[i] == 0x7f || w[i] == '\\' || w[i] == '\'')
                        return false;
                if (w[i] == '"')
                        quotes++;
        }
        return quotes % 2 == 0;
}

static bool word_is_end_of_options(const uint16_t *w, size_t len) {
        static const uint16_t dashes[] = { '-', '-' }, quoted[] = { '"', '-', '-', '"' };
        return (len == 2 && memcmp(w, dashes, sizeof(dashes)) == 0) ||
               (len == 4 && memcmp(w, quoted, sizeof(quoted)) == 0);
}

static size_t append_word(uint16_t *out, size_t o, const uint16_t *w, size_t len) {
        if (o > 0)
                out[o++] = ' ';
        memcpy(out + o, w, len * sizeof(uint16_t));
        return o + len;
}

static size_t append_verity_words(uint16_t *out, size_t o, const uint16_t *uki, size_t uki_len) {
        size_t pos = 0, start, end;

        while (next_word(uki, uki_len, &pos, &start, &end))
                if (word_is_verity(uki + start, end - start))
                        o = append_word(out, o, uki + start, end - start);
        return o;
}

/* What Linux's EFI stub counts: 1, 2 or 3 UTF-8 bytes per unit (a
 * surrogate pair is 4 bytes, counted here as 6: never less than it takes). */
static size_t utf8_bytes(const uint16_t *s, size_t len) {
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                n += s[i] < 0x80 ? 1 : s[i] < 0x800 ? 2 : 3;
        return n;
}

int cmdline_check_kernel_limits(const uint16_t *s, size_t units, size_t *ret_bytes) {
        size_t len = s ? utf16_strnlen(s, units) : 0, bytes = utf8_bytes(s, len);

        if (ret_bytes)
                *ret_bytes = bytes;
        for (size_t i = 0; i < len; i++)
                if (s[i] == '\n')
                        return KEEL_E_CMDLINE_NEWLINE;
        return bytes >= CMDLINE_KERNEL_MAX_BYTES ? KEEL_E_CMDLINE_TOO_LONG : KEEL_OK;
}

int cmdline_bind_verity(const uint16_t *loader, size_t loader_units, const uint16_t *uki, size_t uki_units,
                        uint16_t *out, size_t out_units, size_t *ret_units) {
        size_t loader_len = loader ? utf16_strnlen(loader, loader_units) : 0;
        size_t uki_len = uki ? utf16_strnlen(uki, uki_units) : 0;
        size_t pos = 0, start, end, o = 0;
        bool inserted = false;

        if (!out || loader_units > SIZE_MAX / 4 || uki_units > SIZE_MAX / 4 ||
            out_units < CMDLINE_BIND_VERITY_MAX_UNITS(loader_units, uki_units))
                return KEEL_E_INVALID_ARGUMENT;

        while (next_word(loader, loader_len, &pos, &start, &end)) {
                const uint16_t *w = loader + start;
                size_t len = end - start;

                if (!inserted && word_is_end_of_options(w, len)) {
                        o = append_verity_words(out, o, uki, uki_len);
                        inserted = true;
                        o = append_word(out, o, w, len);
                } else if (word_is_clean(w, len) && !word_is_verity(w, len))
                        o = append_word(out, o, w, len);
        }
        if (!inserted)
                o = append_verity_words(out, o, uki, uki_len);
        out[o] = 0;

        if (utf8_bytes(out, o) >= CMDLINE_KERNEL_MAX_BYTES)
                return KEEL_E_CMDLINE_TOO_LONG;
        *ret_units = o;
        return KEEL_OK;
}
