#!/bin/bash
# Thin UKIs (issue 13) under systemd-boot 252 (Debian's systemd-boot-efi):
# bootctl lists a thin keel UKI as a Type #2 entry, systemd-boot boots it
# (LoadImage of the UKI from \EFI\Linux), and the keel stub finds its kernel
# and initrd on the UKI's own volume. PCR 11 = keel pcr predict of its fat twin.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1

CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=thin-type2"
uki_args=(--stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" --cmdline "$CMDLINE"
          --os-release $'ID=keelthin\nVERSION_ID=2\nPRETTY_NAME="keel thin test"\n')
mkdir -p "$WORK/esp"
"$KEEL" uki build "${uki_args[@]}" --thin "$WORK/esp" -o "$WORK/thin.efi"
"$KEEL" uki build "${uki_args[@]}" -o "$WORK/fat.efi"

esp_image_create "$WORK/disk.img"
mcopy -s -i "$WORK/disk.img@@1M" "$WORK/esp/EFI/keel" ::/EFI/
esp_put "$WORK/disk.img" "$SYSTEMD_BOOT_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 0\n'
esp_put "$WORK/disk.img" "$WORK/thin.efi" /EFI/Linux/keelthin-2.efi
expect_eq "bootctl 252 lists the thin UKI as the (default) Type #2 entry" "$(bootctl_view "$WORK/disk.img")" \
        "keelthin-2.efi|keelthin-2.efi"

qemu_boot "$WORK" "$WORK/disk.img" || true

expect_report_complete "$WORK"
expect_true "systemd-boot 252 was the loader" grep -q "EFIVAR LoaderInfo=systemd-boot 252" "$WORK/report.log"
expect_eq "systemd-boot selected the thin UKI" "$(report_value "$WORK" "EFIVAR LoaderEntrySelected")" keelthin-2.efi
expect_eq "StubInfo" "$(report_value "$WORK" "EFIVAR StubInfo")" "keel 0.1"
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$WORK" CMDLINE)" "$CMDLINE"
for bank in sha1 sha256; do
        expect_eq "PCR 11 ($bank) = keel pcr predict of the fat twin" "$(booted_pcr "$WORK" "$bank" 11)" \
                "$("$KEEL" pcr predict "$WORK/fat.efi" --bank "$bank" --phase= | sed 's/^11:[a-z0-9]*=//')"
done
exit $((FAILURES > 0))
