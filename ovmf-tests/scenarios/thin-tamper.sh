#!/bin/bash
# Thin UKIs (issue 13): the stub checks the content a thin UKI names before
# anything else. The keel loader (timeout 0) has four thin entries, newest
# first:
#   keelthin-4: its kernel content file altered by one byte,
#   keelthin-3: its initrd content file truncated,
#   keelthin-2: its initrd content file missing,
#   keelthin-1: good.
# Each of 4..2 is refused by the stub with one console line, the loader
# falls back unattended, keelthin-1 boots; PCR 11 then holds only
# keelthin-1's measurements (= keel pcr predict of its fat twin). Then the
# same under Secure Boot (OVMF's snakeoil variables; loader and UKIs signed
# with the snakeoil key): the signed UKI with an altered kernel file is
# refused by the stub although the firmware accepts the UKI, the good one
# boots. Two VMs.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
WORK=$1

# Distinct content per generation: an unsigned copy of the kernel
# (sbattach --remove) for keelthin-4, initrds padded with zeros (cpio
# readers skip them) for keelthin-3 and -2, so that tampering with one
# entry's files leaves the good entry's alone.
cp "$(kernel_image)" "$WORK/kernel-unsigned"
sbattach --remove "$WORK/kernel-unsigned"
for n in 2 3; do
        cp "$(shared_initramfs)" "$WORK/initrd-$n"
        head -c $((n * 512)) /dev/zero >>"$WORK/initrd-$n"
done
# thin_uki ROOT OUT N KERNEL INITRD
thin_uki() {
        mkdir -p "$1"
        "$KEEL" uki build --stub "$KEEL_EFI" --linux "$4" --initrd "$5" \
                --cmdline "console=ttyS0 loglevel=1 panic=-1 keel.test=thin-$3" \
                --os-release "$(printf 'ID=keelthin\nVERSION_ID=%s\n' "$3")" --thin "$1" -o "$2" "${@:6}"
}
content() { echo "$1/EFI/keel/content/$(sha256_hex "$2").$3"; }
flip_one_byte() {
        python3 -c '
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2); b = f.read(1)
    f.seek(os.path.getsize(sys.argv[1]) // 2); f.write(bytes([b[0] ^ 1]))' "$1"
}
refused_line() { tr -d '\r' <"$1/console.log" | grep -ac "keel: refusing to boot: $2"; }

echo "-- Secure Boot off"
ESP=$WORK/esp
thin_uki "$ESP" "$WORK/t4.efi" 4 "$WORK/kernel-unsigned" "$(shared_initramfs)"
thin_uki "$ESP" "$WORK/t3.efi" 3 "$(kernel_image)" "$WORK/initrd-3"
thin_uki "$ESP" "$WORK/t2.efi" 2 "$(kernel_image)" "$WORK/initrd-2"
thin_uki "$ESP" "$WORK/t1.efi" 1 "$(kernel_image)" "$(shared_initramfs)"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "console=ttyS0 loglevel=1 panic=-1 keel.test=thin-1" \
        --os-release "$(printf 'ID=keelthin\nVERSION_ID=1\n')" -o "$WORK/fat1.efi"
K4=$(content "$ESP" "$WORK/kernel-unsigned" linux)
I3=$(content "$ESP" "$WORK/initrd-3" initrd)
I2=$(content "$ESP" "$WORK/initrd-2" initrd)
flip_one_byte "$K4"
truncate -s $(( $(stat -c %s "$I3") - 4 )) "$I3"
rm "$I2"

W=$WORK/plain
mkdir -p "$W"
esp_image_create "$W/disk.img" 192
mcopy -s -i "$W/disk.img@@1M" "$ESP/EFI/keel" ::/EFI/
esp_put "$W/disk.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$W/disk.img" /loader/loader.conf $'timeout 0\n'
for n in 1 2 3 4; do esp_put "$W/disk.img" "$WORK/t$n.efi" "/EFI/Linux/keelthin-$n.efi"; done
qemu_boot "$W" "$W/disk.img" || true

