#!/bin/bash
# Secure Boot (snakeoil-enrolled OVMF), keel as the signed loader: a section
# with VirtualSize 0 must not escape the stub's layout checks. EDK II loads
# SizeOfRawData bytes for such a section at its VirtualAddress, so a section
# `.hidden` (VirtualSize 0, added after .cmdline, at .cmdline's address)
# overwrites the signed .cmdline in memory with the attacker's command line,
# while every tool reading the file (keel uki inspect, keel pcr predict)
# shows the benign one. The image is signed with sbsign (keel sign is meant
# to refuse it) and booted through a Type #1 `efi` entry that sorts first.
# Expected: the stub's self-check refuses it with a console line, keel falls
# back to the good UKI; and keel sign, verify, uki inspect and pcr predict
# each refuse it with one line.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
SURGERY=$KEEL_SRC/ovmf-tests/pe-surgery.py

# The stub reads .cmdline's VirtualSize bytes, so the evil text is padded
# with spaces to the benign one's length: then it is all the kernel gets.
BENIGN="console=ttyS0 loglevel=1 panic=-1 keel.test=hidden-benign keel.pad=................................"
EVIL="console=ttyS0 loglevel=1 panic=-1 keel.test=hidden-evil keel.evil=hidden"
[ ${#EVIL} -le ${#BENIGN} ] || { echo "evil command line longer than the benign one" >&2; exit 1; }
printf '%-*s' ${#BENIGN} "$EVIL" >"$WORK/evil-cmdline"

"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$BENIGN" --os-release $'ID=hidden\nVERSION_ID=1\n' -o "$WORK/benign.efi"
python3 "$SURGERY" hide "$WORK/benign.efi" "$WORK/hidden-unsigned.efi" .cmdline .hidden "$WORK/evil-cmdline"
sbsign_snakeoil "$WORK/hidden-unsigned.efi" "$WORK/hidden.efi"

echo "-- the host tools refuse the image"
printf 'snakeoil\n' >"$WORK/passphrase"
expect_keel_refuses "keel sign refuses it" "$KEEL" sign --key "$SNAKEOIL_KEY" --cert "$SNAKEOIL_CERT" \
        --passphrase-file "$WORK/passphrase" -o "$WORK/resigned.efi" "$WORK/hidden-unsigned.efi"
expect_true "keel sign left no output" test ! -e "$WORK/resigned.efi"
expect_keel_refuses "keel verify refuses it" "$KEEL" verify --cert "$SNAKEOIL_CERT" "$WORK/hidden.efi"
expect_keel_refuses "keel uki inspect refuses it" "$KEEL" uki inspect "$WORK/hidden.efi"
expect_keel_refuses "keel pcr predict refuses it" "$KEEL" pcr predict "$WORK/hidden.efi"

IMG=$WORK/disk.img
attack_esp "$IMG"
esp_put "$IMG" "$WORK/hidden.efi" /EFI/keel/attack.efi
esp_write "$IMG" /loader/entries/attack-hidden.conf "$(printf '%s\n' 'title hidden section' 'sort-key a1' \
        'efi /EFI/keel/attack.efi')"

echo "-- a signed UKI whose hidden section overwrites .cmdline in memory: refused; the good UKI boots"
W=$WORK/boot
sb_boot "$W" "$IMG" "$SB_SNAKEOIL_VARS" || true
expect_no_attack_words "$W" keel.evil=hidden keel.test=hidden-evil
expect_console "$W" "the stub's self-check refuses the image" \
        "keel: .*own (image )?headers.*VirtualSize 0"
expect_console "$W" "the loader fell back past it" "keel: entry attack-hidden\\.conf failed"
expect_good_boot "$W"
exit $((FAILURES > 0))
