/* SPDX-License-Identifier: MIT */
#include "cpio.h"
#include "error.h"

#define CPIO_HEADER_SIZE 110
#define CPIO_TRAILER_NAME "TRAILER!!!"
/* The entry's name can be a directory plus a file name: room for both. */
#define CPIO_JOINED_MAX (CPIO_PATH_MAX + 1)

void cpio_writer_init(struct cpio_writer *w, void *buf, size_t size) {
        *w = (struct cpio_writer) { .buf = buf, .size = buf ? size : SIZE_MAX, .next_inode = 1 };
}

static size_t pad4(size_t n) {
        return (4 - (n & 3)) & 3;
}

/* Appends n bytes of data (or zeros when data is NULL); counts only when the
 * writer has no buffer. The caller has checked there is room. */
static void put(struct cpio_writer *w, const void *data, size_t n) {
        if (w->buf) {
                if (data)
                        memcpy(w->buf + w->used, data, n);
                else
                        memset(w->buf + w->used, 0, n);
        }
        w->used += n;
}

static void put_hex8(struct cpio_writer *w, uint32_t v) {
        static const char digits[] = "0123456789abcdef";
        char s[8];

        for (int i = 7; i >= 0; i--, v >>= 4)
                s[i] = digits[v & 0xf];
        put(w, s, sizeof(s));
}

static int add_entry(struct cpio_writer *w, const char *name, size_t name_len, uint32_t mode, uint32_t nlink,
                     const void *data, size_t len) {
        size_t name_field = name_len + 1, need;

        if (name_len == 0 || name_len > CPIO_PATH_MAX)
                return KEEL_E_CPIO_BAD_NAME;
        if (len > UINT32_MAX)
                return KEEL_E_CPIO_TOO_LARGE;
        /* All terms are bounded (4 KiB name, 4 GiB data): no overflow on 64 bits,
         * and on 32 bits len <= UINT32_MAX is checked against the room below. */
        need = CPIO_HEADER_SIZE + name_field + pad4(CPIO_HEADER_SIZE + name_field);
        if (need > w->size - w->used || len + pad4(len) > w->size - w->used - need)
                return KEEL_E_CPIO_NO_ROOM;

        put(w, "070701", 6);
        put_hex8(w, w->next_inode++);
        put_hex8(w, mode);
        put_hex8(w, 0);              /* uid */
        put_hex8(w, 0);              /* gid */
        put_hex8(w, nlink);
        put_hex8(w, 0);              /* mtime: reproducible */
        put_hex8(w, (uint32_t) len);
        for (int i = 0; i < 4; i++)  /* devmajor, devminor, rdevmajor, rdevminor */
                put_hex8(w, 0);
        put_hex8(w, (uint32_t) name_field);
        put_hex8(w, 0);              /* check: unused by newc */
        put(w, name, name_len);
        put(w, NULL, 1 + pad4(CPIO_HEADER_SIZE + name_field));
        if (len > 0)
                put(w, data, len);
        put(w, NULL, pad4(len));
        return KEEL_OK;
}

/* Relative and not the trailer's name: the kernel's unpacker would take an
 * entry called that for the end of the archive. len is the path's strlen(),
 * so it holds no NUL (checking again made every prefix of a deep path cost
 * its whole length). */
static bool path_is_valid(const char *path, size_t len) {
        if (len == 0 || path[0] == '/')
                return false;
        return !(len == sizeof(CPIO_TRAILER_NAME) - 1 && memcmp(path, CPIO_TRAILER_NAME, len) == 0);
}

int cpio_add_directory(struct cpio_writer *w, const char *path, uint32_t permissions) {
        size_t len = path ? strlen(path) : 0;

        if (!path_is_valid(path, len))
                return KEEL_E_CPIO_BAD_NAME;
        /* nlink 1, as systemd-stub writes directories. */
        return add_entry(w, path, len, CPIO_MODE_DIRECTORY | (permissions & 07777), 1, NULL, 0);
}

int cpio_add_file(struct cpio_writer *w, const char *path, uint32_t permissions, const void *data, size_t len) {
        size_t path_len = path ? strlen(path) : 0;

        if (!path_is_valid(path, path_len))
                return KEEL_E_CPIO_BAD_NAME;
        if (!data && len > 0)
                return KEEL_E_INVALID_ARGUMENT;
        return add_entry(w, path, path_len, CPIO_MODE_REGULAR | (permissions & 07777), 1, data, len);
}

