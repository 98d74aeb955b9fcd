/* SPDX-License-Identifier: MIT */
/* The states follow systemd's parse_env_file(), which is how bootctl 252
 * reads a UKI's .osrel; where bootctl and systemd-boot 252 disagree (a NUL
 * byte, a comment ending in a backslash), keel does what systemd-boot, the
 * loader that actually boots the entry, does. */
#include "osrel.h"
#include "error.h"

struct value_writer {
        char *out;          /* NULL when the value is only skipped */
        size_t size;
        size_t len;
        size_t significant; /* length without trailing unquoted blanks */
};

/* Both systemd parsers end a line at '\n' and at '\r'. */
static bool is_newline(char c) {
        return c == '\n' || c == '\r';
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* Characters past the buffer are counted, not written: whether the value
 * fits is decided at its end, once trailing blanks no longer count. */
static void put(struct value_writer *w, char c, bool quoted) {
        if (w->out && w->len + 1 < w->size)
                w->out[w->len] = c;
        w->len++;
        if (quoted || !is_blank(c))
                w->significant = w->len;
}

/* Scans one value starting at *pos, up to the end of its logical line.
 * Quotes open only at the start of the value or right after a closing quote
 * (blanks there are dropped); inside an unquoted value they are ordinary
 * characters. */
static void scan_value(const char *b, size_t len, size_t *pos, struct value_writer *w) {
        enum { PRE_VALUE, VALUE, DOUBLE, SINGLE } state = PRE_VALUE;
        size_t i = *pos;

        while (i < len) {
                char c = b[i++];

                switch (state) {
                case PRE_VALUE:
                case VALUE:
                        if (is_newline(c))
                                goto done;
                        if (c == '\\') {
                                /* An escaped newline continues the value; any
                                 * other character is taken as it is, and keeps
                                 * the blanks before it. */
                                state = VALUE;
                                w->significant = w->len;
                                if (i < len && !is_newline(b[i]))
                                        put(w, b[i], true);
                                if (i < len)
                                        i++;
                        } else if (state == PRE_VALUE && c == '"')
                                state = DOUBLE;
                        else if (state == PRE_VALUE && c == '\'')
                                state = SINGLE;
                        else if (state == VALUE || !is_blank(c)) {
                                state = VALUE;
                                put(w, c, false);
                        }
                        break;
                case DOUBLE:
                        if (c == '"')
                                state = PRE_VALUE;
                        else if (c == '\\') {
                                /* \" \\ \$ \` stand for the character, an
                                 * escaped '\n' continues the value, any other
                                 * backslash stays, as in the shell. */
                                char next;
                                if (i >= len)
                                        break;
                                next = b[i++];
                                if (next == '"' || next == '\\' || next == '$' || next == '`')
                                        put(w, next, true);
                                else if (next != '\n') {
                                        put(w, '\\', true);
                                        put(w, next, true);
                                }
                        } else
                                put(w, c, true);
                        break;
                case SINGLE:
                        if (c == '\'')
                                state = PRE_VALUE;
                        else
                                put(w, c, true);
                        break;
                }
        }
done:
        *pos = i;
}

static void skip_line(const char *b, size_t len, size_t *pos) {
        while (*pos < len && !is_newline(b[*pos]))
                (*pos)++;
        if (*pos < len)
                (*pos)++;
}

int osrel_get(const void *buf, size_t len, const char *key, char *out, size_t out_size, bool *ret_found) {
        const char *b = buf;
        size_t pos = 0, key_len = strlen(key);
        bool found = false, overflow = false;

        if (out_size == 0)
                return KEEL_E_INVALID_ARGUMENT;
        out[0] = '\0';
        /* The data ends at the first NUL, as for systemd-boot 252 (bootctl 252
         * ignores such a UKI altogether). */
        for (size_t i = 0; i < len; i++)
                if (b[i] == '\0') {
                        len = i;
                        break;
                }
        while (pos < len) {
                size_t key_start, key_end;
                struct value_writer w = { 0 };
                bool match;

                while (pos < len && (is_blank(b[pos]) || is_newline(b[pos])))
                        pos++;
                if (pos >= len)
                        break;
                if (b[pos] == '#' || b[pos] == ';') {
                        skip_line(b, len, &pos);
                        continue;
                }
                /* The key is everything up to '=' (a line without one assigns
                 * nothing): a value after an odd key is still scanned, so that
                 * its quoted newlines do not start new lines. */
                key_start = pos;
                while (pos < len && b[pos] != '=' && !is_newline(b[pos]))
                        pos++;
                if (pos >= len || b[pos] != '=') {
                        skip_line(b, len, &pos);
                        continue;
                }
                for (key_end = pos; key_end > key_start && is_blank(b[key_end - 1]); key_end--)
                        ;
                match = key_end - key_start == key_len && memcmp(b + key_start, key, key_len) == 0;
                pos++;
                while (pos < len && is_blank(b[pos]))
                        pos++;

                if (match) {
                        w.out = out;
                        w.size = out_size;
                }
                scan_value(b, len, &pos, &w);
                if (match) {
                        found = true;
                        overflow = w.significant >= out_size;
                        out[overflow ? 0 : w.significant] = '\0';
                }
        }
        *ret_found = found;
        return overflow ? KEEL_E_VALUE_TOO_LONG : KEEL_OK;
}
