#!/bin/bash
# Issue 15: a keel arm64 UKI (keelaa64.efi as its stub, Debian's arm64
# kernel) boots directly as \EFI\BOOT\BOOTAA64.EFI under AAVMF. The kernel
# gets exactly the UKI's .cmdline and the initrd; the stub reports itself in
# the Boot Loader Interface; PCR 11 equals `keel pcr predict` and the
# independent model checked against systemd-measure 252; the event log
# replays; .pcrsig/.pcrpkey reach /.extra as on x86-64.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
WORK=$1

CMDLINE=$(aa64_cmdline aa64-direct)
rsa_keypair "$WORK"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" --os-release $'ID=keeltest\nVERSION_ID=1\n' \
        --pcrpkey "$WORK/pub.pem" --pcr-private-key "$WORK/priv.pem" -o "$WORK/uki.efi"
expect_eq "the UKI is an arm64 PE (objdump)" \
        "$(aarch64-linux-gnu-objdump -f "$WORK/uki.efi" | sed -n 's/.*file format //p')" pei-aarch64-little
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$WORK/uki.efi" "$AA64_BOOT_EFI"

start=$(date +%s)
qemu_boot "$WORK" "$WORK/disk.img" || true
echo "  (boot took $(( $(date +%s) - start )) s)"

expect_report_complete "$WORK"
expect_eq "an arm64 kernel reported" "$(report_value "$WORK" ARCH)" aarch64
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$WORK" CMDLINE)" "$CMDLINE"
expect_eq "StubInfo" "$(report_value "$WORK" "EFIVAR StubInfo")" "keel 0.1"
expect_eq "LoaderDevicePartUUID is the ESP (upper case, as systemd-boot writes it)" \
        "$(report_value "$WORK" "EFIVAR LoaderDevicePartUUID")" "$(upper "$ESP_PARTUUID")"
expect_eq "LoaderImageIdentifier" "$(report_value "$WORK" "EFIVAR LoaderImageIdentifier")" '\EFI\BOOT\BOOTAA64.EFI'
expect_true "LoaderFirmwareInfo names EDK II" grep -q "EFIVAR LoaderFirmwareInfo=EDK II" "$WORK/report.log"
expect_true "no loader variable claims a loader ran" bash -c "! grep -q 'EFIVAR LoaderInfo=' '$WORK/report.log'"
expect_eq "StubPcrKernelImage" "$(report_value "$WORK" "EFIVAR StubPcrKernelImage")" "11"
expect_eq "TPM present" "$(report_value "$WORK" TPM)" present

$PCR_CHECK model "$WORK/uki.efi" "$WORK/sections" >"$WORK/model.txt"
for bank in sha1 sha256; do
        booted=$(booted_pcr "$WORK" "$bank" 11)
        expect_eq "PCR 11 ($bank) = systemd-measure model + .uname/.sbat" "$booted" \
                "$(sed -n "s/^$bank=//p" "$WORK/model.txt")"
        expect_eq "PCR 11 ($bank) = keel pcr predict --phase=" "$booted" \
                "$("$KEEL" pcr predict "$WORK/uki.efi" --bank "$bank" --phase= | sed 's/^11:[a-z0-9]*=//')"
done
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$WORK"
expect_replay_matches "$WORK"

aarch64-linux-gnu-objcopy -O binary --only-section=.pcrsig "$WORK/uki.efi" "$WORK/pcrsig.json"
expect_eq "/.extra/tpm2-pcr-signature.json is .pcrsig, 0444" \
        "$(report_value "$WORK" "EXTRA tpm2-pcr-signature.json mode")" "444 sha256=$(sha256_hex "$WORK/pcrsig.json")"
expect_eq "/.extra/tpm2-pcr-public-key.pem is .pcrpkey, 0444" \
        "$(report_value "$WORK" "EXTRA tpm2-pcr-public-key.pem mode")" "444 sha256=$(sha256_hex "$WORK/pub.pem")"
exit $((FAILURES > 0))
