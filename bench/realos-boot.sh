#!/bin/bash
# Firmware to multi-user on the same real Debian 12 systemd image (issue
# #12): keel loader + keel UKI vs systemd-boot 252 + systemd-stub 252, side
# by side in one run, RUNS_REALOS boots each (alternating, so load changes
# hit both alike). Both UKIs carry the same kernel, initrd, command line and
# signed PCR 11 policy key, so both unlock /var through its TPM2 token; the
# systemd-stub UKI's policy is signed by `keel pcr sign` for what
# systemd-stub 252 measures (its stub's .sbat removed: 252 does not measure
# it, keel does). The time is QEMU start to the report unit's first line
# (it runs after multi-user.target), read from the host's wall clock.
source "$(dirname "$0")/lib.sh"
source "$KEEL_SRC/ovmf-tests/lib.sh"
source "$KEEL_SRC/ovmf-tests/realos/lib.sh"
W=$BUILD/bench/realos-boot
RUNS_REALOS=${RUNS_REALOS:-3}
rm -rf "$W" && mkdir -p "$W"

realos_base >/dev/null
realos_keys

# systemd-stub 252 UKI with the same contents, sections in address order.
sd_uki() { # OUT [PCRSIG]
        local args=()
        [ -n "${2:-}" ] && args=(--add-section .pcrsig="$2" --change-section-vma .pcrsig=0x40000)
        objcopy --add-section .osrel="$W/osrel" --change-section-vma .osrel=0x20000 \
                --add-section .cmdline="$W/cmdline" --change-section-vma .cmdline=0x30000 \
                "${args[@]}" \
                --add-section .pcrpkey="$REALOS_KEYS/pub.pem" --change-section-vma .pcrpkey=0x50000 \
                --add-section .linux="$REALOS_ROOT/vmlinuz" --change-section-vma .linux=0x2000000 \
                --add-section .initrd="$REALOS_ROOT/initrd.img" --change-section-vma .initrd=0x3000000 \
                "$W/sd-stub.efi" "$1"
}
objcopy --remove-section .sbat "$SYSTEMD_STUB" "$W/sd-stub.efi"
{ cat "$REALOS_ROOT/os-release"; echo "IMAGE_VERSION=1"; } >"$W/osrel"
printf '%s' "$REALOS_CMDLINE roothash=$(realos_roothash)" >"$W/cmdline"
sd_uki "$W/unsigned.efi"
# .pcrsig is not measured: the policy of the image without it holds for the one with it.
"$KEEL" pcr sign "$W/unsigned.efi" --private-key "$REALOS_KEYS/priv.pem" -o "$W/pcrsig.json"
sd_uki "$W/$REALOS_UKI_NAME-1+3.efi" "$W/pcrsig.json"
KEEL_EFI=$SYSTEMD_BOOT_EFI realos_disk "$W/sd-disk.img" "$W/$REALOS_UKI_NAME-1+3.efi"

# boot_seconds NAME DISK: QEMU start to the report's first line, or n/a
# when the system did not reach multi-user with /var unlocked.
boot_seconds() {
        local run=$W/$1 start line
        rm -rf "$run" && mkdir -p "$run"
        cp --sparse=always "$2" "$run/disk.img"
        realos_scenario_tpm "$run"
        start=$(date +%s%N)
        QEMU_TIMEOUT=300 qemu_boot "$run" "$run/disk.img" >/dev/null 2>&1 &
        until [ -f "$run/report.log" ] && grep -aq KEEL-REPORT-BEGIN "$run/report.log"; do
                kill -0 $! 2>/dev/null || break
                sleep 0.2
        done
        line=$(date +%s%N)
        wait || true
        if [ "$(report_value "$run" STATE)" = running ] &&
           [ "$(report_value "$run" FINDMNT-VAR | awk '{ print $1 }')" = /dev/mapper/var ]; then
                awk -v ns=$((line - start)) 'BEGIN { printf "%.1f\n", ns / 1e9 }'
        else
                echo n/a
        fi
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0 || a[1] == "n/a") print "n/a"; else print a[int((NR + 1) / 2)] }'; }
keel_times=() sd_times=()
for i in $(seq "$RUNS_REALOS"); do
        keel_times+=("$(boot_seconds keel-$i "$REALOS_BASE/disk.img")")
        sd_times+=("$(boot_seconds systemd-$i "$W/sd-disk.img")")
done
k=$(printf '%s\n' "${keel_times[@]}" | median)
s=$(printf '%s\n' "${sd_times[@]}" | median)
ratio_text=n/a
[ "$k" != n/a ] && [ "$s" != n/a ] && ratio_text=$(awk -v a="$k" -v b="$s" 'BEGIN { printf "%.2f", a / b }')
result "real Debian 12 systemd image, QEMU start to multi-user with /var unlocked by its TPM2 token: keel loader + UKI vs systemd-boot 252 + systemd-stub 252 (median of $RUNS_REALOS, TCG; all runs: ${keel_times[*]} vs ${sd_times[*]})" \
        "$k s vs $s s: ratio $ratio_text"
rm -f "$W"/*/disk.img "$W/sd-disk.img"