/* The trailer exactly as systemd-stub writes it (inode 0, nlink 1, its name
 * size in upper-case hex): the archives of credentials and extensions are
 * measured whole, so every byte must be systemd-stub's for PCR 12 and 13 to
 * be what its users predict. */
static const char cpio_trailer[] = "070701"
                                   "00000000" "00000000" "00000000" "00000000" "00000001" "00000000" "00000000"
                                   "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000"
                                   CPIO_TRAILER_NAME "\0\0\0";

int cpio_add_trailer(struct cpio_writer *w) {
        /* 110 header bytes, the name with its NUL, padded to 4: 124. */
        size_t n = sizeof(cpio_trailer);

        if (n > w->size - w->used)
                return KEEL_E_CPIO_NO_ROOM;
        put(w, cpio_trailer, n);
        return KEEL_OK;
}

int cpio_add_prefix(struct cpio_writer *w, const char *path, uint32_t dir_permissions) {
        char part[CPIO_JOINED_MAX];
        size_t len = path ? strlen(path) : 0;
        int r;

        if (len == 0 || len > CPIO_PATH_MAX)
                return KEEL_E_CPIO_BAD_NAME;
        /* Every leading directory 0555 (as mkdir -p would need them), the
         * last one with its own mode; empty components ("a//b") skipped. */
        for (size_t i = 1; i < len; i++) {
                if (path[i] != '/' || path[i - 1] == '/')
                        continue;
                memcpy(part, path, i);
                part[i] = '\0';
                r = cpio_add_directory(w, part, 0555);
                if (r != KEEL_OK)
                        return r;
        }
        return cpio_add_directory(w, path, dir_permissions);
}

/* dir + '/' + name into out (room for CPIO_JOINED_MAX). */
static int join_path(const char *dir, const char *name, char *out) {
        size_t d = dir ? strlen(dir) : 0, n = name ? strlen(name) : 0;

        if (d == 0 || n == 0 || d > CPIO_PATH_MAX - 1 || n > CPIO_PATH_MAX - d - 1)
                return KEEL_E_CPIO_BAD_NAME;
        for (size_t i = 0; i < n; i++)
                if (name[i] == '/')
                        return KEEL_E_CPIO_BAD_NAME;
        memcpy(out, dir, d);
        out[d] = '/';
        memcpy(out + d + 1, name, n);
        out[d + 1 + n] = '\0';
        return KEEL_OK;
}

int cpio_pack_directory(struct cpio_writer *w, const char *dir, uint32_t dir_permissions, uint32_t file_permissions,
                        const struct cpio_file *files, size_t n_files) {
        char joined[CPIO_JOINED_MAX];
        size_t mark = w->used;
        uint32_t inode_mark = w->next_inode;
        int r;

        if (n_files > 0 && !files)
                return KEEL_E_INVALID_ARGUMENT;
        r = cpio_add_prefix(w, dir, dir_permissions);
        for (size_t i = 0; r == KEEL_OK && i < n_files; i++) {
                r = join_path(dir, files[i].name, joined);
                if (r == KEEL_OK)
                        r = cpio_add_file(w, joined, file_permissions, files[i].data, files[i].size);
        }
        if (r == KEEL_OK)
                r = cpio_add_trailer(w);
        if (r != KEEL_OK) {
                /* Nothing half-written: the archive is all or nothing. */
                w->used = mark;
                w->next_inode = inode_mark;
        }
        return r;
}

int cpio_pack_file_in_directory(struct cpio_writer *w, const char *dir, uint32_t dir_permissions, const char *name,
                                uint32_t file_permissions, const void *data, size_t len) {
        struct cpio_file f = { .name = name, .data = data, .size = len };

        /* One file: a name that is missing or has a '/' is the caller's error
         * even before the directory is looked at. */
        if (!name || !name[0])
                return KEEL_E_CPIO_BAD_NAME;
        return cpio_pack_directory(w, dir, dir_permissions, file_permissions, &f, 1);
}
