/* SPDX-License-Identifier: MIT */
/* The loader's side of the Boot Loader Interface (systemd's vendor GUID
 * 4a67b082-0a4c-41cf-b6c7-440b29bb8c4f): what it tells the OS, and the
 * settings the OS leaves for it. */
#pragma once

#include "../common/entries.h"
#include "../efi/efi.h"

/* LoaderFeatures bits (systemd's numbering) for what keel really does. */
#define LOADER_FEATURE_CONFIG_TIMEOUT (UINT64_C(1) << 0)
#define LOADER_FEATURE_CONFIG_TIMEOUT_ONE_SHOT (UINT64_C(1) << 1)
#define LOADER_FEATURE_ENTRY_DEFAULT (UINT64_C(1) << 2)
#define LOADER_FEATURE_ENTRY_ONESHOT (UINT64_C(1) << 3)
#define LOADER_FEATURE_BOOT_COUNTING (UINT64_C(1) << 4)
#define LOADER_FEATURE_XBOOTLDR (UINT64_C(1) << 5)
#define LOADER_FEATURE_RANDOM_SEED (UINT64_C(1) << 6)
#define LOADER_FEATURE_LOAD_DRIVER (UINT64_C(1) << 7)
#define LOADER_FEATURE_SORT_KEY (UINT64_C(1) << 8)
#define LOADER_FEATURE_SAVED_ENTRY (UINT64_C(1) << 9)
#define LOADER_FEATURE_DEVICETREE (UINT64_C(1) << 10)
#define LOADER_FEATURE_SECUREBOOT_ENROLL (UINT64_C(1) << 11)
#define LOADER_FEATURE_MENU_DISABLE (UINT64_C(1) << 13)
#define LOADER_FEATURE_MULTI_PROFILE_UKI (UINT64_C(1) << 14)
#define LOADER_FEATURE_TYPE1_UKI (UINT64_C(1) << 16)
#define LOADER_FEATURE_TPM2_ACTIVE_PCR_BANKS (UINT64_C(1) << 18)
/* LoaderEntryPreferred (systemd 260); bootctl 262 has no name for it. */
#define LOADER_FEATURE_ENTRY_PREFERRED (UINT64_C(1) << 19)
#define LOADER_FEATURE_KEYBOARD_LAYOUT (UINT64_C(1) << 20)
#define LOADER_FEATURE_MEASURE_SMBIOS (UINT64_C(1) << 21)

void bli_export_loader_info(EFI_LOADED_IMAGE *image, uint64_t init_usec, uint64_t features);
void bli_export_entries(const struct entry_list *l);
void bli_export_selected(const struct boot_entry *e);
void bli_export_time(const CHAR16 *name, uint64_t usec);

/* A string variable as UTF-8 (caller frees); NULL when unset. With
 * delete_after_read the variable is removed (one-shot semantics). */
char *bli_read_string(const CHAR16 *name, bool delete_after_read);

/* Persistent settings changed from the menu. */
EFI_STATUS bli_set_persistent_string(const CHAR16 *name, const char *value); /* NULL deletes */
