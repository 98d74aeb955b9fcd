#!/bin/bash
# Issue 15: the arm64 peers, both ways. systemd-boot 252 arm64
# (systemd-bootaa64.efi) boots a keel arm64 UKI: the keel stub runs under it
# (LoaderInfo systemd-boot, StubInfo keel), the kernel gets the UKI's
# .cmdline and PCR 11 equals `keel pcr predict`. keelaa64.efi as the loader
# boots a systemd-stub 252 arm64 UKI (linuxaa64.efi.stub): LoaderInfo keel,
# StubInfo systemd-stub, PCR 11 = systemd-measure's model of that UKI.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
WORK=$1

echo "-- systemd-boot 252 arm64 boots a keel UKI"
W=$WORK/sd-boot
mkdir -p "$W"
make_keel_uki "$W/keel-uki.efi" keeltest 4 under-sd-boot
esp_image_create "$W.img"
esp_put "$W.img" "$SYSTEMD_BOOT_EFI" "$AA64_BOOT_EFI"
esp_write "$W.img" /loader/loader.conf $'timeout 0\n'
esp_put "$W.img" "$W/keel-uki.efi" /EFI/Linux/keeltest-4.efi
qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_true "systemd-boot 252 was the loader" grep -q "EFIVAR LoaderInfo=systemd-boot 252" "$W/report.log"
expect_eq "systemd-boot selected the keel UKI" "$(report_value "$W" "EFIVAR LoaderEntrySelected")" keeltest-4.efi
expect_eq "the keel stub ran" "$(report_value "$W" "EFIVAR StubInfo")" "keel 0.1"
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$W" CMDLINE)" "$(aa64_cmdline under-sd-boot)"
for bank in sha1 sha256; do
        expect_eq "PCR 11 ($bank) = keel pcr predict" "$(booted_pcr "$W" "$bank" 11)" \
                "$("$KEEL" pcr predict "$W/keel-uki.efi" --bank "$bank" --phase= | sed 's/^11:[a-z0-9]*=//')"
done

echo "-- keelaa64.efi boots a systemd-stub 252 arm64 UKI"
W=$WORK/keel-loader
mkdir -p "$W"
make_sdstub_uki "$W/sd-uki.efi" sdtest 5 under-keel
esp_image_create "$W.img"
esp_put "$W.img" "$KEEL_EFI" "$AA64_BOOT_EFI"
esp_write "$W.img" /loader/loader.conf $'timeout 0\n'
esp_put "$W.img" "$W/sd-uki.efi" /EFI/Linux/sdtest-5.efi
qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_eq "keel was the loader" "$(report_value "$W" "EFIVAR LoaderInfo")" "keel 0.1"
expect_eq "keel selected the systemd-stub UKI" "$(report_value "$W" "EFIVAR LoaderEntrySelected")" sdtest-5.efi
expect_true "systemd-stub 252 ran" grep -q "EFIVAR StubInfo=systemd-stub 252" "$W/report.log"
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$W" CMDLINE)" "$(aa64_cmdline under-keel)"
$PCR_CHECK model "$W/sd-uki.efi" "$W/sections" >"$W/model.txt"
for bank in sha1 sha256; do
        expect_eq "PCR 11 ($bank) = systemd-measure's model" "$(booted_pcr "$W" "$bank" 11)" \
                "$(sed -n "s/^$bank=//p" "$W/model.txt")"
done
exit $((FAILURES > 0))
