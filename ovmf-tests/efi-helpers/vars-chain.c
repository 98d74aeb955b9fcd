/* SPDX-License-Identifier: MIT */
/* TEST ONLY. Stands in for an OS that set Boot Loader Interface variables
 * before rebooting, without spending a boot on it: it sets, for every file
 * \keel-vars\NAME on its volume, the persistent EFI variable NAME of the
 * loader vendor GUID (4a67b082-0a4c-41cf-b6c7-440b29bb8c4f) to the file's
 * bytes (a UTF-16 string with its NUL, as bootctl writes them; an empty
 * file deletes the variable), prints each status on the console, and then
 * starts \EFI\BOOT\next.efi (the boot loader under test) and hands back its
 * status. Files in \keel-vars-once are set the same way and then deleted:
 * what the OS set once, before one reboot. */
#include <efi.h>
#include <efilib.h>
#include "read-file.h"

#define VARS_DIR L"\\keel-vars"
#define VARS_ONCE_DIR L"\\keel-vars-once"
#define NEXT_PATH L"\\EFI\\BOOT\\next.efi"

static EFI_GUID loader_guid = { 0x4a67b082, 0x0a4c, 0x41cf, { 0xb6, 0xc7, 0x44, 0x0b, 0x29, 0xbb, 0x8c, 0x4f } };

#define ATTRIBUTES (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)

/* Deletes the file at path (Delete closes it). */
static EFI_STATUS delete_file(EFI_FILE_HANDLE root, CHAR16 *path) {
        EFI_FILE_HANDLE f;
        EFI_STATUS err = uefi_call_wrapper(root->Open, 5, root, &f, path, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0);

        return EFI_ERROR(err) ? err : uefi_call_wrapper(f->Delete, 1, f);
}

static void set_variables(EFI_FILE_HANDLE root, CHAR16 *vars_dir, BOOLEAN once) {
        EFI_FILE_HANDLE dir;
        UINTN size;
        UINT8 buf[512];

        if (EFI_ERROR(uefi_call_wrapper(root->Open, 5, root, &dir, vars_dir, EFI_FILE_MODE_READ, 0)))
                return;
        for (;;) {
                EFI_FILE_INFO *info = (EFI_FILE_INFO *) buf;
                CHAR16 path[300];
                VOID *data = NULL;
                UINTN data_size = 0;
                EFI_STATUS err;

                size = sizeof(buf);
                if (EFI_ERROR(uefi_call_wrapper(dir->Read, 3, dir, &size, buf)) || size == 0)
                        break;
                if (info->Attribute & EFI_FILE_DIRECTORY)
                        continue;
                SPrint(path, sizeof(path), L"%s\\%s", vars_dir, info->FileName);
                err = read_file(root, path, &data, &data_size);
                if (!EFI_ERROR(err))
                        err = uefi_call_wrapper(RT->SetVariable, 5, info->FileName, &loader_guid,
                                                data_size > 0 ? ATTRIBUTES : 0, data_size, data);
                Print(L"VARS-CHAIN: %s (%d bytes): %r\n", info->FileName, data_size, err);
                if (once)
                        Print(L"VARS-CHAIN: once: %s deleted: %r\n", path, delete_file(root, path));
                if (data)
                        FreePool(data);
        }
        uefi_call_wrapper(dir->Close, 1, dir);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
        EFI_HANDLE next = NULL;
        EFI_LOADED_IMAGE *li;
        EFI_FILE_HANDLE root;
        EFI_DEVICE_PATH *dp;
        EFI_STATUS err;

        InitializeLib(image, st);
        if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (VOID **) &li)) ||
            !(root = LibOpenRoot(li->DeviceHandle))) {
                Print(L"VARS-CHAIN: cannot open the boot volume\n");
                return EFI_LOAD_ERROR;
        }
        set_variables(root, VARS_DIR, FALSE);
        set_variables(root, VARS_ONCE_DIR, TRUE);
        dp = FileDevicePath(li->DeviceHandle, NEXT_PATH);
        err = dp ? uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0, &next) : EFI_OUT_OF_RESOURCES;
        if (EFI_ERROR(err)) {
                Print(L"VARS-CHAIN: cannot load %s: %r\n", NEXT_PATH, err);
                return err;
        }
        err = uefi_call_wrapper(BS->StartImage, 3, next, NULL, NULL);
        Print(L"VARS-CHAIN: %s returned: %r\n", NEXT_PATH, err);
        return err;
}
