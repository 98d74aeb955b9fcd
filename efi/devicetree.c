/* SPDX-License-Identifier: MIT */
#include "devicetree.h"
#include "../common/error.h"
#include "../common/fdt.h"

/* The Devicetree configuration table (UEFI 2.10, 4.6.1.3 "Devicetree Tables"). */
static const EFI_GUID dtb_table_guid = { 0xb1b621d5, 0xf19c, 0x41a5, { 0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0 } };

/* EFI_DT_FIXUP_PROTOCOL (the EBBR / U-Boot "EFI DT fixup" protocol). */
static const EFI_GUID dt_fixup_guid = { 0xe617d64c, 0xfe08, 0x46da, { 0xf4, 0xdc, 0xbb, 0xd5, 0x87, 0x0c, 0x73, 0x00 } };
#define EFI_DT_APPLY_FIXUPS 0x00000001u
#define EFI_DT_RESERVE_MEMORY 0x00000002u

typedef struct EFI_DT_FIXUP_PROTOCOL EFI_DT_FIXUP_PROTOCOL;
struct EFI_DT_FIXUP_PROTOCOL {
        uint64_t Revision;
        EFI_STATUS (EFIAPI *Fixup)(EFI_DT_FIXUP_PROTOCOL *this, void *fdt, UINTN *buffer_size, uint32_t flags);
};

static void *find_table(const EFI_GUID *guid) {
        for (UINTN i = 0; i < ST->NumberOfTableEntries; i++)
                if (memcmp(&ST->ConfigurationTable[i].VendorGuid, guid, sizeof(*guid)) == 0)
                        return ST->ConfigurationTable[i].VendorTable;
        return NULL;
}

/* ACPI reclaim memory: the kernel keeps the tree after ExitBootServices and
 * may reuse the pages once it has unflattened it (what systemd uses). */
static EFI_STATUS allocate(struct devicetree_state *state, size_t size) {
        UINTN pages = (size + 4095) / 4096;
        EFI_STATUS err = BS->AllocatePages(AllocateAnyPages, EfiACPIReclaimMemory, pages, &state->addr);

        if (err == EFI_SUCCESS)
                state->pages = pages;
        return err;
}

static void release(struct devicetree_state *state) {
        if (state->pages)
                BS->FreePages(state->addr, state->pages);
        state->pages = 0;
        state->addr = 0;
}

/* The firmware's fixups (memory reservations, its own nodes), when it
 * offers them. The protocol may ask for a bigger buffer: then the blob
 * moves to one of the size it names and the call is repeated once. */
static EFI_STATUS apply_fixups(struct devicetree_state *state, size_t len) {
        EFI_DT_FIXUP_PROTOCOL *fixup = NULL;
        struct devicetree_state bigger = {};
        UINTN size;
        EFI_STATUS err;

        if (BS->LocateProtocol((EFI_GUID *) &dt_fixup_guid, NULL, (void **) &fixup) != EFI_SUCCESS || !fixup)
                return EFI_SUCCESS;
        size = state->pages * 4096;
        err = fixup->Fixup(fixup, (void *) (uintptr_t) state->addr, &size, EFI_DT_APPLY_FIXUPS | EFI_DT_RESERVE_MEMORY);
        if (err != EFI_BUFFER_TOO_SMALL)
                return err;
        if (size <= state->pages * 4096 || size > FDT_MAX_SIZE)
                return EFI_BAD_BUFFER_SIZE; /* a firmware asking for less, or for absurdly much */
        err = allocate(&bigger, size);
        if (err != EFI_SUCCESS)
                return err;
        memcpy((void *) (uintptr_t) bigger.addr, (const void *) (uintptr_t) state->addr, len);
        release(state);
        *state = bigger;
        size = state->pages * 4096;
        return fixup->Fixup(fixup, (void *) (uintptr_t) state->addr, &size, EFI_DT_APPLY_FIXUPS | EFI_DT_RESERVE_MEMORY);
}

EFI_STATUS devicetree_install(struct devicetree_state *state, const void *dtb, size_t size) {
        size_t total = 0;
        EFI_STATUS err;
        int r;

        *state = (struct devicetree_state) {};
        r = fdt_check(dtb, size, &total);
        if (r != KEEL_OK) {
                efi_print("keel: not installing the device tree: %s\n", keel_strerror(r));
                return EFI_INVALID_PARAMETER;
        }
        state->orig = find_table(&dtb_table_guid);
        err = allocate(state, total);
        if (err != EFI_SUCCESS)
                goto fail;
        memcpy((void *) (uintptr_t) state->addr, dtb, total);
        err = apply_fixups(state, total);
        if (err != EFI_SUCCESS) {
                efi_print("keel: the firmware's device tree fixup failed: %s\n", efi_status_text(err));
                goto fail;
        }
        err = BS->InstallConfigurationTable((EFI_GUID *) &dtb_table_guid, (void *) (uintptr_t) state->addr);
        if (err != EFI_SUCCESS)
                goto fail;
        state->installed = true;
        return EFI_SUCCESS;
fail:
        efi_print("keel: cannot install the device tree: %s\n", efi_status_text(err));
        release(state);
        return err;
}

void devicetree_restore(struct devicetree_state *state) {
        if (!state->installed)
                return;
        /* NULL removes the table: the firmware had none. Ours is freed only
         * once it is no longer the installed one. */
        if (BS->InstallConfigurationTable((EFI_GUID *) &dtb_table_guid, state->orig) != EFI_SUCCESS) {
                efi_print("keel: cannot put the firmware's device tree back\n");
                return;
        }
        state->installed = false;
        release(state);
}
