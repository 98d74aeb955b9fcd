/* SPDX-License-Identifier: MIT */
/* newc ("070701") cpio archives, the format the kernel unpacks into its
 * initramfs: how the stub hands the booted OS files that are not in the
 * UKI's own initrd (the signed PCR policy and its public key today;
 * credentials and system extensions), byte for byte as systemd-stub does.
 *
 * A writer without a buffer only counts, so the caller can size the buffer
 * with the same calls it then writes with. */
#pragma once

#include "util.h"

#define CPIO_MODE_DIRECTORY 0040000u
#define CPIO_MODE_REGULAR 0100000u
/* The longest path the kernel's initramfs unpacker accepts (PATH_MAX). */
#define CPIO_PATH_MAX 4095u

struct cpio_writer {
        uint8_t *buf;      /* NULL: count only */
        size_t size;       /* room in buf */
        size_t used;       /* bytes written (or counted) so far */
        uint32_t next_inode;
};

void cpio_writer_init(struct cpio_writer *w, void *buf, size_t size);

/* A directory entry (path without a leading '/', e.g. ".extra"). */
int cpio_add_directory(struct cpio_writer *w, const char *path, uint32_t permissions);

/* A regular file entry with its data. */
int cpio_add_file(struct cpio_writer *w, const char *path, uint32_t permissions, const void *data, size_t len);

/* The "TRAILER!!!" entry that ends an archive. */
int cpio_add_trailer(struct cpio_writer *w);

/* Directory path and each of its leading directories ("a" for "a/b"): the
 * leading ones 0555, path itself dir_permissions — what systemd-stub's
 * pack_cpio_prefix() writes before the files. */
int cpio_add_prefix(struct cpio_writer *w, const char *path, uint32_t dir_permissions);

struct cpio_file {
        const char *name;  /* no '/' */
        const void *data;
        size_t size;
};

/* One whole archive as systemd-stub's pack_cpio() builds it, byte for byte
 * (inodes from the writer's counter, 1 for a fresh writer; uid, gid and
 * mtime 0; nlink 1; systemd's trailer): the prefix directories of dir, then
 * dir/NAME for each file in the order given (the caller sorts), then the
 * trailer. All or nothing: on failure nothing was written. */
int cpio_pack_directory(struct cpio_writer *w, const char *dir, uint32_t dir_permissions, uint32_t file_permissions,
                        const struct cpio_file *files, size_t n_files);

/* One archive holding the prefix directories of dir (dir itself with
 * dir_permissions) and the file dir/name (mode file_permissions): what
 * systemd-stub builds for each of .pcrsig and .pcrpkey (".extra", 0555,
 * 0444). */
int cpio_pack_file_in_directory(struct cpio_writer *w, const char *dir, uint32_t dir_permissions, const char *name,
                                uint32_t file_permissions, const void *data, size_t len);
