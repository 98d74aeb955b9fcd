#!/bin/bash
# An ESP with keel and nothing to boot: keel shows its no-entry screen
# (reboot / firmware setup) and, when nobody answers, returns to the
# firmware so that it can try its next boot option.
source "$(dirname "$0")/../lib.sh"
WORK=$1

esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 0\nkeel-reboot-delay-sec 3\n'

# The firmware goes on to its own menu after keel returns: stop QEMU there.
qemu_boot "$WORK" "$WORK/disk.img" &
boot=$!
for _ in $(seq 1 120); do
        tr -d '\r' 2>/dev/null <"$WORK/console.log" | grep -aq "failed to start Boot0001" && break
        sleep 1
done
pkill -f "file=$WORK/disk.img" 2>/dev/null || true
wait $boot || true

expect_true "keel says there is no bootable entry" grep -aq "keel 0.1: no bootable entry found." "$WORK/console.log"
expect_true "it offers reboot and firmware setup" grep -aq "Press r to reboot, f to enter the firmware setup" "$WORK/console.log"
expect_true "unanswered, it returns to the firmware" \
        bash -c "tr -d '\r' <'$WORK/console.log' | grep -aq 'failed to start Boot0001.*Not Found'"
exit $((FAILURES > 0))
