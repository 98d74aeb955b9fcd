/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "host-tools/core/log.h"
#include "host-tools/image/image-tools.h"
#include "host-tools/image/root-image.h"
#include "common/error.h"

#define MIB (UINT64_C(1) << 20)
/* erofs gets a fixed file system UUID so that builds are reproducible. */
#define EROFS_UUID "6b65656c-696d-4167-a500-65726f667321"

int root_image_temp_file(const char *path, const char *tag, char **ret_path) {
        const char *tmpdir = getenv("TMPDIR");
        char *copy = path ? strdup(path) : NULL, *name;
        const char *dir = copy ? dirname(copy) : (tmpdir && *tmpdir ? tmpdir : "/tmp");
        int fd;

        if (asprintf(&name, "%s/.keel-image-%s.XXXXXX", dir, tag) < 0) {
                free(copy);
                return log_error("out of memory");
        }
        free(copy);
        fd = mkostemp(name, O_CLOEXEC);
        if (fd < 0) {
                int e = errno;
                free(name);
                return log_errno(e, "cannot create a temporary file for the %s", tag);
        }
        *ret_path = name;
        return fd;
}

static int build_file_system(const char *root_dir, const char *fs, const char *path) {
        struct stat st;

        if (stat(root_dir, &st) < 0)
                return log_errno(errno, "--root %s", root_dir);
        if (!S_ISDIR(st.st_mode))
                return log_error("--root %s: not a directory", root_dir);
        if (strcmp(fs, "erofs") == 0) {
                const char *tool = image_tool_find("mkfs.erofs", "erofs-utils");
                const char *argv[] = { tool, "--quiet", "-T0", "--all-root", "-U" EROFS_UUID, path, root_dir, NULL };
                return tool ? image_tool_run(argv, NULL) : -1;
        } else {
                const char *tool = image_tool_find("mksquashfs", "squashfs-tools");
                const char *argv[] = { tool,         root_dir, path, "-noappend", "-all-root", "-mkfs-time", "0",
                                       "-all-time", "0",         "-quiet", "-no-progress", NULL };
                return tool ? image_tool_run(argv, NULL) : -1;
        }
}

/* The default salt: a digest of the file system image, so that the same
 * tree gives the same root hash, and different trees different salts. */
static int derive_salt(int fd, const char *path, uint64_t size, struct verity_superblock *sb) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        uint8_t *buf = malloc(MIB), digest[32];
        uint64_t done = 0;
        int r = 0;

        if (!ctx || !buf || !EVP_DigestInit_ex2(ctx, EVP_sha256(), NULL) ||
            !EVP_DigestUpdate(ctx, "keel image verity salt\n", 23))
                r = log_error("cannot compute the verity salt");
        while (r == 0 && done < size) {
                size_t want = size - done < MIB ? (size_t) (size - done) : MIB;
                ssize_t n = pread(fd, buf, want, (off_t) done);
                if (n <= 0)
                        r = log_errno(n < 0 ? errno : EIO, "cannot read %s", path);
                else if (!EVP_DigestUpdate(ctx, buf, (size_t) n))
                        r = log_error("cannot compute the verity salt");
                else
                        done += (uint64_t) n;
        }
        if (r == 0 && !EVP_DigestFinal_ex(ctx, digest, NULL))
                r = log_error("cannot compute the verity salt");
        if (r == 0) {
                memcpy(sb->salt, digest, sizeof(digest));
                sb->salt_size = sizeof(digest);
        }
        EVP_MD_CTX_free(ctx);
        free(buf);
        return r;
}

void root_image_derive_uuid(const char *label, const uint8_t *data, size_t size, uint8_t ret[VERITY_UUID_SIZE]) {
        uint8_t digest[32];
        unsigned len = 0;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();

        memset(digest, 0, sizeof(digest));
        if (ctx && EVP_DigestInit_ex2(ctx, EVP_sha256(), NULL) && EVP_DigestUpdate(ctx, label, strlen(label)) &&
            EVP_DigestUpdate(ctx, data, size))
                EVP_DigestFinal_ex(ctx, digest, &len);
        EVP_MD_CTX_free(ctx);
        memcpy(ret, digest, VERITY_UUID_SIZE);
        ret[6] = (uint8_t) ((ret[6] & 0x0f) | 0x40);
        ret[8] = (uint8_t) ((ret[8] & 0x3f) | 0x80);
}


int root_image_tree_init(const char *command, const struct verity_tree_options *o, struct verity_tree *t) {
        t->sb.version = 1;
        t->sb.hash_type = 1;
        if (verity_algorithm_arg(o->algorithm ? o->algorithm : "sha256", t->sb.algorithm) < 0)
                return -1;
        t->sb.data_block_size = o->data_block_size ? (uint32_t) o->data_block_size : 4096;
        t->sb.hash_block_size = o->hash_block_size ? (uint32_t) o->hash_block_size : 4096;
        if (!verity_block_size_valid(t->sb.data_block_size) || !verity_block_size_valid(t->sb.hash_block_size))
                return log_error("%s: %s", command, keel_strerror(KEEL_E_VERITY_BAD_BLOCK_SIZE));
        if (o->salt && verity_salt_arg(o->salt, t->sb.salt, &t->sb.salt_size) < 0)
                return -1;
        return 0;
}

int root_image_build(const char *root_dir, const char *fs, const char *near, bool salt_given, struct verity_tree *t,
                     char **ret_path) {
        char *path = NULL;
        uint64_t data_size;
        struct stat st;
        int fd;

        fd = root_image_temp_file(near, "root", &path);
        if (fd < 0)
                return -1;
        if (build_file_system(root_dir, fs, path) < 0)
                goto fail;
        /* The tool wrote a new file under the same name. */
        close(fd);
        fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                log_errno(errno, "cannot open the file system image %s", path);
                goto fail;
        }
        data_size = ((uint64_t) st.st_size + t->sb.data_block_size - 1) / t->sb.data_block_size * t->sb.data_block_size;
        if (data_size == 0) {
                log_error("the file system image is empty");
                goto fail;
        }
        if (data_size != (uint64_t) st.st_size && ftruncate(fd, (off_t) data_size) < 0) {
                log_errno(errno, "cannot pad %s", path);
                goto fail;
        }
        if (!salt_given && derive_salt(fd, path, data_size, &t->sb) < 0)
                goto fail;
        root_image_derive_uuid("keel image verity uuid\n", t->sb.salt, t->sb.salt_size, t->sb.uuid);
        t->sb.data_blocks = data_size / t->sb.data_block_size;
        t->data_fd = fd;
        t->data_name = root_dir;
        *ret_path = path;
        return fd;
fail:
        if (fd >= 0)
                close(fd);
        unlink(path);
        free(path);
        return -1;
}
