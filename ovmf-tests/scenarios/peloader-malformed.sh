#!/bin/bash
# keel's own PE loader (issue 14 item 8), one boot: the keel loader tries five
# UKIs whose embedded kernel is malformed in one way each (wrong machine, a
# section outside SizeOfImage, a base relocation of another type than DIR64,
# a DIR64 relocation outside the image, the entry point in data); each stub
# refuses its kernel before measuring anything, with its own console line,
# and the loader falls back to the next entry, until the good one boots.
# Then: PCR 11 is the good UKI's alone (keel pcr predict and the
# systemd-measure model), and the firmware's PCR 4 log has the Authenticode
# hash of the loader and of every UKI it loaded, nothing else (not the
# kernel's: the stub adds no measurement). The Authenticode hashes are
# computed here (and checked against osslsigncode on the Debian-signed
# kernel). That keel's loader, not LoadImage(), ran: peloader-boot.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../peloader-lib.sh"
WORK=$1

make_keel_uki "$WORK/good.efi" keeltest 1 good
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$WORK/disk.img" /loader/loader.conf $'timeout 0\n'
esp_put "$WORK/disk.img" "$WORK/good.efi" /EFI/Linux/keeltest-1.efi
declare -A WHY=(
        [machine]="PE image is for another architecture"
        [outside]="PE section lies outside SizeOfImage"
        [reloc-type]="PE image: base relocation of a type other than DIR64"
        [reloc-outside]="PE image: base relocation target outside SizeOfImage"
        [entry]="PE image: entry point is not in an executable section"
)
MODES=(entry reloc-outside reloc-type outside machine) # versions 2..6, tried newest first
v=2
for m in "${MODES[@]}"; do
        make_keel_uki "$WORK/$m.efi" keeltest "$v" "$m"
        patch_kernel "$WORK/$m.efi" "$m"
        esp_put "$WORK/disk.img" "$WORK/$m.efi" "/EFI/Linux/keeltest-$v.efi"
        v=$((v + 1))
done

qemu_boot "$WORK" "$WORK/disk.img" || true

console=$(tr -d '\r' <"$WORK/console.log")
expect_report_complete "$WORK"
expect_eq "the good UKI booted, with no input" "$(booted_marker "$WORK")" good
v=2
for m in "${MODES[@]}"; do
        expect_true "$m: refused with its own reason" grep -qF \
                "keel: embedded kernel is not a usable EFI image: ${WHY[$m]}" <<<"$console"
        expect_true "$m: the loader went on to the next entry" grep -qF \
                "keel: trying the next entry: keeltest-$((v - 1)).efi" <<<"$console"
        v=$((v + 1))
done
expect_eq "no kernel was started and came back" "$(grep -c 'kernel returned' <<<"$console")" 0

# The refused kernels measured nothing: PCR 11 is the good UKI's alone.
$PCR_CHECK model "$WORK/good.efi" "$WORK/sections" >"$WORK/model.txt"
expect_eq "PCR 11 = keel pcr predict for the good UKI" "$(booted_pcr "$WORK" sha256 11)" \
        "$("$KEEL" pcr predict --bank sha256 --phase= "$WORK/good.efi" | sed -n 's/^11:sha256=//p')"
expect_eq "PCR 11 = systemd-measure model for the good UKI" "$(booted_pcr "$WORK" sha256 11)" \
        "$(sed -n 's/^sha256=//p' "$WORK/model.txt")"

# PCR 4: what the firmware's LoadImage() measured.
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$WORK"
expect_replay_matches "$WORK"
pcr4_applications "$WORK" >"$WORK/pcr4.txt"
kernel_hash=$(authenticode "$(kernel_image)")
expect_eq "the Authenticode hash computed here = osslsigncode's for the signed kernel" "$kernel_hash" \
        "$(osslsigncode verify -in "$(kernel_image)" 2>&1 | sed -n 's/^Current message digest *: *\([0-9A-F]*\).*/\1/p' | tr A-F a-f)"
expect_true "PCR 4 has the loader" grep -qx "$(authenticode "$KEEL_EFI")" "$WORK/pcr4.txt"
expect_true "PCR 4 has the good UKI (LoadImage() by the loader)" grep -qx "$(authenticode "$WORK/good.efi")" "$WORK/pcr4.txt"
for m in "${MODES[@]}"; do
        expect_true "PCR 4 has the $m UKI" grep -qx "$(authenticode "$WORK/$m.efi")" "$WORK/pcr4.txt"
done
expect_true "PCR 4 lacks the kernel" \
        bash -c "! grep -qx '$kernel_hash' '$WORK/pcr4.txt'"
expect_eq "PCR 4 applications: the loader and the six UKIs, nothing else" "$(wc -l <"$WORK/pcr4.txt")" 7
exit $((FAILURES > 0))
