/* SPDX-License-Identifier: MIT */
#include "stub.h"
#include "../common/companions.h"
#include "../efi/initrd.h"
#include "../efi/devicetree.h"
#include "../efi/smbios.h"
#include "addons.h"
#include "boot-secret.h"
#include "console.h"
#include "extra.h"
#include "linux.h"
#include "measure.h"
#include "profile.h"
#include "seed.h"
#include "sidecar.h"
#include "thin.h"
#include "../common/cmdline.h"
#include "../common/error.h"
#include "../common/fdt.h"
#include "../common/random-seed.h"
#include "../common/utf.h"

/* Bits of StubFeatures (systemd's numbering) that keel really implements;
 * each part of the stub names its own (STUB_*_FEATURES in its header).
 * THREE_PCRS: the image goes to PCR 11, what comes from outside it to PCR
 * 12, system extensions to PCR 13. REPORT_STUB_PARTITION: StubDevicePartUUID
 * and StubImageIdentifier (systemd 258). */
#define STUB_FEATURE_REPORT_BOOT_PARTITION (UINT64_C(1) << 0)
#define STUB_FEATURE_THREE_PCRS (UINT64_C(1) << 3)
#define STUB_FEATURE_REPORT_STUB_PARTITION (UINT64_C(1) << 10)
#define STUB_FEATURE_MEASURE_SMBIOS (UINT64_C(1) << 12)
#define KEEL_STUB_FEATURES                                                                                   \
        (STUB_FEATURE_REPORT_BOOT_PARTITION | STUB_FEATURE_THREE_PCRS | STUB_FEATURE_REPORT_STUB_PARTITION |     \
         STUB_FEATURE_MEASURE_SMBIOS | STUB_FEATURE_RANDOM_SEED | STUB_SIDECAR_FEATURES | STUB_ADDON_FEATURES |  \
         STUB_PROFILE_FEATURES)

/* Where this UKI itself was started from: always set by the stub (the
 * Loader* ones keep what a loader set), so that the OS can tell the UKI's
 * partition and path from the loader's. */
static void export_stub_location(EFI_LOADED_IMAGE *image) {
        char uuid[37];
        CHAR16 *path;

        if (devpath_partition_uuid(image->DeviceHandle, uuid) == EFI_SUCCESS)
                efivar_set_str(&loader_vendor_guid, L"StubDevicePartUUID", uuid, EFI_VARIABLE_VOLATILE_ACCESS);
        path = devpath_file_path_text(image->FilePath);
        if (path)
                efivar_set_str16(&loader_vendor_guid, L"StubImageIdentifier", path, EFI_VARIABLE_VOLATILE_ACCESS);
        efi_free(path);
}

static void export_stub_variables(const struct self_image *self) {
        efivar_set_str(&loader_vendor_guid, L"StubInfo", KEEL_VERSION_STRING, EFI_VARIABLE_VOLATILE_ACCESS);
        efivar_set_u64(&loader_vendor_guid, L"StubFeatures", KEEL_STUB_FEATURES, EFI_VARIABLE_VOLATILE_ACCESS);
        export_common_loader_variables(self->loaded_image);
        export_stub_location(self->loaded_image);
        stub_profile_export(self);
}

/* A command line accepted from the loader loses every word that names a
 * file for Linux's EFI stub to load (an initrd or device tree no signature
 * and no PCR 11 covers) and, when the UKI has a .cmdline, gets the UKI's
 * own dm-verity words (and, when it binds a root or /usr hash, its root and
 * /usr words) in place of any it carried (see cmdline_bind()), so that a
 * loader cannot point a signed kernel at another root file system. When the
 * result would be too long for the kernel, the UKI's own command line is
 * used and *source says so. On success *cmdline is replaced (the old string
 * freed); on failure it is left for the caller to free. */
