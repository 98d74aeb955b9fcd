#!/bin/bash
# A read-only ESP: keel sees the volume is read-only (systemd 262's rule),
# says on the console that it does not count the try and boots the entry
# anyway; LoaderBootCountPath stays unset.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1

make_keel_uki "$WORK/uki.efi" keeltest 1 readonly
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 0\n'
esp_put "$WORK/disk.img" "$WORK/uki.efi" /EFI/Linux/keeltest-1+3.efi

QEMU_DISK_READONLY=1 qemu_boot "$WORK" "$WORK/disk.img" || true
expect_report_complete "$WORK"
expect_eq "the counted entry booted" "$(booted_marker "$WORK")" readonly
expect_true "the console says the try was not counted" \
        grep -q "keel: keeltest-1+3.efi is read-only, not counting this boot try" "$WORK/console.log"
expect_eq "LoaderBootCountPath is not set" "$(report_value "$WORK" "EFIVAR LoaderBootCountPath")" ""
expect_eq "the ESP is unchanged" "$(esp_ls "$WORK/disk.img" /EFI/Linux | sed 's|.*/||')" "keeltest-1+3.efi"
exit $((FAILURES > 0))
