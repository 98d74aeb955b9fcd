/* SPDX-License-Identifier: MIT */
#include "sysfail.h"
#include "../common/esrt.h"
#include "../efi/config-table.h"

static const EFI_GUID esrt_guid = { 0xb122a263, 0x3661, 0x4f68, { 0x99, 0x29, 0x78, 0xf8, 0xb0, 0xd6, 0x21, 0x80 } };

bool sysfail_check(void) {
        const void *t = config_table_find(&esrt_guid);
        size_t size;

        if (!t)
                return false;
        size = esrt_table_size(t);
        if (size == 0) {
                efi_log(4, "keel: ignoring an ESRT with a count or version keel does not read\n");
                return false;
        }
        if (!esrt_system_firmware_update_failed(t, size))
                return false;
        efi_print("keel: the firmware reports a failed system firmware update (ESRT)\n");
        efivar_set_str(&loader_vendor_guid, L"LoaderSysFailReason", "firmware-updare-failure",
                       EFI_VARIABLE_VOLATILE_ACCESS);
        return true;
}
