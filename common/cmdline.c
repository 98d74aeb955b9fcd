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

/* A key a word may start with: exactly this key (followed by '=' or the
 * end of the word), or any key with this prefix. */
struct key_pattern {
        const char *key;
        bool prefix;
};

/* dm-verity: what ties the kernel to the UKI's root and /usr hashes. */
static const struct key_pattern verity_keys[] = {
        { "systemd.verity", true },
        { "roothash", false },
        { "usrhash", false },
};

/* What picks the root and /usr file systems and mounts over them: with the
 * UKI's roothash=/usrhash= bound, any of these from outside could still
 * point the kernel at another file system (root=/dev/evil mounts it as /
 * and leaves the verified device unused). */
static const struct key_pattern mount_keys[] = {
        { "root", false },          { "rootfstype", false },    { "rootflags", false },
        { "mount.usr", false },     { "mount.usrfstype", false }, { "mount.usrflags", false },
        { "systemd.mount-extra", false },
};

/* Whether one of the patterns starts at w[i], also after "rd." (systemd
 * strips it in the initrd). */
static bool key_at(const uint16_t *w, size_t len, size_t i, const struct key_pattern *keys, size_t n_keys) {
        size_t after_rd = match_key(w, len, i, "rd.");
        size_t starts[2] = { i, after_rd };

        for (size_t k = 0; k < 2; k++) {
                size_t at = starts[k];

                if (at > len)
                        continue;
                for (size_t n = 0; n < n_keys; n++) {
                        size_t end = match_key(w, len, at, keys[n].key);
                        if (end > len)
                                continue;
                        if (keys[n].prefix)
                                return true;
                        while (end < len && (w[end] == '"' || w[end] == '\''))
                                end++;
                        if (end == len || !is_key_char(w[end]))
                                return true;
                }
        }
        return false;
}

/* True when some reader of /proc/cmdline could find one of the keys in this
 * word: at its start, after whitespace inside quotes (shell-style splitting)
 * or after a non-ASCII character (Linux splits on the byte 0xa0). */
static bool word_has_key(const uint16_t *w, size_t len, const struct key_pattern *keys, size_t n_keys) {
        for (size_t i = 0; i < len; i++)
                if ((i == 0 || is_space(w[i - 1]) || w[i - 1] >= 0x80) && key_at(w, len, i, keys, n_keys))
                        return true;
        return false;
}

static bool word_is_verity(const uint16_t *w, size_t len) {
        return word_has_key(w, len, verity_keys, ARRAY_SIZE(verity_keys));
}

static bool word_is_mount(const uint16_t *w, size_t len) {
        return word_has_key(w, len, mount_keys, ARRAY_SIZE(mount_keys));
}

static bool contains_ascii(const uint16_t *w, size_t len, const char *needle) {
        size_t n = strlen(needle);

        for (size_t i = 0; n <= len && i <= len - n; i++) {
                size_t j = 0;
                while (j < n && w[i + j] == (uint8_t) needle[j])
                        j++;
                if (j == n)
                        return true;
        }
        return false;
}

/* A word that names a file for Linux's EFI stub to load from the boot
 * volume: it looks for "initrd=" (x86, arm64, ...) and "dtb=" (arm64)
 * anywhere in its load options, not only at the start of a word. initrdmem=
 * (an initrd at a physical address) goes too. None of it is covered by the
 * UKI's signature or PCR 11. */
static bool word_loads_file(const uint16_t *w, size_t len) {
        return contains_ascii(w, len, "initrd=") || contains_ascii(w, len, "initrdmem=") ||
               contains_ascii(w, len, "dtb=");
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

/* The UKI's own words that outside text must not override: its verity
 * words, and its mount words when it binds a hash (see mount_keys). */
static bool uki_word_is_bound(const uint16_t *w, size_t len, bool binds_hash) {
        return word_is_verity(w, len) || (binds_hash && word_is_mount(w, len));
}

static size_t append_uki_words(uint16_t *out, size_t o, const uint16_t *uki, size_t uki_len, bool binds_hash) {
        size_t pos = 0, start, end;

        while (next_word(uki, uki_len, &pos, &start, &end))
                if (uki_word_is_bound(uki + start, end - start, binds_hash))
                        o = append_word(out, o, uki + start, end - start);
        return o;
}

static bool uki_binds_hash(const uint16_t *uki, size_t uki_len) {
        size_t pos = 0, start, end;

        while (next_word(uki, uki_len, &pos, &start, &end))
                if (word_is_verity(uki + start, end - start))
                        return true;
        return false;
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

/* Whether the outside word may reach the kernel. */
static bool outside_word_allowed(const uint16_t *w, size_t len, bool binding, bool binds_hash) {
        if (word_loads_file(w, len))
                return false;
        if (!binding)
                return true;
        return word_is_clean(w, len) && !word_is_verity(w, len) && !(binds_hash && word_is_mount(w, len));
}

int cmdline_check_no_file_words(const uint16_t *s, size_t units) {
        size_t len = s ? utf16_strnlen(s, units) : 0, pos = 0, start, end;

        while (next_word(s, len, &pos, &start, &end))
                if (word_loads_file(s + start, end - start))
                        return KEEL_E_CMDLINE_LOADS_FILE;
        return KEEL_OK;
}

int cmdline_bind(const uint16_t *outside, size_t outside_units, const uint16_t *uki, size_t uki_units,
                 enum cmdline_bind_mode mode, uint16_t *out, size_t out_units, size_t *ret_units,
                 size_t *ret_dropped) {
        size_t outside_len = outside ? utf16_strnlen(outside, outside_units) : 0;
        size_t uki_len = uki ? utf16_strnlen(uki, uki_units) : 0;
        size_t pos = 0, start, end, o = 0, dropped = 0;
        bool binding = uki_len > 0, binds_hash = binding && uki_binds_hash(uki, uki_len);
        bool insert = binding && mode == CMDLINE_BIND_REPLACE, inserted = false;

        if (!out || outside_units > SIZE_MAX / 4 || uki_units > SIZE_MAX / 4 ||
            out_units < CMDLINE_BIND_MAX_UNITS(outside_units, uki_units) ||
            (mode != CMDLINE_BIND_REPLACE && mode != CMDLINE_BIND_APPEND))
                return KEEL_E_INVALID_ARGUMENT;

        while (next_word(outside, outside_len, &pos, &start, &end)) {
                const uint16_t *w = outside + start;
                size_t len = end - start;

                if (insert && !inserted && word_is_end_of_options(w, len)) {
                        o = append_uki_words(out, o, uki, uki_len, binds_hash);
                        inserted = true;
                        o = append_word(out, o, w, len);
                } else if (outside_word_allowed(w, len, binding, binds_hash))
                        o = append_word(out, o, w, len);
                else
                        dropped++;
        }
        if (insert && !inserted)
                o = append_uki_words(out, o, uki, uki_len, binds_hash);
        /* Text the UKI does not bind reaches the kernel as it came, when
         * nothing had to go. */
        if (!binding && dropped == 0) {
                memcpy(out, outside, outside_len * sizeof(uint16_t));
                o = outside_len;
        }
        out[o] = 0;

        if (binding && utf8_bytes(out, o) >= CMDLINE_KERNEL_MAX_BYTES)
                return KEEL_E_CMDLINE_TOO_LONG;
        *ret_units = o;
        if (ret_dropped)
                *ret_dropped = dropped;
        return KEEL_OK;
}
