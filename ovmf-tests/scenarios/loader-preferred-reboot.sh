#!/bin/bash
# The preferred entry (systemd 260) and reboot-on-error (258), unattended,
# in one QEMU run with reboots. The OS set LoaderEntryPreferred to
# generation 3 (vars-chain sets it again on every boot); loader.conf says
# `default keeltest-1.efi`, `preferred keeltest-2.efi`, `reboot-on-error
# auto`, `log-level warning`. Generations 3 (+1: one try left) and 2
# (uncounted) are corrupt, generation 1 is good.
#  boot 1: LoaderEntryPreferred picks generation 3, its last try is counted
#          (+0-1), it fails, and keel resets (auto: the try was counted)
#          instead of trying the next entry;
#  boot 2: LoaderEntryPreferred names an entry with 0 tries left, so it is
#          passed over; loader.conf's preferred beats its default:
#          generation 2 is tried, fails uncounted, and keel (auto) falls
#          back to generation 1 in the same boot; log-level warning keeps
#          the notice "trying the next entry" off the console, the error
#          stays.
# Then the same ESP as it was before boot 1, twice more, loader.conf with
# `default keeltest-1.efi` and no `log-level`:
#  reboot-on-error yes: a one-shot LoaderEntryOneShot (set once) picks
#          generation 2, whose uncounted failure makes keel reset (auto
#          would fall back); the next boot, with no one-shot, boots
#          generation 1;
#  reboot-on-error no: LoaderEntryPreferred picks generation 3, whose
#          counted failure (auto would reset) makes keel try the next
#          entries in the same boot: generation 2 fails, generation 1 boots.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
WORK=$1

efi_helpers
make_keel_uki "$WORK/gen1.efi" keeltest 1 gen1
make_keel_uki "$WORK/gen2.efi" keeltest 2 gen2
make_keel_uki "$WORK/gen3.efi" keeltest 3 gen3
corrupt_uki_kernel "$WORK/gen2.efi"
corrupt_uki_kernel "$WORK/gen3.efi"

IMG=$WORK/disk.img
esp_image_create "$IMG"
esp_put "$IMG" "$EFI_HELPERS/vars-chain.efi" /EFI/BOOT/BOOTX64.EFI
esp_put "$IMG" "$KEEL_EFI" /EFI/BOOT/next.efi
vars_chain_set "$IMG" LoaderEntryPreferred keeltest-3.efi
esp_write "$IMG" /loader/loader.conf "$(printf '%s\n' 'timeout 0' 'default keeltest-1.efi' 'preferred keeltest-2.efi' \
        'reboot-on-error auto' 'log-level warning' 'keel-reboot-delay-sec 1' 'keel-test-unknown-key yes')"
esp_put "$IMG" "$WORK/gen3.efi" /EFI/Linux/keeltest-3+1.efi
esp_put "$IMG" "$WORK/gen2.efi" /EFI/Linux/keeltest-2.efi
esp_put "$IMG" "$WORK/gen1.efi" /EFI/Linux/keeltest-1.efi
cp "$IMG" "$WORK/pristine.img"

QEMU_REBOOT=1 QEMU_TIMEOUT=300 qemu_boot "$WORK" "$IMG" || true
# boots DIR TEXT: how many console lines of the run in DIR hold TEXT.
boots() { tr -d '\r' <"$1/console.log" | grep -acF -- "$2"; }
count() { boots "$WORK" "$1"; }
expect_eq "two boots (vars-chain ran twice)" "$(count "VARS-CHAIN: LoaderEntryPreferred")" 2
expect_eq "boot 1: LoaderEntryPreferred's entry was tried" "$(count "keel: entry keeltest-3.efi failed")" 1
expect_eq "boot 1: reboot-on-error auto reset the machine after the counted try" \
        "$(count "keel: reboot-on-error: rebooting in 1 s")" 1
expect_eq "boot 2: loader.conf's preferred entry was tried before its default" \
        "$(count "keel: entry keeltest-2.efi failed")" 1
