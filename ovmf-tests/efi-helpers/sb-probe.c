/* SPDX-License-Identifier: MIT */
/* TEST ONLY. Stands in for the kernel inside a signed UKI (as its .linux
 * section), so that it runs right after the stub's LoadImage() of it. It is
 * itself unsigned: that it runs at all shows the stub's override approved
 * it. It then checks that the override is gone again:
 *   - \probe\unsigned.efi (an unsigned image) loaded by file path,
 *   - the same bytes loaded from memory through keel's own kernel device
 *     path, the very path the override approves while it is installed,
 * must both be refused by the firmware, while
 *   - \probe\signed.efi (signed with a key in db) must load,
 * and reports each status on the console before shutting the machine down. */
#include <efi.h>
#include <efilib.h>
#include "read-file.h"

/* stub/linux.c: keel's vendor media node for the in-memory kernel. */
static struct {
        VENDOR_DEVICE_PATH vendor;
        EFI_DEVICE_PATH end;
} __attribute__((packed)) keel_kernel_path = {
        .vendor = {
                .Header = { MEDIA_DEVICE_PATH, MEDIA_VENDOR_DP, { sizeof(VENDOR_DEVICE_PATH), 0 } },
                .Guid = { 0x0f8d9a3e, 0x5a4e, 0x4c3b, { 0x9d, 0x55, 0x6b, 0x65, 0x65, 0x6c, 0x6c, 0x78 } },
        },
        .end = { END_DEVICE_PATH_TYPE, END_ENTIRE_DEVICE_PATH_SUBTYPE, { sizeof(EFI_DEVICE_PATH), 0 } },
};

/* LoadImage() and report; a handle that comes back (also with
 * EFI_SECURITY_VIOLATION) is unloaded again, nothing is started. */
static void try_load(EFI_HANDLE self, const CHAR16 *what, EFI_DEVICE_PATH *dp, VOID *buf, UINTN size) {
        EFI_HANDLE h = NULL;
        EFI_STATUS err = uefi_call_wrapper(BS->LoadImage, 6, FALSE, self, dp, buf, size, &h);
        Print(L"SB-PROBE: %s: %r\n", what, err);
        if (h)
                uefi_call_wrapper(BS->UnloadImage, 1, h);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
        EFI_GUID global = EFI_GLOBAL_VARIABLE;
        EFI_LOADED_IMAGE *li, *parent;
        EFI_FILE_HANDLE root;
        EFI_HANDLE esp = NULL;
        UINT8 sb = 0xff;
        UINTN size = sizeof(sb);
        VOID *unsigned_image;
        UINTN unsigned_size;

        InitializeLib(image, st);
        uefi_call_wrapper(RT->GetVariable, 5, L"SecureBoot", &global, NULL, &size, &sb);
        Print(L"SB-PROBE: started, SecureBoot=%d\n", sb);

        /* Run by keel's own PE loader, this image has the stub's handle and
         * so the stub's device, the ESP; loaded from memory by LoadImage()
         * (an older stub, shim), it has no device and its parent, the stub,
         * sits on the ESP. */
        root = NULL;
        if (!EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (VOID **) &li))) {
                if (li->DeviceHandle && (root = LibOpenRoot(li->DeviceHandle)))
                        esp = li->DeviceHandle;
                if (!root && li->ParentHandle &&
                    !EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, li->ParentHandle, &LoadedImageProtocol,
                                                 (VOID **) &parent)) &&
                    (root = LibOpenRoot(parent->DeviceHandle)))
                        esp = parent->DeviceHandle;
        }
        if (!root) {
                Print(L"SB-PROBE: cannot open the ESP\n");
                goto out;
        }

        try_load(image, L"unsigned image by file path", FileDevicePath(esp, L"\\probe\\unsigned.efi"),
                 NULL, 0);
        if (EFI_ERROR(read_file(root, L"\\probe\\unsigned.efi", &unsigned_image, &unsigned_size)))
                Print(L"SB-PROBE: cannot read \\probe\\unsigned.efi\n");
        else
                try_load(image, L"unsigned image from memory via keel's kernel path",
                         (EFI_DEVICE_PATH *) &keel_kernel_path, unsigned_image, unsigned_size);
        try_load(image, L"db-signed image by file path", FileDevicePath(esp, L"\\probe\\signed.efi"),
                 NULL, 0);
out:
        Print(L"SB-PROBE: done\n");
        uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS, 0, NULL);
        return EFI_SUCCESS;
}
