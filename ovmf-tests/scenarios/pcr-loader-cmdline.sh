#!/bin/bash
# Measured boot, issue 5: PCR 12 changes exactly when the stub accepts a
# command line from outside the UKI (Secure Boot off). systemd-boot 252 is the
# loader, with a Type #1 entry `efi /EFI/Linux/keel.efi`:
#  - with `options ...`: systemd-boot 252 measures the options into PCR 12
#    itself (EV_IPL, UTF-16 + NUL) and passes them as LoadOptions; keel
#    accepts them and measures the same string again. Expected PCR 12 is
#    computed here from that string, two extends from zero, and checked
#    against the event log and the TPM.
#  - without options: systemd-boot passes no LoadOptions, keel boots the
#    UKI's .cmdline and PCR 12 stays zero.
# PCR 11 is the UKI's, as predicted, in both boots.
# Then the same entry with options under keel's own loader: keel measures
# the Type #1 options into PCR 12 exactly as systemd-boot 252 does.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
WORK=$1

UKI_CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=pcr-uki-own"
OPTIONS="console=ttyS0 loglevel=1 panic=-1 keel.test=pcr12-loader"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$UKI_CMDLINE" --os-release $'ID=keeltest\nVERSION_ID=5\n' -o "$WORK/uki.efi"
$PCR_CHECK model "$WORK/uki.efi" "$WORK/sections" >"$WORK/model.txt"
ZERO256=$(head -c 64 /dev/zero | tr '\0' 0)

boot_entry() { # WORKDIR OPTIONS [LOADER]
        local w=$1 options=$2 loader=${3:-$SYSTEMD_BOOT_EFI} entry
        mkdir -p "$w"
        entry=$'title keel pcr test\nefi /EFI/Linux/keel.efi\n'
        [ -n "$options" ] && entry+="options $options"$'\n'
        esp_image_create "$w/disk.img"
        esp_put "$w/disk.img" "$loader" /EFI/BOOT/BOOTX64.EFI
        esp_write "$w/disk.img" /loader/loader.conf $'timeout 0\ndefault keel-pcr.conf\n'
        esp_write "$w/disk.img" /loader/entries/keel-pcr.conf "$entry"
        esp_put "$w/disk.img" "$WORK/uki.efi" /EFI/Linux/keel.efi
        qemu_boot "$w" "$w/disk.img" || true
        expect_report_complete "$w"
        if [ "$loader" = "$SYSTEMD_BOOT_EFI" ]; then
                expect_true "systemd-boot 252 was the loader" grep -q "EFIVAR LoaderInfo=systemd-boot 252" "$w/report.log"
        else
                expect_eq "keel was the loader" "$(report_value "$w" "EFIVAR LoaderInfo")" "keel 0.1"
        fi
        expect_eq "PCR 11 (sha256) = model" "$(booted_pcr "$w" sha256 11)" "$(sed -n 's/^sha256=//p' "$WORK/model.txt")"
        expect_true "tpm2_eventlog parses the event log" eventlog_parse "$w"
        expect_replay_matches "$w"
}

# The loader's and the stub's PCR 12 events for a Type #1 entry with options.
expect_options_measured() {
        local w=$1 who=$2 opts_utf16 digest
        expect_eq "the kernel got the entry's options" "$(report_value "$w" CMDLINE)" "$OPTIONS"
        opts_utf16=$($PCR_CHECK utf16 "$OPTIONS")
        hex2bin "$opts_utf16" >"$w/options.utf16"
        digest=$(sha256_hex "$w/options.utf16")
        expect_eq "PCR 12 events: $who's and the stub's, the options as description" "$(events "$w" 12)" \
                "EV_IPL $OPTIONS"$'\n'"EV_IPL $OPTIONS"
        expect_eq "event 1 digest = sha256(UTF-16 options + NUL)" "$(event_sha256 "$w" 12 1)" "$digest"
        expect_eq "event 2 digest = sha256(UTF-16 options + NUL)" "$(event_sha256 "$w" 12 2)" "$digest"
        expect_eq "PCR 12 (sha256) = two extends of the options from zero" "$(booted_pcr "$w" sha256 12)" \
                "$($PCR_CHECK extend sha256 "$ZERO256" "$opts_utf16" "$opts_utf16")"
        expect_eq "StubPcrKernelParameters" "$(report_value "$w" "EFIVAR StubPcrKernelParameters")" "12"
        expect_eq "StubPcrKernelImage" "$(report_value "$w" "EFIVAR StubPcrKernelImage")" "11"
}

echo "-- entry with options (systemd-boot 252)"
W=$WORK/with-options
boot_entry "$W" "$OPTIONS"
expect_options_measured "$W" "systemd-boot"

echo "-- entry with options (keel loader)"
W=$WORK/keel-with-options
boot_entry "$W" "$OPTIONS" "$KEEL_EFI"
expect_options_measured "$W" "keel's loader"

echo "-- entry without options"
W=$WORK/without-options
boot_entry "$W" ""
expect_eq "the kernel got the UKI's .cmdline" "$(report_value "$W" CMDLINE)" "$UKI_CMDLINE"
expect_eq "no PCR 12 events" "$(events "$W" 12)" ""
expect_eq "PCR 12 (sha256) stays zero" "$(booted_pcr "$W" sha256 12)" "$ZERO256"
expect_true "no StubPcrKernelParameters" bash -c "! grep -q 'EFIVAR StubPcrKernelParameters=' '$W/report.log'"
exit $((FAILURES > 0))
