/* SPDX-License-Identifier: MIT */
#include "osrel.h"
#include "error.h"

struct value_writer {
        char *out;          /* NULL when the value is only skipped */
        size_t size;
        size_t len;
        size_t significant; /* length without trailing unquoted whitespace */
        bool overflow;
};

static void put(struct value_writer *w, char c, bool quoted) {
        if (w->out) {
                if (w->len + 1 >= w->size)
                        w->overflow = true;
                else
                        w->out[w->len] = c;
        }
        w->len++;
        if (quoted || !ascii_isspace(c))
                w->significant = w->len;
}

static bool is_key_char(char c) {
        return ascii_isalpha(c) || ascii_isdigit(c) || c == '_';
}

static bool is_line_end(char c) {
        return c == '\n' || c == '\0';
}

/* Scans one value starting at *pos, up to the end of its logical line. */
static void scan_value(const char *b, size_t len, size_t *pos, struct value_writer *w) {
        enum { UNQUOTED, DOUBLE, SINGLE } state = UNQUOTED;
        size_t i = *pos;

        while (i < len) {
                char c = b[i++];

                if (c == '\0')
                        break;
                switch (state) {
                case UNQUOTED:
                        if (c == '\n')
                                goto done;
                        if (c == '"')
                                state = DOUBLE;
                        else if (c == '\'')
                                state = SINGLE;
                        else if (c == '\\' && i < len && !is_line_end(b[i]))
                                put(w, b[i++], true);
                        else if (c == '\\' && i < len && b[i] == '\n')
                                i++; /* line continuation */
                        else
                                put(w, c, false);
                        break;
                case DOUBLE:
                        if (c == '"')
                                state = UNQUOTED;
                        else if (c == '\\' && i < len && (b[i] == '"' || b[i] == '\\' || b[i] == '$' || b[i] == '`'))
                                put(w, b[i++], true);
                        else if (c == '\\' && i < len && b[i] == '\n')
                                i++;
                        else
                                put(w, c, true);
                        break;
                case SINGLE:
                        if (c == '\'')
                                state = UNQUOTED;
                        else
                                put(w, c, true);
                        break;
                }
        }
done:
        *pos = i;
}

static void skip_line(const char *b, size_t len, size_t *pos) {
        while (*pos < len && !is_line_end(b[*pos]))
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
        while (pos < len) {
                size_t key_start;
                struct value_writer w = { 0 };
                bool match;

                while (pos < len && (ascii_isspace(b[pos]) || b[pos] == '\0'))
                        pos++;
                if (pos >= len)
                        break;
                if (b[pos] == '#' || b[pos] == ';') {
                        skip_line(b, len, &pos);
                        continue;
                }
                key_start = pos;
                while (pos < len && is_key_char(b[pos]))
                        pos++;
                match = pos - key_start == key_len && memcmp(b + key_start, key, key_len) == 0;
                while (pos < len && (b[pos] == ' ' || b[pos] == '\t'))
                        pos++;
                if (pos == key_start || pos >= len || b[pos] != '=') {
                        skip_line(b, len, &pos); /* not an assignment */
                        continue;
                }
                pos++;
                while (pos < len && (b[pos] == ' ' || b[pos] == '\t'))
                        pos++;

                if (match) {
                        w.out = out;
                        w.size = out_size;
                }
                scan_value(b, len, &pos, &w);
                if (match) {
                        found = true;
                        overflow = w.overflow;
                        out[overflow ? 0 : w.significant] = '\0';
                }
        }
        *ret_found = found;
        return overflow ? KEEL_E_VALUE_TOO_LONG : KEEL_OK;
}
