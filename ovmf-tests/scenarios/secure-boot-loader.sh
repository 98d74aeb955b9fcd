#!/bin/bash
# Secure Boot with keel as the loader, on OVMF's Secure Boot build starting
# in Setup Mode:
#  - loader.conf `secure-boot-enroll force` with \loader\keys\auto\*.auth
#    from `keel keys create`: keel enrolls db, KEK, PK unattended, after
#    `secure-boot-enroll-timeout-sec 2` (a 2 s countdown), and then, as
#    `secure-boot-enroll-action shutdown` says, powers the machine off
#    (nothing boots); started again, SecureBoot reads 1;
#  - in the same run, the newest UKIs are refused by the firmware (unsigned,
#    signed by another key, one byte flipped in .linux, .initrd or .cmdline)
#    and keel falls back, without input, to the keel-signed UKI, which boots
#    with its signed command line;
#  - then a Type #1 `efi` entry with `options` cannot change the signed
#    command line, and the menu's editor is disabled;
#  - `secure-boot-enroll manual`: in Setup Mode the menu offers the key set,
#    and choosing it enrolls the keys.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1

"$KEEL" keys create "$WORK/keys" --cn "keel loader test" >/dev/null
"$KEEL" keys create "$WORK/other" --cn "other" >/dev/null
sign() { "$KEEL" sign --key "$WORK/$1/db.key" --cert "$WORK/$1/db.crt" -o "$3" "$2"; }

sign keys "$KEEL_EFI" "$WORK/keel-signed.efi"
make_keel_uki "$WORK/uki.efi" keeltest 1 secure-boot
sign keys "$WORK/uki.efi" "$WORK/good.efi"
sign keys "$WORK/uki.efi" "$WORK/signed.efi"
flip_byte "$WORK/signed.efi" "$WORK/flip-linux.efi" .linux
flip_byte "$WORK/signed.efi" "$WORK/flip-initrd.efi" .initrd
flip_byte "$WORK/signed.efi" "$WORK/flip-cmdline.efi" .cmdline
sign other "$WORK/uki.efi" "$WORK/other-key.efi"

IMG=$WORK/disk.img
esp_image_create "$IMG"
esp_put "$IMG" "$WORK/keel-signed.efi" /EFI/BOOT/BOOTX64.EFI
esp_write "$IMG" /loader/loader.conf "$(printf '%s\n' 'timeout 0' 'secure-boot-enroll force' \
        'secure-boot-enroll-action shutdown' 'secure-boot-enroll-timeout-sec 2')"
mmd -i "$IMG@@1M" ::/loader/keys ::/loader/keys/auto
for k in db KEK PK; do esp_put "$IMG" "$WORK/keys/$k.auth" "/loader/keys/auto/$k.auth"; done
esp_put "$IMG" "$WORK/good.efi" /EFI/Linux/keeltest-1.efi
esp_put "$IMG" "$WORK/flip-linux.efi" /EFI/Linux/keeltest-2.efi
esp_put "$IMG" "$WORK/flip-initrd.efi" /EFI/Linux/keeltest-3.efi
esp_put "$IMG" "$WORK/flip-cmdline.efi" /EFI/Linux/keeltest-4.efi
esp_put "$IMG" "$WORK/other-key.efi" /EFI/Linux/keeltest-5.efi
esp_put "$IMG" "$WORK/uki.efi" /EFI/Linux/keeltest-6.efi

echo "-- Setup Mode: enroll, power off; start again"
E=$WORK/enroll
# Rebooting allowed: a reset instead of the power-off would boot on.
QEMU_REBOOT=1 sb_boot "$E" "$IMG" "$SB_SETUP_VARS" "reboot: Power down" || true
for v in db KEK PK; do
        expect_true "keel enrolled $v" console_has "$E" "keel: enrolling $v from key set auto: success"
done
expect_true "after a 2 s countdown" console_has "$E" "enrolling Secure Boot keys 'auto' in 2 s"
expect_true "not a longer one" console_lacks "$E" "enrolling Secure Boot keys 'auto' in 3 s"
expect_true "secure-boot-enroll-action shutdown: powered off" console_has "$E" "keel: Secure Boot keys enrolled; powering off"
expect_true "nothing booted after the enrollment" bash -c "! grep -aq KEEL-REPORT-BEGIN '$E/report.log'"
R=$WORK/enrolled
mkdir -p "$R" && cp "$E/OVMF_VARS.fd" "$R/OVMF_VARS.fd"
sb_boot "$R" "$IMG" "$SB_SETUP_VARS" "reboot: Power down" || true
expect_report_complete "$R"
expect_eq "SecureBoot reads 1 when started again" "$(report_value "$R" SECUREBOOT)" 01
for n in 6 5 4 3 2; do
        expect_true "keeltest-$n.efi refused by the firmware" \
                console_has "$R" "keel: cannot load .EFI.Linux.keeltest-$n.efi: (access denied|security violation)"
done
expect_eq "the keel-signed UKI booted, without input" "$(report_value "$R" "EFIVAR LoaderEntrySelected")" keeltest-1.efi
expect_eq "with its signed command line" "$(booted_marker "$R")" secure-boot

echo "-- enrolled: a Type #1 entry's options cannot replace the signed command line; no editor"
esp_write "$IMG" /loader/loader.conf $'timeout menu-force\n'
esp_write "$IMG" /loader/entries/override.conf "$(printf '%s\n' 'title Override attempt' 'sort-key aaa' \
        'efi /EFI/Linux/keeltest-1.efi' 'options console=ttyS0 loglevel=1 panic=-1 keel.test=override')"
R2=$WORK/override
mkdir -p "$R2" && cp "$R/OVMF_VARS.fd" "$R2/OVMF_VARS.fd"
QEMU_CONSOLE_SOCKET=1 sb_boot "$R2" "$IMG" "$SB_SETUP_VARS" &
boot=$!
python3 "$KEEL_SRC/ovmf-tests/type-keys.py" "$R2/console.sock" "wait:boot menu" "sleep:1" "send:e" \
        "wait:The editor is disabled" "sleep:1" "send:\\r" &
typist=$!
wait $boot || true
kill $typist 2>/dev/null || true
wait $typist 2>/dev/null || true
expect_true "the editor is disabled under Secure Boot" console_has "$R2" "The editor is disabled"
expect_report_complete "$R2"
expect_eq "the override entry was started" "$(report_value "$R2" "EFIVAR LoaderEntrySelected")" override.conf
expect_eq "the kernel got the signed command line, not the entry's options" "$(booted_marker "$R2")" secure-boot

echo "-- secure-boot-enroll manual: the menu offers the key set"
esp_write "$IMG" /loader/loader.conf $'timeout menu-force\nsecure-boot-enroll manual\n'
R3=$WORK/manual
QEMU_CONSOLE_SOCKET=1 sb_boot "$R3" "$IMG" "$SB_SETUP_VARS" &
boot=$!
# Menu: override.conf, keeltest-6..1, then the key set (then firmware setup).
python3 "$KEEL_SRC/ovmf-tests/type-keys.py" "$R3/console.sock" "wait:Enroll Secure Boot keys: auto" "sleep:1" \
        "send:jjjjjjj" "sleep:2" "send:\\r" &
typist=$!
wait $boot || true
kill $typist 2>/dev/null || true
wait $typist 2>/dev/null || true
for v in db KEK PK; do
        expect_true "manual: keel enrolled $v" console_has "$R3" "keel: enrolling $v from key set auto: success"
done
exit $((FAILURES > 0))
