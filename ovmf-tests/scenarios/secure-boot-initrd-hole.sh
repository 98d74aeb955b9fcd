#!/bin/bash
# Secure Boot (snakeoil-enrolled OVMF), keel as the signed loader: a signed
# UKI without an .initrd of its own must never run an initrd that no
# signature covers. noinitrd.efi is such a UKI, signed; \evil.cpio is an
# unsigned initramfs that reports EVIL_MARKER if it ever runs as PID 1.
# Three attacks, tried in this order in one boot, then the good UKI:
#  - loader path: a Type #1 entry `linux /EFI/keel/noinitrd.efi` +
#    `initrd /evil.cpio`. keel must not offer `initrd` lines to a `linux`
#    that is a UKI; it refuses the entry;
#  - the same with a UKI whose kernel is in profile 1 only (profile 0 has
#    no .linux) and options "@1": whether an image is a UKI is decided on
#    the whole image, so the loader refuses this entry too;
#  - stub path, last: a Type #1 `efi` entry for initrd-inject.efi (test
#    helper, signed), which serves \evil.cpio on the initrd device path
#    itself and then starts noinitrd.efi: the stub takes the initrd off the
#    path (it is no companion archive of a Type #1 `extra` line), says so on
#    one line and starts the kernel without any initrd, which then has no
#    root to mount and panics (the VM powers off, -no-reboot).
# The attack entries also carry `options` that must not reach the kernel.
# Expected: the loader attacks are refused with a console line saying why,
# the stub attack's initrd never runs; the good UKI boots unattended with
# its signed command line in a second boot without the stub attack entry.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
EVIL_MARKER=EVIL-INITRD-RAN

efi_helpers
snakeoil_sign "$EFI_HELPERS/initrd-inject.efi" "$WORK/initrd-inject.efi"
# The victim: a correctly built, signed UKI that simply has no .initrd.
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" \
        --cmdline "console=ttyS0 loglevel=1 panic=-1 keel.test=noinitrd" -o "$WORK/noinitrd-unsigned.efi"
snakeoil_sign "$WORK/noinitrd-unsigned.efi" "$WORK/noinitrd.efi"
# A UKI with .linux only after its second .profile (keel uki build puts the
# kernel in the base; objcopy lays out the sections in the order given).
printf 'ID=hole\n' >"$WORK/osrel"
printf 'ID=zero\n' >"$WORK/profile0"
printf 'ID=one\n' >"$WORK/profile1"
objcopy --add-section .osrel="$WORK/osrel" --change-section-vma .osrel=0x40000 \
        --add-section .profile="$WORK/profile0" --change-section-vma .profile=0x41000 \
        --add-section .prof1="$WORK/profile1" --change-section-vma .prof1=0x42000 \
        --add-section .linux="$(kernel_image)" --change-section-vma .linux=0x2000000 \
        "$KEEL_EFI" "$WORK/profile1-only.tmp"
objcopy --rename-section .prof1=.profile "$WORK/profile1-only.tmp" "$WORK/profile1-unsigned.efi"
snakeoil_sign "$WORK/profile1-unsigned.efi" "$WORK/profile1.efi"
# The attacker's initramfs: the reporting one, plus a line that only it writes.
printf '#!/bin/sh\necho %s\n' "$EVIL_MARKER" >"$WORK/evil-scenario"
build_initramfs "$WORK/evil.cpio" "$WORK/evil-scenario"

IMG=$WORK/disk.img
attack_esp "$IMG"
esp_put "$IMG" "$WORK/noinitrd.efi" /EFI/keel/noinitrd.efi
esp_put "$IMG" "$WORK/initrd-inject.efi" /EFI/keel/initrd-inject.efi
esp_put "$IMG" "$WORK/profile1.efi" /EFI/keel/profile1.efi
esp_put "$IMG" "$WORK/evil.cpio" /evil.cpio
esp_write "$IMG" /loader/entries/attack-loader.conf "$(printf '%s\n' 'title initrd hole: loader' 'sort-key a1' \
        'linux /EFI/keel/noinitrd.efi' 'initrd /evil.cpio' 'options keel.evil=initrd-loader')"
esp_write "$IMG" /loader/entries/attack-profile.conf "$(printf '%s\n' 'title initrd hole: profile 1' \
        'sort-key a1b' 'linux /EFI/keel/profile1.efi' 'initrd /evil.cpio' 'options @1 keel.evil=initrd-profile')"
esp_write "$IMG" /loader/entries/attack-stub.conf "$(printf '%s\n' 'title initrd hole: stub' 'sort-key a2' \
        'efi /EFI/keel/initrd-inject.efi' 'options keel.evil=initrd-stub')"

echo "-- a signed UKI without .initrd, offered an unsigned initrd: not run"
W=$WORK/boot
sb_boot "$W" "$IMG" "$SB_SNAKEOIL_VARS" || true
expect_true "no attacker initramfs ran" report_lacks "$W" "$EVIL_MARKER"
expect_console "$W" "loader: refuses 'initrd' lines for a 'linux' that is a UKI" \
        "keel: attack-loader\\.conf: .*is a UKI.*initrd"
expect_console "$W" "loader: the same for a UKI whose kernel is in profile 1 only" \
        "keel: attack-profile\\.conf: .*is a UKI.*initrd"
expect_console "$W" "the stub path was tried (the helper served the initrd and started the UKI)" \
        "INITRD-INJECT: starting .*noinitrd.efi"
expect_true "stub: takes the initrd from outside off the path and says so" \
        console_after "$W" "INITRD-INJECT: starting" "keel: ignoring the initrd offered from outside this UKI: offered initrd: "
expect_console "$W" "the kernel started without any initrd (no root to mount)" \
        "Kernel panic - not syncing: VFS: Unable to mount root fs"

echo "-- the same ESP without the stub attack entry: the good UKI boots"
mdel -i "$IMG@@1M" ::/loader/entries/attack-stub.conf
W=$WORK/good
sb_boot "$W" "$IMG" "$SB_SNAKEOIL_VARS" || true
expect_true "no attacker initramfs ran" report_lacks "$W" "$EVIL_MARKER"
expect_no_attack_words "$W" keel.evil=initrd-loader keel.evil=initrd-profile keel.evil=initrd-stub
expect_good_boot "$W"
exit $((FAILURES > 0))
