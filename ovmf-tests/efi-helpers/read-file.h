/* SPDX-License-Identifier: MIT */
/* TEST ONLY. Reads a whole file from a volume into pool memory; shared by
 * the helper programs (each is one translation unit). */
#pragma once
#include <efi.h>
#include <efilib.h>

static EFI_STATUS read_file(EFI_FILE_HANDLE root, CHAR16 *path, VOID **ret, UINTN *ret_size) {
        EFI_FILE_HANDLE f;
        EFI_FILE_INFO *info;
        EFI_STATUS err;
        UINTN size;
        VOID *buf;

        err = uefi_call_wrapper(root->Open, 5, root, &f, path, EFI_FILE_MODE_READ, 0);
        if (EFI_ERROR(err))
                return err;
        info = LibFileInfo(f);
        if (!info) {
                uefi_call_wrapper(f->Close, 1, f);
                return EFI_LOAD_ERROR;
        }
        size = info->FileSize;
        FreePool(info);
        buf = AllocatePool(size);
        if (!buf) {
                uefi_call_wrapper(f->Close, 1, f);
                return EFI_OUT_OF_RESOURCES;
        }
        err = uefi_call_wrapper(f->Read, 3, f, &size, buf);
        uefi_call_wrapper(f->Close, 1, f);
        if (EFI_ERROR(err)) {
                FreePool(buf);
                return err;
        }
        *ret = buf;
        *ret_size = size;
        return EFI_SUCCESS;
}
