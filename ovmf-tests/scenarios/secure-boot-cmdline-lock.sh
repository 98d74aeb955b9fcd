#!/bin/bash
# Secure Boot (snakeoil-enrolled OVMF), keel as the signed loader: a signed
# UKI that has a .cmdline section never takes the loader's command line,
# whatever .cmdline's VirtualSize says. Two signed UKIs (sbsign: keel sign
# is meant to refuse the first), each started by a Type #1 `efi` entry
# whose `options` carry the attacker's words:
#  (a) lock-vsize0: .cmdline with VirtualSize 0 but its text still in the
#      file (and loaded: EDK II copies SizeOfRawData bytes for it) — the
#      stub's self-check must refuse the image;
#  (b) lock-empty: .cmdline present with VirtualSize 0 and no raw data — the
#      UKI boots, but WITHOUT the loader's options: its kernel gets no
#      command line at all (its .cmdline is empty).
#  (c) lock-newline: a .cmdline whose words after a newline were signed and
#      measured but would never reach the kernel (Linux's EFI stub stops at
#      a newline) — the stub refuses to boot it.
# One QEMU run, two boots: (b) boots (its initramfs reports, then reboots);
# its entry has one try left (lock-empty+1.conf), so on the next boot it
# sorts last and keel, past (a) again, boots the good UKI.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
SURGERY=$KEEL_SRC/ovmf-tests/pe-surgery.py
B_MARKER=LOCK-EMPTY-BOOTED

# (a): the signed text is there, only its VirtualSize says "no .cmdline".
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "console=ttyS0 loglevel=1 panic=-1 keel.test=lock-vsize0-signed" -o "$WORK/a-built.efi"
python3 "$SURGERY" zero-vsize "$WORK/a-built.efi" "$WORK/a-unsigned.efi" .cmdline
sbsign_snakeoil "$WORK/a-unsigned.efi" "$WORK/lock-vsize0.efi"
# (b): its initramfs says it ran and reboots, so that the same run goes on.
printf '#!/bin/sh\necho %s\nsync\nreboot -f\n' "$B_MARKER" >"$WORK/b-scenario"
build_initramfs "$WORK/b-initramfs.cpio" "$WORK/b-scenario"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$WORK/b-initramfs.cpio" \
        --cmdline "placeholder" -o "$WORK/b-built.efi"
python3 "$SURGERY" empty "$WORK/b-built.efi" "$WORK/b-unsigned.efi" .cmdline
sbsign_snakeoil "$WORK/b-unsigned.efi" "$WORK/lock-empty.efi"

# (c): keel uki build folds newlines, so one is put in after building: the
# space before keel.cut becomes a newline.
C_CUT=keel.cut=after-newline
C_CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=lock-newline $C_CUT"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$C_CMDLINE" -o "$WORK/c-built.efi"
c_at=$(( $(section_field "$WORK/c-built.efi" .cmdline raw_offset) + ${#C_CMDLINE} - ${#C_CUT} - 1 ))
cp "$WORK/c-built.efi" "$WORK/c-unsigned.efi"
printf '\n' | dd of="$WORK/c-unsigned.efi" bs=1 seek="$c_at" conv=notrunc status=none
sbsign_snakeoil "$WORK/c-unsigned.efi" "$WORK/lock-newline.efi"

IMG=$WORK/disk.img
attack_esp "$IMG"
esp_put "$IMG" "$WORK/lock-newline.efi" /EFI/keel/lock-newline.efi
esp_write "$IMG" /loader/entries/lock-newline.conf "$(printf '%s\n' 'title cmdline lock: newline' \
        'sort-key a0' 'efi /EFI/keel/lock-newline.efi')"
esp_put "$IMG" "$WORK/lock-vsize0.efi" /EFI/keel/lock-vsize0.efi
esp_put "$IMG" "$WORK/lock-empty.efi" /EFI/keel/lock-empty.efi
esp_write "$IMG" /loader/entries/lock-vsize0.conf "$(printf '%s\n' 'title cmdline lock: VirtualSize 0' \
        'sort-key a1' 'efi /EFI/keel/lock-vsize0.efi' \
        'options console=ttyS0 loglevel=1 panic=-1 keel.test=lock-vsize0 keel.evil=lock-vsize0')"
esp_write "$IMG" /loader/entries/lock-empty+1.conf "$(printf '%s\n' 'title cmdline lock: empty .cmdline' \
        'sort-key a2' 'efi /EFI/keel/lock-empty.efi' \
        'options console=ttyS0 loglevel=1 panic=-1 keel.test=lock-empty keel.evil=lock-empty')"

echo "-- signed UKIs with a .cmdline of VirtualSize 0, started with the loader's options"
W=$WORK/boot
QEMU_REBOOT=1 sb_boot "$W" "$IMG" "$SB_SNAKEOIL_VARS" || true
report_split_boots "$W" 2
expect_no_attack_words "$W" keel.evil=lock-vsize0 keel.test=lock-vsize0 keel.evil=lock-empty keel.test=lock-empty
echo "   (a) VirtualSize 0 with raw data"
expect_console "$W" "the stub's self-check refuses it" "keel: .*own (image )?headers.*VirtualSize 0"
expect_console "$W" "the loader fell back past it" "keel: entry lock-vsize0\\.conf failed"
echo "   (c) a newline in the signed .cmdline"
expect_console "$W" "the stub refuses a .cmdline the kernel would cut" \
        "keel: refusing to boot: the UKI's .cmdline .*would be cut.*newline"
expect_console "$W" "the loader fell back past it" "keel: entry lock-newline\\.conf failed"
expect_no_attack_words "$W" keel.test=lock-newline "$C_CUT"
echo "   (b) empty .cmdline: first boot"
expect_eq "lock-empty booted" "$(report_value "$W/boot1" "EFIVAR LoaderEntrySelected")" lock-empty.conf
expect_true "its initramfs ran" report_has "$W/boot1" "$B_MARKER"
# The loader's options are refused and the UKI's .cmdline is empty: the
# kernel has no command line at all.
expect_eq "its kernel got no command line (not the loader's options)" "$(report_value "$W/boot1" CMDLINE)" ""
expect_true "(the report line is there)" bash -c "tr -d '\r' <'$W/boot1/report.log' | grep -qx CMDLINE="
echo "   the next boot: the good UKI"
expect_good_boot "$W/boot2"
exit $((FAILURES > 0))
