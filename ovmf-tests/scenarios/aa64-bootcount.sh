#!/bin/bash
# Issue 15: automatic boot assessment on arm64 (keelaa64.efi as loader),
# unattended, in ONE QEMU run with reboots. All entries start with +3 or
# +1: a Type #1 `efi` entry that hangs before ExitBootServices (sort-key
# aaa: first) is ended by keel's watchdog (AAVMF's watchdog timer resets the
# machine); then generation 3 (newest) is a corrupt UKI and keel falls back
# to generation 2 in the same boot; generation 2's initramfs exits (kernel
# panic, panic=-1 reboots) and it is tried exactly 3 times; then generation
# 1 boots with no input. Afterwards the ESP shows every try counted. (The
# bless step of the x86-64 scenario needs the host's keel inside the guest;
# here the counters themselves are checked.)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
WORK=$1

aa64_bootcount_esp "$WORK"

start=$(date +%s)
QEMU_REBOOT=1 QEMU_TIMEOUT=480 qemu_boot "$WORK" "$WORK/disk.img" || true
elapsed=$(( $(date +%s) - start ))
echo "  (one run, five boots: $elapsed s)"

console() { tr -d '\r' <"$WORK/console.log"; }
expect_eq "the hanging entry started once" "$(console | grep -c HANG-STARTED)" 1
expect_eq "the watchdog reset the machine: the firmware starts next" \
        "$(console | grep -A1 HANG-STARTED | tail -n 1 | grep -c '^UEFI firmware')" 1
expect_aa64_bootcount_outcome "$WORK" "$(console | grep -c '^UEFI firmware')" "$elapsed"
expect_eq "the hanging entry's try was counted" "$(esp_ls "$WORK/disk.img" /loader/entries | sed 's|.*/||')" "hang+0-1.conf"
exit $((FAILURES > 0))
