/* SPDX-License-Identifier: MIT */
/* Arithmetic for reads through EFI_BLOCK_IO, which moves whole blocks only.
 * The block size comes from the firmware's driver for a device that may be
 * anything (a USB stick, a virtual disk): untrusted like the disk itself. */
#pragma once

#include "util.h"

/* The bytes to ask ReadBlocks() for when size bytes are wanted: size
 * rounded up to a whole number of blocks. KEEL_E_BLOCK_SIZE_ZERO for a
 * block size of 0 (checked before anything divides by it),
 * KEEL_E_BLOCK_READ_TOO_LARGE when the rounded size does not fit a size_t. */
int block_read_size(uint64_t size, uint32_t block_size, size_t *ret_size);
