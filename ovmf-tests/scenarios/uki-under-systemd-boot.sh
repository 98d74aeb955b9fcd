#!/bin/bash
# Foundation 6(b): a keel UKI boots as a Type #2 entry under systemd-boot 252
# (Debian's systemd-boot-efi). systemd-boot passes the UKI's own .cmdline as
# LoadOptions; the kernel must see exactly it.
source "$(dirname "$0")/../lib.sh"
WORK=$1

CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=type2"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" --os-release $'ID=keeltest\nVERSION_ID=2\nPRETTY_NAME="keel test"\n' -o "$WORK/uki.efi"
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$SYSTEMD_BOOT_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 0\n'
esp_put "$WORK/disk.img" "$WORK/uki.efi" /EFI/Linux/keeltest-2.efi

qemu_boot "$WORK" "$WORK/disk.img" || true

expect_report_complete "$WORK"
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$WORK" CMDLINE)" "$CMDLINE"
expect_true "systemd-boot 252 was the loader" grep -q "EFIVAR LoaderInfo=systemd-boot 252" "$WORK/report.log"
expect_eq "systemd-boot selected the keel UKI" "$(report_value "$WORK" "EFIVAR LoaderEntrySelected")" "keeltest-2.efi"
expect_eq "StubInfo" "$(report_value "$WORK" "EFIVAR StubInfo")" "keel 0.1"
expect_eq "LoaderDevicePartUUID is the ESP (upper case, as systemd-boot writes it)" "$(report_value "$WORK" "EFIVAR LoaderDevicePartUUID")" "$(upper "$ESP_PARTUUID")"
exit $((FAILURES > 0))
