#!/bin/bash
# Loader role on a mixed ESP: keel UKIs, a systemd-stub 252 UKI and a Type #1
# entry. For several loader.conf `default` globs, keel boots the entry
# bootctl 252 names as default, LoaderEntries is bootctl's order, and
# `timeout 0` boots without showing a menu.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1

populate_mixed_esp "$WORK/disk.img"
# auto-entries: a program at the EFI shell's well-known path is offered
# (after the entries, never as the default). It is never started here.
esp_write "$WORK/disk.img" /shellx64.efi "not a real shell"
marker_of() {
        case "$1" in
        keeltest-1.efi) echo keel-uki-1 ;; keeltest-2.efi) echo keel-uki-2 ;;
        sdtest-7.efi) echo sdstub-uki ;; type1-test.conf) echo type1 ;;
        esac
}

for pattern in "" "sdtest*" "*.conf" "KEELTEST-1*"; do
        echo "-- loader.conf: timeout 0${pattern:+, default $pattern}"
        esp_write "$WORK/disk.img" /loader/loader.conf "$(printf 'timeout 0\n%s\n' "${pattern:+default $pattern}")"
        view=$(bootctl_view "$WORK/disk.img")
        want_order=${view%|*}
        want_default=${view#*|}
        run=$WORK/boot-${pattern//[^a-zA-Z0-9]/_}
        qemu_boot "$run" "$WORK/disk.img" || true
        expect_report_complete "$run"
        expect_eq "LoaderEntries is bootctl's order" "$(loader_entries "$run")" "$want_order"
        expect_eq "LoaderEntrySelected is bootctl's default" "$(report_value "$run" "EFIVAR LoaderEntrySelected")" "$want_default"
        expect_eq "the default entry's kernel booted" "$(booted_marker "$run")" "$(marker_of "$want_default")"
        expect_true "no menu was shown (timeout 0)" bash -c "! grep -q 'boot menu' '$run/console.log'"
done
expect_eq "LoaderInfo" "$(report_value "$run" "EFIVAR LoaderInfo")" "keel 0.1"
expect_eq "auto-entries: the EFI shell and firmware setup follow the entries" \
        "$(report_value "$run" "EFIVAR LoaderEntries" | tr ' ' '\n' | grep '^auto-' | tr '\n' ' ')" \
        "auto-efi-shell auto-reboot-to-firmware-setup "
expect_true "LoaderTimeInitUSec/MenuUSec/ExecUSec are set" bash -c \
        "grep -q 'EFIVAR LoaderTimeInitUSec=[1-9]' '$run/report.log' && grep -q 'EFIVAR LoaderTimeMenuUSec=[1-9]' '$run/report.log' && grep -q 'EFIVAR LoaderTimeExecUSec=[1-9]' '$run/report.log'"
exit $((FAILURES > 0))
