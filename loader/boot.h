/* SPDX-License-Identifier: MIT */
#pragma once

#include "../common/entries.h"
#include "../efi/efi.h"
#include "../efi/partition.h"

struct boot_options {
        uint32_t watchdog_seconds;   /* 0: no watchdog */
        const char *edited_options;  /* the user's edited command line, or NULL */
};

/* Starts an entry. Returns only when it could not be started or returned;
 * everything installed for it is removed again. */
EFI_STATUS boot_entry_start(EFI_HANDLE parent, const struct partition *part, const struct boot_entry *e,
                            const struct boot_options *o);

/* Asks the firmware to show its setup screen on the next boot, and resets. */
EFI_STATUS reboot_into_firmware(void);
bool firmware_setup_supported(void);
