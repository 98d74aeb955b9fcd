/* SPDX-License-Identifier: MIT */
#include "linux.h"
#include "secure-boot.h"
#include "../efi/arch.h"
#include "../common/error.h"
#include "../common/pe.h"
#include "../common/utf.h"

#define DP_TYPE_MEDIA 0x04
#define DP_SUBTYPE_VENDOR 0x03
#define DP_TYPE_END 0x7f
#define DP_SUBTYPE_END_ENTIRE 0xff

/* Describes the in-memory kernel to LoadImage; the GUID is keel's own. */
static const struct {
        VENDOR_DEVICE_PATH vendor;
        EFI_DEVICE_PATH end;
} _packed_ kernel_device_path = {
        .vendor = {
                .Header = { DP_TYPE_MEDIA, DP_SUBTYPE_VENDOR, { sizeof(VENDOR_DEVICE_PATH), 0 } },
                .Guid = { 0x0f8d9a3e, 0x5a4e, 0x4c3b, { 0x9d, 0x55, 0x6b, 0x65, 0x65, 0x6c, 0x6c, 0x78 } },
        },
        .end = { DP_TYPE_END, DP_SUBTYPE_END_ENTIRE, { sizeof(EFI_DEVICE_PATH), 0 } },
};

EFI_STATUS linux_check(const void *kernel, size_t kernel_size) {
        struct pe_image pe;
        int r;

        r = pe_parse_headers(kernel, kernel_size, &pe);
        if (r == KEEL_OK)
                r = pe_check_file_layout(&pe, kernel_size);
        if (r == KEEL_OK)
                r = pe_check_machine(&pe, arch_pe_machine);
        if (r != KEEL_OK) {
                efi_print("keel: embedded kernel is not a usable EFI image: %s\n", keel_strerror(r));
                return EFI_LOAD_ERROR;
        }
        return EFI_SUCCESS;
}

EFI_STATUS linux_exec(EFI_HANDLE parent, const void *kernel, size_t kernel_size, const CHAR16 *cmdline) {
        EFI_HANDLE kernel_image = NULL;
        EFI_LOADED_IMAGE *li;
        EFI_STATUS err;

        /* The UKI's signature covers the kernel: only this one LoadImage()
         * skips the firmware's db check, and the hook is gone right after. */
        security_override_install((const EFI_DEVICE_PATH *) &kernel_device_path, kernel, kernel_size);
        err = BS->LoadImage(FALSE, parent, (EFI_DEVICE_PATH *) &kernel_device_path, (void *) kernel, kernel_size,
                            &kernel_image);
        security_override_uninstall();
        if (err != EFI_SUCCESS) {
                efi_print("keel: firmware refused to load the kernel: %s\n", efi_status_text(err));
                /* EFI_SECURITY_VIOLATION leaves a loaded image behind. */
                if (kernel_image)
                        BS->UnloadImage(kernel_image);
                return err;
        }

        li = efi_loaded_image(kernel_image);
        if (!li) {
                efi_print("keel: kernel image has no loaded-image protocol\n");
                err = EFI_LOAD_ERROR;
                goto err_unload;
        }
        if (cmdline) {
                li->LoadOptions = (void *) cmdline;
                li->LoadOptionsSize = (uint32_t) ((utf16_strnlen(cmdline, UINT32_MAX / 2 - 1) + 1) * sizeof(CHAR16));
        }

        err = BS->StartImage(kernel_image, NULL, NULL);
        efi_print("keel: kernel returned: %s\n", efi_status_text(err));
        if (err == EFI_SUCCESS)
                err = EFI_LOAD_ERROR; /* a kernel that comes back did not boot */

err_unload:
        BS->UnloadImage(kernel_image);
        return err;
}
