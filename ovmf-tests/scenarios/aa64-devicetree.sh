#!/bin/bash
# Issue 15, item 3: device trees. AAVMF hands the kernel ACPI only; QEMU
# dumps the device tree of the very machine it emulates (-machine
# dumpdtb=FILE, same devices). That tree, with a marker property added (dtc),
# goes
#   1. into a keel arm64 UKI's .dtb (objcopy, as ukify --devicetree does):
#      the stub installs it, the kernel boots on it (its /proc/device-tree
#      has the marker, ACPI is off) and PCR 11 includes it: = keel pcr
#      predict = systemd-measure --dtb's model;
#   2. as a Type #1 entry's `devicetree` (keelaa64.efi as loader) with
#      another marker: the kernel boots on it; PCR 12 = the entry's options
#      then the tree (systemd-boot 252 measures no device tree; keel does);
#   3. the same entry with a truncated tree: refused, keel falls back to the
#      next entry, which boots with ACPI and no tree;
#   4. the UKI of 1, signed with the snakeoil key, under Secure Boot: its
#      .dtb is covered by the signature, so it is installed there too;
#   5. the UKI of 1 started by a test program that offers
#      EFI_DT_FIXUP_PROTOCOL (aavmf/dt-fixup.c; AAVMF has none) and first
#      asks for a bigger buffer: the kernel boots on the tree as fixed up
#      (APPLY_FIXUPS | RESERVE_MEMORY) in the bigger buffer.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
WORK=$1

# The machine's tree, as the boots below run it.
esp_image_create "$WORK/dump.img" 64
QEMU_MACHINE=",dumpdtb=$WORK/virt.dtb" qemu_boot "$WORK/dump" "$WORK/dump.img" || true
expect_true "QEMU dumped its device tree" test -s "$WORK/virt.dtb"
marked_dtb() {
        dtc -q -I dtb -O dts "$WORK/virt.dtb" | sed "0,/^\/ {/s//\/ {\n\tkeel-test-marker = \"$1\";/" |
                dtc -q -I dts -O dtb -o "$2"
}
marked_dtb uki-dtb "$WORK/uki.dtb"
marked_dtb type1-dtb "$WORK/type1.dtb"
expect_eq "the marker is in the tree (fdtget)" "$(fdtget "$WORK/uki.dtb" / keel-test-marker)" uki-dtb

