/* SPDX-License-Identifier: MIT */
/* TEST ONLY. Offers an EFI_MEMORY_ATTRIBUTE_PROTOCOL (UEFI 2.10) on firmware
 * that has none (Debian 12's OVMF), then starts \EFI\Linux\uki.efi. The
 * protocol changes nothing: it prints every call on the console
 * ("MEMATTR: set|clear|get BASE LENGTH ATTRIBUTES") and succeeds, so a
 * scenario can check which ranges keel's PE loader protected how. */
#include <efi.h>
#include <efilib.h>

#define TARGET_UKI L"\\EFI\\Linux\\uki.efi"

static EFI_GUID memattr_guid = { 0xf4560cf6, 0x40ec, 0x4b4a, { 0xa1, 0x92, 0xbf, 0x1d, 0x57, 0xd0, 0xb1, 0x89 } };

struct memattr;
typedef EFI_STATUS(EFIAPI *memattr_fn)(struct memattr *this, EFI_PHYSICAL_ADDRESS base, UINT64 length, UINT64 attr);
struct memattr {
        EFI_STATUS(EFIAPI *get)(struct memattr *this, EFI_PHYSICAL_ADDRESS base, UINT64 length, UINT64 *attr);
        memattr_fn set;
        memattr_fn clear;
};

static EFI_STATUS EFIAPI get_attr(struct memattr *this, EFI_PHYSICAL_ADDRESS base, UINT64 length, UINT64 *attr) {
        (void) this;
        if (!attr)
                return EFI_INVALID_PARAMETER;
        *attr = 0;
        Print(L"MEMATTR: get %lx %lx\n", base, length);
        return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI set_attr(struct memattr *this, EFI_PHYSICAL_ADDRESS base, UINT64 length, UINT64 attr) {
        (void) this;
        Print(L"MEMATTR: set %lx %lx %lx\n", base, length, attr);
        return EFI_SUCCESS;
}

static EFI_STATUS EFIAPI clear_attr(struct memattr *this, EFI_PHYSICAL_ADDRESS base, UINT64 length, UINT64 attr) {
        (void) this;
        Print(L"MEMATTR: clear %lx %lx %lx\n", base, length, attr);
        return EFI_SUCCESS;
}

static struct memattr memattr = { get_attr, set_attr, clear_attr };

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
        EFI_HANDLE handle = NULL, uki = NULL;
        EFI_LOADED_IMAGE *li;
        EFI_DEVICE_PATH *dp;
        EFI_STATUS err;

        InitializeLib(image, st);
        err = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (VOID **) &li);
        if (EFI_ERROR(err))
                return err;
        err = uefi_call_wrapper(BS->InstallProtocolInterface, 4, &handle, &memattr_guid, EFI_NATIVE_INTERFACE, &memattr);
        if (EFI_ERROR(err)) {
                Print(L"MEMATTR: cannot install the protocol: %r\n", err);
                return err;
        }
        Print(L"MEMATTR: protocol installed\n");
        dp = FileDevicePath(li->DeviceHandle, TARGET_UKI);
        err = dp ? uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0, &uki) : EFI_OUT_OF_RESOURCES;
        if (!EFI_ERROR(err))
                err = uefi_call_wrapper(BS->StartImage, 3, uki, NULL, NULL);
        Print(L"MEMATTR: %s returned: %r\n", TARGET_UKI, err);
        uefi_call_wrapper(BS->UninstallProtocolInterface, 3, handle, &memattr_guid, &memattr);
        return EFI_ERROR(err) ? err : EFI_LOAD_ERROR;
}
