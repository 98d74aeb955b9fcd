#!/bin/bash
# systemd-boot 258-262's Boot Loader Interface items a booted system sees,
# on one ESP booted by keel and then, unchanged, by systemd-boot 262 (Debian
# sid), the variables compared as data:
#  - a drop-in driver in \EFI\systemd\drivers (LoaderFeatures bit 7): the
#    test's esrt-driver installs an ESRT whose system firmware resource
#    reports a failed update, and sets KeelTestDriverLoaded;
#  - LoaderEntrySysFail (set by the OS before the reboot: vars-chain stands
#    in for it) then wins over loader.conf's default, and
#    LoaderSysFailReason says why;
#  - that entry's file is counted (+3) but marked read-only: booted
#    uncounted (systemd 262), LoaderBootCountPath unset, the name kept;
#  - `timeout menu-disabled`: keys typed before keel starts open no menu;
#  - SMBIOS type 11 io.systemd.boot.loglevel=err: loader.conf's warning
#    about an unknown key is not shown (loader-preferred-reboot shows it).
# systemd-boot 262.1 sets LoaderSysFailReason but does not boot the SysFail
# entry (README, "Differences from systemd 262": it picks the default entry
# before it looks at the ESRT): a second 262 boot, with no `default` in
# loader.conf and the SysFail entry sorted second (version 0), shows that
# LoaderEntrySysFail loses even to "the first entry".
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../peers-lib.sh"
WORK=$1

efi_helpers
SD_BOOT=$(peer_efi sid amd64 systemd-bootx64.efi)
make_keel_uki "$WORK/default.efi" keeltest 1 default
make_keel_uki "$WORK/sysfail.efi" keeltest 0 sysfail

IMG=$WORK/keel.img
esp_image_create "$IMG"
esp_put "$IMG" "$EFI_HELPERS/vars-chain.efi" /EFI/BOOT/BOOTX64.EFI
esp_put "$IMG" "$KEEL_EFI" /EFI/BOOT/next.efi
mmd -i "$IMG@@1M" ::/EFI/systemd ::/EFI/systemd/drivers
esp_put "$IMG" "$EFI_HELPERS/esrt-driver.efi" /EFI/systemd/drivers/esrt-driverx64.efi
vars_chain_set "$IMG" LoaderEntrySysFail keeltest-sysfail.efi
esp_write "$IMG" /loader/loader.conf $'timeout menu-disabled\ndefault keeltest-1.efi\nkeel-test-unknown-key yes\n'
esp_put "$IMG" "$WORK/default.efi" /EFI/Linux/keeltest-1.efi
esp_put "$IMG" "$WORK/sysfail.efi" /EFI/Linux/keeltest-sysfail+3.efi
mattrib -i "$IMG@@1M" +r ::/EFI/Linux/keeltest-sysfail+3.efi
# The same ESP for systemd-boot 262, started by the same vars-chain.
cp "$IMG" "$WORK/sd.img"
esp_put "$WORK/sd.img" "$SD_BOOT" /EFI/BOOT/next.efi
cp "$WORK/sd.img" "$WORK/sd-first.img"
esp_write "$WORK/sd-first.img" /loader/loader.conf $'timeout menu-disabled\n'
export QEMU_SMBIOS_TYPE11="io.systemd.boot.loglevel=err"

echo "-- keel"
K=$WORK/keel
QEMU_CONSOLE_SOCKET=1 QEMU_TIMEOUT=150 qemu_boot "$K" "$IMG" &
boot=$!
# Keys typed while vars-chain and the driver run wait in the firmware's
# input buffer: a hidden menu (timeout 0) would open on them; a disabled
# one must not.
python3 "$KEEL_SRC/ovmf-tests/type-keys.py" "$K/console.sock" "wait:VARS-CHAIN: LoaderEntrySysFail" "send:jjj" \
        "wait:ESRT-DRIVER:" "send:jjj" &
