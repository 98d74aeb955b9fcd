/* SPDX-License-Identifier: MIT */
/* TEST ONLY. Stands in for an OS that set Boot Loader Interface variables
 * before rebooting, without spending a boot on it: it sets, for every file
 * \keel-vars\NAME on its volume, the persistent EFI variable NAME of the
 * loader vendor GUID (4a67b082-0a4c-41cf-b6c7-440b29bb8c4f) to the file's
 * bytes (a UTF-16 string with its NUL, as bootctl writes them; an empty
 * file deletes the variable), prints each status on the console, and then
 * starts \EFI\BOOT\next.efi (the boot loader under test) and hands back its
 * status. Files in \keel-vars-once are set the same way and then deleted:
 * what the OS set once, before one reboot. With a file \keel-kbd-layout
 * (a UTF-16 description string with its NUL, "de-DE German"), it first
 * does what firmware with a keyboard driver does: adds a keyboard layout
 * package with that one description to the HII database and makes it the
 * current layout. */
#include <efi.h>
#include <efilib.h>
#include "read-file.h"

#define VARS_DIR L"\\keel-vars"
#define VARS_ONCE_DIR L"\\keel-vars-once"
#define KBD_LAYOUT_PATH L"\\keel-kbd-layout"
#define NEXT_PATH L"\\EFI\\BOOT\\next.efi"

static EFI_GUID loader_guid = { 0x4a67b082, 0x0a4c, 0x41cf, { 0xb6, 0xc7, 0x44, 0x0b, 0x29, 0xbb, 0x8c, 0x4f } };

#define ATTRIBUTES (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)

/* Deletes the file at path (Delete closes it). */
static EFI_STATUS delete_file(EFI_FILE_HANDLE root, CHAR16 *path) {
        EFI_FILE_HANDLE f;
        EFI_STATUS err = uefi_call_wrapper(root->Open, 5, root, &f, path, EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE, 0);

        return EFI_ERROR(err) ? err : uefi_call_wrapper(f->Delete, 1, f);
}

/* The HII database protocol (UEFI 2.10 §34.8.1) as far as it is used here. */
struct hii_database {
        EFI_STATUS(EFIAPI *new_package_list)(struct hii_database *self, const VOID *list, EFI_HANDLE driver,
                                             VOID **ret_handle);
        VOID *remove_package_list, *update_package_list, *list_package_lists, *export_package_lists,
                *register_package_notify, *unregister_package_notify, *find_keyboard_layouts,
                *get_keyboard_layout;
        EFI_STATUS(EFIAPI *set_keyboard_layout)(struct hii_database *self, const EFI_GUID *key_guid);
};

static EFI_GUID hii_database_guid = { 0xef9fc172, 0xa1b2, 0x4693, { 0xb3, 0x27, 0x6d, 0x32, 0xfc, 0x41, 0x60, 0x42 } };
static EFI_GUID layout_guid = { 0x6b656c74, 0x6b62, 0x646c, { 0x61, 0x79, 0x6f, 0x75, 0x74, 0x00, 0x00, 0x01 } };

static void put16(UINT8 *p, UINT16 v) {
        p[0] = (UINT8) v;
        p[1] = (UINT8) (v >> 8);
}

static void put32(UINT8 *p, UINT32 v) {
        put16(p, (UINT16) v);
        put16(p + 2, (UINT16) (v >> 16));
}

/* A package list (UEFI 2.10 §34.3.1): its 20-byte header, a keyboard layout
 * package (§34.3.9: package header, LayoutCount 1, one layout without key
 * descriptors whose description bundle holds the one string), the end
 * package. */
static void install_keyboard_layout(EFI_FILE_HANDLE root) {
        UINT8 list[20 + 4 + 2 + 23 + 2 + 256 + 4];
        struct hii_database *hii = NULL;
        VOID *description = NULL, *handle = NULL;
        UINTN size = 0, layout_size, package_size;
        EFI_STATUS err;

        if (EFI_ERROR(read_file(root, KBD_LAYOUT_PATH, &description, &size)))
                return;
        err = size <= 256 ? uefi_call_wrapper(BS->LocateProtocol, 3, &hii_database_guid, NULL, (VOID **) &hii)
                          : EFI_BAD_BUFFER_SIZE;
        if (!EFI_ERROR(err)) {
                layout_size = 23 + 2 + size;
                package_size = 4 + 2 + layout_size;
                SetMem(list, sizeof(list), 0);
                CopyMem(list, &layout_guid, 16);
                put32(list + 16, (UINT32) (20 + package_size + 4));
                put32(list + 20, (UINT32) package_size | 0x09u << 24); /* EFI_HII_PACKAGE_KEYBOARD_LAYOUT */
                put16(list + 24, 1);
                put16(list + 26, (UINT16) layout_size);
                CopyMem(list + 28, &layout_guid, 16);
                put32(list + 44, 23);
                put16(list + 26 + 23, 1);
                CopyMem(list + 26 + 25, description, size);
                put32(list + 20 + package_size, 4 | 0xdfu << 24); /* EFI_HII_PACKAGE_END */
                err = uefi_call_wrapper(hii->new_package_list, 4, hii, list, NULL, &handle);
        }
        if (!EFI_ERROR(err))
                err = uefi_call_wrapper(hii->set_keyboard_layout, 2, hii, &layout_guid);
        Print(L"VARS-CHAIN: keyboard layout '%s': %r\n", description, err);
        FreePool(description);
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
        install_keyboard_layout(root);
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
