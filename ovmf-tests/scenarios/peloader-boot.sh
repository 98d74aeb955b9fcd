#!/bin/bash
# keel's own PE loader (issue 14 item 8), the Debian kernel through it. The
# proof that keel, not the firmware's LoadImage(), loaded the kernel: an
# EFI_MEMORY_ATTRIBUTE_PROTOCOL offered by a test program
# (efi-helpers/memattr.c: logs each call, changes nothing; Debian 12's OVMF
# has none, and its LoadImage() would not call one) before it starts the
# UKI; keel protects the kernel (NX_COMPAT) as its section table says —
# headers read-only and not executable, code read-only and executable, data
# writable and not executable — at an image base aligned to its
# SectionAlignment, all of it computed here from the kernel's headers.
#  1. Secure Boot on (Debian's snakeoil variables), the helper and the UKI
#     signed with the snakeoil key: the kernel boots with the UKI's
#     signature as its only check, is protected as above, and the stub
#     measures nothing into PCR 4 (the firmware's log has the helper and the
#     UKI, not the kernel; the old LoadImage() path skipped that measurement
#     too, through its security-protocol hook).
#  2. Secure Boot off: the same, and the kernel gets the UKI's command line.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../peloader-lib.sh"
WORK=$1
CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=peloader"

kernel_hash=$(authenticode "$(kernel_image)")

"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" -o "$WORK/uki.efi"
efi_helpers

echo "-- 1. Secure Boot, helper and UKI signed with the snakeoil key"
snakeoil_sign "$WORK/uki.efi" "$WORK/uki-snakeoil.efi"
snakeoil_sign "$EFI_HELPERS/memattr.efi" "$WORK/memattr-snakeoil.efi"
W=$WORK/sb
esp_image_create "$W.img"
esp_put "$W.img" "$WORK/memattr-snakeoil.efi" /EFI/BOOT/BOOTX64.EFI
esp_put "$W.img" "$WORK/uki-snakeoil.efi" /EFI/Linux/uki.efi
sb_boot "$W" "$W.img" "$SB_SNAKEOIL_VARS" || true
expect_report_complete "$W"
expect_eq "SecureBoot is on" "$(report_value "$W" SECUREBOOT)" "01"
expect_eq "kernel command line is the signed .cmdline" "$(report_value "$W" CMDLINE)" "$CMDLINE"
expect_protections "$W" "$(kernel_image)"
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$W"
pcr4_applications "$W" >"$W/pcr4.txt"
expect_true "PCR 4 has the signed helper" grep -qx "$(authenticode "$WORK/memattr-snakeoil.efi")" "$W/pcr4.txt"
expect_true "PCR 4 has the signed UKI" grep -qx "$(authenticode "$WORK/uki-snakeoil.efi")" "$W/pcr4.txt"
expect_true "PCR 4 lacks the kernel" bash -c "! grep -qx '$kernel_hash' '$W/pcr4.txt'"
expect_eq "PCR 4 applications: the helper and the UKI, nothing else" "$(wc -l <"$W/pcr4.txt")" 2

echo "-- 2. Secure Boot off"
W=$WORK/memattr
esp_image_create "$W.img"
esp_put "$W.img" "$EFI_HELPERS/memattr.efi" /EFI/BOOT/BOOTX64.EFI
esp_put "$W.img" "$WORK/uki.efi" /EFI/Linux/uki.efi
qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$W" CMDLINE)" "$CMDLINE"
expect_protections "$W" "$(kernel_image)"
exit $((FAILURES > 0))
