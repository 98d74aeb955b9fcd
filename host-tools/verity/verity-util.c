/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include "host-tools/core/log.h"
#include "host-tools/verity/verity-util.h"
#include "common/error.h"

int parse_size_arg(const char *option, const char *text, uint64_t *ret) {
        uint64_t v = 0;

        if (!*text)
                return log_error("%s: empty value", option);
        for (const char *p = text; *p; p++) {
                if (*p < '0' || *p > '9')
                        return log_error("%s: '%s' is not a non-negative decimal number", option, text);
                if (v > (UINT64_MAX - (uint64_t) (*p - '0')) / 10)
                        return log_error("%s: '%s' is too large", option, text);
                v = v * 10 + (uint64_t) (*p - '0');
        }
        *ret = v;
        return 0;
}

int verity_algorithm_arg(const char *text, char ret[VERITY_ALGORITHM_MAX]) {
        if (verity_digest_size(text) == 0)
                return log_error("unknown hash algorithm '%s' (known: sha1, sha224, sha256, sha384, sha512)", text);
        memset(ret, 0, VERITY_ALGORITHM_MAX);
        memcpy(ret, text, strlen(text));
        return 0;
}

int verity_salt_arg(const char *text, uint8_t ret[VERITY_SALT_MAX], uint16_t *ret_size) {
        size_t len = strlen(text), size;

        if (strcmp(text, "-") == 0) {
                *ret_size = 0;
                return 0;
        }
        if (len > 2 * VERITY_SALT_MAX)
                return log_error("--salt: %zu hex digits, at most %d (256 bytes) are allowed", len, 2 * VERITY_SALT_MAX);
        if (verity_hex_decode(text, len, ret, VERITY_SALT_MAX, &size) != KEEL_OK)
                return log_error("--salt '%s': bad hex salt (expected an even number of hex digits, or - for none)",
                                 text);
        *ret_size = (uint16_t) size;
        return 0;
}

int verity_roothash_arg(const char *option, const char *text, uint8_t ret[VERITY_DIGEST_MAX], size_t *ret_size,
                        char ret_hex[2 * VERITY_DIGEST_MAX + 1]) {
        size_t len = strlen(text), size;

        if (len > 2 * VERITY_DIGEST_MAX || verity_hex_decode(text, len, ret, VERITY_DIGEST_MAX, &size) != KEEL_OK)
                return log_error("%s '%s': not a root hash (expected hex digits)", option, text);
        if (size != 20 && size != 28 && size != 32 && size != 48 && size != 64)
                return log_error("%s: %zu hex digits is no digest size (40, 56, 64, 96 or 128 expected)", option, len);
        *ret_size = size;
        verity_hex_encode(ret, size, ret_hex);
        return 0;
}

int verity_random_uuid(uint8_t ret[VERITY_UUID_SIZE]) {
        if (getrandom(ret, VERITY_UUID_SIZE, 0) != VERITY_UUID_SIZE)
                return log_errno(errno, "cannot get random bytes for a UUID");
        ret[6] = (uint8_t) ((ret[6] & 0x0f) | 0x40); /* version 4 */
        ret[8] = (uint8_t) ((ret[8] & 0x3f) | 0x80); /* RFC 4122 variant */
        return 0;
}

static int device_size(int fd, const struct stat *st, const char *path, uint64_t *ret) {
        if (S_ISREG(st->st_mode)) {
                *ret = (uint64_t) st->st_size;
                return 0;
        }
        if (S_ISBLK(st->st_mode)) {
                if (ioctl(fd, BLKGETSIZE64, ret) < 0)
                        return log_errno(errno, "cannot get the size of %s", path);
                return 0;
        }
        return log_error("%s: not a regular file or block device", path);
}

