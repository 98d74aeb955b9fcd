/* SPDX-License-Identifier: MIT */
#pragma once

#include "boot.h"

/* Automatic boot assessment: before an entry with a "+LEFT[-DONE]" counter
 * starts, its file is renamed to "+(LEFT-1)-(DONE+1)" and the volatile
 * LoaderBootCountPath names the new file, so that the booted OS can bless
 * or fail it. Without a counter, LoaderBootCountPath is removed. A rename
 * that fails (read-only ESP) is reported and the boot goes on. */
void count_boot_try(const struct partition *part, struct boot_entry *e);
