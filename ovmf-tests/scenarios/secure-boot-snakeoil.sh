#!/bin/bash
# Secure Boot 6 with Debian's snakeoil-enrolled variables
# (OVMF_VARS_4M.snakeoil.fd: SecureBoot on, PK/KEK/db hold the snakeoil
# certificate): a UKI that keel signs with the snakeoil key (an encrypted
# PEM key, passphrase "snakeoil") boots; the same UKI unsigned is refused.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
WORK=$1
CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=snakeoil"

printf 'snakeoil\n' >"$WORK/passphrase"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" -o "$WORK/uki-unsigned.efi"
"$KEEL" sign --key "$SNAKEOIL_KEY" --cert "$SNAKEOIL_CERT" --passphrase-file "$WORK/passphrase" \
        -o "$WORK/uki-snakeoil.efi" "$WORK/uki-unsigned.efi"

echo "-- signed with the snakeoil key: boots"
W=$WORK/signed
esp_image_create "$W.img"
esp_put "$W.img" "$WORK/uki-snakeoil.efi" /EFI/BOOT/BOOTX64.EFI
sb_boot "$W" "$W.img" "$SB_SNAKEOIL_VARS" || true
expect_report_complete "$W"
expect_eq "SecureBoot is on" "$(report_value "$W" SECUREBOOT)" "01"
expect_eq "kernel command line is the signed .cmdline" "$(report_value "$W" CMDLINE)" "$CMDLINE"

echo "-- unsigned: refused"
W=$WORK/unsigned
esp_image_create "$W.img"
esp_put "$W.img" "$WORK/uki-unsigned.efi" /EFI/BOOT/BOOTX64.EFI
sb_boot "$W" "$W.img" "$SB_SNAKEOIL_VARS" "$SB_ALL_FAILED" || true
expect_refused "$W" "unsigned UKI"
exit $((FAILURES > 0))
