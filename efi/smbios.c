/* SPDX-License-Identifier: MIT */
#include "smbios.h"
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
