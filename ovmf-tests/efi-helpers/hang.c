/* SPDX-License-Identifier: MIT */
/* TEST ONLY. Stands in for a kernel that hangs before ExitBootServices: it
 * says so on the console and then waits forever, so only the loader's
 * watchdog can end the boot. */
#include <efi.h>
#include <efilib.h>

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table) {
        InitializeLib(image, system_table);
        Print(L"HANG-STARTED: waiting forever\n");
        for (;;)
                uefi_call_wrapper(BS->Stall, 1, 1000 * 1000);
        return EFI_SUCCESS;
}
