#!/bin/bash
# The real OS's automatic rollback, in ONE QEMU run with reboots and no key
# press, with its ESP written by `keel install`: two NixOS-shaped
# generations of the real Debian 12 system
# (its kernel and dracut initrd, command line from kernelParams, thin UKIs
# with a PCR 11 policy signed by keel install) installed with --tries 3.
# Generation 2's health check fails three times; generation 1 boots by
# itself on the fourth boot, unlocks /var through the TPM2 token (so PCR 11
# of a thin UKI is what its signed policy says) and is blessed by
# systemd-bless-boot.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../realos/lib.sh"
source "$(dirname "$0")/../realos/scenario.sh"
WORK=$1

start=$(date +%s)
realos_base
realos_keys
ROOTHASH=$(realos_roothash)
G=$WORK/nix
mkdir -p "$G/profiles" "$G/efivars" "$WORK/esp"
export KEEL_EFIVARFS=$G/efivars TMPDIR=$WORK KEEL_CACHE_DIR=$WORK
mkdir -p "$G"
# mkgen N EXTRA-PARAM...: generation N of the real system.
mkgen() {
        local n=$1 params p
        shift
        params=$(for p in $REALOS_CMDLINE roothash=$ROOTHASH "$@"; do printf '"%s", ' "$p"; done | sed 's/, $//')
        mkdir -p "$G/system-$n"
        cat >"$G/system-$n/boot.json" <<JSON
{"org.nixos.bootspec.v1": {"system": "x86_64-linux", "init": "/lib/systemd/systemd",
  "initrd": "$REALOS_ROOT/initrd.img", "kernel": "$REALOS_ROOT/vmlinuz", "kernelParams": [$params],
  "label": "Debian 12 generation $n", "toplevel": "/nix/store/keel-realos-$n"}}
JSON
        ln -sfn "$G/system-$n" "$G/profiles/system-$n-link"
}
mkgen 1
mkgen 2 keel.realos.health=fail
printf 'timeout 0\n' >"$WORK/loader.conf"
"$KEEL" install --no-boot-entry --stub "$KEEL_EFI" --esp "$WORK/esp" --tries 3 --loader-conf "$WORK/loader.conf" \
        --pcrpkey "$REALOS_KEYS/pub.pem" --pcr-private-key "$REALOS_KEYS/priv.pem" \
        "$G/profiles/system-1-link" "$G/profiles/system-2-link"
expect_eq "keel install wrote two counted thin entries" "$(ls "$WORK/esp/EFI/Linux" | sort | tr '\n' ' ')" \
        "nixos-generation-1+3.efi nixos-generation-2+3.efi "
expect_true "thin: the kernel is a content file" test "$(ls "$WORK/esp/EFI/keel/content" | grep -c '\.linux$')" = 1
GEN1=$WORK/esp/EFI/Linux/nixos-generation-1+3.efi
expected_pcr=$("$KEEL" pcr predict --bank sha256 --phase=enter-initrd:leave-initrd:sysinit:ready "$GEN1" | sed -n 's/^11:sha256=//p')
realos_disk "$WORK/disk.img" --esp-dir "$WORK/esp"
realos_scenario_tpm "$WORK"
echo "  image ready in $(( $(date +%s) - start )) s"

QEMU_REBOOT=1 realos_boot "$WORK" 540
console=$(tr -d '\r' <"$WORK/console.log")
expect_eq "four boots in the run" "$(grep -c "BdsDxe: loading Boot" <<<"$console" || true)" 4
expect_eq "generation 2's health check failed 3 times" \
        "$(grep -c "Failed to start .*keel-healt" <<<"$console" || true)" 3
expect_eq "each of them rebooted (FailureAction=reboot)" \
        "$(grep -c "reboot: Restarting system" <<<"$console" || true)" 3

realos_last_report "$WORK"
expect_report_complete "$LAST"
state=$(report_value "$LAST" STATE)
expect_true "generation 1 reached multi-user: '$state'" test "$state" = running -o "$state" = degraded
expect_eq "the last boot ran generation 1's command line (init= and its kernelParams)" \
        "$(report_value "$LAST" CMDLINE)" "init=/lib/systemd/systemd $REALOS_CMDLINE roothash=$ROOTHASH"
expect_eq "/var is the unlocked LUKS device" "$(report_value "$LAST" FINDMNT-VAR | awk '{ print $1, $2 }')" "/dev/mapper/var ext4"
expect_true "the volume was activated by the TPM2 token (keel install's signed policy)" \
        grep -q "Volume var activated with LUKS token id" <<<"$(values CRYPTSETUP-JOURNAL)"
expect_eq "PCR 11 = keel pcr predict of the installed thin UKI" \
        "$(lower "$(report_value "$LAST" "PCR sha256 11")")" "$expected_pcr"
expect_true "systemd-bless-boot marked generation 1 good" grep -q "Marked boot as 'good'" <<<"$(values BLESS-JOURNAL)"
# bootctl list marks the entry in LoaderEntrySelected "(selected)".
list=$(values BOOTCTL-LIST)
expect_eq "bootctl: the selected (booted) entry is generation 1" \
        "$(awk '/^ *title:.*\(selected\)/ { on = 1 } on && /^ *id: / { print $2; exit }' <<<"$list")" nixos-generation-1.efi
expect_eq "the ESP seen from generation 1" "$(values ESP-LINUX | sort | tr '\n' ' ')" \
        "nixos-generation-1.efi nixos-generation-2+0-3.efi "
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
        "$(awk '/^ *title:.*\(default\)/ { on = 1 } on && /^ *id: / { print $2; exit }' <<<"$list")" nixos-generation-1.efi
expect_eq "the ESP after the run" "$(esp_ls "$WORK/disk.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "nixos-generation-1.efi nixos-generation-2+0-3.efi "
exit $((FAILURES > 0))
