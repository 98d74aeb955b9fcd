#!/bin/bash
# Real OS (issue #12), automatic rollback in ONE QEMU run with reboots and
# no key press: generation 2 (newer IMAGE_VERSION, counted +3, command line
# with keel.realos.health=fail) is installed beside generation 1 (the base
# UKI, counted +3). Generation 2 boots, its health check (required by
# boot-complete.target, FailureAction=reboot) fails and the system
# reboots; keel counts its tries down, and after the third it boots
# generation 1 by itself (fourth boot). Generation 1 unlocks /var through
# the TPM2 token and is blessed by systemd-bless-boot; generation 2 is left
# as +0-3 on the ESP and bootctl list inside generation 1 calls it bad.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../realos/lib.sh"
source "$(dirname "$0")/../realos/scenario.sh"
WORK=$1

start=$(date +%s)
realos_base
GEN1=$REALOS_BASE_UKI
GEN2=$WORK/$REALOS_UKI_NAME-2+3.efi
realos_uki "$GEN2" 2 keel.realos.health=fail
realos_scenario_disk "$WORK" "$GEN1" "$GEN2"
echo "  image ready in $(( $(date +%s) - start )) s"
expect_eq "the ESP before the boot" "$(esp_ls "$WORK/disk.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "$REALOS_UKI_NAME-1+3.efi $REALOS_UKI_NAME-2+3.efi "
ROOTHASH=$(realos_roothash)

# Four boots of ~45 s under TCG (more on a busy machine).
QEMU_REBOOT=1 realos_boot "$WORK" 540
console=$(tr -d '\r' <"$WORK/console.log")

# Boots: OVMF's boot manager loads the disk once per boot; generation 2's
# failed health check shows on the console each time it ran.
boots=$(grep -c "BdsDxe: loading Boot" <<<"$console" || true)
expect_eq "four boots in the run (firmware loaded the disk 4 times)" "$boots" 4
expect_eq "generation 2's health check failed 3 times (one per try)" \
        "$(grep -c "Failed to start .*keel-healt" <<<"$console" || true)" 3
expect_eq "each of them rebooted (FailureAction=reboot)" \
        "$(grep -c "reboot: Restarting system" <<<"$console" || true)" 3

# The last report is generation 1's.
realos_last_report "$WORK"
expect_report_complete "$LAST"
state=$(report_value "$LAST" STATE)
expect_true "generation 1 reached multi-user: '$state'" test "$state" = running -o "$state" = degraded
expect_eq "the last boot ran generation 1's command line" "$(report_value "$LAST" CMDLINE)" \
        "$REALOS_CMDLINE roothash=$ROOTHASH"
# bootctl list marks the entry in LoaderEntrySelected "(selected)".
selected=$(values BOOTCTL-LIST | awk '/^ *title:.*\(selected\)/ { on = 1 } on && /^ *id: / { print $2; exit }')
expect_eq "bootctl: the selected (booted) entry is generation 1" "$selected" "$REALOS_UKI_NAME-1.efi"

# /var: unlocked by the token in generation 1 (its own signed PCR 11).
journal=$(values CRYPTSETUP-JOURNAL)
expect_eq "/var is the unlocked LUKS device" "$(report_value "$LAST" FINDMNT-VAR | awk '{ print $1, $2 }')" "/dev/mapper/var ext4"
expect_true "the volume was activated by the TPM2 token" grep -q "Volume var activated with LUKS token id" <<<"$journal"
expect_eq "PCR 11 in generation 1 = keel pcr predict of generation 1 (a fresh boot: nothing of generation 2 in it)" \
        "$(lower "$(report_value "$LAST" "PCR sha256 11")")" \
        "$("$KEEL" pcr predict --bank sha256 --phase=enter-initrd:leave-initrd:sysinit:ready "$GEN1" | sed -n 's/^11:sha256=//p')"

# Blessing and the counters.
expect_true "systemd-bless-boot marked generation 1 good" grep -q "Marked boot as 'good'" <<<"$(values BLESS-JOURNAL)"
expect_eq "the ESP seen from generation 1" "$(values ESP-LINUX | sort | tr '\n' ' ')" \
        "$REALOS_UKI_NAME-1.efi $REALOS_UKI_NAME-2+0-3.efi "
list=$(values BOOTCTL-LIST)
echo "$list" | sed 's/^/        bootctl list| /'
# bootctl 252 shows a counted entry's tries ("tries: 0 left; 3 done": bad,
# it has no word "bad" in list) and sorts it after the good one, which it
# takes as the default.
gen2_block() { awk '/^ *type:/ { b = "" } { b = b $0 "\n" } /^ *id: / { id = $2 } /^$/ { if (id ~ /-2\.efi$/) printf "%s", b; id = "" } END { if (id ~ /-2\.efi$/) printf "%s", b }' <<<"$list"; }
echo "$(gen2_block)" >"$WORK/gen2-bootctl.txt"
not_default_gen2() { ! grep -q "(default)" "$WORK/gen2-bootctl.txt"; }
expect_eq "bootctl list: generation 2 has no tries left (bad), 3 done" \
        "$(sed -n 's/^ *tries: *//p' "$WORK/gen2-bootctl.txt")" "0 left; 3 done"
expect_true "bootctl list: generation 2 is not the default" not_default_gen2
expect_eq "bootctl list: the default entry is generation 1" \
        "$(awk '/^ *title:.*\(default\)/ { on = 1 } on && /^ *id: / { print $2; exit }' <<<"$list")" "$REALOS_UKI_NAME-1.efi"

expect_eq "the ESP from the host after the run" \
        "$(esp_ls "$WORK/disk.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "$REALOS_UKI_NAME-1.efi $REALOS_UKI_NAME-2+0-3.efi "
exit $((FAILURES > 0))
