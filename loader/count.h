/* SPDX-License-Identifier: MIT */
#pragma once

#include "boot.h"

/* Automatic boot assessment: before an entry with a "+LEFT[-DONE]" counter
 * starts, its file is renamed to "+(LEFT-1)-(DONE+1)" and the volatile
 * LoaderBootCountPath names the new file, so that the booted OS can bless
 * or fail it. When a file of that name exists already, the next free name
 * counting more tries is taken (bootcount_pick_next_name); when there is
 * none, the try counts as failed: EFI_ACCESS_DENIED, the entry must not be
 * started. Without a counter, LoaderBootCountPath is removed. A rename that
 * fails (read-only ESP) is reported and the boot goes on (EFI_SUCCESS).
 * Where the firmware cannot rename at all (U-Boot), the file is moved by
 * copying it and deleting the old one (common/bootcount-move.h). */
EFI_STATUS count_boot_try(const struct partition *part, struct boot_entry *e);

/* Undoes a move by copy that a crash interrupted, in both entry directories
 * of a volume (before its entries are discovered). */
void count_recover_moves(EFI_FILE *root);
