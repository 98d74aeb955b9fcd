/* SPDX-License-Identifier: MIT */
#include "bli.h"
#include "../common/utf.h"

#define EFI_VARIABLE_PERSISTENT \
        (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS)
#define BLI_STRING_MAX 4096

void bli_export_time(const CHAR16 *name, uint64_t usec) {
        char digits[24], text[24];
        size_t n = 0;

        if (usec == 0)
                return;
        do {
                digits[n++] = (char) ('0' + usec % 10);
                usec /= 10;
        } while (usec > 0);
        for (size_t i = 0; i < n; i++)
                text[i] = digits[n - 1 - i];
        text[n] = '\0';
        efivar_set_str(&loader_vendor_guid, name, text, EFI_VARIABLE_VOLATILE_ACCESS);
}

void bli_export_loader_info(EFI_LOADED_IMAGE *image, uint64_t init_usec, uint64_t features) {
        efivar_set_str(&loader_vendor_guid, L"LoaderInfo", KEEL_VERSION_STRING, EFI_VARIABLE_VOLATILE_ACCESS);
        efivar_set_u64(&loader_vendor_guid, L"LoaderFeatures", features, EFI_VARIABLE_VOLATILE_ACCESS);
        export_common_loader_variables(image);
        bli_export_time(L"LoaderTimeInitUSec", init_usec);
}

/* LoaderEntries: every ID in menu order, each UTF-16 with its NUL. */
void bli_export_entries(const struct entry_list *l) {
        size_t units = 0, o = 0;
        CHAR16 *buf;

        for (size_t i = 0; i < l->n_entries; i++)
                units += strlen(l->entries[i].id) + 1;
        buf = efi_alloc((units + 1) * sizeof(CHAR16));
        if (!buf)
                return;
        for (size_t i = 0; i < l->n_entries; i++)
                o += utf8_to_utf16(l->entries[i].id, strlen(l->entries[i].id), buf + o) + 1;
        efivar_set_raw(&loader_vendor_guid, L"LoaderEntries", buf, o * sizeof(CHAR16), EFI_VARIABLE_VOLATILE_ACCESS);
        efi_free(buf);
}

void bli_export_selected(const struct boot_entry *e) {
        efivar_set_str(&loader_vendor_guid, L"LoaderEntrySelected", e->id, EFI_VARIABLE_VOLATILE_ACCESS);
}

char *bli_read_string(const CHAR16 *name, bool delete_after_read) {
        void *data = NULL;
        size_t size = 0, units;
        char *out;

        if (efivar_get_raw(&loader_vendor_guid, name, &data, &size) != EFI_SUCCESS)
                return NULL;
        if (delete_after_read)
                efivar_set_raw(&loader_vendor_guid, name, NULL, 0, 0);
        units = utf16_strnlen(data, size / sizeof(CHAR16));
        if (units == 0 || units > BLI_STRING_MAX) {
                efi_free(data);
                return NULL;
        }
        out = efi_alloc(3 * units + 1);
        if (out)
                utf16_to_utf8(data, units, out);
        efi_free(data);
        return out;
}

EFI_STATUS bli_set_persistent_string(const CHAR16 *name, const char *value) {
        if (!value)
                return efivar_set_raw(&loader_vendor_guid, name, NULL, 0, 0);
        return efivar_set_str(&loader_vendor_guid, name, value, EFI_VARIABLE_PERSISTENT);
}
