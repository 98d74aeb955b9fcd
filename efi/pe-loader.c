/* SPDX-License-Identifier: MIT */
#include "pe-loader.h"
#include "arch.h"
#include "exit-guard.h"
#include "../common/error.h"
#include "../common/utf.h"

/* UEFI 2.10, 7.2.4. */
#define MEMORY_ATTRIBUTE_PROTOCOL_GUID \
        { 0xf4560cf6, 0x40ec, 0x4b4a, { 0xa1, 0x92, 0xbf, 0x1d, 0x57, 0xd0, 0xb1, 0x89 } }
#define MEMORY_ATTRIBUTE_RO 0x0000000000020000ULL
#define MEMORY_ATTRIBUTE_XP 0x0000000000004000ULL

#ifndef EFI_PAGES_TO_SIZE
#define EFI_PAGES_TO_SIZE(pages) ((UINT64) (pages) << EFI_PAGE_SHIFT)
#endif

struct memory_attribute_protocol;
typedef EFI_STATUS(EFIAPI *memory_attributes_fn)(struct memory_attribute_protocol *this, EFI_PHYSICAL_ADDRESS base,
                                                 UINT64 length, UINT64 attributes);
struct memory_attribute_protocol {
        EFI_STATUS(EFIAPI *GetMemoryAttributes)(struct memory_attribute_protocol *this, EFI_PHYSICAL_ADDRESS base,
                                                UINT64 length, UINT64 *attributes);
        memory_attributes_fn SetMemoryAttributes;
        memory_attributes_fn ClearMemoryAttributes;
};

#define DP_TYPE_HARDWARE 0x01
#define DP_SUBTYPE_MEMMAP 0x03
#define DP_TYPE_END 0x7f
#define DP_SUBTYPE_END_ENTIRE 0xff

/* The kernel's FilePath while it runs: the memory it is in, as systemd-stub
 * and GRUB describe an image they loaded themselves. */
static struct {
        MEMMAP_DEVICE_PATH memmap;
        EFI_DEVICE_PATH end;
} _packed_ kernel_file_path = {
        .memmap = { .Header = { DP_TYPE_HARDWARE, DP_SUBTYPE_MEMMAP, { sizeof(MEMMAP_DEVICE_PATH), 0 } },
                    .MemoryType = EfiLoaderCode },
        .end = { DP_TYPE_END, DP_SUBTYPE_END_ENTIRE, { sizeof(EFI_DEVICE_PATH), 0 } },
};

static EFI_STATUS set_protection(struct memory_attribute_protocol *ma, EFI_PHYSICAL_ADDRESS base, UINT64 size,
                                 UINT64 set, UINT64 clear) {
        EFI_STATUS err = EFI_SUCCESS;

        if (set)
                err = ma->SetMemoryAttributes(ma, base, size, set);
        if (err == EFI_SUCCESS && clear)
                err = ma->ClearMemoryAttributes(ma, base, size, clear);
        return err;
}

static void unprotect(struct pe_loaded *l) {
        for (size_t i = 0; l->memattr && i < l->n_ranges; i++)
                (void) set_protection(l->memattr, l->base + l->ranges[i].rva, l->ranges[i].size, MEMORY_ATTRIBUTE_XP,
                                      MEMORY_ATTRIBUTE_RO);
        l->memattr = NULL;
}

/* W^X for an image that asks for it, on firmware that can do it; firmware
 * without the protocol (UEFI before 2.10, OVMF before 2023) runs the image
 * as it is. A failure to protect is not fatal either: the image then runs
 * as it would on such firmware. */
static void protect(const struct pe_image *pe, const struct pe_load_info *info, struct pe_loaded *l) {
        EFI_GUID guid = MEMORY_ATTRIBUTE_PROTOCOL_GUID;
        struct memory_attribute_protocol *ma = NULL;

        l->n_ranges = pe_load_protections(pe, info, l->ranges);
        if (l->n_ranges == 0)
                return;
        if (BS->LocateProtocol(&guid, NULL, (void **) &ma) != EFI_SUCCESS || !ma)
                return;
        l->memattr = ma;
        for (size_t i = 0; i < l->n_ranges; i++) {
                const struct pe_load_range *r = &l->ranges[i];
                UINT64 set = r->protection == PE_PROTECT_READ_WRITE  ? MEMORY_ATTRIBUTE_XP
                             : r->protection == PE_PROTECT_READ_EXEC ? MEMORY_ATTRIBUTE_RO
                                                                     : MEMORY_ATTRIBUTE_RO | MEMORY_ATTRIBUTE_XP;
                UINT64 clear = r->protection == PE_PROTECT_READ_WRITE  ? MEMORY_ATTRIBUTE_RO
                               : r->protection == PE_PROTECT_READ_EXEC ? MEMORY_ATTRIBUTE_XP
                                                                       : 0;
                EFI_STATUS err = set_protection(ma, l->base + r->rva, r->size, set, clear);

                if (err != EFI_SUCCESS) {
                        efi_print("keel: cannot protect the kernel's memory (W^X): %s\n", efi_status_text(err));
                        unprotect(l);
                        return;
                }
        }
}

