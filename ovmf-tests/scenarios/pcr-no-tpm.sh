#!/bin/bash
# Measured boot, issue 5: without a TPM the machine still boots. The stub
# prints one console line saying nothing was measured, and no StubPcr*
# variable claims a measurement.
source "$(dirname "$0")/../lib.sh"
WORK=$1

CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=pcr-no-tpm"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" --os-release $'ID=keeltest\nVERSION_ID=5\n' -o "$WORK/uki.efi"
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$WORK/uki.efi" /EFI/BOOT/BOOTX64.EFI

KEEL_NO_TPM=1 qemu_boot "$WORK" "$WORK/disk.img" || true

expect_report_complete "$WORK"
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$WORK" CMDLINE)" "$CMDLINE"
expect_eq "the booted system sees no TPM" "$(report_value "$WORK" TPM)" "absent"
expect_eq "exactly one console line about the missing TPM" \
        "$(tr -d '\r' <"$WORK/console.log" | grep -c '^keel: no TPM 2.0 found; booting without measurements$')" "1"
expect_true "no other keel line on the console" \
        bash -c "[ \$(tr -d '\r' <'$WORK/console.log' | grep -c '^keel: ') = 1 ]"
expect_eq "StubInfo still set" "$(report_value "$WORK" "EFIVAR StubInfo")" "keel 0.1"
for v in StubPcrKernelImage StubPcrKernelParameters; do
        expect_true "no $v" bash -c "! grep -q 'EFIVAR $v=' '$WORK/report.log'"
done
exit $((FAILURES > 0))
