/* SPDX-License-Identifier: MIT */
/* Console output: a small printf that writes UTF-16 to ConOut (which OVMF
 * and most servers mirror to the serial console). %s takes UTF-8. */
#include <stdarg.h>

#include "efi.h"
#include "../common/utf.h"

struct line_buffer {
        CHAR16 text[128];
        size_t used;
};

static void flush(struct line_buffer *b) {
        if (b->used == 0)
                return;
        b->text[b->used] = 0;
        if (ST && ST->ConOut)
                ST->ConOut->OutputString(ST->ConOut, b->text);
        b->used = 0;
}

static void put_unit(struct line_buffer *b, CHAR16 c) {
        if (b->used + 2 >= ARRAY_SIZE(b->text))
                flush(b);
        if (c == '\n')
                b->text[b->used++] = '\r';
        b->text[b->used++] = c;
}

/* A %s argument: keel's own words are ASCII, but titles, versions and file
 * names come from the ESP as UTF-8 and may be anything, control characters
 * included; common/ turns them into what the UCS-2 console can show. */
static void put_text(struct line_buffer *b, const char *s) {
        size_t left;

        if (!s)
                s = "(null)";
        left = strlen(s);
        while (left > 0) {
                size_t room = ARRAY_SIZE(b->text) - 1 - b->used, used;

                if (room == 0) {
                        flush(b);
                        continue;
                }
                b->used += utf8_to_console(s, left, b->text + b->used, room, &used);
                s += used;
                left -= used;
        }
}

static void put_utf16(struct line_buffer *b, const CHAR16 *s) {
        if (!s) {
                put_text(b, "(null)");
                return;
        }
        while (*s)
                put_unit(b, *s++);
}

static void put_number(struct line_buffer *b, uint64_t v, unsigned base) {
        char digits[24];
        size_t n = 0;

        do {
                digits[n++] = "0123456789abcdef"[v % base];
                v /= base;
        } while (v > 0);
        while (n > 0)
                put_unit(b, (uint8_t) digits[--n]);
}

int efi_log_max_level = 6; /* "info", as systemd-boot */

static void vprint(const char *fmt, va_list ap) {
        struct line_buffer b = { .used = 0 };

        for (const char *p = fmt; *p; p++) {
                bool is_long = false;

                if (*p != '%') {
                        put_unit(&b, (uint8_t) *p);
                        continue;
                }
                if (p[1] == 'l' || p[1] == 'z') {
                        is_long = true;
                        p++;
                }
                switch (*++p) {
                case 's':
                        if (is_long)
                                put_utf16(&b, va_arg(ap, const CHAR16 *));
                        else
                                put_text(&b, va_arg(ap, const char *));
                        break;
                case 'u':
                        put_number(&b, is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10);
                        break;
                case 'x':
                        put_number(&b, is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16);
                        break;
                case '%':
                        put_unit(&b, '%');
                        break;
                case '\0':
                        p--; /* a lone '%' at the end: stop without reading past the NUL */
                        break;
                default:
                        put_unit(&b, '?');
                        break;
                }
        }
        flush(&b);
}

void efi_print(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vprint(fmt, ap);
        va_end(ap);
}

void efi_log(int level, const char *fmt, ...) {
        va_list ap;

        if (level > efi_log_max_level)
                return;
        va_start(ap, fmt);
        vprint(fmt, ap);
        va_end(ap);
}

const char *efi_status_text(EFI_STATUS status) {
        switch (status) {
        case EFI_SUCCESS: return "success";
        case EFI_LOAD_ERROR: return "load error";
        case EFI_INVALID_PARAMETER: return "invalid parameter";
        case EFI_UNSUPPORTED: return "unsupported";
        case EFI_BAD_BUFFER_SIZE: return "bad buffer size";
        case EFI_BUFFER_TOO_SMALL: return "buffer too small";
        case EFI_NOT_READY: return "not ready";
        case EFI_DEVICE_ERROR: return "device error";
        case EFI_WRITE_PROTECTED: return "write protected";
        case EFI_OUT_OF_RESOURCES: return "out of resources";
        case EFI_VOLUME_CORRUPTED: return "volume corrupted";
        case EFI_NOT_FOUND: return "not found";
        case EFI_ACCESS_DENIED: return "access denied";
        case EFI_ABORTED: return "aborted";
        case EFI_ALREADY_STARTED: return "already started";
        case EFI_SECURITY_VIOLATION: return "security violation";
        case EFI_CRC_ERROR: return "CRC error";
        case EFI_TIMEOUT: return "timeout";
        default: return "firmware error";
        }
}
