/* SPDX-License-Identifier: MIT */
/* ASCII string helpers for the config parsers. Strings from the ESP are
 * untrusted: everything here works on explicit lengths and never reads past
 * them, NUL bytes included. */
#pragma once

#include "util.h"

static inline bool ascii_isdigit(char c) {
        return c >= '0' && c <= '9';
}

static inline bool ascii_isalpha(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool ascii_isspace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* The value of a hexadecimal digit (either case), -1 for anything else. */
static inline int hex_digit_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* The same for lower case only (names with one spelling, e.g. digests). */
static inline int hex_digit_value_lower(char c) {
        return c >= 'A' && c <= 'F' ? -1 : hex_digit_value(c);
}

static inline char ascii_tolower(char c) {
        return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

/* A view of len bytes; not NUL-terminated. */
struct slice {
        const char *ptr;
        size_t len;
};

#define SLICE_EMPTY ((struct slice) { "", 0 })

static inline struct slice slice_from(const char *ptr, size_t len) {
        return (struct slice) { ptr, len };
}

static inline struct slice slice_from_cstr(const char *s) {
        return (struct slice) { s, strlen(s) };
}

bool slice_eq(struct slice a, const char *s);
bool slice_eq_nocase(struct slice a, struct slice b);
bool slice_has_suffix_nocase(struct slice a, const char *suffix);
bool slice_has_prefix(struct slice a, const char *prefix);
struct slice slice_strip(struct slice s);
/* strcmp order for slices (a shorter prefix sorts first). */
int slice_cmp(struct slice a, struct slice b);

/* Iterates over the lines of a buffer: "\n", "\r\n", "\r" and NUL all end a
 * line. Returns false when the buffer is exhausted. */
struct line_reader {
        const char *buf;
        size_t len;
        size_t pos;
        unsigned line_number;
};

void line_reader_init(struct line_reader *r, const void *buf, size_t len);
bool line_reader_next(struct line_reader *r, struct slice *ret_line);

/* Splits "key value" (leading whitespace already stripped): the key is the
 * first word, the value the rest without surrounding whitespace. */
void split_key_value(struct slice line, struct slice *ret_key, struct slice *ret_value);

/* Parses a decimal unsigned number made only of digits; false on anything
 * else, on an empty string or on overflow past max. */
bool parse_uint(struct slice s, uint64_t max, uint64_t *ret);

/* yes/no/true/false/on/off/1/0, case-insensitive, as systemd's parse_boolean. */
int parse_boolean(struct slice s); /* 1, 0, or -1 when not a boolean */
