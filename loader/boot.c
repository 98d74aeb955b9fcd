/* SPDX-License-Identifier: MIT */
#include "boot.h"
#include "companions.h"
#include "../common/utf.h"
#include "enroll.h"
#include "../efi/file.h"
#include "../efi/pe-file.h"
#include "../efi/tpm.h"
#include "../efi/initrd.h"
#include "../efi/devicetree.h"
#include "../efi/smbios.h"
#include "../common/error.h"
#include "../common/fdt.h"

#define INITRD_MAX_TOTAL (1024u * 1024 * 1024)

/* Options as UTF-16 LoadOptions (caller frees); NULL for none. */
static CHAR16 *options_to_utf16(const char *options) {
        size_t len;
        CHAR16 *out;

        if (!options || !*options)
                return NULL;
        len = strlen(options);
        out = efi_alloc((len + 1) * sizeof(CHAR16));
        if (out)
                utf8_to_utf16(options, len, out);
        return out;
}

/* systemd-boot 256+: a Type #1 `linux` entry's options get SMBIOS type 11
 * io.systemd.boot.kernel-cmdline-extra= appended (after one space), before
 * they are measured. keel takes it only with Secure Boot off: nothing signs
 * the hypervisor's string. Returns the new options (the old freed), or the
 * old ones when there is nothing to add. */
static CHAR16 *append_smbios_extra(CHAR16 *options) {
        CHAR16 *extra, *out;
        size_t a, b;

        extra = smbios_oem_string("io.systemd.boot.kernel-cmdline-extra=");
        if (!extra)
                return options;
        if (secure_boot_enabled()) {
                efi_print("keel: Secure Boot is on: ignoring SMBIOS io.systemd.boot.kernel-cmdline-extra=\n");
                efi_free(extra);
                return options;
        }
        a = options ? utf16_strnlen(options, SIZE_MAX / 4) : 0;
        b = utf16_strnlen(extra, SIZE_MAX / 4);
        out = efi_alloc((a + 1 + b + 1) * sizeof(CHAR16));
        if (!out) {
                efi_free(extra);
                return options;
        }
        if (a > 0) {
                memcpy(out, options, a * sizeof(CHAR16));
                out[a++] = ' ';
        }
        memcpy(out + a, extra, b * sizeof(CHAR16));
        out[a + b] = 0;
        efi_free(extra);
        efi_free(options);
        return out;
}

/* Type #1 initrds, concatenated in one buffer for LoadFile2 as systemd-boot
 * 262 joins them: each but the last padded to 4 bytes (the next cpio header
 * must be aligned), the last as it is, so that Linux's PCR 9 event is the
 * file's digest when there is one initrd. */
static EFI_STATUS read_initrds(EFI_FILE *root, const struct boot_entry *e, uint8_t **ret, size_t *ret_size) {
        uint8_t *all = NULL;
        size_t total = 0;
        EFI_STATUS err = EFI_SUCCESS;

        *ret = NULL;
        *ret_size = 0;
        for (size_t i = 0; i < e->n_initrds; i++) {
                CHAR16 *path = path_from_entry(e->initrds[i]);
                void *data = NULL;
                size_t size = 0, padded;
                uint8_t *grown;

                if (!path)
                        return EFI_OUT_OF_RESOURCES;
                err = file_read_all(root, path, INITRD_MAX_TOTAL - total, &data, &size);
                efi_free(path);
                if (err != EFI_SUCCESS) {
                        efi_print("keel: cannot read initrd %s: %s\n", e->initrds[i], efi_status_text(err));
                        break;
                }
                padded = i + 1 < e->n_initrds ? (size + 3) & ~(size_t) 3 : size;
                grown = efi_alloc(total + padded);
                if (!grown) {
                        efi_free(data);
                        err = EFI_OUT_OF_RESOURCES;
                        break;
                }
                if (all)
                        memcpy(grown, all, total);
                memcpy(grown + total, data, size);
                memset(grown + total + size, 0, padded - size);
                efi_free(all);
                efi_free(data);
                all = grown;
                total += padded;
        }
        if (err != EFI_SUCCESS) {
                efi_free(all);
                return err;
        }
        *ret = all;
        *ret_size = total;
        return EFI_SUCCESS;
}

/* A Type #1 entry's `initrd` lines go only to a plain kernel. A `linux`
 * that is a UKI would have its kernel run an initrd that neither its
 * signature nor PCR 11 covers (keel's stub refuses to start then, and other
 * stubs may not), so such an entry is refused and the next one booted. */
