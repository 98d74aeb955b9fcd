/* SPDX-License-Identifier: MIT */
/* Argument checks and device handling shared by `keel verity`, `keel image`
 * and `keel uki build --roothash`. Every function logs its own error and
 * returns -1. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "host-tools/core/fileio.h"
#include "common/verity.h"

/* A non-negative decimal number, nothing else. */
int parse_size_arg(const char *option, const char *text, uint64_t *ret);

/* A hash name veritysetup knows, copied into a superblock's field. */
int verity_algorithm_arg(const char *text, char ret[VERITY_ALGORITHM_MAX]);

/* --salt: "-" for none, or up to 256 bytes of hex. */
int verity_salt_arg(const char *text, uint8_t ret[VERITY_SALT_MAX], uint16_t *ret_size);

/* A root hash as hex: the digest size of one of the known algorithms (20,
 * 28, 32, 48 or 64 bytes). ret gets the bytes, ret_hex lower-case hex. */
int verity_roothash_arg(const char *option, const char *text, uint8_t ret[VERITY_DIGEST_MAX], size_t *ret_size,
                        char ret_hex[2 * VERITY_DIGEST_MAX + 1]);

/* A random version 4 UUID, as veritysetup makes one. */
int verity_random_uuid(uint8_t ret[VERITY_UUID_SIZE]);

/* A data or hash device opened for reading: a regular file or a block device. */
struct verity_device {
        int fd;
        const char *path;
        uint64_t size;
        struct stat st;
};
int verity_device_open(const char *path, bool sequential, struct verity_device *ret);
void verity_device_close(struct verity_device *d);

/* Reads and checks the superblock at offset; the message names the device. */
int verity_read_superblock(const struct verity_device *d, uint64_t offset, struct verity_superblock *ret);

/* Where `keel verity format` writes. A block device is written in place. A
 * regular file is rebuilt in a temporary next to it (starting from a copy of
 * its old contents, so that bytes outside the hash area stay as veritysetup
 * would leave them) and renamed over it only once complete and on disk. */
struct verity_output {
        int fd;
        const char *path;
        bool in_place;
        mode_t mode;
        struct atomic_file file;
};

/* data is the device being hashed: when it is the same file or device as
 * path, the hash area (from hash_offset) must lie after data_end. hash_end
 * is the end of the hash area in bytes. */
int verity_output_open(const char *path, const struct verity_device *data, uint64_t data_end, uint64_t hash_offset,
                       uint64_t hash_end, struct verity_output *ret);
/* Grows a regular file to at least size bytes (zeros); block devices keep theirs. */
int verity_output_extend(struct verity_output *o, uint64_t size);
int verity_output_commit(struct verity_output *o);
void verity_output_close(struct verity_output *o);

/* The hash-tree options `keel verity` and `keel image` share. */
struct verity_tree_options {
        const char *algorithm;    /* NULL: sha256 */
        uint64_t data_block_size; /* 0: not given, 4096 */
        uint64_t hash_block_size; /* 0: not given, 4096 */
        const char *salt;         /* NULL: chosen by the command */
        uint64_t threads;         /* 0: not given, one per core */
};

#define VERITY_TREE_LONG_OPTIONS                                        \
        { "hash", required_argument, NULL, 'a' },                       \
        { "data-block-size", required_argument, NULL, 'd' },            \
        { "hash-block-size", required_argument, NULL, 'b' },            \
        { "salt", required_argument, NULL, 's' },                       \
        { "threads", required_argument, NULL, 't' }

/* Takes getopt's result c when it is one of VERITY_TREE_LONG_OPTIONS:
 * returns 1 when handled, 0 when c is not one of them, -1 (logged) on a
 * bad value. Block sizes and --threads are checked here, so a given value
 * is never 0. */
int verity_tree_option(const char *command, int c, const char *arg, struct verity_tree_options *o);