echo "-- 1. a UKI's .dtb"
W=$WORK/uki
mkdir -p "$W"
make_keel_uki "$W/plain.efi" keeltest 1 uki-dtb
# After the last section, 4 KiB aligned.
end=$(aarch64-linux-gnu-objdump -h "$W/plain.efi" | python3 -c '
import sys
m = max(int(f[3], 16) + int(f[2], 16) for f in (l.split() for l in sys.stdin) if f and f[0].isdigit())
print(hex((m + 4095) // 4096 * 4096))')
aarch64-linux-gnu-objcopy --add-section .dtb="$WORK/uki.dtb" --change-section-vma .dtb="$end" \
        --set-section-flags .dtb=contents,alloc,load,readonly,data "$W/plain.efi" "$W/uki.efi"
esp_image_create "$W.img"
esp_put "$W.img" "$W/uki.efi" "$AA64_BOOT_EFI"
qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_eq "the kernel booted on the UKI's tree" "$(report_value "$W" DT-KEEL-MARKER)" uki-dtb
expect_eq "QEMU virt's tree (compatible)" "$(report_value "$W" DT-COMPATIBLE)" "$(fdtget "$WORK/virt.dtb" / compatible)"
expect_eq "a device tree means no ACPI" "$(report_value "$W" ACPI)" absent
expect_eq "the TPM is found through the tree" "$(report_value "$W" TPM)" present
$PCR_CHECK model "$W/uki.efi" "$W/sections" >"$W/model.txt"
expect_eq ".dtb is measured as a section (the model has it)" "$(ls "$W/sections" | grep -c '^dtb$')" 1
for bank in sha1 sha256; do
        booted=$(booted_pcr "$W" "$bank" 11)
        expect_eq "PCR 11 ($bank) = systemd-measure model (with --dtb)" "$booted" "$(sed -n "s/^$bank=//p" "$W/model.txt")"
        expect_eq "PCR 11 ($bank) = keel pcr predict" "$booted" \
                "$("$KEEL" pcr predict "$W/uki.efi" --bank "$bank" --phase= | sed 's/^11:[a-z0-9]*=//')"
done

echo "-- 2. a Type #1 entry's devicetree"
W=$WORK/type1
IMG=$W.img
mkdir -p "$W"
OPTIONS=$(aa64_cmdline type1-dtb)
esp_image_create "$IMG" 128
esp_put "$IMG" "$KEEL_EFI" "$AA64_BOOT_EFI"
esp_write "$IMG" /loader/loader.conf $'timeout 0\n'
esp_put "$IMG" "$(kernel_image)" /vmlinuz
esp_put "$IMG" "$(shared_initramfs)" /initrd.cpio
esp_put "$IMG" "$WORK/type1.dtb" /virt.dtb
esp_write "$IMG" /loader/entries/a-dtb.conf "$(printf '%s\n' 'title with a device tree' 'sort-key a' \
        'linux /vmlinuz' 'initrd /initrd.cpio' 'devicetree /virt.dtb' "options $OPTIONS")"
esp_write "$IMG" /loader/entries/b-acpi.conf "$(printf '%s\n' 'title ACPI' 'sort-key b' \
        'linux /vmlinuz' 'initrd /initrd.cpio' "options $(aa64_cmdline acpi)")"
qemu_boot "$W" "$IMG" || true
expect_report_complete "$W"
expect_eq "the entry with the tree booted" "$(report_value "$W" "EFIVAR LoaderEntrySelected")" a-dtb.conf
expect_eq "the kernel booted on the entry's tree" "$(report_value "$W" DT-KEEL-MARKER)" type1-dtb
expect_eq "a device tree means no ACPI" "$(report_value "$W" ACPI)" absent
for bank in sha1 sha256; do
        want=$(head -c "$([ "$bank" = sha1 ] && echo 40 || echo 64)" /dev/zero | tr '\0' 0)
        want=$($PCR_CHECK extend "$bank" "$want" "$($PCR_CHECK utf16 "$OPTIONS")" "$(xxd -p "$WORK/type1.dtb" | tr -d '\n')")
        expect_eq "PCR 12 ($bank) = the options, then the device tree" "$(booted_pcr "$W" "$bank" 12)" "$want"
done

echo "-- 3. a truncated devicetree: the entry is refused, the next boots"
W=$WORK/truncated
head -c 1000 "$WORK/type1.dtb" >"$WORK/truncated.dtb"
esp_put "$IMG" "$WORK/truncated.dtb" /virt.dtb
qemu_boot "$W" "$IMG" || true
expect_report_complete "$W"
expect_console "$W" "keel says why" 'a-dtb.conf: devicetree /virt.dtb: device tree: shorter than'
expect_eq "the next entry booted, unattended" "$(report_value "$W" "EFIVAR LoaderEntrySelected")" b-acpi.conf
expect_eq "with no device tree (no marker)" "$(report_value "$W" DT-KEEL-MARKER)" ""
expect_eq "and ACPI" "$(report_value "$W" ACPI)" present

echo "-- 4. a signed UKI's .dtb under Secure Boot"
W=$WORK/secure-boot
mkdir -p "$W"
snakeoil_sign "$WORK/uki/uki.efi" "$W/uki.efi"
esp_image_create "$W.img"
esp_put "$W.img" "$W/uki.efi" "$AA64_BOOT_EFI"
KEEL_NO_TPM=1 OVMF_VARS_TEMPLATE=$AA64_SB_SNAKEOIL_VARS qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_eq "SecureBoot is on" "$(report_value "$W" SECUREBOOT)" 01
expect_eq "the kernel booted on the signed UKI's tree" "$(report_value "$W" DT-KEEL-MARKER)" uki-dtb

echo "-- 5. EFI_DT_FIXUP_PROTOCOL"
W=$WORK/fixup
mkdir -p "$W"
esp_image_create "$W.img"
mmd -i "$W.img@@1M" ::/EFI/keel
esp_put "$W.img" "$(aa64_efi_helper dt-fixup)" "$AA64_BOOT_EFI"
esp_put "$W.img" "$WORK/uki/uki.efi" /EFI/keel/uki.efi
qemu_boot "$W" "$W.img" || true
expect_report_complete "$W"
expect_eq "the fixup was asked twice (the first answer: buffer too small)" \
        "$(tr -d '\r' <"$W/console.log" | grep -c '^DT-FIXUP: called with')" 2
expect_eq "the kernel booted on the fixed-up tree (flags 3: APPLY_FIXUPS | RESERVE_MEMORY)" \
        "$(report_value "$W" DT-KEEL-MARKER)" fixup-3
exit $((FAILURES > 0))
