/* SPDX-License-Identifier: MIT */
/* TEST ONLY. Writes Secure Boot variables from .auth files, the way a boot
 * loader enrolls keys, so that the scenarios can check what firmware makes
 * of the payloads `keel keys create` writes. For N = 0..9 and each of PK,
 * KEK, db it writes \keys\N-NAME.auth (if present) to NAME with
 * NV|BS|RT|TIME_BASED_AUTHENTICATED_WRITE_ACCESS, prints the status, then
 * resets the machine (QEMU runs with -no-reboot, so it exits). */
#include <efi.h>
#include <efilib.h>
#include "read-file.h"

static EFI_GUID image_security_database = { 0xd719b2cb, 0x3d3a, 0x4596, { 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f } };
static EFI_GUID global_variable = EFI_GLOBAL_VARIABLE;

#define ATTRIBUTES (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS | \
                    EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS)

static UINT8 read_u8_var(CHAR16 *name) {
        UINT8 v = 0xff;
        UINTN size = sizeof(v);
        uefi_call_wrapper(RT->GetVariable, 5, name, &global_variable, NULL, &size, &v);
        return v;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
        static CHAR16 *names[] = { L"PK", L"KEK", L"db" };
        EFI_LOADED_IMAGE *li;
        EFI_FILE_HANDLE root;

        InitializeLib(image, st);
        Print(L"keel-enroll: SetupMode=%d SecureBoot=%d\n", read_u8_var(L"SetupMode"), read_u8_var(L"SecureBoot"));
        if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (VOID **) &li)) ||
            !(root = LibOpenRoot(li->DeviceHandle))) {
                Print(L"keel-enroll: cannot open the boot volume\n");
                return EFI_LOAD_ERROR;
        }
        for (UINTN n = 0; n < 10; n++)
                for (UINTN i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                        CHAR16 path[64];
                        VOID *data;
                        UINTN size;
                        EFI_STATUS err;

                        SPrint(path, sizeof(path), L"\\keys\\%d-%s.auth", n, names[i]);
                        if (EFI_ERROR(read_file(root, path, &data, &size)))
                                continue;
                        err = uefi_call_wrapper(RT->SetVariable, 5, names[i],
                                                i == 2 ? &image_security_database : &global_variable, ATTRIBUTES, size,
                                                data);
                        Print(L"keel-enroll: %s -> %s: %r\n", path, names[i], err);
                        FreePool(data);
                }
        Print(L"keel-enroll: done, SetupMode=%d\n", read_u8_var(L"SetupMode"));
        uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, EFI_SUCCESS, 0, NULL);
        return EFI_SUCCESS;
}
