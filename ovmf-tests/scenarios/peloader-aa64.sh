#!/bin/bash
# keel's own PE loader on arm64 (issue 14 item 8) under AAVMF, Debian's
# arm64 kernel (SectionAlignment 64 KiB, NX_COMPAT):
#  1. keelaa64.efi as the loader: two UKIs with a malformed kernel (x86-64
#     machine type; a HIGHLOW base relocation) are refused before anything
#     is measured, each with its reason, and the loader falls back to the
#     good UKI: PCR 11 = keel pcr predict = the systemd-measure model; the
#     firmware's PCR 4 log has the loader and the three UKIs, not the
#     kernel (the stub adds no measurement).
#  2. With an EFI_MEMORY_ATTRIBUTE_PROTOCOL offered by efi-helpers/memattr.c
#     (built for arm64; AAVMF 2022.11 has none, and its LoadImage() would
#     not call one), the kernel is placed at a 64 KiB boundary and
#     protected as its section table says: keel's loader ran.
#  3. Kernels that leave through BS->Exit() on the handle they were given
#     (efi-helpers/exit-kernel.c built for arm64, as Linux's arm64 EFI stub
#     fails): keel comes back from each (arch_context_save/restore on
#     arm64), takes its initrd back, and the loader boots the good UKI.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
source "$(dirname "$0")/../peloader-lib.sh"
WORK=$1

echo "-- 1. malformed kernels refused, fallback, nothing extra measured"
W=$WORK/fallback
mkdir -p "$W"
make_keel_uki "$W/good.efi" keeltest 1 good
make_keel_uki "$W/reloc-type.efi" keeltest 2 reloc-type
patch_kernel "$W/reloc-type.efi" reloc-type
make_keel_uki "$W/machine.efi" keeltest 3 machine
patch_kernel "$W/machine.efi" machine
esp_image_create "$W.img"
esp_put "$W.img" "$KEEL_EFI" "$AA64_BOOT_EFI"
esp_write "$W.img" /loader/loader.conf $'timeout 0\n'
esp_put "$W.img" "$W/good.efi" /EFI/Linux/keeltest-1.efi
esp_put "$W.img" "$W/reloc-type.efi" /EFI/Linux/keeltest-2.efi
esp_put "$W.img" "$W/machine.efi" /EFI/Linux/keeltest-3.efi
qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_eq "an arm64 kernel reported" "$(report_value "$W" ARCH)" aarch64
expect_eq "the good UKI booted, with no input" "$(booted_marker "$W")" good
expect_true "machine: refused with its reason" console_shows "$W" \
        "keel: embedded kernel is not a usable EFI image: PE image is for another architecture"
expect_true "reloc-type: refused with its reason" console_shows "$W" \
        "keel: embedded kernel is not a usable EFI image: PE image: base relocation of a type other than DIR64"
expect_true "the loader fell back twice" bash -c \
        "tr -d '\r' <'$W/console.log' | grep -q 'trying the next entry: keeltest-2.efi' &&
         tr -d '\r' <'$W/console.log' | grep -q 'trying the next entry: keeltest-1.efi'"
$PCR_CHECK model "$W/good.efi" "$W/sections" >"$W/model.txt"
expect_eq "PCR 11 = keel pcr predict for the good UKI" "$(booted_pcr "$W" sha256 11)" \
        "$("$KEEL" pcr predict --bank sha256 --phase= "$W/good.efi" | sed -n 's/^11:sha256=//p')"
expect_eq "PCR 11 = systemd-measure model for the good UKI" "$(booted_pcr "$W" sha256 11)" \
        "$(sed -n 's/^sha256=//p' "$W/model.txt")"
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$W"
expect_replay_matches "$W"
pcr4_applications "$W" >"$W/pcr4.txt"
expect_true "PCR 4 has the loader" grep -qx "$(authenticode "$KEEL_EFI")" "$W/pcr4.txt"
for u in good reloc-type machine; do
        expect_true "PCR 4 has the $u UKI" grep -qx "$(authenticode "$W/$u.efi")" "$W/pcr4.txt"
done
expect_true "PCR 4 lacks the kernel" \
        bash -c "! grep -qx '$(authenticode "$(kernel_image)")' '$W/pcr4.txt'"
expect_eq "PCR 4 applications: the loader and the three UKIs, nothing else" "$(wc -l <"$W/pcr4.txt")" 4

echo "-- 2. EFI_MEMORY_ATTRIBUTE_PROTOCOL offered: 64 KiB-aligned, W^X as the section table says"
W=$WORK/memattr
helper=$(aa64_efi_helper memattr)
esp_image_create "$W.img"
esp_put "$W.img" "$helper" "$AA64_BOOT_EFI"
esp_put "$W.img" "$WORK/fallback/good.efi" /EFI/Linux/uki.efi
qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_eq "an arm64 kernel reported" "$(report_value "$W" ARCH)" aarch64
expect_protections "$W" "$(kernel_image)"

echo "-- 3. kernels that leave through Exit(): nothing left behind, the good UKI boots"
W=$WORK/exit
mkdir -p "$W"
exit_kernel=$(aa64_efi_helper exit-kernel)
esp_image_create "$W.img"
esp_put "$W.img" "$KEEL_EFI" "$AA64_BOOT_EFI"
esp_write "$W.img" /loader/loader.conf $'timeout 0\n'
esp_put "$W.img" "$WORK/fallback/good.efi" /EFI/Linux/keeltest-1.efi
mmd -i "$W.img@@1M" ::/EFI/keel
for mode in exit exit-data; do
        "$KEEL" uki build --stub "$KEEL_EFI" --linux "$exit_kernel" --initrd "$(shared_initramfs)" \
                --cmdline "keel.exit=$mode" -o "$W/$mode.efi"
        esp_write "$W.img" "/loader/entries/fail-$mode.conf" \
                "$(printf '%s\n' "title fails: $mode" "sort-key a-$mode" "efi /EFI/keel/$mode.efi")"
        esp_put "$W.img" "$W/$mode.efi" "/EFI/keel/$mode.efi"
done
qemu_boot "$W" "$W.img" || true
for mode in exit exit-data; do
        expect_true "kernel '$mode' ran, with its stub's initrd offered and no other LoadFile2 handle" \
                console_shows "$W" "EXIT-KERNEL: mode=$mode initrd-offered=yes loadfile2-handles=1 "
done
expect_true "the stub came back from both (keel: kernel returned)" \
        bash -c "[ \$(tr -d '\r' <'$W/console.log' | grep -ac 'keel: kernel returned:') = 2 ]"
expect_report_complete "$W"
expect_eq "the good UKI booted, unattended" "$(booted_marker "$W")" good
exit $((FAILURES > 0))
