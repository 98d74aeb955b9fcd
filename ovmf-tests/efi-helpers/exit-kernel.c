/* SPDX-License-Identifier: MIT */
/* TEST ONLY. Stands in for a kernel that fails the ways Linux's EFI stub can
 * fail, chosen by a word of its command line (the UKI's .cmdline):
 *   keel.exit=return      returns EFI_LOAD_ERROR from its entry point;
 *   keel.exit=exit        BS->Exit(its handle, EFI_LOAD_ERROR) — what Linux
 *                         does on "efi_stub_entry() failed!";
 *   keel.exit=exit-data   the same with ExitData allocated from pool;
 *   keel.exit=exit-child  first starts \EFI\keel\child.efi (this same
 *                         program, without a command line), which leaves
 *                         through Exit() on its own, child handle; then
 *                         tries Exit() on its parent's handle (the firmware
 *                         must refuse: that image is not the one running);
 *                         then Exit() on its own handle.
 * Without keel.exit= it is the child: Exit(its handle, EFI_ABORTED).
 * Every mode first says on the console whether an initrd is offered on
 * Linux's initrd device path, as a kernel would find it, and how many
 * handles carry LoadFile2 at all: a stale one left by an earlier attempt
 * counts even when its device path now lies in freed memory — and how
 * much memory is free (MiB of EfiConventionalMemory), which shows whether
 * what an earlier attempt allocated was given back. */
#include <efi.h>
#include <efilib.h>

#define CHILD_PATH L"\\EFI\\keel\\child.efi"

static EFI_GUID load_file2_guid = { 0x4006c0c1, 0xfcb3, 0x403e, { 0x99, 0x6d, 0x4a, 0x6c, 0x87, 0x24, 0xe0, 0x6d } };

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

static BOOLEAN initrd_offered(void) {
        EFI_DEVICE_PATH *dp = (EFI_DEVICE_PATH *) &initrd_path;
        EFI_HANDLE handle;

        if (EFI_ERROR(uefi_call_wrapper(BS->LocateDevicePath, 3, &load_file2_guid, &dp, &handle)))
                return FALSE;
        return IsDevicePathEnd(dp);
}

static UINTN load_file2_handles(void) {
        EFI_HANDLE *handles = NULL;
        UINTN n = 0;

        if (EFI_ERROR(uefi_call_wrapper(BS->LocateHandleBuffer, 5, ByProtocol, &load_file2_guid, NULL, &n, &handles)))
                return 0;
        FreePool(handles);
        return n;
}

static UINT64 free_mib(void) {
        UINTN entries, key, desc_size;
        UINT32 desc_version;
        EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&entries, &key, &desc_size, &desc_version), *d;
        UINT64 pages = 0;

        if (!map)
                return 0;
        for (UINTN i = 0; i < entries; i++) {
                d = (EFI_MEMORY_DESCRIPTOR *) ((UINT8 *) map + i * desc_size);
                if (d->Type == EfiConventionalMemory)
                        pages += d->NumberOfPages;
        }
        FreePool(map);
        return pages / 256;
}

/* The value of keel.exit= in the load options, copied to out; "" if none. */
static void exit_mode(EFI_LOADED_IMAGE *li, CHAR16 *out, UINTN out_units) {
        static const CHAR16 key[] = L"keel.exit=";
        const CHAR16 *s = li->LoadOptions;
        UINTN n = li->LoadOptionsSize / sizeof(CHAR16), k = StrLen(key), o = 0;

        out[0] = 0;
        for (UINTN i = 0; s && i + k <= n; i++) {
                if ((i > 0 && s[i - 1] != ' ') || CompareMem(s + i, key, k * sizeof(CHAR16)) != 0)
                        continue;
                for (i += k; i < n && s[i] && s[i] != ' ' && o + 1 < out_units; i++)
                        out[o++] = s[i];
                out[o] = 0;
                return;
        }
}

static EFI_STATUS start_child(EFI_HANDLE image, EFI_LOADED_IMAGE *li) {
        EFI_DEVICE_PATH *dp = FileDevicePath(li->DeviceHandle, CHILD_PATH);
        EFI_HANDLE child = NULL;
        EFI_STATUS err;

        if (!dp)
                return EFI_OUT_OF_RESOURCES;
        err = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0, &child);
        FreePool(dp);
        if (EFI_ERROR(err)) {
                Print(L"EXIT-KERNEL: cannot load the child: %r\n", err);
                return err;
        }
        return uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st) {
        EFI_LOADED_IMAGE *li;
        CHAR16 mode[32], *data;
        EFI_STATUS err;

        InitializeLib(image, st);
        if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (VOID **) &li)))
                return EFI_LOAD_ERROR;
        exit_mode(li, mode, sizeof(mode) / sizeof(mode[0]));
        if (mode[0] == 0) {
                Print(L"EXIT-CHILD: leaving through Exit() on its own handle\n");
                return uefi_call_wrapper(BS->Exit, 4, image, EFI_ABORTED, 0, NULL);
        }
        Print(L"EXIT-KERNEL: mode=%s initrd-offered=%s loadfile2-handles=%d free-mib=%ld\n", mode,
              initrd_offered() ? L"yes" : L"no", load_file2_handles(), free_mib());

        if (StrCmp(mode, L"return") == 0)
                return EFI_LOAD_ERROR;
        if (StrCmp(mode, L"exit-data") == 0) {
                data = AllocatePool(64);
                if (data)
                        StrCpy(data, L"exit-kernel: goodbye");
                return uefi_call_wrapper(BS->Exit, 4, image, EFI_ABORTED, data ? 64 : 0, data);
        }
        if (StrCmp(mode, L"exit-child") == 0) {
                err = start_child(image, li);
                Print(L"EXIT-KERNEL: the child came back with: %r\n", err);
                err = uefi_call_wrapper(BS->Exit, 4, li->ParentHandle, EFI_LOAD_ERROR, 0, NULL);
                Print(L"EXIT-KERNEL: Exit() on the parent's handle: %r\n", err);
        }
        return uefi_call_wrapper(BS->Exit, 4, image, EFI_LOAD_ERROR, 0, NULL);
}
