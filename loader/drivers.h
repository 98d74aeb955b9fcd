/* SPDX-License-Identifier: MIT */
#pragma once

#include "../efi/efi.h"

/* systemd-boot's drop-in drivers (LoaderFeatures bit 7): every file
 * \EFI\systemd\drivers\*<arch>.efi on the loader's own volume is loaded
 * (by the firmware, which checks its signature under Secure Boot) and,
 * when it is a driver (boot or runtime services code), started; after any
 * driver started, every controller is reconnected so that the new drivers
 * bind (a file system driver makes a partition readable before the loader
 * looks for XBOOTLDR). Anything else is skipped with one line. */
void drivers_load(EFI_HANDLE parent, EFI_HANDLE device, EFI_FILE *root);