static EFI_STATUS bind_loader_cmdline(const char *uki_cmdline, size_t uki_len, CHAR16 **cmdline,
                                      enum cmdline_source *source) {
        size_t loader_units = utf16_strnlen(*cmdline, SIZE_MAX / 4), uki_units, size, n, dropped = 0;
        CHAR16 *uki16 = efi_alloc((uki_len + 1) * sizeof(CHAR16)), *bound;
        int r;

        if (!uki16)
                return EFI_OUT_OF_RESOURCES;
        uki_units = utf8_to_utf16(uki_cmdline, uki_len, uki16);
        size = CMDLINE_BIND_MAX_UNITS(loader_units, uki_units);
        bound = efi_alloc(size * sizeof(CHAR16));
        if (!bound) {
                efi_free(uki16);
                return EFI_OUT_OF_RESOURCES;
        }
        r = cmdline_bind(*cmdline, loader_units, uki16, uki_units, CMDLINE_BIND_REPLACE, bound, size, &n, &dropped);
        if (r == KEEL_E_CMDLINE_TOO_LONG && uki_units > 0) {
                efi_print("keel: the loader's command line leaves no room for the UKI's verity settings; "
                          "using the UKI's own command line\n");
                efi_free(bound);
                bound = uki16;
                uki16 = NULL;
                *source = CMDLINE_SOURCE_UKI;
        } else if (r != KEEL_OK) {
                efi_print("keel: cannot bind the command line to the UKI: %s\n", keel_strerror(r));
                efi_free(bound);
                efi_free(uki16);
                return EFI_INVALID_PARAMETER;
        } else if (dropped > 0)
                efi_print("keel: dropped %u word%s from the loader's command line that only the UKI may set "
                          "(initrd=, dtb=, dm-verity, root and /usr file system)\n", (unsigned) dropped,
                          dropped == 1 ? "" : "s");
        efi_free(uki16);
        efi_free(*cmdline);
        *cmdline = bound;
        return EFI_SUCCESS;
}

/* The UKI's own .cmdline must reach the kernel whole: Linux's EFI stub
 * stops at a newline and at its size limit, and words it drops (a roothash=
 * appended at the end) would still be in PCR 11 and under the signature. */
static EFI_STATUS check_own_cmdline(const CHAR16 *cmdline, size_t units) {
        size_t bytes;
        int r = cmdline_check_kernel_limits(cmdline, units, &bytes);

        if (r == KEEL_OK)
                return EFI_SUCCESS;
        efi_print("keel: refusing to boot: the UKI's .cmdline (%u bytes) would be cut by the kernel: %s\n",
                  (unsigned) bytes, keel_strerror(r));
        return EFI_INVALID_PARAMETER;
}

/* The command line as a fresh UTF-16 string (caller frees), or NULL for
 * none, and where it came from in the end (only the loader's goes to PCR 12:
 * the UKI's own .cmdline is part of PCR 11). */
static EFI_STATUS build_cmdline(const struct self_image *self, CHAR16 **ret, enum cmdline_source *ret_source) {
        size_t uki_len, units;
        const char *uki_cmdline = self_section(self, UKI_SECTION_CMDLINE, &uki_len);
        bool has_cmdline = self->sections.section[UKI_SECTION_CMDLINE] != NULL;
        CHAR16 *out;
        EFI_STATUS err;

        *ret = NULL;
        *ret_source = cmdline_choose(secure_boot_enabled(), has_cmdline, uki_len, self->load_options,
                                     self->load_options_size);
        switch (*ret_source) {
        case CMDLINE_SOURCE_NONE:
                return EFI_SUCCESS;
        case CMDLINE_SOURCE_UKI:
                out = efi_alloc((uki_len + 1) * sizeof(CHAR16));
                if (!out)
                        return EFI_OUT_OF_RESOURCES;
                units = utf8_to_utf16(uki_cmdline, uki_len, out);
                err = check_own_cmdline(out, units);
                if (err != EFI_SUCCESS) {
                        efi_free(out);
                        return err;
                }
                break;
        case CMDLINE_SOURCE_LOADER:
                /* Copied so that it is NUL-terminated whatever the loader passed. */
                units = self->load_options_size / sizeof(CHAR16);
                out = efi_alloc((units + 1) * sizeof(CHAR16));
                if (!out)
                        return EFI_OUT_OF_RESOURCES;
                memcpy(out, self->load_options, units * sizeof(CHAR16));
                out[units] = 0;
                err = bind_loader_cmdline(uki_cmdline, uki_len, &out, ret_source);
                if (err != EFI_SUCCESS) {
                        efi_free(out);
                        return err;
                }
                break;
        default:
                return EFI_INVALID_PARAMETER;
        }
        *ret = out;
        return EFI_SUCCESS;
}

