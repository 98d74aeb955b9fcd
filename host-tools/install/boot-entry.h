/* SPDX-License-Identifier: MIT */
/* The firmware boot entry of `keel install`: a Boot#### variable for the
 * loader on the ESP, first in BootOrder, written through efivarfs as
 * `bootctl install` does for systemd-boot. Without it a machine coming from
 * systemd-boot, lanzaboote or GRUB keeps starting the old loader its NVRAM
 * names. */
#pragma once

#include <stdbool.h>

#include "host-tools/entries/efivars.h"

#define BOOT_ENTRY_DESCRIPTION "keel"

struct boot_entry_result {
        bool skipped;           /* no efivarfs, or the ESP is no GPT partition: nothing done */
        unsigned number;        /* the Boot#### used */
        bool entry_written;     /* Boot#### created or rewritten */
        bool order_written;     /* BootOrder changed */
};

/* Creates or reuses the load option for loader_path (ESP-relative, '/'
 * separators, e.g. "EFI/keel/keelx64.efi") on the ESP mounted at esp and
 * puts it first in BootOrder; writes nothing when both are already so.
 * Skips with one line when there are no EFI variables or esp is not a
 * mounted FAT file system on a GPT partition of the ESP type (an image
 * build into a directory). $KEEL_ESP_PARTITION="PARTUUID,NUMBER,START,SIZE"
 * (tests only) stands in for the partition lookup. Logs and returns -1 when
 * the variables cannot be read or written. */
int boot_entry_install(const char *esp, const char *loader_path, struct boot_entry_result *ret);

/* Checks $KEEL_ESP_PARTITION before anything is written; logs and returns
 * -1 when it is set and malformed. */
int boot_entry_check_override(void);
