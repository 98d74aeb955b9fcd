/* SPDX-License-Identifier: MIT */
/* libFuzzer target for what the stub does with the names and bytes of a
 * drop-in directory before the kernel sees them: the name rules and the
 * bounded sorted list (common/dropin.c), then one archive of the kept files
 * (cpio_pack_directory()). Input: a buffer-size byte, a max-names byte, the
 * target directory up to a NUL, then entries "NAME\0" + 2-byte length +
 * data (names are bytes widened to UTF-16 units, so non-ASCII and control
 * characters occur). The list stays sorted and bounded; counting and
 * writing agree; an exact buffer works and any smaller one fails without
 * writing; the archive parses back to exactly the prefix directories, the
 * kept files with their bytes, and the trailer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cpio.h"
#include "common/dropin.h"
#include "common/error.h"
#include "fuzz-newc.h"

#define MAX_ENTRIES 64

/* One entry at *o: checks its name and bytes, advances. */
static void expect_entry(const uint8_t *a, size_t len, size_t *o, const char *name, uint32_t type,
                         const uint8_t *data, size_t data_len) {
        size_t n = strlen(name), name_end;
        uint32_t mode, size, name_size;

        check(len - *o >= 110 && memcmp(a + *o, "070701", 6) == 0);
        mode = hex8(a + *o + 6 + 8);
        size = hex8(a + *o + 6 + 8 * 6);
        name_size = hex8(a + *o + 6 + 8 * 11);
        check((mode & 0170000) == type && size == data_len && name_size == n + 1);
        check(name_size <= len - *o - 110 && memcmp(a + *o + 110, name, n + 1) == 0);
        name_end = (110 + name_size + 3) & ~(size_t) 3;
        check(name_end <= len - *o);
        *o += name_end;
        check(size <= len - *o && (size == 0 || memcmp(a + *o, data, size) == 0));
        *o += ((size_t) size + 3) & ~(size_t) 3;
        check(*o <= len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const uint16_t suffix[] = { '.', 'c', 'r', 'e', 'd', 0 };
        static const uint16_t exclude[] = { '.', 'x', '.', 'c', 'r', 'e', 'd', 0 };
        uint16_t *wide[MAX_ENTRIES] = { 0 };
        const uint16_t *kept[MAX_ENTRIES + 1];
        const uint8_t *payload[MAX_ENTRIES];
        size_t payload_len[MAX_ENTRIES];
        struct cpio_file files[MAX_ENTRIES];
        char *names[MAX_ENTRIES] = { 0 }, *dir = NULL, joined[CPIO_PATH_MAX + 2];
        size_t n_entries = 0, n_kept = 0, drops = 0, takes = 0, o, need, smaller, max_names;
        const uint8_t *p, *nul;
        struct cpio_writer w;
        uint8_t pick, *buf;
        int r;

        if (size < 2)
                return 0;
        pick = data[0];
        max_names = (size_t) data[1] % (MAX_ENTRIES + 1);
        p = data + 2;
        size -= 2;
        nul = memchr(p, 0, size);
        if (!nul)
                return 0;
        dir = strndup((const char *) p, (size_t) (nul - p));
        check(dir != NULL);
        size -= (size_t) (nul - p) + 1;
        p = nul + 1;

        while (size > 0 && n_entries < MAX_ENTRIES) {
                size_t name_len, dlen;
                enum dropin_verdict v;
                const uint16_t *dropped;
                uint16_t *u;

                nul = memchr(p, 0, size);
                if (!nul)
                        break;
                name_len = (size_t) (nul - p);
                u = calloc(name_len + 1, sizeof(uint16_t));
                check(u != NULL);
                for (size_t i = 0; i < name_len; i++)
                        u[i] = p[i] == 0xff ? 0x20ac : p[i];  /* one unit outside Latin-1 too */
                size -= name_len + 1;
                p = nul + 1;
                dlen = size >= 2 ? (size_t) (p[0] | p[1] << 8) : 0;
                if (size >= 2) {
                        p += 2;
                        size -= 2;
                }
                if (dlen > size)
                        dlen = size;
                wide[n_entries] = u;
                payload[n_entries] = p;
                payload_len[n_entries] = dlen;
                p += dlen;
                size -= dlen;

                v = dropin_check_name(u, name_len + 1, suffix, exclude);
                if (v == DROPIN_TAKE) {
                        takes++;
                        check(name_len <= DROPIN_NAME_MAX);
                        for (size_t i = 0; i < name_len; i++)
                                check(u[i] >= 0x20 && u[i] < 0x7f && u[i] != '/' && u[i] != '\\');
                        if (!dropin_keep_sorted(kept, &n_kept, max_names, u, &dropped) || dropped)
                                drops++;
                }
                n_entries++;
        }
        check(n_kept <= max_names && n_kept == takes - drops);
        for (size_t i = 1; i < n_kept; i++)
                check(dropin_name_compare(kept[i - 1], kept[i]) <= 0);

        /* The kept names with their bytes, as the stub packs them. */
        for (size_t i = 0; i < n_kept; i++) {
                size_t e = 0, len = 0;
                while (wide[e] != kept[i])
                        e++;
                while (kept[i][len])
                        len++;
                names[i] = malloc(len + 1);
                check(names[i] != NULL);
                for (size_t j = 0; j < len; j++)
                        names[i][j] = (char) kept[i][j];
                names[i][len] = '\0';
                files[i] = (struct cpio_file) { .name = names[i], .data = payload[e], .size = payload_len[e] };
        }
        cpio_writer_init(&w, NULL, 0);
        r = cpio_pack_directory(&w, dir, 0500, 0400, files, n_kept);
        if (r != KEEL_OK) {
                check((r == KEEL_E_CPIO_BAD_NAME) && w.used == 0);
                goto out;
        }
        need = w.used;
        buf = malloc(need);
        check(buf != NULL);
        cpio_writer_init(&w, buf, need);
        check(cpio_pack_directory(&w, dir, 0500, 0400, files, n_kept) == KEEL_OK && w.used == need);

        /* Parse back: prefix directories, the files, the trailer, nothing else. */
        o = 0;
        for (size_t i = 1, d = strlen(dir); i < d; i++)
                if (dir[i] == '/' && dir[i - 1] != '/') {
                        char part[CPIO_PATH_MAX + 1];
                        memcpy(part, dir, i);
                        part[i] = '\0';
                        expect_entry(buf, need, &o, part, 0040000, NULL, 0);
                }
        expect_entry(buf, need, &o, dir, 0040000, NULL, 0);
        for (size_t i = 0; i < n_kept; i++) {
                size_t d = strlen(dir), n = strlen(names[i]);
                check(d + 1 + n <= CPIO_PATH_MAX);
                memcpy(joined, dir, d);
                joined[d] = '/';
                memcpy(joined + d + 1, names[i], n + 1);
                expect_entry(buf, need, &o, joined, 0100000, files[i].data, files[i].size);
        }
        expect_entry(buf, need, &o, "TRAILER!!!", 0, NULL, 0);
        check(o == need);
        free(buf);

        smaller = (size_t) pick * (need - 1) / 255;
        buf = malloc(smaller ? smaller : 1);
        check(buf != NULL);
        cpio_writer_init(&w, buf, smaller);
        check(cpio_pack_directory(&w, dir, 0500, 0400, files, n_kept) == KEEL_E_CPIO_NO_ROOM && w.used == 0);
        free(buf);
out:
        for (size_t i = 0; i < n_entries; i++)
                free(wide[i]);
        for (size_t i = 0; i < n_kept; i++)
                free(names[i]);
        free(dir);
        return 0;
}
