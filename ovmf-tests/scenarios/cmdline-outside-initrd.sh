#!/bin/bash
# No text from outside a UKI may make Linux's EFI stub load a file (issue
# 20, defect 2). With Secure Boot off keel's stub takes the loader's command
# line (and SMBIOS's kernel-cmdline-extra); when the UKI serves no initrd
# itself, an "initrd=\evil.cpio" there makes Linux load \evil.cpio from the
# ESP, which neither the UKI's signature nor PCR 11 covers. keel's loader,
# one run, each attack entry with one try left (it panics without an
# initrd, the boot counter sends the next boot elsewhere):
#   a1: a UKI with a .cmdline and no .initrd, started with loader options
#       that carry initrd=\evil.cpio;
#   a2: a UKI with neither .cmdline nor .initrd, the same options;
# then the good UKI boots; SMBIOS io.systemd.stub.kernel-cmdline-extra=
# carries initrd=\evil.cpio for every UKI of the run, and reaches the good
# one's kernel without it.
# Expected: \evil.cpio never runs and Linux's EFI stub never loads an
# initrd from its command line; keel says what it dropped each time; each
# attack kernel finds no initrd; the good UKI boots unattended.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
EVIL_MARKER=EVIL-INITRD-RAN

"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" \
        --cmdline "console=ttyS0 loglevel=1 panic=-1 keel.test=noinitrd" -o "$WORK/noinitrd.efi"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" -o "$WORK/nocmdline.efi"
printf '#!/bin/sh\necho %s\n' "$EVIL_MARKER" >"$WORK/evil-scenario"
build_initramfs "$WORK/evil.cpio" "$WORK/evil-scenario"

IMG=$WORK/disk.img
esp_image_create "$IMG" 192
esp_put "$IMG" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$IMG" /loader/loader.conf $'timeout 0\n'
make_keel_uki "$WORK/good.efi" keeltest 1 good
esp_put "$IMG" "$WORK/good.efi" /EFI/Linux/keeltest-1.efi
mmd -i "$IMG@@1M" ::/EFI/keel
esp_put "$IMG" "$WORK/noinitrd.efi" /EFI/keel/noinitrd.efi
esp_put "$IMG" "$WORK/nocmdline.efi" /EFI/keel/nocmdline.efi
esp_put "$IMG" "$WORK/evil.cpio" /evil.cpio
options="console=ttyS0 loglevel=1 panic=-1 initrd=\\evil.cpio"
esp_write "$IMG" "/loader/entries/a1+1.conf" "$(printf '%s\n' 'title initrd= from the loader, UKI with .cmdline' \
        'sort-key a1' 'efi /EFI/keel/noinitrd.efi' "options $options keel.test=a1")"
esp_write "$IMG" "/loader/entries/a2+1.conf" "$(printf '%s\n' 'title initrd= from the loader, UKI without .cmdline' \
        'sort-key a2' 'efi /EFI/keel/nocmdline.efi' "options $options keel.test=a2")"

W=$WORK/boot
QEMU_REBOOT=1 QEMU_SMBIOS_TYPE11="io.systemd.stub.kernel-cmdline-extra=initrd=\\evil.cpio keel.smbios=1" \
        qemu_boot "$W" "$IMG" || true
console() { tr -d '\r' <"$W/console.log"; }
expect_true "no attacker initramfs ran" report_lacks "$W" "$EVIL_MARKER"
expect_true "Linux's EFI stub never loaded an initrd named on its command line" \
        bash -c "! tr -d '\r' <'$W/console.log' | grep -aq 'Loaded initrd from command line option'"
expect_eq "keel dropped initrd= from the loader's options (a1, a2)" \
        "$(console | grep -ac "keel: dropped 1 word from the loader's command line")" 2
expect_true "keel dropped initrd= from SMBIOS's extra" console_has "$W" "keel: dropped 1 word from the SMBIOS"
expect_eq "each attack kernel started and found no initrd" "$(console | grep -ac 'VFS: Unable to mount root fs')" 2
expect_report_complete "$W"
expect_eq "the good UKI booted, unattended" "$(report_value "$W" "EFIVAR LoaderEntrySelected")" keeltest-1.efi
expect_eq "with its command line and SMBIOS's extra, less initrd=" "$(report_value "$W" CMDLINE)" \
        "console=ttyS0 loglevel=1 panic=-1 keel.test=good keel.smbios=1"
expect_eq "each attack entry used its try" "$(esp_ls "$IMG" /loader/entries | xargs -n1 basename | sort | tr '\n' ' ')" \
        "a1+0-1.conf a2+0-1.conf "
exit $((FAILURES > 0))