expect_report_complete "$WORK"
expect_eq "boot 2: then generation 1 booted, in the same boot" "$(booted_marker "$WORK")" gen1
expect_eq "LoaderEntrySelected" "$(report_value "$WORK" "EFIVAR LoaderEntrySelected")" keeltest-1.efi
expect_eq "log-level warning: no notice on the console" "$(count "keel: trying the next entry")" 0
expect_eq "warnings still show: the unknown key's, on each boot" \
        "$(count "keel: loader.conf:7: unknown key 'keel-test-unknown-key', ignoring")" 2
expect_eq "the ESP afterwards: generation 3 counted once, to 0 tries left" \
        "$(esp_ls "$IMG" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "keeltest-1.efi keeltest-2.efi keeltest-3+0-1.efi "

# reboot_on_error_esp MODE DIR: DIR/esp.img, a copy of the ESP as it was
# before boot 1, with `reboot-on-error MODE` in loader.conf.
reboot_on_error_esp() {
        mkdir -p "$2"
        cp "$WORK/pristine.img" "$2/esp.img"
        esp_write "$2/esp.img" /loader/loader.conf "$(printf '%s\n' 'timeout 0' 'default keeltest-1.efi' \
                "reboot-on-error $1" 'keel-reboot-delay-sec 1' 'keel-test-unknown-key yes')"
}

echo "-- reboot-on-error yes"
Y=$WORK/yes
reboot_on_error_esp yes "$Y"
mdel -i "$Y/esp.img@@1M" ::/keel-vars/LoaderEntryPreferred
vars_chain_set_once "$Y/esp.img" LoaderEntryOneShot keeltest-2.efi
QEMU_REBOOT=1 QEMU_TIMEOUT=300 qemu_boot "$Y" "$Y/esp.img" || true
expect_eq "yes: two boots (the firmware started the ESP twice, keel read loader.conf twice)" \
        "$(boots "$Y" "BdsDxe: starting Boot0001") $(boots "$Y" "keel: loader.conf:5: unknown key")" "2 2"
expect_eq "yes: boot 1: LoaderEntryOneShot was set once, its entry (uncounted) tried and failed" \
        "$(boots "$Y" "VARS-CHAIN: once: \\keel-vars-once\\LoaderEntryOneShot deleted: Success") $(boots "$Y" "keel: entry keeltest-2.efi failed")" "1 1"
expect_eq "yes: boot 1: keel reset the machine instead of trying the next entry" \
        "$(boots "$Y" "keel: reboot-on-error: rebooting in 1 s") $(boots "$Y" "keel: trying the next entry")" "1 0"
expect_report_complete "$Y"
expect_eq "yes: boot 2: loader.conf's default booted" "$(booted_marker "$Y")" gen1
expect_eq "yes: the ESP afterwards: nothing counted" \
        "$(esp_ls "$Y/esp.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "keeltest-1.efi keeltest-2.efi keeltest-3+1.efi "

echo "-- reboot-on-error no"
N=$WORK/no
reboot_on_error_esp no "$N"
QEMU_TIMEOUT=300 qemu_boot "$N" "$N/esp.img" || true
expect_eq "no: one boot" "$(boots "$N" "BdsDxe: starting Boot0001")" 1
expect_eq "no: LoaderEntryPreferred's counted entry failed, and keel did not reset" \
        "$(boots "$N" "keel: entry keeltest-3.efi failed") $(boots "$N" "keel: reboot-on-error")" "1 0"
expect_eq "no: the next entries were tried in the same boot" \
        "$(boots "$N" "keel: trying the next entry: keeltest-2.efi") $(boots "$N" "keel: trying the next entry: keeltest-1.efi")" "1 1"
expect_report_complete "$N"
expect_eq "no: generation 1 booted" "$(booted_marker "$N")" gen1
expect_eq "no: the ESP afterwards: generation 3 counted" \
        "$(esp_ls "$N/esp.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "keeltest-1.efi keeltest-2.efi keeltest-3+0-1.efi "
exit $((FAILURES > 0))
