#!/bin/bash
# Secure Boot (snakeoil-enrolled OVMF), keel as the signed loader: base
# relocations must not change a signed UKI in memory (issue 20, defect 3).
# The stub's 12-byte .reloc block is rewritten into one DIR64 fixup at
# .cmdline+45: EDK II adds (load address - ImageBase) to those 8 bytes, so
# the kernel would get another command line than `keel uki inspect` shows
# and PCR 11 would differ from `keel pcr predict`. The image is signed with
# sbsign (keel sign is meant to refuse it) and booted through a Type #1 `efi`
# entry that sorts first; an addon (keel's code and a .cmdline, made with
# objcopy) whose fixup lands in its .cmdline sits in \loader\addons, where
# every UKI finds it.
# Expected: the stub's self-check refuses the UKI with one console line and
# keel falls back to the good UKI, unattended; the good UKI skips the addon
# with one line; nothing of either command line reaches a kernel; keel
# sign, verify, uki inspect and pcr predict (--addon) refuse both files.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
SURGERY=$KEEL_SRC/ovmf-tests/pe-surgery.py

# +45 is inside "keel.reloc=tampered": the words before it stay as they are,
# so any kernel that got this command line, changed or not, shows "keel.reloc=".
ATTACK="console=ttyS0 loglevel=1 panic=-1 keel.reloc=tampered keel.word=AAAAAAAAAAAAAAAA"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$ATTACK" --os-release $'ID=reloc\nVERSION_ID=1\n' -o "$WORK/benign.efi"
python3 "$SURGERY" reloc "$WORK/benign.efi" "$WORK/reloc-unsigned.efi" .cmdline 45
sbsign_snakeoil "$WORK/reloc-unsigned.efi" "$WORK/reloc.efi"

printf 'keel.addon.reloc=tampered' >"$WORK/addon-cmdline"
objcopy --add-section .cmdline="$WORK/addon-cmdline" --change-section-vma .cmdline=0x30000 \
        --set-section-flags .cmdline=data,readonly "$KEEL_EFI" "$WORK/addon-benign.efi"
python3 "$SURGERY" reloc "$WORK/addon-benign.efi" "$WORK/addon-unsigned.efi" .cmdline 0
sbsign_snakeoil "$WORK/addon-unsigned.efi" "$WORK/reloc.addon.efi"

echo "-- the host tools refuse both"
printf 'snakeoil\n' >"$WORK/passphrase"
expect_keel_refuses "keel sign refuses the UKI" "$KEEL" sign --key "$SNAKEOIL_KEY" --cert "$SNAKEOIL_CERT" \
        --passphrase-file "$WORK/passphrase" -o "$WORK/resigned.efi" "$WORK/reloc-unsigned.efi"
expect_true "keel sign left no output" test ! -e "$WORK/resigned.efi"
expect_keel_refuses "keel verify refuses the UKI" "$KEEL" verify --cert "$SNAKEOIL_CERT" "$WORK/reloc.efi"
expect_keel_refuses "keel uki inspect refuses the UKI" "$KEEL" uki inspect "$WORK/reloc.efi"
expect_keel_refuses "keel pcr predict refuses the UKI" "$KEEL" pcr predict "$WORK/reloc.efi"
expect_keel_refuses "keel verify refuses the addon" "$KEEL" verify --cert "$SNAKEOIL_CERT" "$WORK/reloc.addon.efi"
expect_keel_refuses "keel uki inspect refuses the addon" "$KEEL" uki inspect "$WORK/reloc.addon.efi"
expect_keel_refuses "keel pcr predict --addon refuses the addon" "$KEEL" pcr predict "$WORK/benign.efi" \
        --addon "$WORK/reloc.addon.efi"

IMG=$WORK/disk.img
attack_esp "$IMG"
esp_put "$IMG" "$WORK/reloc.efi" /EFI/keel/attack.efi
esp_write "$IMG" /loader/entries/attack-reloc.conf "$(printf '%s\n' 'title relocated command line' 'sort-key a1' \
        'efi /EFI/keel/attack.efi')"
mmd -i "$IMG@@1M" ::/loader/addons
esp_put "$IMG" "$WORK/reloc.addon.efi" /loader/addons/reloc.addon.efi

echo "-- a signed UKI whose relocation rewrites .cmdline in memory: refused; the good UKI boots without the addon"
W=$WORK/boot
sb_boot "$W" "$IMG" "$SB_SNAKEOIL_VARS" || true
expect_true "no kernel got the tampered UKI's command line" \
        bash -c "! tr -d '\r' <'$W/report.log' 2>/dev/null | grep -a '^CMDLINE=' | grep -aqE 'keel\\.(reloc|word)='"
# The addon's fixup changes its first 8 bytes ("keel.add"); the rest stays.
expect_true "no kernel got the tampered addon's command line" \
        bash -c "! tr -d '\r' <'$W/report.log' 2>/dev/null | grep -a '^CMDLINE=' | grep -aqE 'keel\\.addon|on\\.reloc=tampered'"
expect_eq "one console line: the stub's self-check refuses the UKI" \
        "$(tr -d '\r' <"$W/console.log" | grep -ac 'keel: refusing to run: .*base relocation changes a UKI section')" 1
expect_console "$W" "the loader fell back past it" "keel: entry attack-reloc\\.conf failed"
expect_eq "one console line: the good UKI skips the addon" \
        "$(tr -d '\r' <"$W/console.log" | grep -ac 'keel: addon .*reloc\.addon\.efi: .*base relocation changes a UKI section.*; skipped')" 1
expect_good_boot "$W"
exit $((FAILURES > 0))
