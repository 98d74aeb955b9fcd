/* SPDX-License-Identifier: MIT */
/* A verity-protected root (or /usr) file system from a directory tree, as
 * `keel image` puts it into its data partition and `keel sysupdate source`
 * ships it as NAME_VERSION.root.raw: erofs or squashfs with fixed times and
 * UUID, padded to the data block size, the verity salt (unless given) a
 * digest of the file system image, so that the same tree gives the same
 * root hash. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host-tools/verity/verity-tree.h"
#include "host-tools/verity/verity-util.h"

/* Fills t->sb (version, type, algorithm, block sizes, a given salt) from the
 * options: command names the caller in messages. */
int root_image_tree_init(const char *command, const struct verity_tree_options *o, struct verity_tree *t);

/* Builds the file system of root_dir (fs: "erofs" or "squashfs") into a
 * temporary file next to near (or in $TMPDIR when near is NULL), pads it,
 * derives the salt unless salt_given, and sets t->sb.data_blocks, t->sb.uuid,
 * t->data_fd and t->data_name. Returns the open descriptor (the caller
 * closes it and unlinks *ret_path) or -1 after one log line. */
int root_image_build(const char *root_dir, const char *fs, const char *near, bool salt_given, struct verity_tree *t,
                     char **ret_path);

/* A temporary file next to path (or in $TMPDIR): the caller unlinks
 * *ret_path. Returns the descriptor or -1 (logged). */
int root_image_temp_file(const char *path, const char *tag, char **ret_path);

/* A UUID (version 4 layout) derived from a label and some bytes. */
void root_image_derive_uuid(const char *label, const uint8_t *data, size_t size, uint8_t ret[VERITY_UUID_SIZE]);