/* The kernel loads whatever initrd is served on LINUX_EFI_INITRD_MEDIA_GUID
 * when it starts. Someone else (the loader that started this UKI, or any
 * other image) may already serve one there: neither this UKI's signature
 * nor PCR 11 covers it. The stub takes it off that path, always, and keeps
 * it only when it is nothing but companion archives (common/companions.h:
 * a Type #1 `uki` entry's `extra` files, which a loader packs and measures
 * as systemd-boot 262 does) — credentials and extension images, what the
 * stub itself takes from beside the UKI on the same ESP. Those are merged
 * into this UKI's initrd, unmeasured as systemd-stub 262 merges them (the
 * loader measured them). Anything else is dropped with one console line
 * and the UKI boots without it. Only when the offered initrd cannot be
 * taken off the path does the UKI refuse to start (the loader falls back
 * to its next entry): the kernel would load it otherwise. */
static EFI_STATUS take_offered_initrd(void **ret_companions, size_t *ret_size) {
        void *data = NULL;
        size_t size = 0;
        EFI_STATUS err;
        int r = KEEL_OK;

        *ret_companions = NULL;
        *ret_size = 0;
        if (!initrd_path_taken())
                return EFI_SUCCESS;
        err = initrd_read_offered(COMPANIONS_SIZE_MAX, &data, &size);
        if (err == EFI_SUCCESS)
                r = companions_check(data, size);
        if (err != EFI_SUCCESS || r != KEEL_OK) {
                efi_print("keel: ignoring the initrd offered from outside this UKI: %s\n",
                          err != EFI_SUCCESS ? efi_status_text(err) : keel_strerror(r));
                efi_free(data);
                data = NULL;
                size = 0;
        }
        err = initrd_withdraw_offered();
        if (err != EFI_SUCCESS) {
                efi_print("keel: refusing to boot: cannot withdraw the initrd offered from outside this UKI: %s\n",
                          efi_status_text(err));
                efi_free(data);
                return EFI_ACCESS_DENIED;
        }
        *ret_companions = data;
        *ret_size = size;
        return EFI_SUCCESS;
}

/* The initrd in the order systemd-stub gives it: the addons' microcode,
 * the UKI's .ucode (the kernel takes the first microcode it finds), the
 * UKI's .initrd, the files beside the UKI (credentials, extensions), a
 * loader's companion archives, the UKI's /.extra files, the addons'
 * initrds last. Nothing is registered when
 * there is nothing. */
static EFI_STATUS register_initrd(const struct self_image *self, const void *initrd_data, size_t initrd_size,
                                  const struct stub_addons *addons, const struct stub_sidecars *sidecars,
                                  const struct initrd_piece *companions, const struct stub_extra_files *extra,
                                  struct stub_measurements *m, struct initrd_loader **ret) {
        struct initrd_list list = {};
        const void *ucode;
        size_t ucode_size;
        EFI_STATUS err;

        *ret = NULL;
        ucode = self_section(self, UKI_SECTION_UCODE, &ucode_size);
        err = stub_addons_add_ucode(addons, &list, m);
        if (err == EFI_SUCCESS)
                err = initrd_list_add(&list, ucode, ucode_size);
        if (err == EFI_SUCCESS)
                err = initrd_list_add(&list, initrd_data, initrd_size);
        if (err == EFI_SUCCESS)
                err = stub_sidecars_add_to_initrd(sidecars, &list);
        if (err == EFI_SUCCESS)
                err = initrd_list_add(&list, companions->data, companions->size);
        for (size_t i = 0; err == EFI_SUCCESS && i < extra->n_archives; i++)
                err = initrd_list_add(&list, extra->archives[i].data, extra->archives[i].size);
        if (err == EFI_SUCCESS)
                err = stub_addons_add_initrds(addons, &list, m);
        if (err == EFI_SUCCESS && list.n_pieces > 0)
                err = initrd_register_pieces(list.pieces, list.n_pieces, ret);
        if (err != EFI_SUCCESS)
                efi_print("keel: cannot offer the initrd to the kernel: %s\n", efi_status_text(err));
        return err;
}