static EFI_STATUS check_initrds_allowed(EFI_FILE *root, const struct boot_entry *e) {
        CHAR16 *path;
        bool plain = false;
        EFI_STATUS err;

        if (e->n_initrds == 0)
                return EFI_SUCCESS;
        path = path_from_entry(e->linux_path);
        if (!path)
                return EFI_OUT_OF_RESOURCES;
        err = pe_file_is_plain_kernel(root, path, &plain);
        efi_free(path);
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot read %s: %s\n", e->linux_path, efi_status_text(err));
                return err;
        }
        if (!plain) {
                efi_print("keel: %s: 'linux' %s is a UKI (or no EFI kernel keel can read); it gets no 'initrd' "
                          "from an entry, refusing the entry\n", e->id, e->linux_path);
                return EFI_ACCESS_DENIED;
        }
        return EFI_SUCCESS;
}

/* A Type #1 entry's `devicetree` file, read whole; NULL data when the entry
 * has none or it is skipped. Under Secure Boot it is skipped, as systemd-boot
 * does: nothing verifies the file, and a device tree can map memory and
 * devices at will. One that cannot be read or is not a device tree refuses
 * the entry (the next one boots). */
struct entry_devicetree {
        void *data;
        size_t size;
        const char *path;
};

static EFI_STATUS read_devicetree(EFI_FILE *root, const struct boot_entry *e, struct entry_devicetree *ret) {
        CHAR16 *path;
        size_t total;
        int r;
        EFI_STATUS err;

        *ret = (struct entry_devicetree) {};
        if (!e->devicetree)
                return EFI_SUCCESS;
        if (secure_boot_enabled()) {
                efi_print("keel: %s: 'devicetree' ignored under Secure Boot (nothing verifies it)\n", e->id);
                return EFI_SUCCESS;
        }
        path = path_from_entry(e->devicetree);
        if (!path)
                return EFI_OUT_OF_RESOURCES;
        err = file_read_all(root, path, FDT_MAX_SIZE, &ret->data, &ret->size);
        efi_free(path);
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot read devicetree %s: %s\n", e->devicetree, efi_status_text(err));
                return err;
        }
        r = fdt_check(ret->data, ret->size, &total);
        if (r != KEEL_OK) {
                efi_print("keel: %s: devicetree %s: %s\n", e->id, e->devicetree, keel_strerror(r));
                efi_free(ret->data);
                *ret = (struct entry_devicetree) {};
                return EFI_INVALID_PARAMETER;
        }
        ret->size = total;
        ret->path = e->devicetree;
        return EFI_SUCCESS;
}

static EFI_STATUS start_image(EFI_HANDLE parent, EFI_HANDLE device, const char *path, const CHAR16 *options,
                              const struct initrd_piece *initrd, size_t n_initrd, const struct entry_devicetree *dtb,
                              uint32_t watchdog_seconds) {
        struct devicetree_state dt = {};
        struct initrd_loader *loader = NULL;
        EFI_DEVICE_PATH *dp = NULL;
        EFI_HANDLE image = NULL;
        EFI_LOADED_IMAGE *li;
        CHAR16 *path16 = path_from_entry(path);
        EFI_STATUS err;

        if (!path16 || !(dp = devpath_for_file(device, path16))) {
                err = EFI_OUT_OF_RESOURCES;
                goto out;
        }
        /* LoadImage from the device path: the firmware reads and, under
         * Secure Boot, verifies the image itself. */
        err = BS->LoadImage(FALSE, parent, dp, NULL, 0, &image);
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot load %s: %s\n", path, efi_status_text(err));
                /* A Secure Boot refusal still hands back a loaded image. */
                if (err == EFI_SECURITY_VIOLATION && image)
                        BS->UnloadImage(image);
                goto out;
        }
        li = efi_loaded_image(image);
        if (li && options) {
                li->LoadOptions = (void *) options;
                li->LoadOptionsSize = (uint32_t) ((utf16_strnlen(options, UINT32_MAX / 2 - 1) + 1) * sizeof(CHAR16));
        }
        /* Whatever load options an image gets go to PCR 12, as with
         * systemd-boot: a Type #1 entry's options, a UKI profile's "@N", an
         * edited command line. A missing TPM is not a reason to stop booting. */
        if (options) {
                EFI_STATUS m = tpm_measure_kernel_parameters(options);
                if (m != EFI_SUCCESS && m != TPM_STATUS_ABSENT)
                        efi_print("keel: cannot measure the command line into PCR 12: %s\n", efi_status_text(m));
        }
        /* The device tree goes to PCR 12 as well (systemd-boot 252 measures
         * none): the kernel's view of the machine comes from it. */
        if (dtb && dtb->data) {
                EFI_STATUS m = tpm_log_event_ascii(12, dtb->data, dtb->size, dtb->path);
                if (m != EFI_SUCCESS && m != TPM_STATUS_ABSENT)
                        efi_print("keel: cannot measure the device tree into PCR 12: %s\n", efi_status_text(m));
                err = devicetree_install(&dt, dtb->data, dtb->size);
                if (err != EFI_SUCCESS)
                        goto out_unload;
        }
        if (n_initrd > 0) {
                err = initrd_register(initrd, n_initrd, &loader);
                if (err != EFI_SUCCESS) {
                        efi_print("keel: cannot offer the initrd: %s\n", efi_status_text(err));
                        goto out_unload;
                }
        }

        /* A kernel hanging before ExitBootServices (which disarms the
         * watchdog) resets the machine; the boot counter records the try. */
        if (watchdog_seconds > 0)
                BS->SetWatchdogTimer(watchdog_seconds, 0x10000, 0, NULL);
        err = BS->StartImage(image, NULL, NULL);
        BS->SetWatchdogTimer(0, 0x10000, 0, NULL);
        if (err == EFI_SUCCESS)
                err = EFI_LOAD_ERROR; /* an OS that returns did not boot */
        initrd_unregister(loader);