typist=$!
wait $boot || true
kill $typist 2>/dev/null || true
wait $typist 2>/dev/null || true
expect_report_complete "$K"
expect_true "keel started the drop-in driver" console_has "$K" "ESRT-DRIVER: installed an ESRT with a failed system firmware update: Success"
expect_eq "the driver's variable reached the OS" "$(report_value "$K" "EFIVAR KeelTestDriverLoaded")" yes
expect_eq "LoaderSysFailReason" "$(report_value "$K" "EFIVAR LoaderSysFailReason")" firmware-updare-failure
expect_eq "LoaderEntrySysFail's entry was selected" "$(report_value "$K" "EFIVAR LoaderEntrySelected")" keeltest-sysfail.efi
expect_eq "and booted" "$(booted_marker "$K")" sysfail
expect_true "the read-only entry file was not counted" \
        console_has "$K" "keel: keeltest-sysfail\+3.efi is read-only, not counting this boot try"
expect_eq "LoaderBootCountPath is not set" "$(report_value "$K" "EFIVAR LoaderBootCountPath")" ""
expect_eq "the entry keeps its name" "$(esp_ls "$IMG" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" \
        "keeltest-1.efi keeltest-sysfail+3.efi "
expect_true "menu-disabled: no menu although keys were typed" console_lacks "$K" "boot menu"
expect_true "SMBIOS log level err: no warning about loader.conf's unknown key" \
        console_lacks "$K" "loader.conf:3: unknown key"
expect_eq "LoaderFeatures (drop-in drivers, menu-disabled, LoaderEntryPreferred among them)" \
        "$(report_value "$K" "EFIVAR LoaderFeatures")" "$(efivar_u64_of_bits $KEEL_LOADER_FEATURE_BITS)"

echo "-- systemd-boot $(peer_version sid) on the same ESP"
S=$WORK/sd
QEMU_TIMEOUT=150 qemu_boot "$S" "$WORK/sd.img" || true
expect_report_complete "$S"
expect_eq "systemd-boot 262 ran" "$(report_value "$S" "EFIVAR LoaderInfo" | cut -d' ' -f1-2 | cut -d. -f1)" "systemd-boot 262"
for v in KeelTestDriverLoaded LoaderSysFailReason LoaderBootCountPath; do
        expect_eq "$v: keel = systemd-boot 262 ('$(report_value "$S" "EFIVAR $v")')" \
                "$(report_value "$K" "EFIVAR $v")" "$(report_value "$S" "EFIVAR $v")"
done
# A difference this comparison found (README, "Differences from systemd
# 262"), asserted as it is so that a change shows: systemd-boot 262.1 sets
# LoaderSysFailReason but boots loader.conf's default, not LoaderEntrySysFail.
expect_eq "differs: systemd-boot 262 selected loader.conf's default" \
        "$(report_value "$S" "EFIVAR LoaderEntrySelected")" keeltest-1.efi
expect_eq "differs: and booted it" "$(booted_marker "$S")" default
expect_eq "systemd-boot 262 did not count the read-only entry either" \
        "$(esp_ls "$WORK/sd.img" /EFI/Linux | sed 's|.*/||' | sort | tr '\n' ' ')" "keeltest-1.efi keeltest-sysfail+3.efi "

echo "-- systemd-boot $(peer_version sid), no default in loader.conf"
F=$WORK/sd-first
QEMU_TIMEOUT=150 qemu_boot "$F" "$WORK/sd-first.img" || true
expect_report_complete "$F"
expect_eq "systemd-boot 262 saw the failed update" "$(report_value "$F" "EFIVAR LoaderSysFailReason")" \
        firmware-updare-failure
expect_eq "differs: and still booted the first entry, not LoaderEntrySysFail's" \
        "$(report_value "$F" "EFIVAR LoaderEntrySelected") $(booted_marker "$F")" "keeltest-1.efi default"
exit $((FAILURES > 0))
