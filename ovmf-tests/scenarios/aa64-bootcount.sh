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
# The boot manager's own watchdog (UEFI: 5 minutes) would end the hang too,
# later: keel's 30 s must have done it.
expect_true "keel's watchdog, not the firmware's 5-minute one (run: $elapsed s)" test "$elapsed" -lt 300
expect_eq "five boots: the hang, three of generation 3 then 2, generation 1" \
        "$(console | grep -c '^UEFI firmware')" 5
expect_eq "generation 2 was tried exactly 3 times" "$(console | grep -c GEN2-BOOTED)" 3
expect_eq "generation 3's failure was followed by a fallback in the same boot (3 boots)" \
        "$(console | grep -c 'keel: trying the next entry: keeltest-2.efi')" 3
expect_report_complete "$WORK"
expect_eq "generation 1 booted with no input" "$(booted_marker "$WORK")" gen1
expect_eq "LoaderBootCountPath named generation 1's counted file" \
        "$(report_value "$WORK" "EFIVAR LoaderBootCountPath")" '\EFI\Linux\keeltest-1+2-1.efi'
expect_eq "PCR 11 is what keel pcr predict says for generation 1 (the failed ones measured nothing)" \
        "$(report_value "$WORK" "PCR sha256 11" | tr 'A-F' 'a-f')" \
        "$("$KEEL" pcr predict --bank sha256 --phase= "$WORK/gen1.efi" | sed -n 's/^11:sha256=//p')"
expect_eq "the ESP afterwards: every try counted" \
        "$(esp_ls "$WORK/disk.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "keeltest-1+2-1.efi keeltest-2+0-3.efi keeltest-3+0-3.efi "
expect_eq "the hanging entry's try was counted" "$(esp_ls "$WORK/disk.img" /loader/entries | sed 's|.*/||')" "hang+0-1.conf"
exit $((FAILURES > 0))
