/* SPDX-License-Identifier: MIT */
/* Flattened device tree (Devicetree Specification v0.4, chapter 5) header
 * checks for the blobs keel hands to the kernel: a UKI's .dtb section and a
 * Type #1 entry's `devicetree` file. keel never walks the tree itself (the
 * firmware's EFI_DT_FIXUP_PROTOCOL and the kernel do); it only makes sure
 * that what it installs is one whole blob whose header blocks lie inside
 * it, so that nothing after the blob's end, and no block outside it, is
 * handed over. */
#pragma once

#include "util.h"

#define FDT_MAGIC 0xd00dfeedu
/* The v17 header is 40 bytes; v16 lacks only size_dt_struct (36 bytes). */
#define FDT_HEADER_SIZE 40u
/* systemd's limit for a device tree file, and keel's for both sources. */
#define FDT_MAX_SIZE (32u * 1024 * 1024)

/* Checks the header of the size bytes at data: the magic, a version
 * readers of v16 can read (version >= 16, last_comp_version <= 16 — what
 * libfdt accepts), a totalsize from the header's size to min(size,
 * FDT_MAX_SIZE), and the memory-reservation block (8-byte aligned), the
 * structure block (4-byte aligned) and the strings block each inside
 * totalsize. *ret_total is totalsize: the bytes to install (anything after
 * them is not part of the tree). KEEL_OK, KEEL_E_FDT_TRUNCATED or
 * KEEL_E_FDT_BAD_HEADER. */
int fdt_check(const void *data, size_t size, size_t *ret_total);
