/* SPDX-License-Identifier: MIT */
#include "stub.h"
#include "initrd.h"
#include "linux.h"
#include "../common/cmdline.h"
#include "../common/utf.h"

/* Bits of StubFeatures (systemd's numbering) that keel really implements. */
#define STUB_FEATURE_REPORT_BOOT_PARTITION (UINT64_C(1) << 0)
#define KEEL_STUB_FEATURES STUB_FEATURE_REPORT_BOOT_PARTITION

static void export_stub_variables(EFI_LOADED_IMAGE *li) {
        efivar_set_str(&loader_vendor_guid, L"StubInfo", KEEL_VERSION_STRING, EFI_VARIABLE_VOLATILE_ACCESS);
        efivar_set_u64(&loader_vendor_guid, L"StubFeatures", KEEL_STUB_FEATURES, EFI_VARIABLE_VOLATILE_ACCESS);
        export_common_loader_variables(li);
}

/* The command line as a fresh UTF-16 string (caller frees), or NULL for none. */
static EFI_STATUS build_cmdline(const struct self_image *self, CHAR16 **ret) {
        EFI_LOADED_IMAGE *li = self->loaded_image;
        size_t uki_len, units;
        const char *uki_cmdline = self_section(self, UKI_SECTION_CMDLINE, &uki_len);
        CHAR16 *out;

        *ret = NULL;
        switch (cmdline_choose(secure_boot_enabled(), uki_len, li->LoadOptions, li->LoadOptionsSize)) {
        case CMDLINE_SOURCE_NONE:
                return EFI_SUCCESS;
        case CMDLINE_SOURCE_UKI:
                out = efi_alloc((uki_len + 1) * sizeof(CHAR16));
                if (!out)
                        return EFI_OUT_OF_RESOURCES;
                utf8_to_utf16(uki_cmdline, uki_len, out);
                break;
        case CMDLINE_SOURCE_LOADER:
                /* Copied so that it is NUL-terminated whatever the loader passed. */
                units = li->LoadOptionsSize / sizeof(CHAR16);
                out = efi_alloc((units + 1) * sizeof(CHAR16));
                if (!out)
                        return EFI_OUT_OF_RESOURCES;
                memcpy(out, li->LoadOptions, units * sizeof(CHAR16));
                out[units] = 0;
                break;
        default:
                return EFI_INVALID_PARAMETER;
        }
        *ret = out;
        return EFI_SUCCESS;
}

EFI_STATUS stub_run(EFI_HANDLE image, const struct self_image *self) {
        struct initrd_loader *initrd = NULL;
        const void *kernel, *initrd_data;
        size_t kernel_size, initrd_size;
        CHAR16 *cmdline = NULL;
        EFI_STATUS err;

        export_stub_variables(self->loaded_image);

        kernel = self_section(self, UKI_SECTION_LINUX, &kernel_size);
        initrd_data = self_section(self, UKI_SECTION_INITRD, &initrd_size);

        err = build_cmdline(self, &cmdline);
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot prepare the kernel command line: %s\n", efi_status_text(err));
                return err;
        }

        if (initrd_size > 0) {
                err = initrd_register(initrd_data, initrd_size, &initrd);
                if (err != EFI_SUCCESS) {
                        efi_print("keel: cannot offer the initrd to the kernel: %s\n", efi_status_text(err));
                        goto out;
                }
        }

        err = linux_exec(image, kernel, kernel_size, cmdline);
        efi_print("keel: could not boot the embedded kernel: %s\n", efi_status_text(err));

out:
        initrd_unregister(initrd);
        efi_free(cmdline);
        return err;
}
