#!/bin/bash
# Issue 15: keel's loader role on arm64 (keelaa64.efi as BOOTAA64.EFI) on a
# mixed ESP: two keel arm64 UKIs, a systemd-stub 252 arm64 UKI and a Type #1
# entry (Debian's arm64 kernel and the initramfs on the ESP, loaded by the
# firmware, initrd through LoadFile2). For several loader.conf `default`
# globs keel boots the entry bootctl 252 names as default and LoaderEntries
# is bootctl's order. A Type #1 entry for another architecture
# (`architecture x64`, added after the first boot) is not offered: bootctl
# 252 lists it (it does not filter by architecture), so keel is compared
# with bootctl's view of the ESP without it, and with systemd-boot 252
# arm64 itself booting the same ESP (same LoaderEntries, same default).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../aavmf/lib.sh"
WORK=$1

IMG=$WORK/disk.img
esp_image_create "$IMG" 192
esp_put "$IMG" "$KEEL_EFI" "$AA64_BOOT_EFI"
make_keel_uki "$WORK/a.efi" keeltest 1 keel-uki-1
make_keel_uki "$WORK/b.efi" keeltest 2 keel-uki-2
make_sdstub_uki "$WORK/c.efi" sdtest 7 sdstub-uki
esp_put "$IMG" "$WORK/a.efi" /EFI/Linux/keeltest-1.efi
esp_put "$IMG" "$WORK/b.efi" /EFI/Linux/keeltest-2.efi
esp_put "$IMG" "$WORK/c.efi" /EFI/Linux/sdtest-7.efi
esp_put "$IMG" "$(kernel_image)" /vmlinuz
esp_put "$IMG" "$(shared_initramfs)" /initrd.cpio
esp_write "$IMG" /loader/entries/type1-test.conf "$(printf '%s\n' 'title Type 1 test' 'sort-key zzz' \
        'version 3' 'linux /vmlinuz' 'initrd /initrd.cpio' 'architecture aa64' \
        "options $(aa64_cmdline type1)")"
marker_of() {
        case "$1" in
        keeltest-1.efi) echo keel-uki-1 ;; keeltest-2.efi) echo keel-uki-2 ;;
        sdtest-7.efi) echo sdstub-uki ;; type1-test.conf) echo type1 ;;
        esac
}

for pattern in "" "sdtest*" "*.conf"; do
        echo "-- loader.conf: timeout 0${pattern:+, default $pattern}"
        esp_write "$IMG" /loader/loader.conf "$(printf 'timeout 0\n%s\n' "${pattern:+default $pattern}")"
        cp --sparse=always "$IMG" "$WORK/view.img"
        mdel -i "$WORK/view.img@@1M" ::/loader/entries/aaa-x64.conf 2>/dev/null || true
        view=$(bootctl_view "$WORK/view.img")
        rm -f "$WORK/view.img"
        want_order=${view%|*}
        want_default=${view#*|}
        [ -n "$want_default" ] || { echo "  FAIL: bootctl 252 names no default"; FAILURES=$((FAILURES + 1)); }
        run=$WORK/boot-${pattern//[^a-zA-Z0-9]/_}
        qemu_boot "$run" "$IMG" || true
        expect_report_complete "$run"
        expect_eq "LoaderEntries is bootctl's order" "$(loader_entries "$run")" "$want_order"
        expect_eq "LoaderEntrySelected is bootctl's default" "$(report_value "$run" "EFIVAR LoaderEntrySelected")" "$want_default"
        expect_eq "the default entry's kernel booted" "$(booted_marker "$run")" "$(marker_of "$want_default")"
        expect_eq "an arm64 kernel reported" "$(report_value "$run" ARCH)" aarch64
        # The x64 entry is added after the first boot: bootctl 252 lists
        # it (no architecture filter), keel must not.
        if [ -z "$pattern" ]; then
                esp_write "$IMG" /loader/entries/aaa-x64.conf "$(printf '%s\n' 'title x64 only' 'sort-key aaa' \
                        'linux /vmlinuz' 'architecture x64' 'options keel.test=x64')"
        fi
done
expect_eq "LoaderInfo" "$(report_value "$run" "EFIVAR LoaderInfo")" "keel 0.1"

echo "-- the same ESP (default *.conf) under systemd-boot 252 arm64"
esp_put "$IMG" "$SYSTEMD_BOOT_EFI" "$AA64_BOOT_EFI"
qemu_boot "$WORK/sd-boot" "$IMG" || true
expect_report_complete "$WORK/sd-boot"
expect_true "systemd-boot 252 was the loader" grep -q "EFIVAR LoaderInfo=systemd-boot 252" "$WORK/sd-boot/report.log"
expect_eq "systemd-boot's LoaderEntries = keel's" "$(loader_entries "$WORK/sd-boot")" "$(loader_entries "$run")"
expect_eq "systemd-boot's default = keel's" "$(report_value "$WORK/sd-boot" "EFIVAR LoaderEntrySelected")" \
        "$(report_value "$run" "EFIVAR LoaderEntrySelected")"
expect_true "the systemd-stub UKI ran as systemd-stub" grep -q "EFIVAR StubInfo=systemd-stub 252" "$WORK/boot-sdtest_/report.log"
expect_true "the Type #1 entry's kernel got its initrd (the report ran) and its options" \
        bash -c "tr -d '\r' <'$WORK/boot-__conf/report.log' | grep -qx 'CMDLINE=$(aa64_cmdline type1)'"
expect_true "keel offered no x64 entry" bash -c "! grep -q 'aaa-x64' '$WORK/boot-__conf/report.log'"
exit $((FAILURES > 0))