EFI_STATUS stub_run(EFI_HANDLE image, const struct self_image *self) {
        struct initrd_loader *initrd = NULL;
        const void *kernel, *initrd_data;
        size_t kernel_size, initrd_size;
        CHAR16 *cmdline = NULL;
        enum cmdline_source cmdline_source;
        struct stub_measurements measured = STUB_MEASUREMENTS_INIT;
        struct stub_extra_files extra = {};
        struct stub_sidecars sidecars = {};
        void *companions = NULL;
        size_t companions_size = 0;
        struct stub_addons addons = {};
        struct stub_thin thin = {};
        struct measure_thin_content thin_content;
        struct devicetree_state dt = {};
        uint8_t boot_secret[BOOT_SECRET_SIZE] = {};
        const void *dtb;
        size_t dtb_size, dtb_total;
        EFI_STATUS err;
        int r;

        export_stub_variables(self);
        kernel = self_section(self, UKI_SECTION_LINUX, &kernel_size);
        initrd_data = self_section(self, UKI_SECTION_INITRD, &initrd_size);

        /* Every refusal comes before the first measurement: a loader falling
         * back to the next entry then leaves PCR 11 as that entry's
         * measurements predict. A thin UKI's content is read and checked
         * first of all, and from here on only those buffers are used. */
        err = stub_thin_load(self, &thin);
        if (err != EFI_SUCCESS)
                return err;
        if (thin.linux_data) {
                kernel = thin.linux_data;
                kernel_size = thin.linux_size;
        }
        if (thin.initrd_data) {
                initrd_data = thin.initrd_data;
                initrd_size = thin.initrd_size;
        }
        thin_content = stub_thin_content(&thin);

        err = linux_check(kernel, kernel_size);
        if (err != EFI_SUCCESS)
                goto out;
        err = take_offered_initrd(&companions, &companions_size);
        if (err != EFI_SUCCESS)
                goto out;
        /* A .dtb is measured with the other sections and installed for the
         * kernel; one that is not a whole device tree is refused here, before
         * anything is measured. */
        dtb = self_section(self, UKI_SECTION_DTB, &dtb_size);
        if (dtb && (r = fdt_check(dtb, dtb_size, &dtb_total)) != KEEL_OK) {
                efi_print("keel: refusing to boot: the UKI's .dtb is not a device tree: %s\n", keel_strerror(r));
                err = EFI_INVALID_PARAMETER;
                goto out;
        }
        err = build_cmdline(self, &cmdline, &cmdline_source);
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot prepare the kernel command line: %s\n", efi_status_text(err));
                goto out;
        }

        /* The measurements, in systemd-stub's order: the profile and the
         * command line from outside (PCR 12) around the sections (PCR 11),
         * then what the addons and SMBIOS append, the addons' device trees,
         * the files beside the UKI, the addons' microcode and initrds. */
        stub_profile_measure(self, &measured);
        stub_measure_sections(self, &thin_content, &measured);
        /* The kernel's random seed when no loader passed one, then the boot
         * secret made from it (systemd-stub 262's order). */
        stub_random_seed(self);
        stub_boot_secret(self, boot_secret);
        /* The final string, whatever build_cmdline() made of the loader's options. */
        if (cmdline && cmdline_source == CMDLINE_SOURCE_LOADER)
                stub_measure_cmdline(cmdline, &measured);
        stub_addons_load(image, self, &addons);
        err = stub_cmdline_append_extras(&addons, &cmdline, &measured);
        if (err == EFI_SUCCESS)
                err = stub_cmdline_append_console(&cmdline);
        if (err != EFI_SUCCESS)
                goto out;
        /* PCR 1, where systemd-stub 262 puts it: after the command lines.
         * Nothing when a loader (keel's, systemd-boot 261+) did it. */
        smbios_measure();
        if (dtb) {
                err = devicetree_install(&dt, dtb, dtb_size);
                if (err != EFI_SUCCESS)
                        goto out;
        }
        stub_addons_install_devicetrees(&addons, &dt, &measured);
        stub_sidecars_pack(self, &sidecars, &measured);
        err = stub_extra_files_pack(self, boot_secret, &extra);
        /* From here on only in its archive, which the kernel copies. */
        random_seed_erase(boot_secret, sizeof(boot_secret));
        if (err != EFI_SUCCESS)
                goto out;
        err = register_initrd(self, initrd_data, initrd_size, &addons, &sidecars,
                              &(struct initrd_piece) { companions, companions_size }, &extra, &measured, &initrd);
        if (err != EFI_SUCCESS)
                goto out;
        stub_export_pcr_variables(&measured);

        err = linux_exec(image, kernel, kernel_size, cmdline);
        efi_print("keel: could not boot the embedded kernel: %s\n", efi_status_text(err));

out:
        random_seed_erase(boot_secret, sizeof(boot_secret));
        devicetree_restore(&dt);
        initrd_unregister(initrd);
        stub_extra_files_free(&extra);
        stub_sidecars_free(&sidecars);
        efi_free(companions);
        stub_addons_free(&addons);
        efi_free(cmdline);
        stub_thin_free(&thin);
        return err;
}
