/* SPDX-License-Identifier: MIT */
/* File input and crash-safe output for the host tools. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reads a whole regular file of at most max_size bytes into a fresh buffer
 * (with a NUL appended, not counted). Logs and returns -1 on failure. */
int read_file(const char *path, size_t max_size, uint8_t **ret_data, size_t *ret_size);

/* A read-only mapping of a whole file (NULL data for an empty file). */
struct mapped_file {
        const uint8_t *data;
        size_t size;
};
int map_file(const char *path, struct mapped_file *ret);
void unmap_file(struct mapped_file *m);

/* Output that appears under its final name only once it is complete and on
 * disk: written to a temporary in the same directory, fsync'd, renamed. */
struct atomic_file {
        int fd;
        char *final_path;
        char *temp_path;
};

int atomic_file_open(const char *path, struct atomic_file *ret);
int atomic_file_write(struct atomic_file *f, const void *data, size_t size);
int atomic_file_pwrite(struct atomic_file *f, const void *data, size_t size, off_t offset);
/* mode is applied (minus the umask) before the rename. */
int atomic_file_commit(struct atomic_file *f, mode_t mode);
/* Removes the temporary; safe after a failed or successful commit. */
void atomic_file_abort(struct atomic_file *f);

/* Writes a whole buffer to path atomically. */
int write_file_atomic(const char *path, const void *data, size_t size, mode_t mode);
