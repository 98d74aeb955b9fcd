/* SPDX-License-Identifier: MIT */
#include "efi.h"
#include "keyboard-layout.h"
#include "tpm.h"
#include "../common/utf.h"

EFI_STATUS efivar_set_raw(const EFI_GUID *vendor, const CHAR16 *name, const void *data, size_t size, uint32_t attributes) {
        return RT->SetVariable((CHAR16 *) name, (EFI_GUID *) vendor, attributes, size, (void *) data);
}

EFI_STATUS efivar_set_str16(const EFI_GUID *vendor, const CHAR16 *name, const CHAR16 *value, uint32_t attributes) {
        return efivar_set_raw(vendor, name, value, (utf16_strnlen(value, SIZE_MAX / 2 - 1) + 1) * sizeof(CHAR16), attributes);
}

EFI_STATUS efivar_set_str(const EFI_GUID *vendor, const CHAR16 *name, const char *value, uint32_t attributes) {
        size_t len = strlen(value);
        CHAR16 *wide = efi_alloc((len + 1) * sizeof(CHAR16));
        EFI_STATUS err;

        if (!wide)
                return EFI_OUT_OF_RESOURCES;
        utf8_to_utf16(value, len, wide);
        err = efivar_set_str16(vendor, name, wide, attributes);
        efi_free(wide);
        return err;
}

EFI_STATUS efivar_set_u64(const EFI_GUID *vendor, const CHAR16 *name, uint64_t value, uint32_t attributes) {
        uint8_t le[8];
        write_le64(le, value);
        return efivar_set_raw(vendor, name, le, sizeof(le), attributes);
}

EFI_STATUS efivar_get_raw(const EFI_GUID *vendor, const CHAR16 *name, void **ret_data, size_t *ret_size) {
        UINTN size = 0;
        uint8_t *buf;
        EFI_STATUS err;

        err = RT->GetVariable((CHAR16 *) name, (EFI_GUID *) vendor, NULL, &size, NULL);
        if (err != EFI_BUFFER_TOO_SMALL)
                return err == EFI_SUCCESS ? EFI_NOT_FOUND : err;
        if (size > SIZE_MAX - 2)
                return EFI_OUT_OF_RESOURCES;
        buf = efi_alloc(size + 2);
        if (!buf)
                return EFI_OUT_OF_RESOURCES;
        err = RT->GetVariable((CHAR16 *) name, (EFI_GUID *) vendor, NULL, &size, buf);
        if (err != EFI_SUCCESS) {
                efi_free(buf);
                return err;
        }
        buf[size] = buf[size + 1] = 0;
        *ret_data = buf;
        if (ret_size)
                *ret_size = size;
        return EFI_SUCCESS;
}

bool efivar_exists(const EFI_GUID *vendor, const CHAR16 *name) {
        UINTN size = 0;
        return RT->GetVariable((CHAR16 *) name, (EFI_GUID *) vendor, NULL, &size, NULL) == EFI_BUFFER_TOO_SMALL;
}

bool secure_boot_enabled(void) {
        uint8_t value = 0;
        UINTN size = sizeof(value);

        if (RT->GetVariable(L"SecureBoot", (EFI_GUID *) &global_variable_guid, NULL, &size, &value) != EFI_SUCCESS)
                return false;
        return size == 1 && value == 1;
}

/* A bounded UTF-16 string builder for the few texts keel composes itself. */
struct text16 {
        CHAR16 buf[160];
        size_t len;
};

static void text16_put(struct text16 *t, CHAR16 c) {
        if (t->len + 1 < ARRAY_SIZE(t->buf))
                t->buf[t->len++] = c;
        t->buf[t->len] = 0;
}

static void text16_ascii(struct text16 *t, const char *s) {
        while (*s)
                text16_put(t, (uint8_t) *s++);
}

static void text16_str16(struct text16 *t, const CHAR16 *s) {
        while (s && *s)
                text16_put(t, *s++);
}

static void text16_uint(struct text16 *t, uint32_t v, unsigned min_digits) {
        char digits[12];
        unsigned n = 0;
        do {
                digits[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0 || n < min_digits);
        while (n > 0)
                text16_put(t, (uint8_t) digits[--n]);
}

/* "0x" and eight lower-case hex digits, as systemd writes a bit mask. */
static void text16_hex32(struct text16 *t, uint32_t v) {
        text16_ascii(t, "0x");
        for (int shift = 28; shift >= 0; shift -= 4)
                text16_put(t, (uint8_t) "0123456789abcdef"[(v >> shift) & 0xf]);
}

/* "MAJOR.MINOR" with two minor digits, as systemd-boot writes revisions. */
static void text16_revision(struct text16 *t, uint32_t revision) {
        text16_uint(t, revision >> 16, 1);
        text16_put(t, '.');
        text16_uint(t, revision & 0xffff, 2);
}

static void export_firmware_variables(void) {
        struct text16 t;

        if (!efivar_exists(&loader_vendor_guid, L"LoaderFirmwareInfo")) {
                t.len = 0;
                text16_str16(&t, ST->FirmwareVendor);
                text16_put(&t, ' ');
                text16_revision(&t, ST->FirmwareRevision);
                efivar_set_str16(&loader_vendor_guid, L"LoaderFirmwareInfo", t.buf, EFI_VARIABLE_VOLATILE_ACCESS);
        }
        if (!efivar_exists(&loader_vendor_guid, L"LoaderFirmwareType")) {
                t.len = 0;
                text16_ascii(&t, "UEFI ");
                text16_revision(&t, ST->Hdr.Revision);
                efivar_set_str16(&loader_vendor_guid, L"LoaderFirmwareType", t.buf, EFI_VARIABLE_VOLATILE_ACCESS);
        }
        if (!efivar_exists(&loader_vendor_guid, L"LoaderTpm2ActivePcrBanks")) {
                t.len = 0;
                text16_hex32(&t, tpm_active_pcr_banks());
                efivar_set_str16(&loader_vendor_guid, L"LoaderTpm2ActivePcrBanks", t.buf, EFI_VARIABLE_VOLATILE_ACCESS);
        }
        export_keyboard_layout();
}

void export_common_loader_variables(EFI_LOADED_IMAGE *image) {
        export_firmware_variables();

        if (image && !efivar_exists(&loader_vendor_guid, L"LoaderDevicePartUUID")) {
                char uuid[37];
                if (devpath_partition_uuid(image->DeviceHandle, uuid) == EFI_SUCCESS)
                        efivar_set_str(&loader_vendor_guid, L"LoaderDevicePartUUID", uuid, EFI_VARIABLE_VOLATILE_ACCESS);
        }
        if (image && !efivar_exists(&loader_vendor_guid, L"LoaderImageIdentifier")) {
                CHAR16 *path = devpath_file_path_text(image->FilePath);
                if (path)
                        efivar_set_str16(&loader_vendor_guid, L"LoaderImageIdentifier", path, EFI_VARIABLE_VOLATILE_ACCESS);
                efi_free(path);
        }
}
