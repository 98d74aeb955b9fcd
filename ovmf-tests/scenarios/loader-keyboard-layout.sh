#!/bin/bash
# LoaderKeyboardLayout (systemd 262): the language tag of the firmware's
# current keyboard layout, reported by whichever of loader and stub runs
# first. OVMF reports no layout by itself (peers-262 checks that neither
# keel nor systemd-boot 262 sets the variable then); here vars-chain does
# what firmware with a keyboard driver does — adds a layout described as
# "de-DE German (Germany)" to the HII database and makes it current — and
# then starts, on one ESP:
#  1. keel's loader, which boots a keel UKI: the loader sets it;
#  2. a keel UKI directly: its stub sets it;
#  3. systemd-boot 262 booting a systemd-stub 262 UKI: the peer's value;
#  4. systemd-boot 262 booting the keel UKI;
#  5. keel's loader with a layout whose tag is no language tag ("de_DE"):
#     one console line, the variable unset, the boot goes on.
# The loader's LoaderFeatures has bit 20, as systemd-boot 262's.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../peers-lib.sh"
WORK=$1

efi_helpers
SD_BOOT=$(peer_efi sid amd64 systemd-bootx64.efi)
make_keel_uki "$WORK/keel.efi" keeltest 1 keel
printf 'ID=keeltest\nVERSION_ID=262\n' >"$WORK/osrel"
peer_uki sid "$WORK/sd262.efi" "$(kernel_image)" "$(shared_initramfs)" \
        "console=ttyS0 loglevel=1 panic=-1 keel.test=sd262" "$WORK/osrel" ||
        { echo "  FAIL: no systemd-stub 262 UKI"; exit 1; }

# esp NAME NEXT UKI...: an ESP whose vars-chain installs the layout described
# as $DESCRIPTION, then starts NEXT.
DESCRIPTION="de-DE German (Germany)"
esp() {
        local img=$WORK/$1.img
        esp_image_create "$img"
        esp_put "$img" "$EFI_HELPERS/vars-chain.efi" /EFI/BOOT/BOOTX64.EFI
        esp_put "$img" "$2" /EFI/BOOT/next.efi
        vars_chain_keyboard_layout "$img" "$DESCRIPTION"
        esp_write "$img" /loader/loader.conf $'timeout 0\n'
        shift 2
        for uki in "$@"; do
                esp_put "$img" "$uki" "/EFI/Linux/$(basename "$uki")"
        done
}
boot() { # NAME
        mkdir -p "$WORK/$1"
        qemu_boot "$WORK/$1" "$WORK/$1.img" || true
        expect_report_complete "$WORK/$1"
        expect_true "$1: the firmware has the layout" console_has "$WORK/$1" "VARS-CHAIN: keyboard layout '${DESCRIPTION%% *} .*': Success"
}
layout() { report_value "$WORK/$1" "EFIVAR LoaderKeyboardLayout"; }

echo "-- 1. keel's loader"
esp loader "$KEEL_EFI" "$WORK/keel.efi"
boot loader
expect_eq "keel's loader booted the keel UKI" "$(booted_marker "$WORK/loader")" keel
expect_eq "LoaderKeyboardLayout" "$(layout loader)" de-DE
expect_eq "LoaderFeatures (bit 20: the firmware's keyboard layout)" \
        "$(report_value "$WORK/loader" "EFIVAR LoaderFeatures")" "$(efivar_u64_of_bits $KEEL_LOADER_FEATURE_BITS)"

echo "-- 2. a keel UKI without a loader"
esp stub "$WORK/keel.efi"
boot stub
expect_eq "the keel UKI booted" "$(booted_marker "$WORK/stub")" keel
expect_eq "no loader ran" "$(report_value "$WORK/stub" "EFIVAR LoaderInfo")" ""
expect_eq "LoaderKeyboardLayout, from keel's stub" "$(layout stub)" de-DE

echo "-- 3. systemd-boot $(peer_version sid) and systemd-stub 262"
esp sd "$SD_BOOT" "$WORK/sd262.efi"
boot sd
expect_eq "systemd-stub 262's UKI booted" "$(booted_marker "$WORK/sd")" sd262
expect_eq "LoaderKeyboardLayout: keel = systemd 262" "$(layout loader)" "$(layout sd)"

echo "-- 4. systemd-boot 262 and the keel UKI"
esp sd-keel "$SD_BOOT" "$WORK/keel.efi"
boot sd-keel
expect_eq "the keel UKI booted" "$(booted_marker "$WORK/sd-keel")" keel
expect_eq "LoaderKeyboardLayout: keel = systemd 262" "$(layout sd-keel)" "$(layout sd)"

echo "-- 5. keel's loader, a layout whose tag is no language tag"
DESCRIPTION="de_DE German"
esp bad "$KEEL_EFI" "$WORK/keel.efi"
boot bad
expect_eq "the keel UKI booted" "$(booted_marker "$WORK/bad")" keel
expect_true "one line says why" \
        console_has "$WORK/bad" "keel: not reporting the firmware's keyboard layout: keyboard layout: tag not"
expect_eq "LoaderKeyboardLayout is not set" "$(layout bad)" ""
exit $((FAILURES > 0))
