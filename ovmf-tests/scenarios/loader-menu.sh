#!/bin/bash
# The boot menu on a serial console: a countdown that a key stops, j and the
# arrow keys to move, h for help, d to make the selection the default
# (LoaderEntryDefault), t/T to raise/lower the timeout (LoaderConfigTimeout),
# e to edit the command line, Enter to boot the edited entry.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1

populate_mixed_esp "$WORK/disk.img"
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 30\n'

export QEMU_CONSOLE_SOCKET=1
qemu_boot "$WORK/run" "$WORK/disk.img" &
qemu=$!
# Menu order: keeltest-2.efi, keeltest-1.efi, sdtest-7.efi, type1-test.conf.
# j, j, then the Down arrow (ESC [ B on a serial terminal) reach it; h shows
# the help; t, t, T leave the timeout one above loader.conf's.
python3 "$KEEL_SRC/ovmf-tests/type-keys.py" "$WORK/run/console.sock" \
        "wait:Booting the default entry in" "send:j" "sleep:1" "send:j" "sleep:1" "send:\\x1b[B" "sleep:1" \
        "send:h" "wait:Up/Down or j/k select" "sleep:1" \
        "send:d" "sleep:1" "send:t" "sleep:1" "send:t" "sleep:1" "send:T" "sleep:1" \
        "send:e" "wait:keel.test=type1" "sleep:1" "send: keel.edited=yes" "sleep:1" "send:\\r" &
typist=$!
wait $qemu || true
kill $typist 2>/dev/null || true
wait $typist 2>/dev/null || true

expect_report_complete "$WORK/run"
expect_true "the menu showed a countdown" grep -q "Booting the default entry in 30 s" "$WORK/run/console.log"
expect_eq "the selected entry booted" "$(report_value "$WORK/run" "EFIVAR LoaderEntrySelected")" "type1-test.conf"
expect_eq "the kernel got the edited command line" "$(report_value "$WORK/run" CMDLINE)" \
        "console=ttyS0 loglevel=1 panic=-1 keel.test=type1 keel.edited=yes"
expect_eq "d saved the default" "$(report_value "$WORK/run" "EFIVAR LoaderEntryDefault")" "type1-test.conf"
expect_true "h showed the help" grep -q "Up/Down or j/k select" "$WORK/run/console.log"
expect_eq "t, t, T: the timeout one above loader.conf's" "$(report_value "$WORK/run" "EFIVAR LoaderConfigTimeout")" "31"
exit $((FAILURES > 0))
