/* SPDX-License-Identifier: MIT */
#include "bootcount-move.h"
#include "bootcount.h"
#include "error.h"

#define RECORD_HEADER "keel-bootcount-move 1\n"

static bool name_is_plain(struct slice n) {
        if (n.len == 0 || n.len > BOOTCOUNT_MOVE_NAME_MAX)
                return false;
        if ((n.len == 1 && n.ptr[0] == '.') || (n.len == 2 && n.ptr[0] == '.' && n.ptr[1] == '.'))
                return false;
        for (size_t i = 0; i < n.len; i++) {
                unsigned char c = (unsigned char) n.ptr[i];
                if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
                        return false;
        }
        return true;
}

static bool same_slice(struct slice a, struct slice b) {
        return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0;
}

/* Both names carry a counter, and only the counter differs. */
static int check_names(struct slice from, struct slice to) {
        struct bootcount_name f, t;

        if (!name_is_plain(from) || !name_is_plain(to))
                return KEEL_E_BOOTCOUNT_MOVE_BAD_NAME;
        if (bootcount_parse(from, &f) != KEEL_OK || bootcount_parse(to, &t) != KEEL_OK ||
            f.tries_left == BOOTCOUNT_UNKNOWN || t.tries_left == BOOTCOUNT_UNKNOWN || same_slice(from, to) ||
            !same_slice(f.stem, t.stem) || !same_slice(f.extension, t.extension))
                return KEEL_E_BOOTCOUNT_MOVE_NOT_ONE_ENTRY;
        return KEEL_OK;
}

/* The next '\n'-terminated line of what remains: false without one. */
static bool take_line(struct slice *rest, struct slice *ret_line) {
        size_t n = 0;

        while (n < rest->len && rest->ptr[n] != '\n')
                n++;
        if (n == rest->len)
                return false;
        *ret_line = slice_from(rest->ptr, n);
        rest->ptr += n + 1;
        rest->len -= n + 1;
        return true;
}

int bootcount_move_parse(const void *buf, size_t len, struct bootcount_move *ret) {
        struct slice rest = slice_from(buf, len), header, from, to;
        int r;

        if (!buf || !ret)
                return KEEL_E_INVALID_ARGUMENT;
        if (len > BOOTCOUNT_MOVE_RECORD_MAX || !take_line(&rest, &header) || !take_line(&rest, &from) ||
            !take_line(&rest, &to) || rest.len != 0 ||
            !same_slice(header, slice_from(RECORD_HEADER, sizeof(RECORD_HEADER) - 2)))
                return KEEL_E_BOOTCOUNT_MOVE_MALFORMED;
        r = check_names(from, to);
        if (r != KEEL_OK)
                return r;
        *ret = (struct bootcount_move) { .from = from, .to = to };
        return KEEL_OK;
}

int bootcount_move_format(const char *from, const char *to, char *out, size_t out_size, size_t *ret_len) {
        struct slice f = slice_from_cstr(from), t = slice_from_cstr(to);
        size_t header = sizeof(RECORD_HEADER) - 1, need;
        int r = check_names(f, t);

        if (r != KEEL_OK)
                return r;
        need = header + f.len + 1 + t.len + 1;
        if (need > out_size)
                return KEEL_E_VALUE_TOO_LONG;
        memcpy(out, RECORD_HEADER, header);
        memcpy(out + header, f.ptr, f.len);
        out[header + f.len] = '\n';
        memcpy(out + header + f.len + 1, t.ptr, t.len);
        out[need - 1] = '\n';
        *ret_len = need;
        return KEEL_OK;
}
