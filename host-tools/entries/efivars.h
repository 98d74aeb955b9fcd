/* SPDX-License-Identifier: MIT */
/* EFI variables of the running system, through efivarfs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* An efivarfs file: 4 bytes of attributes, then the value; no value is
 * longer than this here. */
#define EFIVAR_ATTRIBUTES_SIZE 4
#define EFIVAR_MAX (64u * 1024)

#define LOADER_GUID_STR "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
#define EFI_GLOBAL_GUID_STR "8be4df61-93ca-11d2-aa0d-00e098032b8c"

/* The directory holding the variables ($KEEL_EFIVARFS overrides it, for tests). */
const char *efivarfs_dir(void);

/* Reads a UTF-16 string variable as UTF-8 (malloc'd); NULL when absent or
 * not a string. */
char *efivar_read_string(const char *name, const char *guid);

/* Whether the firmware is in Setup Mode: SetupMode (global variable GUID)
 * holds exactly the byte 1. False without EFI variables or with any other
 * value. */
bool efivar_setup_mode(void);

/* Whether the firmware's ESRT (/sys/firmware/efi/esrt, $KEEL_ESRT for
 * tests) says the system firmware's last update failed: the loader's
 * system-failure rule (loader/sysfail.c), read through Linux's copy of the
 * table: the first entry* with fw_type 1 decides, by its
 * last_attempt_status. */
bool esrt_system_firmware_update_failed_sysfs(void);
