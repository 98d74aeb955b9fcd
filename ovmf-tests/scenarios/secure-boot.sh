#!/bin/bash
# Secure Boot 6 (host side and stub), on OVMF's Secure Boot build
# (OVMF_CODE_4M.secboot.fd, SMM, secure flash), starting in Setup Mode:
#  - keys from `keel keys create` are enrolled by a test-only EFI helper
#    that writes the .auth files with SetVariable(), in the loader's order
#    (db, KEK, PK) and, on a second machine, PK first so that the firmware
#    checks every signature (KEK.auth against PK, db.auth against KEK);
#    payloads signed by the wrong key are refused;
#  - after the reset SecureBoot=1 and a UKI signed by `keel uki build --key`
#    boots: its Debian kernel is not signed by our db, so this also shows
#    keel's own PE loader running only what the UKI's signature covers;
#  - unsigned, tampered (.linux, .initrd, .cmdline) and other-key UKIs fail
#    `keel verify` (the firmware's refusal is in secure-boot-loader.sh);
#  - inside a signed UKI, an unsigned probe in place of the kernel (run by
#    keel's PE loader) finds the firmware's checks intact: unsigned images
#    stay refused, even through keel's own kernel device path (which the
#    old LoadImage() hook approved, with shim only now);
#  - under systemd-boot 252 (signed by keel sign), a Type #1 `efi` entry with
#    `options` cannot change the signed command line, and a UKI signed twice
#    (another key, then ours) boots.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
WORK=$1
CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=secure-boot"

efi_helpers
"$KEEL" keys create "$WORK/keys" --cn "keel test" >/dev/null
"$KEEL" keys create "$WORK/other" --cn "other" >/dev/null
DB_KEY=$WORK/keys/db.key
DB_CERT=$WORK/keys/db.crt

# Payloads with the right content but the wrong signer, made by sbsigntool.
sbvarsign --key "$WORK/other/KEK.key" --cert "$WORK/other/KEK.crt" --output "$WORK/bad-PK.auth" PK "$WORK/keys/PK.esl"
sbvarsign --key "$WORK/other/PK.key" --cert "$WORK/other/PK.crt" --output "$WORK/bad-KEK.auth" KEK "$WORK/keys/KEK.esl"
sbvarsign --key "$WORK/other/KEK.key" --cert "$WORK/other/KEK.crt" --output "$WORK/bad-db.auth" db "$WORK/keys/db.esl"

enrolled() {
        local w=$1 file=$2 status=$3
        expect_true "enroll ${file##*/}: $status" console_has "$w" "keel-enroll: .keys.$file.auth -> [A-Za-z]+: $status\$"
}

echo "-- enrollment in the loader's order (Setup Mode: only PK.auth is checked, against itself)"
W=$WORK/enroll
keys_disk "$W.img" "$EFI_HELPERS/enroll.efi" "$WORK/bad-PK.auth:0-PK" "$WORK/keys/db.auth:1-db" \
        "$WORK/keys/KEK.auth:2-KEK" "$WORK/keys/PK.auth:3-PK"
KEEL_NO_TPM=1 sb_boot "$W" "$W.img" "$SB_SETUP_VARS" || true
expect_true "firmware starts in Setup Mode" console_has "$W" "keel-enroll: SetupMode=1 SecureBoot=0"
enrolled "$W" 0-PK "Security (Policy )?Violation"
enrolled "$W" 1-db Success
enrolled "$W" 2-KEK Success
enrolled "$W" 3-PK Success
expect_true "enrolling PK leaves Setup Mode" console_has "$W" "keel-enroll: done, SetupMode=0"
ENROLLED_VARS=$W/OVMF_VARS.fd

echo "-- enrollment PK first (User Mode: KEK.auth checked against PK, db.auth against KEK)"
W=$WORK/enroll-checked
keys_disk "$W.img" "$EFI_HELPERS/enroll.efi" "$WORK/keys/PK.auth:1-PK" "$WORK/bad-KEK.auth:2-KEK" \
        "$WORK/keys/KEK.auth:3-KEK" "$WORK/bad-db.auth:4-db" "$WORK/keys/db.auth:5-db"
KEEL_NO_TPM=1 sb_boot "$W" "$W.img" "$SB_SETUP_VARS" || true
enrolled "$W" 1-PK Success
enrolled "$W" 2-KEK "Security (Policy )?Violation"
enrolled "$W" 3-KEK Success
enrolled "$W" 4-db "Security (Policy )?Violation"
enrolled "$W" 5-db Success

echo "-- a UKI signed by keel uki build --key boots with SecureBoot=1"
W=$WORK/signed
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" --os-release $'ID=keeltest\nVERSION_ID=6\n' --key "$DB_KEY" --cert "$DB_CERT" \
        -o "$WORK/uki-signed.efi"
esp_image_create "$W.img"
esp_put "$W.img" "$WORK/uki-signed.efi" /EFI/BOOT/BOOTX64.EFI
sb_boot "$W" "$W.img" "$ENROLLED_VARS" || true
expect_report_complete "$W"
expect_eq "SecureBoot is on" "$(report_value "$W" SECUREBOOT)" "01"
expect_eq "kernel command line is the signed .cmdline" "$(report_value "$W" CMDLINE)" "$CMDLINE"
expect_true "the kernel saw Secure Boot enabled" console_has "$W" "EFI stub: UEFI Secure Boot is enabled"

