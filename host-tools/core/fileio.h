/* SPDX-License-Identifier: MIT */
/* File input and crash-safe output for the host tools. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads a whole regular file of at most max_size bytes into a fresh buffer
 * (with a NUL appended, not counted). Logs and returns -1 on failure. */
int read_file(const char *path, size_t max_size, uint8_t **ret_data, size_t *ret_size);

/* A decimal number in the sysfs file dir/name (what the kernel prints with
 * "%u\n"); false when unreadable or not such a number. */
bool read_sysfs_u64(const char *dir, const char *name, uint64_t *ret);

/* A read-only mapping of a whole file (NULL data for an empty file). */
struct mapped_file {
        const uint8_t *data;
        size_t size;
};
int map_file(const char *path, struct mapped_file *ret);
void unmap_file(struct mapped_file *m);

/* A PE image starts with a DOS header, so a shorter file is no PE image
 * whatever its bytes are. Every host path that opens a PE image asks this
 * first, so that each command says what is wrong with the file ("PATH: empty
 * file, not a PE image") instead of what a header parser makes of no bytes.
 * role (may be NULL) goes before the path, as in "stub PATH: ...". Logs and
 * returns -1 when size cannot hold a PE image, 0 otherwise. */
int pe_file_check_size(const char *role, const char *path, uint64_t size);

/* map_file() for a PE image: refuses what pe_file_check_size() refuses, so
 * that data is never NULL. */
int map_pe_file(const char *path, struct mapped_file *ret);

/* An input read in place: its first bytes are at hand for header checks,
 * the rest is copied to the output by the kernel (copy_file_range). */
#define INPUT_FILE_HEAD_MAX (64u * 1024)
struct input_file {
        int fd;
        uint64_t size;
        uint8_t head[INPUT_FILE_HEAD_MAX];
        size_t head_size;
};
int input_file_open(const char *path, struct input_file *ret);
void input_file_close(struct input_file *f);

/* Output that appears under its final name only once it is complete and on
 * disk: written to a temporary in the same directory, fsync'd, renamed.
 * The temporary is "<path>.keel-tmp-XXXXXX" (mkstemp's six characters of
 * [A-Za-z0-9]): a name no one but keel makes, so that a crashed run's
 * leftovers can be told from anyone else's files (a "BOOTX64.EFI.backup"). */
#define ATOMIC_FILE_TEMP_INFIX ".keel-tmp-"
struct atomic_file {
        int fd;
        char *final_path;
        char *temp_path;
};

int atomic_file_open(const char *path, struct atomic_file *ret);
int atomic_file_write(struct atomic_file *f, const void *data, size_t size);
int atomic_file_pwrite(struct atomic_file *f, const void *data, size_t size, off_t offset);
/* Appends size bytes of in_fd (from offset 0) to the output and hands every
 * byte, in order, to observe() (for checksums) — on another thread, so the
 * caller must not touch ctx until this returns. */
int atomic_file_append_file(struct atomic_file *f, int in_fd, uint64_t size,
                            void (*observe)(void *ctx, const void *data, size_t size), void *ctx);
/* mode is applied (minus the umask) before the rename. */
int atomic_file_commit(struct atomic_file *f, mode_t mode);
/* Removes the temporary; safe after a failed or successful commit. */
void atomic_file_abort(struct atomic_file *f);

/* Whether name (a file name without a directory) is a temporary that
 * atomic_file_open() makes: "<final>.keel-tmp-" and six characters of
 * [A-Za-z0-9], with a non-empty <final>. If so, <final> is copied to
 * ret_final (final_size bytes with its NUL; false when it does not fit). */
bool atomic_file_temporary_of(const char *name, char *ret_final, size_t final_size);

/* Writes a whole buffer to path atomically. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);

/* fsync() of a file or directory by path. Quiet: -1 with errno set, for the
 * caller's message. */
int fsync_path(const char *path);

/* Whether dir is missing or holds nothing but "." and "..": *ret_empty.
 * Logs and returns -1 when it cannot be read. */
int dir_empty_or_missing(const char *dir, bool *ret_empty);

/* mkdir -p of the directories of root + relative before its last
 * component: every '/' after relative's first byte ends one (so relative
 * "/a/b/f" makes root/a and root/a/b; root itself must exist), with mode
 * (minus the umask). Logs and returns -1 when one cannot be made or is not
 * a directory. */
int mkdir_parents_below(const char *root, const char *relative, mode_t mode);

/* SHA-256 and size of a regular file. Logs and returns -1 on failure. */
int file_sha256(const char *path, uint8_t ret_digest[32], uint64_t *ret_size);
