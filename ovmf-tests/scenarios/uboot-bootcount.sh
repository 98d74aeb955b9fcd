#!/bin/bash
# Issue 24: automatic boot assessment under U-Boot, whose FAT cannot rename
# (efi_file_setinfo() answers EFI_ACCESS_DENIED). keel used to boot a
# counted entry uncounted, forever, as systemd-boot does there; now it
# counts each try by copying the entry file to its next name and deleting
# the old one. One QEMU run, keelaa64.efi as the loader, with reboots:
# a Type #1 `efi` entry that hangs is ended by keel's watchdog (U-Boot
# resets); generation 3 is a corrupt UKI (fallback in the same boot);
# generation 2 panics and is tried exactly 3 times; then generation 1 boots
# with no input. Also on the ESP: what a crash in the middle of a copy
# leaves (a move record, the old file and a half-written copy): the copy
# goes, the old file stays; and a record naming a finished move deletes
# nothing.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
source "$(dirname "$0")/../uboot-lib.sh"
WORK=$1

# Counting by copy needs room for one more copy of the largest entry.
aa64_bootcount_esp "$WORK" 256
# A crash while counting "spare" (never chosen: sort-key zzz, older): its
# copy was half written.
esp_write "$WORK/disk.img" /loader/entries/spare+2.conf $'title Spare\nsort-key zzz\nefi /hang.efi\n'
esp_write "$WORK/disk.img" /loader/entries/spare+1-1.conf $'title Spa'
esp_write "$WORK/disk.img" /loader/entries/keel-bootcount-move $'keel-bootcount-move 1\nspare+2.conf\nspare+1-1.conf\n'
# A record whose old file is gone: the move had finished; nothing goes.
esp_write "$WORK/disk.img" /EFI/Linux/keel-bootcount-move $'keel-bootcount-move 1\nkeeltest-1+4.efi\nkeeltest-1+3.efi\n'

start=$(date +%s)
QEMU_REBOOT=1 QEMU_TIMEOUT=420 qemu_boot "$WORK" "$WORK/disk.img" || true
elapsed=$(( $(date +%s) - start ))
echo "  (one run, five boots: $elapsed s)"

console() { tr -d '\r' <"$WORK/console.log"; }
expect_eq "U-Boot cannot rename: keel counted by copying (hang, gen3 x3, gen2 x3, gen1)" \
        "$(console | grep -c 'the firmware cannot rename .*; counting the try by copying it')" 8
expect_eq "the interrupted copy was undone" \
        "$(console | grep -c 'a boot try was being counted when the machine stopped; keeping .*spare+2.conf')" 1
expect_eq "the hanging entry started once" "$(console | grep -c HANG-STARTED)" 1
expect_eq "the watchdog reset the machine: U-Boot says so and starts next" \
        "$(console | grep -v '^$' | grep -A3 HANG-STARTED | sed 1d | cut -c1-13 | tr '\n' '|')" \
        "EFI: Watchdog|resetting ...|U-Boot 2023.0|"
expect_aa64_bootcount_outcome "$WORK" "$(console | grep -c '^U-Boot 20')" "$elapsed"
expect_eq "LoaderImageIdentifier is ESP-absolute (U-Boot's path has no leading backslash)" \
        "$(report_value "$WORK" "EFIVAR LoaderImageIdentifier")" '\efi\boot\bootaa64.efi'
expect_eq "no move record left in \\EFI\\Linux" "$(esp_ls "$WORK/disk.img" /EFI/Linux | grep -c keel-bootcount-move)" 0
expect_eq "the counted copies are the UKIs, byte for byte" \
        "$(mtype -i "$WORK/disk.img@@1M" ::/EFI/Linux/keeltest-1+2-1.efi | sha256sum | cut -d' ' -f1)" \
        "$(sha256sum <"$WORK/gen1.efi" | cut -d' ' -f1)"
expect_eq "Type #1: the hang's try counted, spare kept as it was, its half copy and the record gone" \
        "$(esp_ls "$WORK/disk.img" /loader/entries | sed 's|.*/||' | sort | tr '\n' ' ')" "hang+0-1.conf spare+2.conf "
exit $((FAILURES > 0))