echo "-- unsigned, tampered and other-key UKIs fail keel verify"
# The firmware's refusal of each of these (and keel's fallback past them) is
# tested with keel as the loader in secure-boot-loader.sh, in one boot.
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" -o "$WORK/uki-unsigned.efi"
flip_byte "$WORK/uki-signed.efi" "$WORK/uki-flip-linux.efi" .linux
flip_byte "$WORK/uki-signed.efi" "$WORK/uki-flip-initrd.efi" .initrd
flip_byte "$WORK/uki-signed.efi" "$WORK/uki-flip-cmdline.efi" .cmdline
"$KEEL" sign --key "$WORK/other/db.key" --cert "$WORK/other/db.crt" -o "$WORK/uki-other.efi" "$WORK/uki-unsigned.efi"
for bad in unsigned flip-linux flip-initrd flip-cmdline other; do
        expect_true "UKI $bad: keel verify refuses it" bash -c "! '$KEEL' verify --cert '$DB_CERT' '$WORK/uki-$bad.efi' >/dev/null 2>&1"
done
expect_true "the signed UKI passes keel verify" "$KEEL" verify --cert "$DB_CERT" "$WORK/uki-signed.efi"

echo "-- once the stub runs its kernel nothing unsigned loads (probe in place of the kernel)"
W=$WORK/probe
"$KEEL" sign --key "$DB_KEY" --cert "$DB_CERT" -o "$WORK/keel-signed.efi" "$KEEL_EFI"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$EFI_HELPERS/sb-probe.efi" --cmdline "probe" \
        --key "$DB_KEY" --cert "$DB_CERT" -o "$WORK/uki-probe.efi"
esp_image_create "$W.img" 64
esp_put "$W.img" "$WORK/uki-probe.efi" /EFI/BOOT/BOOTX64.EFI
mmd -i "$W.img@@1M" ::/probe
esp_put "$W.img" "$KEEL_EFI" /probe/unsigned.efi
esp_put "$W.img" "$WORK/keel-signed.efi" /probe/signed.efi
KEEL_NO_TPM=1 sb_boot "$W" "$W.img" "$ENROLLED_VARS" "SB-PROBE: done" || true
expect_true "the unsigned probe ran from the signed UKI" console_has "$W" "SB-PROBE: started, SecureBoot=1"
expect_true "unsigned image by file path is still refused" \
        console_has "$W" "SB-PROBE: unsigned image by file path: (Access Denied|Security Violation)"
expect_true "unsigned image through keel's kernel device path is refused (override gone)" \
        console_has "$W" "SB-PROBE: unsigned image from memory via keel's kernel path: (Access Denied|Security Violation)"
expect_true "a db-signed image still loads" console_has "$W" "SB-PROBE: db-signed image by file path: Success"
expect_true "the probe finished" console_has "$W" "SB-PROBE: done"

echo "-- systemd-boot 252 (keel-signed) with a Type #1 entry: options cannot replace the signed .cmdline"
W=$WORK/systemd-boot
"$KEEL" sign --key "$DB_KEY" --cert "$DB_CERT" -o "$WORK/systemd-boot-signed.efi" "$SYSTEMD_BOOT_EFI"
# Signed twice: the firmware must find our signature in the second entry.
"$KEEL" sign --key "$WORK/other/db.key" --cert "$WORK/other/db.crt" -o "$WORK/uki-double.efi" "$WORK/uki-unsigned.efi"
"$KEEL" sign --key "$DB_KEY" --cert "$DB_CERT" "$WORK/uki-double.efi"
esp_image_create "$W.img"
esp_put "$W.img" "$WORK/systemd-boot-signed.efi" /EFI/BOOT/BOOTX64.EFI
mmd -i "$W.img@@1M" ::/EFI/keel
esp_put "$W.img" "$WORK/uki-double.efi" /EFI/keel/uki.efi
esp_write "$W.img" /loader/loader.conf $'timeout 0\ndefault sb.conf\n'
esp_write "$W.img" /loader/entries/sb.conf $'title keel SB\nefi /EFI/keel/uki.efi\noptions console=ttyS0 panic=-1 keel.test=injected\n'
sb_boot "$W" "$W.img" "$ENROLLED_VARS" || true
expect_report_complete "$W"
expect_true "systemd-boot 252 was the loader" grep -q "EFIVAR LoaderInfo=systemd-boot 252" "$W/report.log"
expect_eq "systemd-boot selected the Type #1 entry" "$(report_value "$W" "EFIVAR LoaderEntrySelected")" "sb.conf"
expect_eq "SecureBoot is on" "$(report_value "$W" SECUREBOOT)" "01"
expect_eq "the entry's options are ignored: the kernel got the signed .cmdline" "$(report_value "$W" CMDLINE)" "$CMDLINE"
exit $((FAILURES > 0))
