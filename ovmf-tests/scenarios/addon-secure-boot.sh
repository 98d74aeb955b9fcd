#!/bin/bash
# Addons and SMBIOS under Secure Boot (issue 14 items 4, 6): OVMF with
# Debian's snakeoil keys boots a snakeoil-signed keel UKI directly. Its
# addons are verified by the firmware's LoadImage(), not by keel: one signed
# with keel sign and one with sbsign (the peer signer) are used — their
# command lines appended to the UKI's signed one, which is what addons are
# for — while an unsigned one and a signed one with a byte changed are
# refused, each with one console line. SMBIOS
# io.systemd.stub.kernel-cmdline-extra= is ignored (nothing signs it), with
# one line. PCR 12 = an independent model (hashlib) = keel pcr predict --addon.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
WORK=$1

UKI_CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=addon-secure-boot"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$UKI_CMDLINE" -o "$WORK/uki.efi"
snakeoil_sign "$WORK/uki.efi" "$WORK/uki-signed.efi"

"$KEEL" addon build --cmdline "keel.addon.signed=1" -o "$WORK/signed.unsigned.efi"
snakeoil_sign "$WORK/signed.unsigned.efi" "$WORK/signed.addon.efi"
"$KEEL" addon build --cmdline "keel.addon.sbsign=2" -o "$WORK/sbsign.unsigned.efi"
sbsign_snakeoil "$WORK/sbsign.unsigned.efi" "$WORK/sbsign.addon.efi"
expect_true "sbverify accepts keel's signed addon" \
        bash -c "sbverify --cert '$SNAKEOIL_CERT' '$WORK/signed.addon.efi' >/dev/null 2>&1"
"$KEEL" addon build --cmdline "keel.addon.unsigned=3" -o "$WORK/unsigned.addon.efi"
"$KEEL" addon build --cmdline "keel.addon.tampered=0" -o "$WORK/tampered.unsigned.efi"
snakeoil_sign "$WORK/tampered.unsigned.efi" "$WORK/tampered.signed.efi"
flip_byte "$WORK/tampered.signed.efi" "$WORK/tampered.addon.efi" .cmdline

esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$WORK/uki-signed.efi" /EFI/BOOT/BOOTX64.EFI
mmd -i "$WORK/disk.img@@1M" ::/loader/addons ::/EFI/BOOT/BOOTX64.EFI.extra.d
esp_put "$WORK/disk.img" "$WORK/signed.addon.efi" /loader/addons/10-signed.addon.efi
esp_put "$WORK/disk.img" "$WORK/sbsign.addon.efi" /loader/addons/20-sbsign.addon.efi
esp_put "$WORK/disk.img" "$WORK/unsigned.addon.efi" /EFI/BOOT/BOOTX64.EFI.extra.d/30-unsigned.addon.efi
esp_put "$WORK/disk.img" "$WORK/tampered.addon.efi" /EFI/BOOT/BOOTX64.EFI.extra.d/40-tampered.addon.efi

QEMU_SMBIOS_TYPE11="io.systemd.stub.kernel-cmdline-extra=keel.smbios.under.sb=1" \
        sb_boot "$WORK" "$WORK/disk.img" "$SB_SNAKEOIL_VARS" || true

expect_report_complete "$WORK"
expect_eq "SecureBoot is on" "$(report_value "$WORK" SECUREBOOT)" 01
ADDONS="keel.addon.signed=1 keel.addon.sbsign=2"
expect_eq "the UKI's signed command line + the signed addons'" "$(report_value "$WORK" CMDLINE)" \
        "$UKI_CMDLINE $ADDONS"
c=$(tr -d '\r' <"$WORK/console.log")
for bad in 30-unsigned 40-tampered; do
        expect_eq "one console line: $bad refused by Secure Boot" \
                "$(grep -ac -- "$bad.addon.efi: refused by Secure Boot" <<<"$c")" 1
done
expect_eq "one console line: the SMBIOS extra is ignored" \
        "$(grep -ac 'Secure Boot is on: ignoring SMBIOS io.systemd.stub.kernel-cmdline-extra=' <<<"$c")" 1
utf16=$($PCR_CHECK utf16 "$ADDONS")
for bank in sha1 sha256; do
        zero=$(head -c "$([ "$bank" = sha1 ] && echo 40 || echo 64)" /dev/zero | tr '\0' 0)
        expect_eq "PCR 12 ($bank) = one extend by the addons' command line (UTF-16 + NUL)" \
                "$(booted_pcr "$WORK" "$bank" 12)" "$($PCR_CHECK extend "$bank" "$zero" "$utf16")"
        expect_eq "PCR 12 ($bank) = keel pcr predict --addon" "$(booted_pcr "$WORK" "$bank" 12)" \
                "$("$KEEL" pcr predict "$WORK/uki-signed.efi" --bank "$bank" --phase= \
                        --addon "$WORK/signed.addon.efi" --addon "$WORK/sbsign.addon.efi" | sed -n 's/^12:[a-z0-9]*=//p')"
done
expect_eq "StubPcrKernelParameters" "$(report_value "$WORK" "EFIVAR StubPcrKernelParameters")" "12"
exit $((FAILURES > 0))
