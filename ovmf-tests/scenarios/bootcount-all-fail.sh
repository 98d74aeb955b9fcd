#!/bin/bash
# When every entry fails, keel says so and resets after keel-reboot-delay-sec
# (the firmware may then try its next boot option); the failed try was
# counted on the way.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1

make_keel_uki "$WORK/uki.efi" keeltest 1 never
corrupt_uki_kernel "$WORK/uki.efi"
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 0\nkeel-reboot-delay-sec 2\n'
esp_put "$WORK/disk.img" "$WORK/uki.efi" /EFI/Linux/keeltest-1+3.efi

# QEMU runs with -no-reboot: keel's reset ends the run.
qemu_boot "$WORK" "$WORK/disk.img" || true
expect_true "keel says every entry failed" \
        grep -q "keel: no boot entry could be started; rebooting in 2 s" "$WORK/console.log"
expect_true "no kernel ran" bash -c "! grep -aq KEEL-REPORT-BEGIN '$WORK/report.log'"
expect_true "the machine reset (QEMU exited before its timeout)" bash -c "! grep -q 'qemu-system-x86_64: terminating on signal' '$WORK/qemu.log'"
expect_eq "the failed try was counted" "$(esp_ls "$WORK/disk.img" /EFI/Linux | sed 's|.*/||')" "keeltest-1+2-1.efi"
exit $((FAILURES > 0))
