/* SPDX-License-Identifier: MIT */
/* The firmware's EFI_RNG_PROTOCOL (UEFI 2.10, 37.5), for the loader's
 * random seed. */
#pragma once

#include "efi.h"

/* size bytes from the firmware's default RNG algorithm. EFI_NOT_FOUND
 * without the protocol; EFI_NOT_READY when the RNG is not ready yet (some
 * firmware, early in boot). */
EFI_STATUS rng_get(void *ret, size_t size);
