/* SPDX-License-Identifier: MIT */
/* The thin firmware layer: everything in stub/ and loader/ that touches
 * firmware goes through these few functions, the system-table pointers and
 * the GUIDs declared here. */
#pragma once

#include <efi.h>

#include "../common/util.h"

extern EFI_SYSTEM_TABLE *ST;
extern EFI_BOOT_SERVICES *BS;
extern EFI_RUNTIME_SERVICES *RT;
extern EFI_HANDLE keel_image_handle;

#define KEEL_VERSION_STRING "keel " KEEL_VERSION

extern const EFI_GUID loader_vendor_guid;     /* 4a67b082-0a4c-41cf-b6c7-440b29bb8c4f */
extern const EFI_GUID global_variable_guid;   /* EFI_GLOBAL_VARIABLE */
extern const EFI_GUID loaded_image_guid;
extern const EFI_GUID device_path_guid;
extern const EFI_GUID load_file2_guid;
extern const EFI_GUID linux_initrd_media_guid;

/* Console: printf-like, ASCII format; %s char*, %ls CHAR16*, %u %lu %x %lx, %r EFI_STATUS. */
void efi_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, shown only when level (syslog's numbering: 3 error, 4 warning,
 * 5 notice, 6 info) is at most efi_log_max_level (loader.conf `log-level`). */
void efi_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int efi_log_max_level;
const char *efi_status_text(EFI_STATUS status);

/* Memory. */
void *efi_alloc(size_t size);
void *efi_alloc_zero(size_t size);
void efi_free(void *p);

/* Variables. Strings are stored UTF-16 with a NUL, as the Boot Loader Interface wants. */
#define EFI_VARIABLE_VOLATILE_ACCESS (EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)
EFI_STATUS efivar_set_raw(const EFI_GUID *vendor, const CHAR16 *name, const void *data, size_t size, uint32_t attributes);
EFI_STATUS efivar_set_str(const EFI_GUID *vendor, const CHAR16 *name, const char *value, uint32_t attributes);
EFI_STATUS efivar_set_str16(const EFI_GUID *vendor, const CHAR16 *name, const CHAR16 *value, uint32_t attributes);
EFI_STATUS efivar_set_u64(const EFI_GUID *vendor, const CHAR16 *name, uint64_t value, uint32_t attributes);
/* Reads a variable into a fresh buffer (with two NUL bytes appended, so it is
 * always a terminated string); the caller frees it. */
EFI_STATUS efivar_get_raw(const EFI_GUID *vendor, const CHAR16 *name, void **ret_data, size_t *ret_size);
bool efivar_exists(const EFI_GUID *vendor, const CHAR16 *name);
bool secure_boot_enabled(void);

/* Device paths. */
/* The partition GUID of the GPT partition a device handle sits on, as text. */
EFI_STATUS devpath_partition_uuid(EFI_HANDLE device, char ret_uuid[37]);
/* The file-path nodes of a device path joined into one string (caller frees). */
CHAR16 *devpath_file_path_text(const EFI_DEVICE_PATH *dp);
/* The device path of a file on a device: the device's path plus a file-path
 * node (caller frees). */
EFI_DEVICE_PATH *devpath_for_file(EFI_HANDLE device, const CHAR16 *path);

/* Loaded-image helpers. */
EFI_LOADED_IMAGE *efi_loaded_image(EFI_HANDLE image);

/* The Boot Loader Interface variables that both roles set when nobody set
 * them before: LoaderDevicePartUUID, LoaderImageIdentifier, LoaderFirmwareInfo,
 * LoaderFirmwareType, LoaderTpm2ActivePcrBanks (systemd 258) and
 * LoaderKeyboardLayout (262). */
void export_common_loader_variables(EFI_LOADED_IMAGE *image);
