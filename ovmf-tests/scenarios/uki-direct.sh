#!/bin/bash
# Foundation 6(a): a keel UKI boots directly as \EFI\BOOT\BOOTX64.EFI.
# The kernel must get exactly the UKI's .cmdline and the initrd through
# LoadFile2, and the stub must report itself in the Boot Loader Interface.
source "$(dirname "$0")/../lib.sh"
WORK=$1

CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=direct"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" --os-release $'ID=keeltest\nVERSION_ID=1\n' -o "$WORK/uki.efi"
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$WORK/uki.efi" /EFI/BOOT/BOOTX64.EFI

qemu_boot "$WORK" "$WORK/disk.img" || true

expect_report_complete "$WORK"
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$WORK" CMDLINE)" "$CMDLINE"
expect_eq "StubInfo" "$(report_value "$WORK" "EFIVAR StubInfo")" "keel 0.1"
expect_eq "StubFeatures: exactly the bits of what keel's stub does ($KEEL_STUB_FEATURE_BITS)" \
        "$(report_value "$WORK" "EFIVAR StubFeatures")" "$(efivar_u64_of_bits $KEEL_STUB_FEATURE_BITS)"
expect_eq "LoaderDevicePartUUID is the ESP (upper case, as systemd-boot writes it)" "$(report_value "$WORK" "EFIVAR LoaderDevicePartUUID")" "$(upper "$ESP_PARTUUID")"
expect_eq "LoaderImageIdentifier" "$(report_value "$WORK" "EFIVAR LoaderImageIdentifier")" '\EFI\BOOT\BOOTX64.EFI'
expect_true "LoaderFirmwareType names UEFI" grep -q "EFIVAR LoaderFirmwareType=UEFI 2\.[0-9][0-9]" "$WORK/report.log"
expect_true "LoaderFirmwareInfo names EDK II" grep -q "EFIVAR LoaderFirmwareInfo=EDK II 1\.00" "$WORK/report.log"
expect_true "a UKI without .pcrsig/.pcrpkey hands the OS no /.extra" bash -c "! grep -aq '^EXTRA' '$WORK/report.log'"
expect_true "no loader variable claims a loader ran" bash -c "! grep -q 'EFIVAR LoaderInfo=' '$WORK/report.log'"
exit $((FAILURES > 0))
