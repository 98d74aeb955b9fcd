#!/bin/bash
# Foundation 6(a): a keel UKI boots directly as \EFI\BOOT\BOOTX64.EFI.
# The kernel must get exactly the UKI's .cmdline and the initrd through
# LoadFile2, and the stub must report itself and where it was started from
# in the Boot Loader Interface (systemd 258+'s variables too).
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
expect_eq "StubDevicePartUUID: the UKI's own partition" "$(report_value "$WORK" "EFIVAR StubDevicePartUUID")" "$(upper "$ESP_PARTUUID")"
expect_eq "StubImageIdentifier: the UKI's own path" "$(report_value "$WORK" "EFIVAR StubImageIdentifier")" '\EFI\BOOT\BOOTX64.EFI'
expect_true "LoaderTpm2ActivePcrBanks: the swtpm's banks, as systemd writes them (0x and 8 hex digits)" \
        bash -c "tr -d '\r' <'$WORK/report.log' | grep -qx 'EFIVAR LoaderTpm2ActivePcrBanks=0x0000000[1-9a-f]'"
expect_eq "LoaderPcrSMBIOS: the stub measured the SMBIOS structures into PCR 1" \
        "$(report_value "$WORK" "EFIVAR LoaderPcrSMBIOS")" 1
printf 'ID=keeltest\nVERSION_ID=1\n' >"$WORK/osrel"
expect_eq "/.extra: only os-release, the UKI's .osrel, 0444 (systemd-stub 257+)" \
        "$(tr -d '\r' <"$WORK/report.log" | grep -a '^EXTRA' | tr '\n' '|')" \
        "EXTRA-DIR mode=555|EXTRA os-release mode=444 sha256=$(sha256sum <"$WORK/osrel" | cut -d' ' -f1)|"
expect_true "no loader variable claims a loader ran" bash -c "! grep -q 'EFIVAR LoaderInfo=' '$WORK/report.log'"
exit $((FAILURES > 0))
