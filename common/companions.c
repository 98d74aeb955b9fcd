/* SPDX-License-Identifier: MIT */
#include "companions.h"
#include "error.h"
#include "sidecar.h"

#define HEADER_SIZE 110u
#define HEADER_FIELDS 13u
#define MAGIC_SIZE 6u
#define TRAILER "TRAILER!!!"
#define MODE_TYPE 0170000u
#define MODE_DIRECTORY 0040000u
#define MODE_REGULAR 0100000u
/* What systemd-boot (and keel's loader) write for the leading ".extra". */
#define EXTRA_DIR_MODE 0555u

/* The numbered fields of a newc header, after its magic. */
enum {
        FIELD_INODE,
        FIELD_MODE,
        FIELD_UID,
        FIELD_GID,
        FIELD_NLINK,
        FIELD_MTIME,
        FIELD_FILESIZE,
        FIELD_DEVMAJOR,
        FIELD_DEVMINOR,
        FIELD_RDEVMAJOR,
        FIELD_RDEVMINOR,
        FIELD_NAMESIZE,
        FIELD_CHECK,
};

struct entry {
        uint32_t field[HEADER_FIELDS];
        struct slice name;
};

static bool hex8(const uint8_t *p, uint32_t *ret_value) {
        uint32_t v = 0;

        for (size_t i = 0; i < 8; i++) {
                uint8_t c = p[i];
                uint32_t d;

                if (c >= '0' && c <= '9')
                        d = (uint32_t) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (uint32_t) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        d = (uint32_t) (c - 'A' + 10);
                else
                        return false;
                v = v << 4 | d;
        }
        *ret_value = v;
        return true;
}

static size_t pad4(size_t n) {
        return (4 - (n & 3)) & 3;
}

/* Reads the header, name and data extent of the entry at the start of
 * buf[0..left); *ret_size is how far the next entry starts (padding
 * included). Only structure here; what the entry may be is checked after. */
static int read_entry(const uint8_t *buf, size_t left, struct entry *ret_entry, size_t *ret_size) {
        struct entry e = {};
        size_t o, data_size;

        if (left < HEADER_SIZE)
                return KEEL_E_COMPANIONS_TRUNCATED;
        if (memcmp(buf, "070701", MAGIC_SIZE) != 0)
                return KEEL_E_COMPANIONS_NOT_NEWC;
        for (size_t i = 0; i < HEADER_FIELDS; i++)
                if (!hex8(buf + MAGIC_SIZE + 8 * i, &e.field[i]))
                        return KEEL_E_COMPANIONS_BAD_NUMBER;
        o = HEADER_SIZE;
        if (e.field[FIELD_NAMESIZE] < 2 || e.field[FIELD_NAMESIZE] > left - o)
                return KEEL_E_COMPANIONS_TRUNCATED;
        e.name = slice_from((const char *) buf + o, e.field[FIELD_NAMESIZE] - 1);
        if (buf[o + e.name.len] != '\0')
                return KEEL_E_COMPANIONS_BAD_NAME;
        for (size_t i = 0; i < e.name.len; i++)
                if (e.name.ptr[i] == '\0')
                        return KEEL_E_COMPANIONS_BAD_NAME;
        o += e.field[FIELD_NAMESIZE];
        if (pad4(o) > left - o)
                return KEEL_E_COMPANIONS_TRUNCATED;
        o += pad4(o);
        data_size = e.field[FIELD_FILESIZE];
        if (data_size > left - o || pad4(data_size) > left - o - data_size)
                return KEEL_E_COMPANIONS_TRUNCATED;
        o += data_size + pad4(data_size);
        *ret_entry = e;
        *ret_size = o;
        return KEEL_OK;
}

/* The permissions path must have, as a directory (is_dir) or a file: 0 for
 * a path that is no companion at all. */
static uint32_t expected_permissions(struct slice path, bool is_dir) {
        if (is_dir && slice_eq(path, ".extra"))
                return EXTRA_DIR_MODE;
        for (size_t k = 0; k < ENTRY_EXTRA_KINDS; k++) {
                const struct sidecar_kind *kind = &entry_extra_kinds[k];
                size_t dir_len = strlen(kind->target);
                struct slice name;

                if (is_dir && slice_eq(path, kind->target))
                        return kind->dir_mode;
                if (is_dir || !slice_has_prefix(path, kind->target) || path.len <= dir_len ||
                    path.ptr[dir_len] != '/')
                        continue;
                name = slice_from(path.ptr + dir_len + 1, path.len - dir_len - 1);
                /* A file name the loader could have packed. */
                if (slice_has_suffix_nocase(name, kind->suffix) && entry_extra_name_is_valid(name, kind->suffix))
                        return kind->file_mode;
        }
        return 0;
}

/* Whether an entry other than the trailer is one of the companions. */
static int check_companion(const struct entry *e) {
        uint32_t type = e->field[FIELD_MODE] & MODE_TYPE, permissions;
        bool is_dir = type == MODE_DIRECTORY;

        if (e->field[FIELD_UID] != 0 || e->field[FIELD_GID] != 0)
                return KEEL_E_COMPANIONS_BAD_OWNER;
        if (type != MODE_DIRECTORY && type != MODE_REGULAR)
                return KEEL_E_COMPANIONS_BAD_TYPE;
        /* The kernel links a regular file with more than one link to an
         * earlier one of the same inode; a directory carries no data. */
        if (is_dir ? e->field[FIELD_FILESIZE] != 0 : e->field[FIELD_NLINK] != 1)
                return KEEL_E_COMPANIONS_BAD_TYPE;
        permissions = expected_permissions(e->name, is_dir);
        if (permissions == 0)
                return KEEL_E_COMPANIONS_NOT_EXTRA;
        if ((e->field[FIELD_MODE] & ~MODE_TYPE) != permissions)
                return KEEL_E_COMPANIONS_BAD_MODE;
        return KEEL_OK;
}

int companions_check(const void *buf, size_t size) {
        const uint8_t *b = buf;
        size_t o = 0;
        bool in_archive = false, any = false;

        if (!buf || size == 0)
                return KEEL_E_COMPANIONS_EMPTY;
        if (size > COMPANIONS_SIZE_MAX)
                return KEEL_E_COMPANIONS_TOO_LARGE;
        while (o < size) {
                struct entry e;
                size_t entry_size;
                int r;

                /* Between archives the kernel skips zero bytes, and takes
                 * the next archive only at a 4-byte boundary. */
                if (!in_archive && b[o] == 0) {
                        o++;
                        continue;
                }
                if (!in_archive && (o & 3) != 0)
                        return KEEL_E_COMPANIONS_MISALIGNED;
                r = read_entry(b + o, size - o, &e, &entry_size);
                if (r != KEEL_OK)
                        return r;
                in_archive = !slice_eq(e.name, TRAILER);
                if (in_archive) {
                        r = check_companion(&e);
                        if (r != KEEL_OK)
                                return r;
                        any = true;
                }
                o += entry_size;
        }
        if (in_archive)
                return KEEL_E_COMPANIONS_UNTERMINATED;
        return any ? KEEL_OK : KEEL_E_COMPANIONS_EMPTY;
}
