#!/bin/bash
# Stub time: from the firmware starting the UKI (OVMF's "BdsDxe: starting";
# the UKI is the boot option itself) to the kernel's EFI stub loading the
# initrd the stub offers (boot_clock), with nothing
# beside the UKI and with 20 credentials + 2 system extensions in its
# .extra.d (read, measured into PCR 12/13 and packed into the initrd):
# keel's stub vs systemd-stub 252, the same kernel, initramfs and files on
# the same ESP layout, with a TPM, side by side (median of RUNS boots).
source "$(dirname "$0")/lib.sh"
source "$KEEL_SRC/ovmf-tests/lib.sh"
source "$KEEL_SRC/ovmf-tests/loader-lib.sh"
W=$BUILD/bench/stub-sidecars
rm -rf "$W" && mkdir -p "$W"
BOOT_RUNS=${BOOT_RUNS:-3}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0 || a[1] == "n/a") print "n/a"; else print a[int((NR + 1) / 2)] }'; }

# build_esp IMG UKI WITH_FILES: the UKI as the removable-media boot file;
# with files: 20 credentials of 1 KiB and 2 extension images of 1 MiB.
build_esp() {
        local img=$1 uki=$2 with=$3 d=/EFI/BOOT/BOOTX64.EFI.extra.d i
        esp_image_create "$img" 128
        esp_put "$img" "$uki" /EFI/BOOT/BOOTX64.EFI
        [ "$with" = 1 ] || return 0
        mmd -i "$img@@1M" "::$d"
        for i in $(seq -w 1 20); do
                head -c 1024 /dev/urandom >"$W/cred"
                esp_put "$img" "$W/cred" "$d/bench-$i.cred"
        done
        for i in 1 2; do
                head -c $((1024 * 1024)) /dev/urandom >"$W/raw"
                esp_put "$img" "$W/raw" "$d/bench-ext-$i.raw"
        done
}

make_keel_uki "$W/keel.efi" benchos 1 bench
make_sdstub_uki "$W/sdstub.efi" benchos 1 bench
declare -A t
for with in 0 1; do
        for stub in keel sdstub; do
                build_esp "$W/esp-$stub-$with.img" "$W/$stub.efi" "$with"
        done
        for _ in $(seq "$BOOT_RUNS"); do
                for stub in keel sdstub; do
                        boot_clock "$stub-$with" "$W/esp-$stub-$with.img" >>"$W/$stub-$with.times"
                done
        done
        for stub in keel sdstub; do
                t[$stub-$with]=$(median <"$W/$stub-$with.times")
        done
done
rm -f "$W"/esp-*.img "$W/raw" "$W/cred"
ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "n/a" && b != "n/a" && b > 0) printf "%.2f", a / b; else print "n/a" }'; }
result "stub time (firmware starting the UKI to the kernel's EFI stub loading its initrd), nothing beside the UKI: keel vs systemd-stub 252 (TCG, TPM, median of $BOOT_RUNS)" \
        "${t[keel-0]} s vs ${t[sdstub-0]} s: ratio $(ratio_of "${t[keel-0]}" "${t[sdstub-0]}")"
result "the same with 20 credentials of 1 KiB + 2 sysexts of 1 MiB in the UKI's .extra.d (read, measured, packed)" \
        "${t[keel-1]} s vs ${t[sdstub-1]} s: ratio $(ratio_of "${t[keel-1]}" "${t[sdstub-1]}")"
