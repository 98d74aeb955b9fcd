/* SPDX-License-Identifier: MIT */
#include "linux.h"
#include "secure-boot.h"
#include "../efi/arch.h"
#include "../efi/pe-loader.h"
#include "../common/error.h"
#include "../common/pe-load.h"
#include "../common/utf.h"

#define DP_TYPE_MEDIA 0x04
#define DP_SUBTYPE_VENDOR 0x03
#define DP_TYPE_END 0x7f
#define DP_SUBTYPE_END_ENTIRE 0xff

/* shim's protocols (rhboot/shim): the lock protocol of every shim, the
 * image loader of shim 16 and later, which also takes over LoadImage(). */
#define SHIM_LOCK_GUID \
        { 0x605dab50, 0xe046, 0x4300, { 0xab, 0xb6, 0x3d, 0xd8, 0x10, 0xdd, 0x8b, 0x23 } }
#define SHIM_IMAGE_LOADER_GUID \
        { 0x1f492041, 0xfadb, 0x4e59, { 0x9e, 0x57, 0x7c, 0xaf, 0xe7, 0x3a, 0x55, 0xab } }

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

/* The parsed headers (96 section headers: allocated, neither on the
 * firmware's stack nor in the binary's .data) and what pe_load_check()
 * found; says why on the console when the kernel cannot be loaded. */
static EFI_STATUS check_kernel(const void *kernel, size_t kernel_size, struct pe_image **ret_pe,
                               struct pe_load_info *ret_info) {
        struct pe_image *pe = efi_alloc(sizeof(*pe));
        int r;

        if (!pe)
                return EFI_OUT_OF_RESOURCES;
        r = pe_parse_headers(kernel, kernel_size, pe);
        if (r == KEEL_OK)
                r = pe_load_check(pe, kernel, kernel_size, arch_pe_machine, ret_info);
        if (r != KEEL_OK) {
                efi_print("keel: embedded kernel is not a usable EFI image: %s\n", keel_strerror(r));
                efi_free(pe);
                return EFI_LOAD_ERROR;
        }
        *ret_pe = pe;
        return EFI_SUCCESS;
}

EFI_STATUS linux_check(const void *kernel, size_t kernel_size) {
        struct pe_load_info info;
        struct pe_image *pe;
        EFI_STATUS err;

        err = check_kernel(kernel, kernel_size, &pe, &info);
        if (err == EFI_SUCCESS)
                efi_free(pe);
        return err;
}

static bool have_protocol(EFI_GUID guid) {
        void *p = NULL;
        return BS->LocateProtocol(&guid, NULL, &p) == EFI_SUCCESS && p;
}

/* The firmware's LoadImage(), for shim only: under Secure Boot shim adds
 * its own policy (SBAT, MokListX) to every image it is asked to load, and
 * shim 16's LoadImage() knows the kernel as a section of the UKI it
 * verified. Older shims need the security hook as systemd-stub 258 does. */
static EFI_STATUS exec_via_firmware(EFI_HANDLE parent, const void *kernel, size_t kernel_size, const CHAR16 *cmdline,
                                    bool hook) {
        EFI_HANDLE kernel_image = NULL;
        EFI_LOADED_IMAGE *li;
        EFI_STATUS err;

        if (hook)
                security_override_install((const EFI_DEVICE_PATH *) &kernel_device_path, kernel, kernel_size);
        err = BS->LoadImage(FALSE, parent, (EFI_DEVICE_PATH *) &kernel_device_path, (void *) kernel, kernel_size,
                            &kernel_image);
        if (hook)
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

EFI_STATUS linux_exec(EFI_HANDLE parent, const void *kernel, size_t kernel_size, const CHAR16 *cmdline) {
        struct pe_load_info info;
        struct pe_image *pe;
        struct pe_loaded *loaded;
        EFI_STATUS err;

        if (secure_boot_enabled()) {
                if (have_protocol((EFI_GUID) SHIM_IMAGE_LOADER_GUID))
                        return exec_via_firmware(parent, kernel, kernel_size, cmdline, false);
                if (have_protocol((EFI_GUID) SHIM_LOCK_GUID))
                        return exec_via_firmware(parent, kernel, kernel_size, cmdline, true);
        }

        /* Checked again on the very bytes that are loaded. */
        err = check_kernel(kernel, kernel_size, &pe, &info);
        if (err != EFI_SUCCESS)
                return err;
        loaded = efi_alloc(sizeof(*loaded));
        if (!loaded) {
                efi_free(pe);
                return EFI_OUT_OF_RESOURCES;
        }
        err = pe_loader_load(pe, &info, kernel, kernel_size, loaded);
        efi_free(pe);
        if (err == EFI_SUCCESS) {
                err = pe_loader_start(parent, loaded, cmdline);
                efi_print("keel: kernel returned: %s\n", efi_status_text(err));
                if (err == EFI_SUCCESS)
                        err = EFI_LOAD_ERROR; /* a kernel that comes back did not boot */
                pe_loader_free(loaded);
        }
        efi_free(loaded);
        return err;
}
