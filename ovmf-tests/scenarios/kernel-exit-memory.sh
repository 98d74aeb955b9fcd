#!/bin/bash
# Linux's own way of failing, with keel's stub before it (issue 20, defect
# 1): unsigned extension images beside a UKI (a sysext and a confext in
# <uki>.efi.extra.d, 230 MiB each) take so much of the guest's 1 GiB that
# Linux's EFI stub cannot allocate the initrd keel offers ("Failed to load
# initrd") and leaves through BS->Exit() on the UKI's handle. keel must take
# everything back (the initrd handle, the 460 MiB it read) so that the
# loader's next entries run as they would have: a UKI with
# efi-helpers/exit-kernel.c as its kernel (keel.exit=return) reports the
# LoadFile2 handles and the free memory it finds, then the good UKI boots
# unattended. Once without and once with Secure Boot (snakeoil; extensions
# are not signed, the UKIs are).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
EXTENSION_MB=230

IMG=$WORK/disk.img
attack_esp "$IMG" 640
make_keel_uki "$WORK/big-unsigned.efi" keeltest 2 big
snakeoil_sign "$WORK/big-unsigned.efi" "$WORK/big.efi"
esp_write "$IMG" /loader/entries/big.conf "$(printf '%s\n' 'title big extensions' 'sort-key a1' \
        'efi /EFI/keel/big.efi')"
esp_put "$IMG" "$WORK/big.efi" /EFI/keel/big.efi
efi_helpers
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$EFI_HELPERS/exit-kernel.efi" --initrd "$(shared_initramfs)" \
        --cmdline "keel.exit=return" -o "$WORK/probe-unsigned.efi"
snakeoil_sign "$WORK/probe-unsigned.efi" "$WORK/probe.efi"
esp_put "$IMG" "$WORK/probe.efi" /EFI/keel/probe.efi
esp_write "$IMG" /loader/entries/probe.conf "$(printf '%s\n' 'title probe' 'sort-key a2' 'efi /EFI/keel/probe.efi')"
mmd -i "$IMG@@1M" ::/EFI/keel/big.efi.extra.d
truncate -s ${EXTENSION_MB}M "$WORK/extension.raw"
esp_put "$IMG" "$WORK/extension.raw" /EFI/keel/big.efi.extra.d/big.raw
esp_put "$IMG" "$WORK/extension.raw" /EFI/keel/big.efi.extra.d/big.confext.raw
rm -f "$WORK/extension.raw"

# expect_fallback WORKDIR: Linux failed on the big UKI, keel came back, the
# good UKI booted.
expect_fallback() {
        local w=$1
        expect_console "$w" "Linux's EFI stub could not load the initrd" "Failed to load initrd"
        expect_true "the stub came back from the kernel" console_after "$w" "Failed to load initrd" "keel: kernel returned: out of resources"
        expect_console "$w" "the loader fell back" "keel: entry big\\.conf failed"
        expect_true "no stub found an initrd left behind" bash -c "! tr -d '\r' <'$w/console.log' | grep -aq 'ignoring the initrd offered'"
        expect_console "$w" "the next UKI finds only its own stub's LoadFile2 handle" \
                "EXIT-KERNEL: mode=return initrd-offered=yes loadfile2-handles=1 "
        free=$(tr -d '\r' <"$w/console.log" | sed -n 's/^EXIT-KERNEL: mode=return .* free-mib=\([0-9]*\)$/\1/p' | head -n 1)
        expect_true "the next UKI finds the extensions' memory free again (${free:-?} MiB > $((2 * EXTENSION_MB)))" \
                test "${free:-0}" -gt $((2 * EXTENSION_MB))
        expect_report_complete "$w"
        expect_eq "the good UKI booted, unattended" "$(report_value "$w" "EFIVAR LoaderEntrySelected")" keeltest-1.efi
        expect_eq "with its signed command line" "$(report_value "$w" CMDLINE)" "$SB_GOOD_CMDLINE"
}

echo "-- 1. Secure Boot off"
W=$WORK/plain
cp "$IMG" "$W.img"
KEEL_NO_TPM=1 qemu_boot "$W" "$W.img" || true
expect_fallback "$W"

echo "-- 2. Secure Boot on"
W=$WORK/sb
KEEL_NO_TPM=1 sb_boot "$W" "$IMG" "$SB_SNAKEOIL_VARS" || true
expect_eq "SecureBoot is on" "$(report_value "$W" SECUREBOOT)" 01
expect_fallback "$W"
exit $((FAILURES > 0))
