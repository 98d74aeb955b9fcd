#!/bin/bash
# Issue 24: keel under U-Boot's UEFI (Debian's u-boot-qemu, qemu_arm64,
# swtpm as a tpm-tis-device). A keel arm64 UKI is \EFI\BOOT\BOOTAA64.EFI,
# with a global addon (\loader\addons) and one beside it (.extra.d), both
# loaded through U-Boot's LoadImage(). U-Boot reports ImageSize as the end
# of the last section, not SizeOfImage: keel refused to run at all ("PE
# section lies outside SizeOfImage"), for the UKI and for each addon. Its
# file path has no leading backslash: StubImageIdentifier must still be
# ESP-absolute. PCR 11 = keel pcr predict, PCR 12 = keel pcr predict --addon
# for both addons.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
source "$(dirname "$0")/../uboot-lib.sh"
WORK=$1

CMDLINE=$(aa64_cmdline uboot-direct)
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" -o "$WORK/uki.efi"
mkdir -p "$WORK/ir"
printf 'u-boot addon initrd' >"$WORK/ir/keel-uboot-addon"
(cd "$WORK/ir" && find . | sort | cpio -o -H newc --quiet --reproducible) >"$WORK/addon-initrd.cpio"
"$KEEL" addon build --arch aa64 --cmdline "keel.addon.global=1" --initrd "$WORK/addon-initrd.cpio" \
        -o "$WORK/global.addon.efi"
"$KEEL" addon build --arch aa64 --cmdline "keel.addon.beside=1" -o "$WORK/beside.addon.efi"
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$WORK/uki.efi" "$AA64_BOOT_EFI"
mmd -i "$WORK/disk.img@@1M" ::/loader/addons "::$AA64_BOOT_EFI.extra.d"
esp_put "$WORK/disk.img" "$WORK/global.addon.efi" /loader/addons/10-global.addon.efi
esp_put "$WORK/disk.img" "$WORK/beside.addon.efi" "$AA64_BOOT_EFI.extra.d/20-beside.addon.efi"

qemu_boot "$WORK" "$WORK/disk.img" || true

expect_eq "U-Boot was the firmware" "$(report_value "$WORK" "EFIVAR LoaderFirmwareInfo" | cut -d' ' -f1-2)" "Das U-Boot"
expect_report_complete "$WORK"
expect_eq "the UKI's command line + the global addon's + the one beside it" "$(report_value "$WORK" CMDLINE)" \
        "$CMDLINE keel.addon.global=1 keel.addon.beside=1"
expect_eq "StubImageIdentifier is ESP-absolute (U-Boot's path has no leading backslash)" \
        "$(report_value "$WORK" "EFIVAR StubImageIdentifier")" '\efi\boot\bootaa64.efi'
expect_eq "U-Boot's TPM: PCR 11 (sha256) = keel pcr predict" "$(booted_pcr "$WORK" sha256 11)" \
        "$("$KEEL" pcr predict --bank sha256 --phase= "$WORK/uki.efi" | sed -n 's/^11:sha256=//p')"
expect_eq "PCR 12 (sha256) = keel pcr predict --addon (both command lines, the addon's initrd)" \
        "$(booted_pcr "$WORK" sha256 12)" \
        "$("$KEEL" pcr predict --bank sha256 --phase= "$WORK/uki.efi" --addon "$WORK/global.addon.efi" \
                --addon "$WORK/beside.addon.efi" | sed -n 's/^12:sha256=//p')"
exit $((FAILURES > 0))
