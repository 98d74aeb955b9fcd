/* SPDX-License-Identifier: MIT */
/* TEST ONLY. Stands in for firmware that offers EFI_DT_FIXUP_PROTOCOL
 * (U-Boot, EBBR platforms; AAVMF has none): it installs the protocol and
 * starts \EFI\keel\uki.efi. Its Fixup first answers EFI_BUFFER_TOO_SMALL,
 * asking for 4 KiB more than it was given; once given at least that, it
 * "fixes up" the tree by rewriting the value of the root's
 * keel-test-marker property (7 characters) in place to "fixup-N", N being
 * the flags it was called with, so the booted kernel shows whether the
 * fixup ran, on the buffer that was installed, with which flags. Each call
 * is printed on the console. */
#include <efi.h>
#include <efilib.h>

static EFI_GUID dt_fixup_guid = { 0xe617d64c, 0xfe08, 0x46da, { 0xf4, 0xdc, 0xbb, 0xd5, 0x87, 0x0c, 0x73, 0x00 } };

#define TARGET_UKI L"\\EFI\\keel\\uki.efi"
#define MARKER "uki-dtb"

typedef struct DT_FIXUP DT_FIXUP;
struct DT_FIXUP {
        UINT64 Revision;
        EFI_STATUS (EFIAPI *Fixup)(DT_FIXUP *this, VOID *fdt, UINTN *size, UINT32 flags);
};

static UINTN wanted;

static UINT32 be32(const UINT8 *p) {
        return (UINT32) p[0] << 24 | (UINT32) p[1] << 16 | (UINT32) p[2] << 8 | p[3];
}

static EFI_STATUS EFIAPI fixup(DT_FIXUP *this, VOID *fdt, UINTN *size, UINT32 flags) {
        UINT8 *p = fdt;
        UINT32 total;

        (void) this;
        if (!fdt || !size)
                return EFI_INVALID_PARAMETER;
        total = be32(p + 4);
        Print(L"DT-FIXUP: called with %d bytes, flags %d\n", *size, flags);
        if (!wanted)
                wanted = *size + 4096;
        if (*size < wanted) {
                *size = wanted;
                return EFI_BUFFER_TOO_SMALL;
        }
        for (UINT32 i = 0; i + sizeof(MARKER) <= total; i++)
                if (CompareMem(p + i, MARKER, sizeof(MARKER)) == 0) {
                        CopyMem(p + i, "fixup-", 6);
                        p[i + 6] = (UINT8) ('0' + (flags & 7));
                        Print(L"DT-FIXUP: marker rewritten\n");
                        return EFI_SUCCESS;
                }
        Print(L"DT-FIXUP: no marker in the tree\n");
        return EFI_SUCCESS;
}

static DT_FIXUP protocol = { 0x00010000, fixup };

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
        EFI_HANDLE handle = NULL, uki = NULL;
        EFI_LOADED_IMAGE *li;
        EFI_DEVICE_PATH *dp;
        EFI_STATUS err;

        InitializeLib(image, st);
        err = uefi_call_wrapper(BS->InstallMultipleProtocolInterfaces, 4, &handle, &dt_fixup_guid, &protocol, NULL);
        if (EFI_ERROR(err) ||
            EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (VOID **) &li))) {
                Print(L"DT-FIXUP: cannot install the protocol: %r\n", err);
                return EFI_LOAD_ERROR;
        }
        dp = FileDevicePath(li->DeviceHandle, TARGET_UKI);
        err = dp ? uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0, &uki) : EFI_OUT_OF_RESOURCES;
        if (!EFI_ERROR(err))
                err = uefi_call_wrapper(BS->StartImage, 3, uki, NULL, NULL);
        Print(L"DT-FIXUP: %s returned: %r\n", TARGET_UKI, err);
        return EFI_ERROR(err) ? err : EFI_LOAD_ERROR;
}
