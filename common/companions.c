/* SPDX-License-Identifier: MIT */
#include "companions.h"
#include "error.h"
#include "strutil.h"

#define HEADER_SIZE 110
#define FIELD(n) (6 + 8 * (n)) /* offset of the n-th 8-digit field */
#define TRAILER "TRAILER!!!"
#define MODE_TYPE 0170000u
#define MODE_DIRECTORY 0040000u
#define MODE_REGULAR 0100000u
#define PERMISSIONS_ALLOWED 0555u

static const struct {
        const char *dir, *suffix;
} kinds[] = {
        { ".extra/credentials/", ".cred" },
        { ".extra/sysext/", ".sysext.raw" },
        { ".extra/confext/", ".confext.raw" },
};

static bool hex8(const uint8_t *p, uint32_t *ret) {
        uint32_t v = 0;

        for (size_t i = 0; i < 8; i++) {
                uint8_t c = p[i];
                uint32_t d = c >= '0' && c <= '9' ? (uint32_t) (c - '0')
                           : c >= 'a' && c <= 'f' ? (uint32_t) (c - 'a' + 10)
                           : c >= 'A' && c <= 'F' ? (uint32_t) (c - 'A' + 10) : 16;
                if (d > 15)
                        return false;
                v = v << 4 | d;
        }
        *ret = v;
        return true;
}

static size_t pad4(size_t n) {
        return (4 - (n & 3)) & 3;
}

static bool is_directory_path(struct slice p) {
        return slice_eq(p, ".extra") || slice_eq(p, ".extra/credentials") || slice_eq(p, ".extra/sysext") ||
               slice_eq(p, ".extra/confext");
}

static bool is_file_path(struct slice p) {
        for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
                size_t d = strlen(kinds[k].dir), s = strlen(kinds[k].suffix);
                struct slice name;

                if (!slice_has_prefix(p, kinds[k].dir) || p.len <= d + s)
                        continue;
                name = slice_from(p.ptr + d, p.len - d);
                if (!slice_has_suffix_nocase(name, kinds[k].suffix))
                        continue;
                for (size_t i = 0; i < name.len; i++)
                        if ((uint8_t) name.ptr[i] < 0x20 || (uint8_t) name.ptr[i] > 0x7e || name.ptr[i] == '/')
                                return false;
                return true;
        }
        return false;
}

/* One entry at buf[*o]: checked and stepped over; *ret_trailer when it ends an archive. */
static int check_entry(const uint8_t *buf, size_t size, size_t *o, bool *ret_trailer) {
        uint32_t mode, uid, gid, nlink, filesize, namesize;
        size_t left = size - *o, name_end, data_end;
        const uint8_t *h = buf + *o;
        struct slice name;

        if (left < HEADER_SIZE)
                return KEEL_E_COMPANIONS_TRUNCATED;
        if (memcmp(h, "070701", 6) != 0)
                return KEEL_E_COMPANIONS_NOT_NEWC;
        if (!hex8(h + FIELD(1), &mode) || !hex8(h + FIELD(2), &uid) || !hex8(h + FIELD(3), &gid) ||
            !hex8(h + FIELD(4), &nlink) || !hex8(h + FIELD(6), &filesize) || !hex8(h + FIELD(11), &namesize))
                return KEEL_E_COMPANIONS_BAD_HEADER;
        if (namesize < 2 || namesize > left - HEADER_SIZE)
                return KEEL_E_COMPANIONS_TRUNCATED;
        if (h[HEADER_SIZE + namesize - 1] != 0)
                return KEEL_E_COMPANIONS_BAD_HEADER;
        name = slice_from((const char *) h + HEADER_SIZE, namesize - 1);
        for (size_t i = 0; i < name.len; i++)
                if (name.ptr[i] == '\0')
                        return KEEL_E_COMPANIONS_BAD_HEADER;
        name_end = HEADER_SIZE + namesize;
        name_end += pad4(name_end);
        if (name_end > left || filesize > left - name_end || pad4(filesize) > left - name_end - filesize)
                return KEEL_E_COMPANIONS_TRUNCATED;
        data_end = name_end + filesize + pad4(filesize);

        *ret_trailer = slice_eq(name, TRAILER);
        if (!*ret_trailer) {
                uint32_t type = mode & MODE_TYPE;
                if (uid != 0 || gid != 0 || (mode & ~MODE_TYPE & ~PERMISSIONS_ALLOWED) != 0)
                        return KEEL_E_COMPANIONS_BAD_ENTRY;
                if (type == MODE_DIRECTORY) {
                        if (filesize != 0 || !is_directory_path(name))
                                return KEEL_E_COMPANIONS_NOT_EXTRA;
                } else if (type == MODE_REGULAR) {
                        if (nlink != 1)
                                return KEEL_E_COMPANIONS_BAD_ENTRY;
                        if (!is_file_path(name))
                                return KEEL_E_COMPANIONS_NOT_EXTRA;
                } else
                        return KEEL_E_COMPANIONS_BAD_ENTRY;
        }
        *o += data_end;
        return KEEL_OK;
}

int companions_check(const void *buf, size_t size) {
        const uint8_t *b = buf;
        size_t o = 0;
        bool in_archive = false, any = false;

        if (!buf || size == 0 || size > COMPANIONS_SIZE_MAX)
                return KEEL_E_COMPANIONS_TRUNCATED;
        while (o < size) {
                bool trailer = false;
                int r;

                /* Between archives the kernel skips zero bytes. */
                if (!in_archive && b[o] == 0) {
                        o++;
                        continue;
                }
                r = check_entry(b, size, &o, &trailer);
                if (r != KEEL_OK)
                        return r;
                in_archive = !trailer;
                any = true;
        }
        if (in_archive)
                return KEEL_E_COMPANIONS_TRUNCATED;
        return any ? KEEL_OK : KEEL_E_COMPANIONS_TRUNCATED;
}