expect_eq "keelthin-4: altered kernel file refused (SHA-256)" \
        "$(refused_line "$W" "${K4#$ESP} is not what the UKI's .tlinux names: .*SHA-256 differs")" 1
expect_eq "keelthin-3: truncated initrd file refused (size)" \
        "$(refused_line "$W" "${I3#$ESP} is not what the UKI's .tinitrd names: .*size differs")" 1
expect_eq "keelthin-2: missing initrd file refused" \
        "$(refused_line "$W" "cannot read ${I2#$ESP} (named by the UKI's .tinitrd): not found")" 1
expect_eq "nothing else was refused" "$(refused_line "$W" "")" 3
for n in 3 2 1; do
        expect_eq "the loader fell back to keelthin-$n" \
                "$(tr -d '\r' <"$W/console.log" | grep -ac "keel: trying the next entry: keelthin-$n.efi")" 1
done
expect_report_complete "$W"
expect_eq "keelthin-1 booted, unattended" "$(report_value "$W" "EFIVAR LoaderEntrySelected")" keelthin-1.efi
expect_eq "with its command line" "$(report_value "$W" CMDLINE | tr ' ' '\n' | sed -n 's/^keel.test=//p')" thin-1
for bank in sha1 sha256; do
        expect_eq "PCR 11 ($bank) = keel pcr predict of keelthin-1's fat twin (refusals measured nothing)" \
                "$(booted_pcr "$W" "$bank" 11)" \
                "$("$KEEL" pcr predict "$WORK/fat1.efi" --bank "$bank" --phase= | sed 's/^11:[a-z0-9]*=//')"
done

echo "-- Secure Boot on (snakeoil)"
SESP=$WORK/sb-esp
thin_uki "$SESP" "$WORK/s2-unsigned.efi" 2 "$WORK/kernel-unsigned" "$(shared_initramfs)"
thin_uki "$SESP" "$WORK/s1-unsigned.efi" 1 "$(kernel_image)" "$(shared_initramfs)"
snakeoil_sign "$WORK/s2-unsigned.efi" "$WORK/s2.efi"
snakeoil_sign "$WORK/s1-unsigned.efi" "$WORK/s1.efi"
snakeoil_sign "$KEEL_EFI" "$WORK/keel-signed.efi"
flip_one_byte "$(content "$SESP" "$WORK/kernel-unsigned" linux)"

S=$WORK/sb
mkdir -p "$S"
esp_image_create "$S/disk.img" 192
mcopy -s -i "$S/disk.img@@1M" "$SESP/EFI/keel" ::/EFI/
esp_put "$S/disk.img" "$WORK/keel-signed.efi" /EFI/BOOT/BOOTX64.EFI
esp_write "$S/disk.img" /loader/loader.conf $'timeout 0\n'
esp_put "$S/disk.img" "$WORK/s2.efi" /EFI/Linux/keelthin-2.efi
esp_put "$S/disk.img" "$WORK/s1.efi" /EFI/Linux/keelthin-1.efi
sb_boot "$S" "$S/disk.img" "$SB_SNAKEOIL_VARS" || true

expect_report_complete "$S"
expect_eq "SecureBoot is on" "$(report_value "$S" SECUREBOOT)" 01
expect_true "the firmware accepted the signed keelthin-2 (its stub ran)" \
        bash -c "tr -d '\r' <'$S/console.log' | grep -aq 'keel: refusing to boot: .* is not what the UKI.s .tlinux names: .*SHA-256 differs'"
expect_eq "only keelthin-2 was refused" "$(refused_line "$S" "")" 1
expect_eq "the loader fell back to keelthin-1" \
        "$(tr -d '\r' <"$S/console.log" | grep -ac "keel: trying the next entry: keelthin-1.efi")" 1
expect_eq "the signed good thin UKI booted" "$(report_value "$S" "EFIVAR LoaderEntrySelected")" keelthin-1.efi
expect_eq "with its signed command line" "$(report_value "$S" CMDLINE | tr ' ' '\n' | sed -n 's/^keel.test=//p')" thin-1
exit $((FAILURES > 0))
