#!/bin/bash
# Secure Boot keys without a manual dance (boot.loader.keel.secureBoot.
# autoGenerateKeys + autoEnrollKeys), end to end on OVMF's Secure Boot build
# starting in Setup Mode:
#   A. the first `keel install --keys-dir DIR --create-keys --enroll-keys`
#      (the host's efivarfs says SetupMode=1) creates the key set, signs the
#      generation and the loader with its db key, stages its .auth files in
#      \loader\keys\auto and writes loader.conf with secure-boot-enroll force;
#      with --enroll-db-cert, OVMF's snakeoil certificate goes into the
#      staged db too (as Microsoft's UEFI CA would); beside the generation
#      sit a newer unsigned UKI and a snakeoil-signed one;
#   B. the first boot: keel's loader enrolls db, KEK, PK unattended and
#      resets; in the same QEMU run the firmware now has SecureBoot=1,
#      refuses the unsigned UKI and starts the snakeoil-signed one (db holds
#      that certificate);
#   C. the next install (SetupMode=0 now) removes the staged .auth files and
#      the force line and keeps the keys; without the snakeoil UKI the
#      signed generation boots unattended, the unsigned UKI refused again.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../nixos-lib.sh"
WORK=$1
G=$WORK/nix
K=$WORK/var/lib/keel/keys
mkdir -p "$G/efivars"
export KEEL_EFIVARFS=$G/efivars TMPDIR=$WORK KEEL_CACHE_DIR=$WORK
# setup_mode 0|1: SetupMode as the host's efivarfs shows it to keel install.
setup_mode() { printf '\x06\x00\x00\x00\x0'"$1" >"$G/efivars/SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c"; }
fingerprint() { openssl x509 -in "$K/$1.crt" -noout -fingerprint -sha256; }
printf 'timeout 0\nsecure-boot-enroll-timeout-sec hidden\n' >"$WORK/loader.conf"
install_() {
        "$KEEL" install --no-boot-entry --stub "$KEEL_EFI" --loader-conf "$WORK/loader.conf" \
                --keys-dir "$K" --create-keys --enroll-keys --enroll-db-cert "$SNAKEOIL_CERT" --esp "$WORK/esp" "$@"
}
nixos_gen "$G" 1 "$(shared_initramfs)"

echo "-- A: the first install creates the keys and stages their enrollment"
setup_mode 1
mkdir -p "$WORK/esp"
install_ $(nixos_links "$G" 1) >"$WORK/a.out"
expect_true "the key set was created" grep -qx "keys-created $K" "$WORK/a.out"
expect_eq "staged in \\loader\\keys\\auto" "$(ls "$WORK/esp/loader/keys/auto" | sort | paste -sd' ')" "KEK.auth PK.auth db.auth"
expect_true "loader.conf enrolls them" grep -qx "secure-boot-enroll force" "$WORK/esp/loader/loader.conf"
pk_before=$(fingerprint PK)
db_before=$(fingerprint db)
# Newer entries: one nobody signed (refused after the enrollment), one
# signed with the snakeoil key (the extra db certificate's).
make_keel_uki "$WORK/esp/EFI/Linux/unsigned-9.efi" nixos 9 unsigned
openssl pkey -in "$SNAKEOIL_KEY" -passin pass:snakeoil -out "$WORK/snakeoil.key"
make_keel_uki "$WORK/uki-8.efi" nixos 8 snakeoil
"$KEEL" sign --key "$WORK/snakeoil.key" --cert "$SNAKEOIL_CERT" -o "$WORK/esp/EFI/Linux/snakeoil-8.efi" "$WORK/uki-8.efi"
esp_to_image "$WORK/esp" "$WORK/disk.img"

echo "-- B: Setup Mode: keel enrolls, resets; then Secure Boot is on and only signed UKIs start"
W=$WORK/b
QEMU_REBOOT=1 sb_boot "$W" "$WORK/disk.img" "$SB_SETUP_VARS" || true
for v in db KEK PK; do
        expect_true "keel enrolled $v" console_has "$W" "keel: enrolling $v from key set auto: success"
done
expect_true "and reset the machine" console_has "$W" "keel: Secure Boot keys enrolled; resetting"
expect_report_complete "$W"
expect_eq "SecureBoot reads 1 after the reset" "$(report_value "$W" SECUREBOOT)" 01
expect_true "the unsigned UKI was refused by the firmware" \
        console_has "$W" "keel: cannot load .EFI.Linux.unsigned-9.efi: (access denied|security violation)"
expect_eq "the UKI signed by the extra db certificate booted, unattended" "$(booted_marker "$W")" snakeoil

echo "-- C: out of Setup Mode the next install unstages; the keys stay; it still boots"
setup_mode 0
esp_from_image "$WORK/disk.img" "$WORK/esp"
rm "$WORK/esp/EFI/Linux/snakeoil-8.efi"
install_ $(nixos_links "$G" 1) >"$WORK/c.out"
expect_true "no new keys" bash -c "! grep -q keys-created '$WORK/c.out'"
expect_eq "the PK and db certificates are the same" "$(fingerprint PK) $(fingerprint db)" "$pk_before $db_before"
expect_true "the staged .auth files are removed" test ! -e "$WORK/esp/loader/keys"
expect_true "loader.conf no longer enrolls" cmp -s "$WORK/loader.conf" "$WORK/esp/loader/loader.conf"
esp_to_image "$WORK/esp" "$WORK/disk.img"
R=$WORK/c
mkdir -p "$R" && cp "$W/OVMF_VARS.fd" "$R/OVMF_VARS.fd"
sb_boot "$R" "$WORK/disk.img" "$SB_SETUP_VARS" || true
expect_report_complete "$R"
expect_eq "SecureBoot still 1" "$(report_value "$R" SECUREBOOT)" 01
expect_true "no enrollment was attempted" console_lacks "$R" "keel: enrolling"
expect_true "the unsigned UKI was refused again" \
        console_has "$R" "keel: cannot load .EFI.Linux.unsigned-9.efi: (access denied|security violation)"
expect_eq "the generation signed with the created db key boots, unattended" "$(booted_marker "$R")" gen1
exit $((FAILURES > 0))
