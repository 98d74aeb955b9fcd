#!/bin/bash
# Issue 15: the AAVMF harness itself, proven with systemd's own arm64
# binaries only (no keel code runs in the guest): systemd-boot 252
# (systemd-bootaa64.efi) as \EFI\BOOT\BOOTAA64.EFI boots a systemd-stub 252
# (linuxaa64.efi.stub) UKI with Debian's arm64 kernel and the arm64
# reporting initramfs. The report arrives on the virtconsole, the TPM
# (swtpm, tpm-tis-device, tpm_tis.ko built out of tree) works, PCR 11 is
# what systemd-measure computes and the event log replays; AAVMF hands the
# kernel ACPI and no device tree.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
WORK=$1

make_sdstub_uki "$WORK/sd.efi" sdtest 1 harness
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$SYSTEMD_BOOT_EFI" "$AA64_BOOT_EFI"
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 0\n'
esp_put "$WORK/disk.img" "$WORK/sd.efi" /EFI/Linux/sdtest-1.efi

start=$(date +%s)
qemu_boot "$WORK" "$WORK/disk.img" || true
echo "  (boot took $(( $(date +%s) - start )) s)"

expect_report_complete "$WORK"
expect_eq "an arm64 kernel reported" "$(report_value "$WORK" ARCH)" aarch64
expect_eq "the kernel is Debian's arm64 kernel" "$(report_value "$WORK" KERNEL)" "$(kernel_release)"
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$WORK" CMDLINE)" "$(aa64_cmdline harness)"
expect_true "systemd-boot 252 was the loader" grep -q "EFIVAR LoaderInfo=systemd-boot 252" "$WORK/report.log"
expect_true "systemd-stub 252 was the stub" grep -q "EFIVAR StubInfo=systemd-stub 252" "$WORK/report.log"
expect_eq "systemd-boot selected the UKI" "$(report_value "$WORK" "EFIVAR LoaderEntrySelected")" sdtest-1.efi
expect_eq "LoaderImageIdentifier" "$(report_value "$WORK" "EFIVAR LoaderImageIdentifier")" '\EFI\BOOT\BOOTAA64.EFI'
expect_eq "AAVMF gives ACPI" "$(report_value "$WORK" ACPI)" present
expect_eq "AAVMF gives no device tree (no model)" "$(report_value "$WORK" DT-MODEL)" ""
expect_eq "TPM present (tpm_tis.ko)" "$(report_value "$WORK" TPM)" present
$PCR_CHECK model "$WORK/sd.efi" "$WORK/sections" >"$WORK/model.txt"
for bank in sha1 sha256; do
        expect_eq "PCR 11 ($bank) = systemd-measure's model of the UKI" "$(booted_pcr "$WORK" "$bank" 11)" \
                "$(sed -n "s/^$bank=//p" "$WORK/model.txt")"
done
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$WORK"
expect_replay_matches "$WORK"
exit $((FAILURES > 0))
