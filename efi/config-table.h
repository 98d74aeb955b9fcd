/* SPDX-License-Identifier: MIT */
/* EFI configuration tables: finding one and installing one (the kernel's
 * LINUX_EFI_RANDOM_SEED table for the loader's random seed). */
#pragma once

#include "efi.h"

/* LINUX_EFI_RANDOM_SEED_TABLE_GUID (include/linux/efi.h), the table the
 * kernel credits to its entropy pool: struct { u32 size; u8 bits[]; }. */
extern const EFI_GUID linux_random_seed_table_guid; /* 1ce1e5bc-7ceb-42f2-81e5-8aadf180f57b */

/* The table of that GUID in the system table, NULL when there is none. */
void *config_table_find(const EFI_GUID *guid);

/* Installs (or replaces) the table of that GUID. */
EFI_STATUS config_table_install(const EFI_GUID *guid, void *table);
