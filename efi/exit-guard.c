/* SPDX-License-Identifier: MIT */
#include "exit-guard.h"
#include "arch.h"

/* One guard at a time: an image keel starts this way does not come back
 * into keel's stub before it returns or exits. */
static struct {
        EFI_HANDLE image;
        EFI_EXIT firmware_exit;
        EFI_STATUS status;
        struct arch_context context;
} guard;

/* The boot services table is checksummed: anyone may verify it. */
static void set_exit(EFI_EXIT exit) {
        UINT32 crc = 0;

        BS->Exit = exit;
        BS->Hdr.CRC32 = 0;
        BS->CalculateCrc32(BS, BS->Hdr.HeaderSize, &crc);
        BS->Hdr.CRC32 = crc;
}

static EFI_STATUS EFIAPI guarded_exit(EFI_HANDLE image, EFI_STATUS status, UINTN data_size, CHAR16 *data) {
        if (image != guard.image)
                return guard.firmware_exit(image, status, data_size, data);
        /* The exiting image allocated ExitData from pool; whoever started
         * it frees it (keel has no use for the text). */
        if (data && data_size > 0)
                BS->FreePool(data);
        guard.status = status;
        arch_context_restore(&guard.context, 1);
}

EFI_STATUS exit_guard_call(EFI_HANDLE image, EFI_IMAGE_ENTRY_POINT entry) {
        EFI_STATUS err;

        guard.image = image;
        guard.firmware_exit = BS->Exit;
        set_exit(guarded_exit);
        if (arch_context_save(&guard.context) == 0)
                err = entry(image, ST);
        else
                err = guard.status;
        set_exit(guard.firmware_exit);
        guard.image = NULL;
        return err;
}
