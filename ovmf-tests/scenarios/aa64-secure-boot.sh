#!/bin/bash
# Issue 15: Secure Boot on arm64 with Debian's snakeoil-enrolled AAVMF
# variables (AAVMF_VARS.snakeoil.fd: Secure Boot on, the snakeoil
# certificate in PK/KEK/db). keelaa64.efi signed by `keel sign` with the
# snakeoil key is the loader; the newest UKI (sorted first) is unsigned, so
# the firmware refuses it and keel falls back, unattended, to the signed one
# in the same boot; its kernel gets exactly its signed command line. Then
# the same loader unsigned, as BOOTAA64.EFI, is refused by the firmware.
# Last, a Type #1 entry (Debian's arm64 kernel signed with the snakeoil key)
# with a `devicetree`: under Secure Boot nothing verifies that file, so keel
# skips it, as systemd-boot does, and the kernel boots with ACPI.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
WORK=$1
export KEEL_NO_TPM=1 # tpm_tis.ko is not signed: a locked-down kernel refuses it

echo "-- signed loader: the unsigned UKI refused, the signed one boots"
W=$WORK/fallback
mkdir -p "$W"
esp_image_create "$W.img"
snakeoil_sign "$KEEL_EFI" "$W/keel.efi"
expect_true "sbverify accepts the signed keelaa64.efi" sbverify --cert "$SNAKEOIL_CERT" "$W/keel.efi"
esp_put "$W.img" "$W/keel.efi" "$AA64_BOOT_EFI"
esp_write "$W.img" /loader/loader.conf $'timeout 0\n'
make_keel_uki "$W/good.efi" keeltest 1 sb-good
snakeoil_sign "$W/good.efi" "$W/good-signed.efi"
make_keel_uki "$W/unsigned.efi" keeltest 2 sb-unsigned
esp_put "$W.img" "$W/good-signed.efi" /EFI/Linux/keeltest-1.efi
esp_put "$W.img" "$W/unsigned.efi" /EFI/Linux/keeltest-2.efi
OVMF_VARS_TEMPLATE=$AA64_SB_SNAKEOIL_VARS qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_eq "SecureBoot is on" "$(report_value "$W" SECUREBOOT)" 01
expect_eq "the unsigned UKI came first in keel's order" "$(loader_entries "$W" | cut -d' ' -f1)" keeltest-2.efi
expect_console "$W" "keel reports the refused entry and falls back" \
        'keel: trying the next entry: keeltest-1\.efi'
expect_eq "the signed UKI booted, unattended" "$(report_value "$W" "EFIVAR LoaderEntrySelected")" keeltest-1.efi
expect_eq "with exactly its signed command line" "$(report_value "$W" CMDLINE)" "$(aa64_cmdline sb-good)"
expect_true "the unsigned UKI's kernel never ran" cmdlines_lack "$W" keel.test=sb-unsigned

echo "-- unsigned loader: refused by the firmware"
W=$WORK/unsigned-loader
esp_image_create "$W.img"
esp_put "$W.img" "$KEEL_EFI" "$AA64_BOOT_EFI"
esp_write "$W.img" /loader/loader.conf $'timeout 0\n'
esp_put "$W.img" "$WORK/fallback/good-signed.efi" /EFI/Linux/keeltest-1.efi
OVMF_VARS_TEMPLATE=$AA64_SB_SNAKEOIL_VARS qemu_boot "$W" "$W.img" || true
expect_refused "$W" "unsigned keelaa64.efi"

echo "-- a Type #1 devicetree is not installed under Secure Boot"
W=$WORK/devicetree
mkdir -p "$W"
esp_image_create "$W.img"
esp_put "$W.img" "$WORK/fallback/keel.efi" "$AA64_BOOT_EFI"
esp_write "$W.img" /loader/loader.conf $'timeout 0\n'
snakeoil_sign "$(kernel_image)" "$W/vmlinuz" # beside Debian's own signature
esp_put "$W.img" "$W/vmlinuz" /vmlinuz
esp_put "$W.img" "$(shared_initramfs)" /initrd.cpio
esp_image_create "$W/dump.img" 64
QEMU_MACHINE=",dumpdtb=$W/virt.dtb" qemu_boot "$W/dump" "$W/dump.img" || true
esp_put "$W.img" "$W/virt.dtb" /virt.dtb
esp_write "$W.img" /loader/entries/dt.conf "$(printf '%s\n' 'title with a device tree' \
        'linux /vmlinuz' 'initrd /initrd.cpio' 'devicetree /virt.dtb' "options $(aa64_cmdline sb-dt)")"
OVMF_VARS_TEMPLATE=$AA64_SB_SNAKEOIL_VARS qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_eq "SecureBoot is on" "$(report_value "$W" SECUREBOOT)" 01
expect_eq "the entry booted" "$(report_value "$W" CMDLINE)" "$(aa64_cmdline sb-dt)"
expect_console "$W" "keel says it skips the devicetree" "dt\.conf: 'devicetree' ignored under Secure Boot"
expect_eq "the kernel got no device tree: ACPI" "$(report_value "$W" ACPI)" present
expect_eq "and no QEMU tree (compatible)" "$(report_value "$W" DT-COMPATIBLE)" ""
exit $((FAILURES > 0))
