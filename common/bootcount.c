/* SPDX-License-Identifier: MIT */
#include "bootcount.h"
#include "error.h"

/* Digits at s[*i...]; false when there are none. */
static bool parse_counter(struct slice s, size_t *i, int64_t *ret, bool *ret_out_of_range) {
        size_t start = *i;
        uint64_t v = 0;

        *ret_out_of_range = false;
        while (*i < s.len && ascii_isdigit(s.ptr[*i])) {
                if (v <= BOOTCOUNT_MAX)
                        v = v * 10 + (uint64_t) (s.ptr[*i] - '0');
                (*i)++;
        }
        if (*i == start)
                return false;
        if (v > BOOTCOUNT_MAX)
                *ret_out_of_range = true;
        *ret = (int64_t) v;
        return true;
}

int bootcount_parse(struct slice filename, struct bootcount_name *ret) {
        size_t dot, plus, i;
        bool out_of_range;

        ret->tries_left = ret->tries_done = BOOTCOUNT_UNKNOWN;
        ret->stem = filename;
        ret->extension = SLICE_EMPTY;

        for (dot = filename.len; dot > 0 && filename.ptr[dot - 1] != '.'; dot--)
                ;
        if (dot == 0)
                return KEEL_OK;
        dot--;
        ret->stem = slice_from(filename.ptr, dot);
        ret->extension = slice_from(filename.ptr + dot, filename.len - dot);

        for (plus = dot; plus > 0 && filename.ptr[plus - 1] != '+'; plus--)
                ;
        if (plus == 0)
                return KEEL_OK;
        i = plus; /* first character after '+' */
        plus--;

        {
                struct bootcount_name n = *ret;
                if (!parse_counter(filename, &i, &n.tries_left, &out_of_range))
                        return KEEL_OK;
                if (out_of_range)
                        return KEEL_E_BOOTCOUNT_OUT_OF_RANGE;
                if (i < dot && filename.ptr[i] == '-') {
                        i++;
                        if (!parse_counter(filename, &i, &n.tries_done, &out_of_range))
                                return KEEL_OK;
                        if (out_of_range)
                                return KEEL_E_BOOTCOUNT_OUT_OF_RANGE;
                }
                if (i != dot)
                        return KEEL_OK;
                n.stem = slice_from(filename.ptr, plus);
                *ret = n;
        }
        return KEEL_OK;
}

size_t bootcount_strip_path16(uint16_t *path, size_t len) {
        char name[256];
        size_t start = len, n, stem, ext;
        struct bootcount_name parsed;

        while (start > 0 && path[start - 1] != '\\')
                start--;
        n = len - start;
        if (n == 0 || n >= sizeof(name))
                return len;
        /* The counter's characters are ASCII; any other unit stands for a
         * letter of the name, one byte for one unit, so offsets carry over. */
        for (size_t i = 0; i < n; i++)
                name[i] = path[start + i] < 0x80 ? (char) path[start + i] : 'x';
        if (bootcount_parse(slice_from(name, n), &parsed) != KEEL_OK || parsed.tries_left == BOOTCOUNT_UNKNOWN)
                return len;
        stem = parsed.stem.len;
        ext = (size_t) (parsed.extension.ptr - name);
        memmove(path + start + stem, path + start + ext, parsed.extension.len * sizeof(uint16_t));
        return start + stem + parsed.extension.len;
}

static bool append(char *out, size_t out_size, size_t *o, const char *s, size_t n) {
        if (n >= out_size - *o)
                return false;
        memcpy(out + *o, s, n);
        *o += n;
        out[*o] = '\0';
        return true;
}

static bool append_number(char *out, size_t out_size, size_t *o, int64_t v) {
        char digits[24];
        size_t n = 0;
        char rev[24];

        do {
                rev[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        for (size_t k = 0; k < n; k++)
                digits[k] = rev[n - 1 - k];
        return append(out, out_size, o, digits, n);
}

bool bootcount_format(struct slice stem, int64_t tries_left, int64_t tries_done, struct slice extension, char *out,
                      size_t out_size) {
        size_t o = 0;

        if (out_size == 0)
                return false;
        out[0] = '\0';
        if (!append(out, out_size, &o, stem.ptr, stem.len))
                return false;
        if (tries_left != BOOTCOUNT_UNKNOWN) {
                if (!append(out, out_size, &o, "+", 1) || !append_number(out, out_size, &o, tries_left))
                        return false;
                if (tries_done != BOOTCOUNT_UNKNOWN &&
                    (!append(out, out_size, &o, "-", 1) || !append_number(out, out_size, &o, tries_done)))
                        return false;
        }
        return append(out, out_size, &o, extension.ptr, extension.len);
}

bool bootcount_id(const struct bootcount_name *n, char *out, size_t out_size) {
        return bootcount_format(n->stem, BOOTCOUNT_UNKNOWN, BOOTCOUNT_UNKNOWN, n->extension, out, out_size);
}

bool bootcount_next_name(const struct bootcount_name *n, char *out, size_t out_size) {
        int64_t left, done;

        if (n->tries_left == BOOTCOUNT_UNKNOWN)
                return false;
        left = n->tries_left > 0 ? n->tries_left - 1 : 0;
        done = n->tries_done == BOOTCOUNT_UNKNOWN ? 1 : (n->tries_done < BOOTCOUNT_MAX ? n->tries_done + 1 : BOOTCOUNT_MAX);
        return bootcount_format(n->stem, left, done, n->extension, out, out_size);
}

/* Why the next names and not simply booting on when the rename fails (what
 * systemd-boot 252 does: "Failed to rename ..., ignoring"): a file that
 * cannot be renamed keeps its counter, so a broken entry would be booted,
 * and fail, on every boot, and fallback would never reach a good one. A
 * name that exists stands for a try that was made (or a copy of the
 * entry); counting it too only ever gives the entry fewer tries, never
 * more, and the renamed file still names what LoaderBootCountPath points
 * the OS to. */
int bootcount_pick_next_name(const struct bootcount_name *n, bootcount_taken_fn taken, void *userdata, char *out,
                             size_t out_size, unsigned *ret_tries) {
        int64_t done_now = n->tries_done == BOOTCOUNT_UNKNOWN ? 0 : n->tries_done;

        *ret_tries = 0;
        if (n->tries_left == BOOTCOUNT_UNKNOWN)
                return KEEL_E_INVALID_ARGUMENT;
        for (unsigned k = 1; k <= BOOTCOUNT_PICK_MAX; k++) {
                int64_t left = n->tries_left > (int64_t) k ? n->tries_left - (int64_t) k : 0;
                int64_t done = done_now > BOOTCOUNT_MAX - (int64_t) k ? BOOTCOUNT_MAX : done_now + (int64_t) k;

                if (!bootcount_format(n->stem, left, done, n->extension, out, out_size))
                        return KEEL_E_VALUE_TOO_LONG;
                if (left == n->tries_left && done == n->tries_done)
                        return KEEL_OK; /* at its floor: the counter cannot move */
                if (!taken(userdata, out)) {
                        *ret_tries = k;
                        return KEEL_OK;
                }
                if (left == 0 && done == BOOTCOUNT_MAX)
                        break; /* every further name is this one */
        }
        return KEEL_E_BOOTCOUNT_NO_FREE_NAME;
}
