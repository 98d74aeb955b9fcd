#!/bin/bash
# Real OS: the loader's random seed as systemd 252 userspace sees it, two
# boots of one machine (one variable store, one swtpm state):
#  1. no seed file, no system token, no RNG: keel passes nothing (as
#     systemd-boot); bootctl 252: "Passed to OS: no", "System Token: not
#     set"; then bootctl 252 itself writes the token and the seed file
#     (`bootctl random-seed`, what systemd-boot-system-token.service does
#     on hardware);
#  2. keel reads bootctl's file and token: the file on the ESP is replaced
#     before the kernel starts, the kernel gets the seed table (RNG= in its
#     efi: line), systemd 252's PID 1 credits LoaderRandomSeed once, and
#     bootctl 252 says "Passed to OS: yes", "System Token: set", "Exists: yes".
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../realos/lib.sh"
source "$(dirname "$0")/../realos/scenario.sh"
WORK=$1

start=$(date +%s)
realos_base
echo "  image ready in $(( $(date +%s) - start )) s"
UKI=$WORK/$REALOS_UKI_NAME-1.efi
realos_uki "$UKI" 1 keel.realos.random-seed-init
realos_scenario_disk "$WORK" "$UKI"
ESP="$WORK/disk.img@@1M"
seed_sha() { mcopy -n -i "$ESP" ::/loader/random-seed - 2>/dev/null | sha256sum | cut -d' ' -f1; }
section() { # REPORT: bootctl status's "Random Seed:" section, one line per entry
        report_values "$1" BOOTCTL-STATUS | awk '/^Random Seed:/ { on = 1; next } on && /^[^ ]/ { on = 0 } on && NF' |
                sed 's/^ *//'
}

echo "== boot 1: no seed file, no system token"
expect_eq "no seed file on the ESP before the first boot" "$(mdir -i "$ESP" ::/loader/random-seed >/dev/null 2>&1 && echo yes)" ""
realos_boot "$WORK" 300
mkdir -p "$WORK/boot1"
cp "$WORK/console.log" "$WORK/report.log" "$WORK/boot1/"
R1=$WORK/boot1/report.log
expect_report_complete "$WORK/boot1"
expect_eq "bootctl: Passed to OS: no" "$(section "$R1" | sed -n 's/^Passed to OS: //p')" no
expect_eq "bootctl: System Token: not set" "$(section "$R1" | sed -n 's/^System Token: //p')" "not set"
expect_true "keel said why (one line)" \
        grep -q "keel: random seed: no randomness from the firmware and no LoaderSystemToken of 32 bytes or more; no random seed passed" "$WORK/boot1/console.log"
no_rng() { ! report_values "$R1" EFI-TABLES | grep -q ' RNG='; }
expect_true "the kernel got no seed table" no_rng
expect_true "bootctl random-seed wrote the token" \
        grep -q "Successfully initialized system token in EFI variable" <(report_values "$R1" BOOTCTL-RANDOM-SEED)
bootctl_seed=$(seed_sha)
expect_true "bootctl random-seed wrote the seed file" test "$bootctl_seed" != "$(sha256sum </dev/null | cut -d' ' -f1)"

echo "== boot 2: bootctl's seed file and token"
realos_boot "$WORK" 300
R2=$WORK/report.log
expect_report_complete "$WORK"
state=$(report_value "$WORK" STATE)
expect_true "multi-user reached: system state '$state'" test "$state" = running -o "$state" = degraded
expect_eq "bootctl: Passed to OS: yes" "$(section "$R2" | sed -n 's/^Passed to OS: //p')" yes
expect_eq "bootctl: System Token: set" "$(section "$R2" | sed -n 's/^System Token: //p')" set
expect_eq "bootctl: the seed file Exists: yes" "$(section "$R2" | sed -n 's/^Exists: //p')" yes
expect_true "bootctl: LoaderFeatures has \"Support for passing random seed to OS\"" \
        grep -q "✓ Support for passing random seed to OS" <(report_values "$R2" BOOTCTL-STATUS)
expect_true "the kernel got the seed table (RNG= in its efi: line)" \
        grep -q ' RNG=0x' <(report_values "$R2" EFI-TABLES)
expect_true "systemd 252's PID 1 credited LoaderRandomSeed" \
        grep -q "Successfully credited entropy passed from boot loader" <(report_values "$R2" SEED-JOURNAL)
in_os=$(report_values "$R2" SEED-FILE | cut -d' ' -f1)
expect_eq "the seed file the OS saw is 64 hex digits of sha256" "${#in_os}" 64
expect_true "keel replaced bootctl's seed file before the kernel started" test "$in_os" != "$bootctl_seed"
quiet() { ! grep -q "keel: random seed" "$WORK/console.log"; }
expect_true "keel printed no random-seed line in boot 2" quiet
exit $((FAILURES > 0))
