/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the newc writer the stub uses to hand files to the
 * OS. Input: a directory name, a file name and file data (split at the
 * first two NULs) and one byte that picks a buffer size. Counting and
 * writing must agree; a buffer of exactly that size works and every
 * smaller one fails without writing past its end (exact-size heap blocks
 * under AddressSanitizer); what is written parses back as newc. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cpio.h"
#include "common/error.h"
#include "fuzz-newc.h"

/* Walks the entries the way the kernel's unpacker does; ends at the trailer. */
static void parse_back(const uint8_t *a, size_t len) {
        size_t o = 0;

        for (;;) {
                uint32_t name_size, file_size;
                size_t name_end;

                check(len - o >= 110 && memcmp(a + o, "070701", 6) == 0);
                file_size = hex8(a + o + 6 + 8 * 6);
                name_size = hex8(a + o + 6 + 8 * 11);
                check(name_size >= 2 && name_size <= len - o - 110 && a[o + 110 + name_size - 1] == 0);
                name_end = (110 + name_size + 3) & ~(size_t) 3;
                if (name_size == 11 && memcmp(a + o + 110, "TRAILER!!!", 10) == 0) {
                        check(o + name_end == len);
                        return;
                }
                check(name_end <= len - o);
                o += name_end;
                check(file_size <= len - o);
                o += ((size_t) file_size + 3) & ~(size_t) 3;
                check(o <= len);
        }
}

static const uint8_t *next_part(const uint8_t **p, size_t *left, size_t *ret_len) {
        const uint8_t *start = *p, *nul = memchr(*p, 0, *left);
        size_t n = nul ? (size_t) (nul - start) : *left;

        *ret_len = n;
        *p += nul ? n + 1 : n;
        *left -= nul ? n + 1 : n;
        return start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const uint8_t *p = data;
        size_t left = size, dir_len, name_len, file_len, need, smaller;
        const uint8_t *dir_p, *name_p, *file;
        char *dir, *name;
        uint8_t pick, *buf;
        struct cpio_writer w;
        int r;

        if (size < 1)
                return 0;
        pick = data[0];
        p++;
        left--;
        dir_p = next_part(&p, &left, &dir_len);
        name_p = next_part(&p, &left, &name_len);
        file = p;
        file_len = left;
        dir = strndup((const char *) dir_p, dir_len);
        name = strndup((const char *) name_p, name_len);
        check(dir && name);

        cpio_writer_init(&w, NULL, 0);
        r = cpio_pack_file_in_directory(&w, dir, 0555, name, 0444, file, file_len);
        if (r != KEEL_OK) {
                check(r == KEEL_E_CPIO_BAD_NAME && w.used == 0);
                goto out;
        }
        need = w.used;

        buf = malloc(need);
        check(buf != NULL);
        cpio_writer_init(&w, buf, need);
        check(cpio_pack_file_in_directory(&w, dir, 0555, name, 0444, file, file_len) == KEEL_OK && w.used == need);
        parse_back(buf, need);
        free(buf);

        smaller = need > 0 ? (size_t) pick * (need - 1) / 255 : 0;
        buf = malloc(smaller ? smaller : 1);
        check(buf != NULL);
        cpio_writer_init(&w, buf, smaller);
        check(cpio_pack_file_in_directory(&w, dir, 0555, name, 0444, file, file_len) == KEEL_E_CPIO_NO_ROOM &&
              w.used == 0);
        free(buf);
out:
        free(dir);
        free(name);
        return 0;
}