out_unload:
        devicetree_restore(&dt);
        BS->UnloadImage(image);
out:
        efi_free(dp);
        efi_free(path16);
        return err;
}

EFI_STATUS boot_entry_start(EFI_HANDLE parent, const struct partition *part, const struct boot_entry *e,
                            const struct boot_options *o) {
        char profile_options[ENTRY_BOOT_OPTIONS_MAX]; /* "@N" and an edit, for a UKI profile */
        CHAR16 *options = NULL;
        uint8_t *initrd = NULL;
        size_t initrd_size = 0;
        struct entry_devicetree dtb = {};
        struct companions companions = {};
        EFI_STATUS err;

        switch (e->type) {
        case ENTRY_AUTO_FIRMWARE:
                return reboot_into_firmware();
        case ENTRY_SECURE_BOOT_KEYS:
                return enroll_keys(part->root, e->filename, SECURE_BOOT_ENROLL_ACTION_REBOOT);
        case ENTRY_AUTO_EFI:
                err = start_image(parent, part->device, e->efi_path, NULL, NULL, 0, NULL, o->watchdog_seconds);
                break;
        case ENTRY_TYPE2:
                /* A UKI gets no command line unless the user edited one or
                 * it boots a profile past the first ("@N"), so that its own
                 * signed .cmdline applies and PCR 12 stays predictable. */
                options = options_to_utf16(entry_boot_options(e, o->edited_options, profile_options,
                                                              sizeof(profile_options)));
                err = start_image(parent, part->device, e->efi_path, options, NULL, 0, NULL, o->watchdog_seconds);
                break;
        case ENTRY_TYPE1:
                options = options_to_utf16(entry_boot_options(e, o->edited_options, profile_options,
                                                              sizeof(profile_options)));
                err = read_devicetree(part->root, e, &dtb);
                if (err != EFI_SUCCESS)
                        break;
                if (e->efi_path) {
                        err = start_image(parent, part->device, e->efi_path, options, NULL, 0, &dtb,
                                          o->watchdog_seconds);
                        break;
                }
                if (e->uki_path) {
                        companions_pack(part->root, e, &companions);
                        err = start_image(parent, part->device, e->uki_path, options, companions.archives,
                                          companions.n_archives, &dtb, o->watchdog_seconds);
                        break;
                }
                options = append_smbios_extra(options);
                err = check_initrds_allowed(part->root, e);
                if (err == EFI_SUCCESS)
                        err = read_initrds(part->root, e, &initrd, &initrd_size);
                if (err == EFI_SUCCESS)
                        err = start_image(parent, part->device, e->linux_path, options,
                                          &(struct initrd_piece) { initrd, initrd_size }, initrd_size > 0, &dtb,
                                          o->watchdog_seconds);
                break;
        default:
                err = EFI_INVALID_PARAMETER;
        }
        efi_free(dtb.data);
        efi_free(initrd);
        companions_free(&companions);
        efi_free(options);
        return err;
}

bool firmware_setup_supported(void) {
        uint64_t supported = 0;
        UINTN size = sizeof(supported);

        if (RT->GetVariable(L"OsIndicationsSupported", (EFI_GUID *) &global_variable_guid, NULL, &size, &supported) !=
            EFI_SUCCESS)
                return false;
        return supported & EFI_OS_INDICATIONS_BOOT_TO_FW_UI;
}

EFI_STATUS reboot_into_firmware(void) {
        uint64_t indications = 0;
        UINTN size = sizeof(indications);
        EFI_STATUS err;

        if (RT->GetVariable(L"OsIndications", (EFI_GUID *) &global_variable_guid, NULL, &size, &indications) !=
            EFI_SUCCESS)
                indications = 0;
        indications |= EFI_OS_INDICATIONS_BOOT_TO_FW_UI;
        err = RT->SetVariable(L"OsIndications", (EFI_GUID *) &global_variable_guid,
                              EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS,
                              sizeof(indications), &indications);
        if (err != EFI_SUCCESS)
                return err;
        RT->ResetSystem(EfiResetCold, EFI_SUCCESS, 0, NULL);
        return EFI_DEVICE_ERROR;
}
