/* SPDX-License-Identifier: MIT */
#include "smbios.h"
#include "tpm.h"
#include "../common/error.h"
#include "../common/smbios.h"
#include "../common/utf.h"

static const EFI_GUID smbios_table_guid = { 0xeb9d2d31, 0x2d88, 0x11d3, { 0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } };
static const EFI_GUID smbios3_table_guid = { 0xf2fd1544, 0x9794, 0x4a2c, { 0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94 } };

static const void *find_table(const EFI_GUID *guid) {
        for (UINTN i = 0; i < ST->NumberOfTableEntries; i++)
                if (memcmp(&ST->ConfigurationTable[i].VendorGuid, guid, sizeof(*guid)) == 0)
                        return ST->ConfigurationTable[i].VendorTable;
        return NULL;
}

/* The structure table, from the 3.0 entry point when it is usable, else
 * the 2.1 one (systemd's preference). Only the entry point's fixed fields
 * are read. */
static const uint8_t *structure_table(size_t *ret_len) {
        static const struct {
                const EFI_GUID *guid;
                bool smbios3;
                size_t ep_len; /* the entry point's size in the specification */
        } kinds[] = { { &smbios3_table_guid, true, 0x18 }, { &smbios_table_guid, false, 0x1e } };

        for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
                const uint8_t *ep = find_table(kinds[i].guid);
                uint64_t address;
                size_t len;

                if (!ep)
                        continue;
                if (smbios_entry_point(ep, kinds[i].ep_len, kinds[i].smbios3, &address, &len) != KEEL_OK)
                        continue;
                *ret_len = len;
                return (const uint8_t *) (uintptr_t) address;
        }
        *ret_len = 0;
        return NULL;
}

CHAR16 *smbios_oem_string(const char *prefix) {
        const char *value;
        size_t table_len, len;
        const uint8_t *table = structure_table(&table_len);
        CHAR16 *out;
        int r;

        if (!table)
                return NULL;
        r = smbios_find_oem_string(table, table_len, prefix, &value, &len);
        if (r == KEEL_E_SMBIOS_MALFORMED)
                efi_print("keel: ignoring the firmware's SMBIOS table: %s\n", keel_strerror(r));
        if (r != KEEL_OK)
                return NULL;
        out = efi_alloc((len + 1) * sizeof(CHAR16));
        if (out)
                utf8_to_utf16(value, len, out);
        return out;
}

/* One structure into PCR 1: a copy when its wake-up type must read 0. */
static EFI_STATUS measure_structure(const uint8_t *table, const struct smbios_measurement *m) {
        CHAR16 description[16];
        uint8_t *copy = NULL;
        const uint8_t *data = table + m->offset;
        size_t len = strlen(m->description);
        EFI_STATUS err;

        if (len >= ARRAY_SIZE(description))
                return EFI_INVALID_PARAMETER;
        utf8_to_utf16(m->description, len, description);
        if (m->clear_wake_up_type) {
                copy = efi_alloc(m->size);
                if (!copy)
                        return EFI_OUT_OF_RESOURCES;
                memcpy(copy, data, m->size);
                copy[SMBIOS_TYPE1_WAKE_UP_TYPE] = 0;
                data = copy;
        }
        err = tpm_log_tagged_event(SMBIOS_PCR, data, m->size, m->tag_id, description);
        efi_free(copy);
        return err;
}

void smbios_measure(void) {
        struct smbios_measurement m;
        size_t table_len, off = 0;
        const uint8_t *table;
        bool measured = false;
        int r;

        /* Once per boot, whoever comes first (systemd-boot, systemd-stub,
         * keel in either role): a second extend would change PCR 1 again. */
        if (efivar_exists(&loader_vendor_guid, L"LoaderPcrSMBIOS") || !tpm_present())
                return;
        table = structure_table(&table_len);
        if (!table)
                return;
        while ((r = smbios_next_measurement(table, table_len, &off, &m)) == KEEL_OK) {
                EFI_STATUS err = measure_structure(table, &m);

                if (err != EFI_SUCCESS) {
                        efi_print("keel: cannot measure SMBIOS %s into PCR %u: %s\n", m.description, SMBIOS_PCR,
                                  efi_status_text(err));
                        continue;
                }
                measured = true;
        }
        if (r == KEEL_E_SMBIOS_MALFORMED)
                efi_print("keel: the firmware's SMBIOS table ends early: %s\n", keel_strerror(r));
        if (measured)
                efivar_set_str(&loader_vendor_guid, L"LoaderPcrSMBIOS", "1", EFI_VARIABLE_VOLATILE_ACCESS);
}
