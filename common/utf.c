/* SPDX-License-Identifier: MIT */
#include "utf.h"

#define REPLACEMENT_CHARACTER 0xfffd

/* Length of the sequence a lead byte starts, 0 for a byte that cannot lead. */
static unsigned utf8_sequence_length(uint8_t lead) {
        if (lead < 0x80)
                return 1;
        if (lead >= 0xc2 && lead <= 0xdf)
                return 2;
        if (lead >= 0xe0 && lead <= 0xef)
                return 3;
        if (lead >= 0xf0 && lead <= 0xf4)
                return 4;
        return 0;
}

/* Decodes one code point; returns the bytes consumed (at least 1). */
static size_t utf8_decode_one(const uint8_t *s, size_t remaining, uint32_t *ret) {
        unsigned n = utf8_sequence_length(s[0]);
        uint32_t cp;

        *ret = REPLACEMENT_CHARACTER;
        if (n == 0)
                return 1;
        if (n == 1) {
                *ret = s[0];
                return 1;
        }
        if (n > remaining)
                return 1;

        cp = s[0] & (0x7f >> n);
        for (unsigned i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 1;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* Reject overlong forms, surrogates and values above U+10FFFF. */
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 1;
        *ret = cp;
        return n;
}

size_t utf8_to_utf16(const char *s, size_t len, uint16_t *out) {
        const uint8_t *p = (const uint8_t *) s;
        size_t i = 0, o = 0;

        while (i < len && p[i] != 0) {
                uint32_t cp;
                i += utf8_decode_one(p + i, len - i, &cp);
                if (cp >= 0x10000) {
                        cp -= 0x10000;
                        out[o++] = (uint16_t) (0xd800 | (cp >> 10));
                        out[o++] = (uint16_t) (0xdc00 | (cp & 0x3ff));
                } else
                        out[o++] = (uint16_t) cp;
        }
        out[o] = 0;
        return o;
}

/* What a text console gets for a decoded character. */
static uint16_t console_unit(uint32_t cp) {
        if (cp == '\t')
                return ' ';
        /* C0, DEL and C1: a terminal would act on them (escape sequences,
         * cursor moves, line ends inside a menu line). */
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
                return REPLACEMENT_CHARACTER;
        if (cp > 0xffff)
                return REPLACEMENT_CHARACTER;
        return (uint16_t) cp;
}

size_t utf8_to_console(const char *s, size_t len, uint16_t *out, size_t out_units, size_t *ret_consumed) {
        const uint8_t *p = (const uint8_t *) s;
        size_t i = 0, o = 0;

        while (i < len && p[i] != 0 && o < out_units) {
                uint32_t cp;
                i += utf8_decode_one(p + i, len - i, &cp);
                out[o++] = console_unit(cp);
        }
        *ret_consumed = i;
        return o;
}

size_t utf16_to_utf8(const uint16_t *s, size_t len, char *out) {
        size_t i = 0, o = 0;

        while (i < len && s[i] != 0) {
                uint32_t cp = s[i++];

                if (cp >= 0xd800 && cp <= 0xdbff && i < len && s[i] >= 0xdc00 && s[i] <= 0xdfff)
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (s[i++] - 0xdc00);
                else if (cp >= 0xd800 && cp <= 0xdfff)
                        cp = REPLACEMENT_CHARACTER;

                if (cp < 0x80)
                        out[o++] = (char) cp;
                else if (cp < 0x800) {
                        out[o++] = (char) (0xc0 | (cp >> 6));
                        out[o++] = (char) (0x80 | (cp & 0x3f));
                } else if (cp < 0x10000) {
                        out[o++] = (char) (0xe0 | (cp >> 12));
                        out[o++] = (char) (0x80 | ((cp >> 6) & 0x3f));
                        out[o++] = (char) (0x80 | (cp & 0x3f));
                } else {
                        out[o++] = (char) (0xf0 | (cp >> 18));
                        out[o++] = (char) (0x80 | ((cp >> 12) & 0x3f));
                        out[o++] = (char) (0x80 | ((cp >> 6) & 0x3f));
                        out[o++] = (char) (0x80 | (cp & 0x3f));
                }
        }
        out[o] = 0;
        return o;
}

size_t utf16_strnlen(const uint16_t *s, size_t max) {
        size_t n = 0;
        while (n < max && s[n] != 0)
                n++;
        return n;
}
