/* SPDX-License-Identifier: MIT */
/* The EFI System Resource Table (ESRT, UEFI 2.x §23.4): the firmware's list
 * of updatable resources with the outcome of each one's last update. The
 * loader reads it for systemd-boot 258's system-failure rule: when the
 * system firmware's last update attempt failed, LoaderSysFailReason says so
 * and LoaderEntrySysFail picks the default entry. */
#pragma once

#include "util.h"

#define ESRT_HEADER_SIZE 16            /* FwResourceCount, FwResourceCountMax, FwResourceVersion */
#define ESRT_ENTRY_SIZE 40             /* FwClass, FwType, versions, flags, LastAttempt{Version,Status} */
#define ESRT_RESOURCE_VERSION 1
#define ESRT_ENTRIES_MAX 4096          /* more is no table firmware builds */
#define ESRT_FW_TYPE_SYSTEM_FIRMWARE 1
#define ESRT_LAST_ATTEMPT_SUCCESS 0

/* The size of the table whose header is at header (ESRT_HEADER_SIZE bytes);
 * 0 when its count or version is not a table keel reads. */
size_t esrt_table_size(const void *header);

/* Whether the first system firmware entry of the table (size bytes, as
 * esrt_table_size() gave) reports a failed last update attempt, the rule
 * of systemd-boot 258's sysfail_check(). False without such an entry. */
bool esrt_system_firmware_update_failed(const void *table, size_t size);
