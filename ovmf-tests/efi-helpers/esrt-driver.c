/* SPDX-License-Identifier: MIT */
/* TEST ONLY. A boot service driver (PE subsystem 11) for the loaders'
 * drop-in driver directory, \EFI\systemd\drivers\: when started it installs
 * an EFI System Resource Table (ESRT) whose one entry, the system firmware,
 * reports that its last update attempt failed (LastAttemptStatus 1,
 * "unsuccessful") — what firmware shows after a failed capsule update, and
 * what systemd-boot 258+ takes as a system failure (LoaderEntrySysFail,
 * LoaderSysFailReason) — and sets the volatile variable
 * KeelTestDriverLoaded (loader vendor GUID) to "yes", so that the booted
 * system can tell that the driver ran. It stays resident (returns
 * EFI_SUCCESS). */
#include <efi.h>
#include <efilib.h>

static EFI_GUID esrt_guid = { 0xb122a263, 0x3661, 0x4f68, { 0x99, 0x29, 0x78, 0xf8, 0xb0, 0xd6, 0x21, 0x80 } };
static EFI_GUID loader_guid = { 0x4a67b082, 0x0a4c, 0x41cf, { 0xb6, 0xc7, 0x44, 0x0b, 0x29, 0xbb, 0x8c, 0x4f } };
/* Any GUID: the firmware class of the one resource. */
static EFI_GUID fw_class = { 0x6b656c74, 0x6573, 0x7274, { 0x64, 0x72, 0x69, 0x76, 0x65, 0x72, 0x00, 0x01 } };

struct esrt_entry {
        EFI_GUID fw_class;
        UINT32 fw_type;                  /* 1: system firmware */
        UINT32 fw_version;
        UINT32 lowest_supported_fw_version;
        UINT32 capsule_flags;
        UINT32 last_attempt_version;
        UINT32 last_attempt_status;      /* 0: success, 1: unsuccessful */
};

struct esrt {
        UINT32 fw_resource_count;
        UINT32 fw_resource_count_max;
        UINT64 fw_resource_version;      /* 1 */
        struct esrt_entry entries[1];
};

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
        struct esrt *t = NULL;
        EFI_STATUS err;

        InitializeLib(image, st);
        err = uefi_call_wrapper(BS->AllocatePool, 3, EfiRuntimeServicesData, sizeof(*t), (VOID **) &t);
        if (EFI_ERROR(err))
                return err;
        SetMem(t, sizeof(*t), 0);
        t->fw_resource_count = 1;
        t->fw_resource_count_max = 1;
        t->fw_resource_version = 1;
        t->entries[0].fw_class = fw_class;
        t->entries[0].fw_type = 1;
        t->entries[0].fw_version = 2;
        t->entries[0].last_attempt_version = 3;
        t->entries[0].last_attempt_status = 1;
        err = uefi_call_wrapper(BS->InstallConfigurationTable, 2, &esrt_guid, t);
        Print(L"ESRT-DRIVER: installed an ESRT with a failed system firmware update: %r\n", err);
        uefi_call_wrapper(RT->SetVariable, 5, L"KeelTestDriverLoaded", &loader_guid,
                          EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS, sizeof(L"yes"), L"yes");
        return err;
}