EFI_STATUS pe_loader_load(const struct pe_image *pe, const struct pe_load_info *info, const void *buf, size_t len,
                          struct pe_loaded *ret) {
        EFI_PHYSICAL_ADDRESS addr = 0, base;
        UINTN pages, slack;
        EFI_STATUS err;
        int r;

        memset(ret, 0, sizeof(*ret));
        /* pe_load_check() bounds both: no overflow. Over-allocate by the
         * alignment and give back what lies before and after the aligned
         * image (an arm64 kernel not at a 64 KiB boundary would copy
         * itself elsewhere). */
        pages = EFI_SIZE_TO_PAGES(info->size_of_image);
        slack = info->alignment > EFI_PAGE_SIZE ? EFI_SIZE_TO_PAGES(info->alignment) - 1 : 0;
        err = BS->AllocatePages(AllocateAnyPages, EfiLoaderCode, pages + slack, &addr);
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot allocate %u bytes for the kernel: %s\n", info->size_of_image,
                          efi_status_text(err));
                return err;
        }
        base = (addr + info->alignment - 1) & ~((EFI_PHYSICAL_ADDRESS) info->alignment - 1);
        if (base > addr)
                BS->FreePages(addr, EFI_SIZE_TO_PAGES(base - addr));
        if (addr + EFI_PAGES_TO_SIZE(pages + slack) > base + EFI_PAGES_TO_SIZE(pages))
                BS->FreePages(base + EFI_PAGES_TO_SIZE(pages),
                              EFI_SIZE_TO_PAGES(addr + EFI_PAGES_TO_SIZE(pages + slack) - base) - pages);
        ret->base = base;
        ret->pages = pages;
        ret->size_of_image = info->size_of_image;
        ret->entry_point = info->entry_point;

        r = pe_load_copy(pe, info, buf, len, (void *) (uintptr_t) base, EFI_PAGES_TO_SIZE(pages), base);
        if (r != KEEL_OK) {
                efi_print("keel: cannot load the kernel image: %s\n", keel_strerror(r));
                pe_loader_free(ret);
                return EFI_LOAD_ERROR;
        }
        /* The instructions just written, not what the caches held. */
        arch_sync_icache((const void *) (uintptr_t) base, info->size_of_image);
        protect(pe, info, ret);
        return EFI_SUCCESS;
}

EFI_STATUS pe_loader_start(EFI_HANDLE image, const struct pe_loaded *l, const CHAR16 *options) {
        EFI_IMAGE_ENTRY_POINT entry = (EFI_IMAGE_ENTRY_POINT) (uintptr_t) (l->base + l->entry_point);
        EFI_LOADED_IMAGE *li, saved;
        EFI_STATUS err;

        /* keel's own handle and its LoadedImage protocol, patched, as GRUB,
         * shim, systemd-stub and lanzaboote do: firmware may treat the
         * protocol as part of its own larger per-image structure, so a
         * handle made up here with a protocol of our own could crash it when
         * the kernel passes its handle back (ExitBootServices(), Exit()). */
        li = efi_loaded_image(image);
        if (!li) {
                efi_print("keel: own image has no loaded-image protocol\n");
                return EFI_LOAD_ERROR;
        }
        saved = *li;
        kernel_file_path.memmap.StartingAddress = l->base;
        kernel_file_path.memmap.EndingAddress = l->base + l->size_of_image - 1;
        li->FilePath = (EFI_DEVICE_PATH *) &kernel_file_path;
        li->ImageBase = (void *) (uintptr_t) l->base;
        li->ImageSize = l->size_of_image;
        li->ImageCodeType = EfiLoaderCode;
        li->ImageDataType = EfiLoaderData;
        li->LoadOptions = (void *) options;
        li->LoadOptionsSize =
                options ? (uint32_t) ((utf16_strnlen(options, UINT32_MAX / 2 - 1) + 1) * sizeof(CHAR16)) : 0;

        err = exit_guard_call(image, entry);

        *li = saved;
        return err;
}

void pe_loader_free(struct pe_loaded *l) {
        if (!l->base)
                return;
        unprotect(l);
        BS->FreePages(l->base, l->pages);
        l->base = 0;
}
