#!/bin/bash
# An entry that hangs before ExitBootServices is ended by keel's watchdog:
# the machine resets, the counter has recorded the try, and the next boot
# goes to the good entry without input. (40 s: under TCG the good entry
# itself needs several seconds before ExitBootServices disarms the watchdog.)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1

make -s -C "$KEEL_SRC/ovmf-tests/efi-helpers" OUT="$WORK/helpers" "$WORK/helpers/hang.efi"
make_keel_uki "$WORK/uki.efi" keeltest 1 good
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 0\nkeel-watchdog-sec 40\n'
esp_put "$WORK/disk.img" "$WORK/helpers/hang.efi" /hang.efi
# sort-key "aaa" puts the hanging entry first.
esp_write "$WORK/disk.img" /loader/entries/hang+1.conf $'title Hangs\nsort-key aaa\nefi /hang.efi\n'
esp_put "$WORK/disk.img" "$WORK/uki.efi" /EFI/Linux/keeltest-1.efi

QEMU_REBOOT=1 qemu_boot "$WORK" "$WORK/disk.img" || true
expect_eq "the hanging entry started once" "$(tr -d '\r' <"$WORK/console.log" | grep -c HANG-STARTED)" 1
expect_report_complete "$WORK"
expect_eq "after the watchdog reset, the good entry booted" "$(booted_marker "$WORK")" good
expect_eq "the hanging entry's try was counted" "$(esp_ls "$WORK/disk.img" /loader/entries | sed 's|.*/||')" "hang+0-1.conf"
exit $((FAILURES > 0))