int verity_device_open(const char *path, bool sequential, struct verity_device *ret) {
        ret->path = path;
        ret->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (ret->fd < 0)
                return log_errno(errno, "cannot open %s", path);
        if (fstat(ret->fd, &ret->st) < 0) {
                int e = errno;
                verity_device_close(ret);
                return log_errno(e, "cannot stat %s", path);
        }
        if (device_size(ret->fd, &ret->st, path, &ret->size) < 0) {
                verity_device_close(ret);
                return -1;
        }
        if (sequential)
                posix_fadvise(ret->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        return 0;
}

void verity_device_close(struct verity_device *d) {
        if (d->fd >= 0)
                close(d->fd);
        d->fd = -1;
}

int verity_read_superblock(const struct verity_device *d, uint64_t offset, struct verity_superblock *ret) {
        uint8_t buf[VERITY_SUPERBLOCK_SIZE];
        ssize_t n;
        int r;

        if (offset % 512 != 0)
                return log_error("--hash-offset %llu: %s", (unsigned long long) offset,
                                 keel_strerror(KEEL_E_VERITY_BAD_HASH_OFFSET));
        if (d->size < VERITY_SUPERBLOCK_SIZE || offset > d->size - VERITY_SUPERBLOCK_SIZE)
                return log_error("hash device %s too small: no room for a superblock at offset %llu", d->path,
                                 (unsigned long long) offset);
        n = pread(d->fd, buf, sizeof(buf), (off_t) offset);
        if (n != (ssize_t) sizeof(buf))
                return log_errno(n < 0 ? errno : EIO, "cannot read the superblock of %s", d->path);
        r = verity_superblock_parse(buf, sizeof(buf), ret);
        if (r == KEEL_E_VERITY_BAD_SIGNATURE)
                return log_error("%s: no verity superblock at offset %llu (for a bare hash tree use --no-superblock)",
                                 d->path, (unsigned long long) offset);
        if (r != KEEL_OK)
                return log_error("%s: %s", d->path, keel_strerror(r));
        return 0;
}

static bool same_device(const struct stat *a, const struct stat *b) {
        if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
                return a->st_rdev == b->st_rdev;
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

int verity_output_open(const char *path, const struct verity_device *data, uint64_t data_end, uint64_t hash_offset,
                       uint64_t hash_end, struct verity_output *ret) {
        struct stat st;
        char *real;
        int old_fd;

        ret->fd = -1;
        ret->path = path;
        ret->in_place = false;
        ret->mode = 0644;
        ret->file = (struct atomic_file) { .fd = -1 };

        if (stat(path, &st) < 0) {
                if (errno != ENOENT)
                        return log_errno(errno, "cannot stat %s", path);
                if (atomic_file_open(path, &ret->file) < 0)
                        return -1;
                ret->fd = ret->file.fd;
                return 0;
        }
        if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
                return log_error("%s: not a regular file or block device", path);
        if (same_device(&st, &data->st) && hash_offset < data_end)
                return log_error("hash area of %s overlaps the data area (use --hash-offset %llu or more)", path,
                                 (unsigned long long) data_end);

        if (S_ISBLK(st.st_mode)) {
                uint64_t size;
                ret->in_place = true;
                ret->fd = open(path, O_RDWR | O_CLOEXEC);
                if (ret->fd < 0)
                        return log_errno(errno, "cannot open %s for writing", path);
                if (ioctl(ret->fd, BLKGETSIZE64, &size) < 0)
                        return log_errno(errno, "cannot get the size of %s", path);
                if (size < hash_end)
                        return log_error("hash device %s too small: %llu bytes, the hash tree needs %llu", path,
                                         (unsigned long long) size, (unsigned long long) hash_end);
                return 0;
        }

        /* A regular file: bytes outside what format writes keep their value.
         * A symlink keeps pointing at the file, which is replaced. */
        ret->mode = st.st_mode & 07777;
        old_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (old_fd < 0)
                return log_errno(errno, "cannot open %s", path);
        real = realpath(path, NULL);
        if (!real || atomic_file_open(real, &ret->file) < 0) {
                if (!real)
                        log_errno(errno, "cannot resolve %s", path);
                free(real);
                close(old_fd);
                return -1;
        }
        free(real);
        ret->fd = ret->file.fd;
        if (st.st_size > 0 && atomic_file_append_file(&ret->file, old_fd, (uint64_t) st.st_size, NULL, NULL) < 0) {
                close(old_fd);
                return -1;
        }
        close(old_fd);
        return 0;
}

int verity_output_extend(struct verity_output *o, uint64_t size) {
        struct stat st;

        if (o->in_place)
                return 0;
        if (fstat(o->fd, &st) < 0)
                return log_errno(errno, "cannot stat %s", o->path);
        if ((uint64_t) st.st_size < size && ftruncate(o->fd, (off_t) size) < 0)
                return log_errno(errno, "cannot extend %s", o->path);
        return 0;
}

int verity_output_commit(struct verity_output *o) {
        if (o->in_place) {
                if (fsync(o->fd) < 0)
                        return log_errno(errno, "cannot flush %s", o->path);
                return 0;
        }
        return atomic_file_commit(&o->file, o->mode);
}

void verity_output_close(struct verity_output *o) {
        if (o->in_place) {
                if (o->fd >= 0)
                        close(o->fd);
        } else
                atomic_file_abort(&o->file);
        o->fd = -1;
}

/* 0 in verity_tree_options means "not given", so a given 0 must not get
 * there: it would quietly become the default where veritysetup refuses it. */
static int block_size_option(const char *command, const char *option, const char *arg, uint64_t *ret) {
        uint64_t v;

        if (parse_size_arg(option, arg, &v) < 0)
                return -1;
        if (!verity_block_size_valid(v))
                return log_error("%s: %s %s: %s", command, option, arg, keel_strerror(KEEL_E_VERITY_BAD_BLOCK_SIZE));
        *ret = v;
        return 1;
}

int verity_tree_option(const char *command, int c, const char *arg, struct verity_tree_options *o) {
        switch (c) {
        case 'a':
                o->algorithm = arg;
                return 1;
        case 'd':
                return block_size_option(command, "--data-block-size", arg, &o->data_block_size);
        case 'b':
                return block_size_option(command, "--hash-block-size", arg, &o->hash_block_size);
        case 's':
                o->salt = arg;
                return 1;
        case 't':
                if (parse_size_arg("--threads", arg, &o->threads) < 0)
                        return -1;
                if (o->threads == 0 || o->threads > 1024)
                        return log_error("%s: --threads must be from 1 to 1024", command);
                return 1;
        default:
                return 0;
        }
}
