/* SPDX-License-Identifier: MIT */
#include "drivers.h"
#include "../common/strutil.h"
#include "../common/utf.h"
#include "../efi/arch.h"
#include "../efi/file.h"

#define DRIVERS_DIR L"\\EFI\\systemd\\drivers"
#define NAME_UNITS_MAX 256

/* "NAME" ends in "<arch>.efi", ignoring case, as systemd-boot takes them. */
static bool is_driver_name(const CHAR16 *name) {
        char utf8[3 * NAME_UNITS_MAX + 1], suffix[16];
        size_t units = utf16_strnlen(name, NAME_UNITS_MAX), n = strlen(arch_bls_architecture);

        if (units == 0 || units >= NAME_UNITS_MAX || name[0] == '.' || n + 5 > sizeof(suffix))
                return false;
        utf16_to_utf8(name, units, utf8);
        memcpy(suffix, arch_bls_architecture, n);
        memcpy(suffix + n, ".efi", 5);
        return slice_has_suffix_nocase(slice_from_cstr(utf8), suffix);
}

static bool is_driver_image(EFI_HANDLE image) {
        EFI_LOADED_IMAGE *li = efi_loaded_image(image);

        return li && (li->ImageCodeType == EfiBootServicesCode || li->ImageCodeType == EfiRuntimeServicesCode);
}

static bool load_one(EFI_HANDLE parent, EFI_HANDLE device, const CHAR16 *name) {
        size_t d = utf16_strnlen(DRIVERS_DIR, 64), n = utf16_strnlen(name, NAME_UNITS_MAX);
        CHAR16 *path = efi_alloc((d + 1 + n + 1) * sizeof(CHAR16));
        EFI_DEVICE_PATH *dp = NULL;
        EFI_HANDLE image = NULL;
        EFI_STATUS err = EFI_OUT_OF_RESOURCES;

        if (path) {
                memcpy(path, DRIVERS_DIR, d * sizeof(CHAR16));
                path[d] = '\\';
                memcpy(path + d + 1, name, (n + 1) * sizeof(CHAR16));
                dp = devpath_for_file(device, path);
        }
        if (dp)
                err = BS->LoadImage(FALSE, parent, dp, NULL, 0, &image);
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot load driver %ls: %s\n", name, efi_status_text(err));
                if (image)
                        BS->UnloadImage(image);
                image = NULL;
        } else if (!is_driver_image(image)) {
                efi_print("keel: %ls is not a driver, not starting it\n", name);
                err = EFI_LOAD_ERROR;
        } else {
                err = BS->StartImage(image, NULL, NULL);
                /* EFI_ABORTED: a driver that did its work and asks to be unloaded. */
                if (err != EFI_SUCCESS && err != EFI_ABORTED)
                        efi_print("keel: driver %ls failed: %s\n", name, efi_status_text(err));
        }
        if (image && err != EFI_SUCCESS)
                BS->UnloadImage(image);
        efi_free(dp);
        efi_free(path);
        return err == EFI_SUCCESS;
}

static void reconnect_all(void) {
        EFI_HANDLE *handles = NULL;
        UINTN n = 0;

        if (BS->LocateHandleBuffer(AllHandles, NULL, NULL, &n, &handles) != EFI_SUCCESS)
                return;
        for (UINTN i = 0; i < n; i++)
                BS->ConnectController(handles[i], NULL, NULL, TRUE);
        BS->FreePool(handles);
}

void drivers_load(EFI_HANDLE parent, EFI_HANDLE device, EFI_FILE *root) {
        EFI_FILE *dir = NULL;
        EFI_FILE_INFO *info;
        unsigned started = 0;

        if (root->Open(root, &dir, DRIVERS_DIR, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
                return;
        while (dir_next(dir, &info) == EFI_SUCCESS && info) {
                if (!(info->Attribute & EFI_FILE_DIRECTORY) && is_driver_name(info->FileName) &&
                    load_one(parent, device, info->FileName))
                        started++;
                efi_free(info);
        }
        dir->Close(dir);
        if (started > 0)
                reconnect_all();
}
