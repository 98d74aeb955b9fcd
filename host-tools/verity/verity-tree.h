/* SPDX-License-Identifier: MIT */
/* The dm-verity hash tree, computed or checked with all cores: each level
 * is cut into runs of hash blocks that worker threads hash independently
 * (OpenSSL EVP; SHA-NI where the CPU has it), streaming the data through
 * small per-thread buffers. Memory stays a few MiB per thread whatever the
 * device size. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/verity.h"

struct verity_tree {
        struct verity_superblock sb; /* algorithm, block sizes, data_blocks, salt (uuid unused here) */
        struct verity_geometry geometry;
        bool superblock;
        uint64_t hash_offset;
        unsigned threads;
        /* Open descriptors and names for messages; the tree never closes them. */
        int data_fd;
        const char *data_name;
        int hash_fd;
        const char *hash_name;
};

/* Fills t->geometry from the other fields; logs and returns -1 on
 * parameters that do not make a tree. */
int verity_tree_plan(struct verity_tree *t);

/* Writes the superblock (when t->superblock) and every level of the tree to
 * t->hash_fd, bottom level first, and returns the root hash (digest_size
 * bytes). Bytes between the superblock and the tree are not touched, as
 * veritysetup leaves them. */
int verity_tree_build(const struct verity_tree *t, uint8_t *ret_root_hash);

/* Checks the tree top down, from the root hash to the data: the first block
 * that does not match its parent's digest is reported in one log line
 * (position, device, level). Returns 0 when every block matches. */
int verity_tree_verify(const struct verity_tree *t, const uint8_t *root_hash);

/* The number of CPUs this process may run on (at least 1). */
unsigned verity_default_threads(void);
