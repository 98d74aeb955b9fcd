#!/bin/bash
# keel's own PE loader (issue 14 item 8), the Debian kernel through it:
#  1. Secure Boot on (Debian's snakeoil variables), a snakeoil-signed UKI
#     started by the firmware: it boots, and the firmware's PCR 4 log has the
#     UKI's Authenticode hash but not the kernel's (no LoadImage() of the
#     kernel, no security-protocol hook: the UKI's signature is all that
#     was checked).
#  2. An EFI_MEMORY_ATTRIBUTE_PROTOCOL offered by a test program
#     (efi-helpers/memattr.c, which logs each call and changes nothing)
#     before the UKI starts: keel protects the kernel (NX_COMPAT) as its
#     section table says — headers read-only and not executable, code
#     read-only and executable, data writable and not executable — at an
#     image base aligned to its SectionAlignment, all of it computed here
#     from the kernel's headers.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../peloader-lib.sh"
WORK=$1
CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=peloader"

kernel_hash=$(authenticode "$(kernel_image)")

echo "-- 1. Secure Boot, snakeoil-signed UKI"
printf 'snakeoil\n' >"$WORK/passphrase"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" -o "$WORK/uki.efi"
"$KEEL" sign --key "$SNAKEOIL_KEY" --cert "$SNAKEOIL_CERT" --passphrase-file "$WORK/passphrase" \
        -o "$WORK/uki-snakeoil.efi" "$WORK/uki.efi"
W=$WORK/sb
esp_image_create "$W.img"
esp_put "$W.img" "$WORK/uki-snakeoil.efi" /EFI/BOOT/BOOTX64.EFI
sb_boot "$W" "$W.img" "$SB_SNAKEOIL_VARS" || true
expect_report_complete "$W"
expect_eq "SecureBoot is on" "$(report_value "$W" SECUREBOOT)" "01"
expect_eq "kernel command line is the signed .cmdline" "$(report_value "$W" CMDLINE)" "$CMDLINE"
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$W"
pcr4_applications "$W" >"$W/pcr4.txt"
expect_true "PCR 4 has the signed UKI" grep -qx "$(authenticode "$WORK/uki-snakeoil.efi")" "$W/pcr4.txt"
expect_true "PCR 4 lacks the kernel: keel loaded it without LoadImage()" bash -c "! grep -qx '$kernel_hash' '$W/pcr4.txt'"
expect_eq "PCR 4 applications: the UKI alone" "$(wc -l <"$W/pcr4.txt")" 1

echo "-- 2. EFI_MEMORY_ATTRIBUTE_PROTOCOL offered: W^X as the kernel's section table says"
efi_helpers
W=$WORK/memattr
esp_image_create "$W.img"
esp_put "$W.img" "$EFI_HELPERS/memattr.efi" /EFI/BOOT/BOOTX64.EFI
esp_put "$W.img" "$WORK/uki.efi" /EFI/Linux/uki.efi
qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$W" CMDLINE)" "$CMDLINE"
expect_protections "$W" "$(kernel_image)"
exit $((FAILURES > 0))
