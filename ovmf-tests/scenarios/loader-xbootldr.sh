#!/bin/bash
# Entries on an XBOOTLDR partition of the ESP's disk: a Type #1 entry whose
# kernel and initrd live on XBOOTLDR, and a UKI there. keel lists them in
# bootctl 252's order (bootctl --esp-path --boot-path) and boots both kinds
# from XBOOTLDR.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
IMG=$WORK/disk.img

xbootldr_image_create "$IMG"
make_keel_uki "$WORK/esp.efi" keeltest 1 esp-uki
make_keel_uki "$WORK/xb.efi" keeltest 2 xbootldr-uki
esp_put "$IMG" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_put "$IMG" "$WORK/esp.efi" /EFI/Linux/keeltest-1.efi
part_put "$IMG" "$XBOOTLDR_OFFSET" "$WORK/xb.efi" /EFI/Linux/keeltest-2.efi
part_put "$IMG" "$XBOOTLDR_OFFSET" "$(kernel_image)" /vmlinuz-xb
part_put "$IMG" "$XBOOTLDR_OFFSET" "$(shared_initramfs)" /initrd-xb.cpio
part_write "$IMG" "$XBOOTLDR_OFFSET" /loader/entries/xb-type1.conf "$(printf '%s\n' 'title XBOOTLDR Type 1' \
        'linux /vmlinuz-xb' 'initrd /initrd-xb.cpio' 'options console=ttyS0 loglevel=1 panic=-1 keel.test=xbootldr-type1')"

for pattern in "xb-*" "keeltest-2*"; do
        esp_write "$IMG" /loader/loader.conf "$(printf 'timeout 0\ndefault %s\n' "$pattern")"
        view=$(bootctl_view_xbootldr "$IMG")
        run=$WORK/boot-${pattern//[^a-zA-Z0-9]/_}
        qemu_boot "$run" "$IMG" || true
        expect_report_complete "$run"
        expect_eq "LoaderEntries is bootctl's order (default $pattern)" "$(loader_entries "$run")" "${view%|*}"
        expect_eq "LoaderEntrySelected is bootctl's default" "$(report_value "$run" "EFIVAR LoaderEntrySelected")" "${view#*|}"
done
expect_eq "a Type #1 entry booted from XBOOTLDR" "$(booted_marker "$WORK/boot-xb__")" xbootldr-type1
expect_eq "a UKI booted from XBOOTLDR" "$(booted_marker "$WORK/boot-keeltest_2_")" xbootldr-uki
expect_eq "LoaderFeatures include XBOOTLDR (bit 5)" \
        "$(( 0x$(report_value "$WORK/boot-xb__" "EFIVAR LoaderFeatures" | cut -c1-2) & 0x20 ))" 32
expect_eq "LoaderFeatures: exactly the bits of what keel's loader does ($KEEL_LOADER_FEATURE_BITS)" \
        "$(report_value "$WORK/boot-xb__" "EFIVAR LoaderFeatures")" "$(efivar_u64_of_bits $KEEL_LOADER_FEATURE_BITS)"
exit $((FAILURES > 0))
