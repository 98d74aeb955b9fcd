#!/bin/bash
# Thin UKIs (issue 13): a keel UKI built with `keel uki build --thin`, whose
# .tlinux/.tinitrd name the kernel and initrd stored once under
# \EFI\keel\content, boots directly as \EFI\BOOT\BOOTX64.EFI and as a Type #2
# entry of the keel loader. Both times PCR 11 must equal `keel pcr predict`
# of its FAT twin (plain `keel uki build`, same inputs) and the independent
# model of ovmf-tests/pcr-check.py over that twin; the event log
# (tpm2_eventlog) must show ".linux"/".initrd" events whose digests are the
# SHA-256 of the kernel and initrd files (sha256sum, not keel).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
WORK=$1

CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=thin"
OSREL=$'ID=keelthin\nVERSION_ID=1\n'
uki_args=(--stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" --cmdline "$CMDLINE"
          --os-release "$OSREL")
mkdir -p "$WORK/esp"
"$KEEL" uki build "${uki_args[@]}" --thin "$WORK/esp" -o "$WORK/thin.efi"
"$KEEL" uki build "${uki_args[@]}" -o "$WORK/fat.efi"

expect_true "the thin UKI has .tlinux and .tinitrd, no .initrd, and .linux empty (bootctl's mark)" bash -c \
        "objdump -h '$WORK/thin.efi' | grep -q ' \.tlinux ' && objdump -h '$WORK/thin.efi' | grep -q ' \.tinitrd ' &&
         ! objdump -h '$WORK/thin.efi' | grep -qE ' \.initrd ' &&
         objdump -h '$WORK/thin.efi' | grep -qE ' \.linux +0+ '"
expect_true "the thin UKI is much smaller than its fat twin" \
        test $(( $(stat -c %s "$WORK/thin.efi") * 20 )) -lt "$(stat -c %s "$WORK/fat.efi")"
expect_true "the kernel is stored under its SHA-256" \
        test -f "$WORK/esp/EFI/keel/content/$(sha256_hex "$(kernel_image)").linux"

# Expected PCR 11, from the fat twin only.
$PCR_CHECK model "$WORK/fat.efi" "$WORK/sections" >"$WORK/model.txt"
predict_fat() { "$KEEL" pcr predict "$WORK/fat.efi" --bank "$1" --phase= | sed 's/^11:[a-z0-9]*=//'; }

check_boot() {
        local w=$1 what=$2 bank
        expect_report_complete "$w"
        expect_eq "$what: kernel command line is the UKI's .cmdline" "$(report_value "$w" CMDLINE)" "$CMDLINE"
        expect_eq "$what: StubPcrKernelImage" "$(report_value "$w" "EFIVAR StubPcrKernelImage")" "11"
        expect_true "$what: the stub refused nothing" bash -c "! tr -d '\r' <'$w/console.log' | grep -aq 'keel: refusing'"
        for bank in sha1 sha256; do
                expect_eq "$what: PCR 11 ($bank) = keel pcr predict of the fat twin" \
                        "$(booted_pcr "$w" "$bank" 11)" "$(predict_fat "$bank")"
                expect_eq "$what: PCR 11 ($bank) = pcr-check model of the fat twin" \
                        "$(booted_pcr "$w" "$bank" 11)" "$(sed -n "s/^$bank=//p" "$WORK/model.txt")"
        done
        expect_true "$what: tpm2_eventlog parses the event log" eventlog_parse "$w"
        expect_replay_matches "$w"
        local expected="" s
        for s in linux osrel cmdline initrd uname sbat; do
                expected+="EV_IPL .$s"$'\n'"EV_IPL .$s"$'\n'
        done
        expect_eq "$what: PCR 11 events as a fat UKI's (.linux/.initrd, not .tlinux/.tinitrd)" \
                "$(events "$w" 11)" "${expected%$'\n'}"
        expect_eq "$what: the .linux content event is sha256 of the kernel file" \
                "$(event_sha256 "$w" 11 2)" "$(sha256_hex "$(kernel_image)")"
        expect_eq "$what: the .initrd content event is sha256 of the initrd file" \
                "$(event_sha256 "$w" 11 8)" "$(sha256_hex "$(shared_initramfs)")"
}

echo "-- directly as BOOTX64.EFI"
D=$WORK/direct
mkdir -p "$D"
esp_image_create "$D/disk.img"
mcopy -s -i "$D/disk.img@@1M" "$WORK/esp/EFI/keel" ::/EFI/
esp_put "$D/disk.img" "$WORK/thin.efi" /EFI/BOOT/BOOTX64.EFI
qemu_boot "$D" "$D/disk.img" || true
check_boot "$D" direct

echo "-- as a Type #2 entry of the keel loader"
L=$WORK/loader
mkdir -p "$L"
esp_image_create "$L/disk.img"
mcopy -s -i "$L/disk.img@@1M" "$WORK/esp/EFI/keel" ::/EFI/
esp_put "$L/disk.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$L/disk.img" /loader/loader.conf $'timeout 0\n'
esp_put "$L/disk.img" "$WORK/thin.efi" /EFI/Linux/keelthin-1.efi
qemu_boot "$L" "$L/disk.img" || true
expect_eq "loader: the keel loader chose the thin UKI" "$(report_value "$L" "EFIVAR LoaderEntrySelected")" keelthin-1.efi
expect_true "loader: the keel loader ran" grep -q "EFIVAR LoaderInfo=keel 0.1" "$L/report.log"
check_boot "$L" loader
exit $((FAILURES > 0))
