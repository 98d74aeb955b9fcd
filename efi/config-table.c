/* SPDX-License-Identifier: MIT */
#include "config-table.h"

const EFI_GUID linux_random_seed_table_guid = {
        0x1ce1e5bc, 0x7ceb, 0x42f2, { 0x81, 0xe5, 0x8a, 0xad, 0xf1, 0x80, 0xf5, 0x7b }
};

void *config_table_find(const EFI_GUID *guid) {
        for (UINTN i = 0; i < ST->NumberOfTableEntries; i++)
                if (memcmp(&ST->ConfigurationTable[i].VendorGuid, guid, sizeof(*guid)) == 0)
                        return ST->ConfigurationTable[i].VendorTable;
        return NULL;
}

EFI_STATUS config_table_install(const EFI_GUID *guid, void *table) {
        return BS->InstallConfigurationTable((EFI_GUID *) guid, table);
}
