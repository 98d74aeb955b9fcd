#!/bin/bash
# Measured boot, issue 5: a keel UKI with .pcrpkey and .pcrsig boots directly.
# PCR 11 read in the initramfs must equal `keel pcr predict` and the
# independent model checked against systemd-measure 252; the event log must
# parse with tpm2_eventlog and replay to the PCRs read; the .pcrsig policy
# must be what a TPM computes (tpm2_policypcr in a trial session on swtpm)
# for the booted PCR 11 after systemd-pcrphase's enter-initrd, signed by the
# embedded .pcrpkey. No command line comes from outside: PCR 12 stays zero.
# The OS finds .pcrsig, .pcrpkey and .osrel in /.extra, as systemd-stub hands them over.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
WORK=$1
trap swtpm_host_stop EXIT

CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=pcr-direct"
rsa_keypair "$WORK"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$(shared_initramfs)" \
        --cmdline "$CMDLINE" --os-release $'ID=keeltest\nVERSION_ID=5\n' \
        --pcrpkey "$WORK/pub.pem" --pcr-private-key "$WORK/priv.pem" -o "$WORK/uki.efi"
esp_image_create "$WORK/disk.img"
esp_put "$WORK/disk.img" "$WORK/uki.efi" /EFI/BOOT/BOOTX64.EFI

qemu_boot "$WORK" "$WORK/disk.img" || true

expect_report_complete "$WORK"
expect_eq "kernel command line is the UKI's .cmdline" "$(report_value "$WORK" CMDLINE)" "$CMDLINE"
expect_eq "TPM present" "$(report_value "$WORK" TPM)" "present"
expect_eq "StubPcrKernelImage" "$(report_value "$WORK" "EFIVAR StubPcrKernelImage")" "11"
expect_true "no StubPcrKernelParameters without an outside command line" \
        bash -c "! grep -q 'EFIVAR StubPcrKernelParameters=' '$WORK/report.log'"
expect_eq "StubFeatures: exactly the bits of what keel's stub does ($KEEL_STUB_FEATURE_BITS)" \
        "$(report_value "$WORK" "EFIVAR StubFeatures")" "$(efivar_u64_of_bits $KEEL_STUB_FEATURE_BITS)"

# PCR 11: the model (checked against systemd-measure for the sections it
# knows) and keel's own prediction.
$PCR_CHECK model "$WORK/uki.efi" "$WORK/sections" >"$WORK/model.txt"
for bank in sha1 sha256; do
        booted=$(booted_pcr "$WORK" "$bank" 11)
        expect_eq "PCR 11 ($bank) = systemd-measure model + .uname/.sbat" "$booted" \
                "$(sed -n "s/^$bank=//p" "$WORK/model.txt")"
        expect_eq "PCR 11 ($bank) = keel pcr predict --phase=" "$booted" \
                "$("$KEEL" pcr predict "$WORK/uki.efi" --bank "$bank" --phase= | sed 's/^11:[a-z0-9]*=//')"
        expect_eq "PCR 12 ($bank) untouched" "$(booted_pcr "$WORK" "$bank" 12)" \
                "$(head -c "$([ "$bank" = sha1 ] && echo 40 || echo 64)" /dev/zero | tr '\0' 0)"
done

# The event log.
expect_true "tpm2_eventlog parses the event log" eventlog_parse "$WORK"
expect_replay_matches "$WORK"
expected_events=""
for s in linux osrel cmdline initrd uname sbat pcrpkey; do
        expected_events+="EV_IPL .$s"$'\n'"EV_IPL .$s"$'\n'
done
expect_eq "PCR 11 events: name then contents of each section, canonical order" \
        "$(events "$WORK" 11)" "${expected_events%$'\n'}"
n=1
for s in linux osrel cmdline initrd uname sbat pcrpkey; do
        printf '.%s\0' "$s" >"$WORK/name.bin"
        expect_eq "event $n digest = sha256(\".$s\\0\")" "$(event_sha256 "$WORK" 11 $n)" "$(sha256_hex "$WORK/name.bin")"
        expect_eq "event $((n + 1)) digest = sha256(.$s contents)" "$(event_sha256 "$WORK" 11 $((n + 1)))" \
                "$(sha256_hex "$WORK/sections/$s")"
        n=$((n + 2))
done
expect_eq "no PCR 12 events" "$(events "$WORK" 12)" ""

# The signed policy in .pcrsig against a real TPM's PolicyPCR and openssl.
swtpm_host_start "$WORK/host-tpm"
objcopy -O binary --only-section=.pcrsig "$WORK/uki.efi" "$WORK/pcrsig.json"
objcopy -O binary --only-section=.pcrpkey "$WORK/uki.efi" "$WORK/pcrpkey.pem"
after_enter=$($PCR_CHECK phase sha256 "$(booted_pcr "$WORK" sha256 11)" enter-initrd)
pol=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["sha256"][0]; print(e["pol"])' "$WORK/pcrsig.json")
expect_eq ".pcrsig sha256 pol = tpm2_policypcr for the booted PCR 11 + enter-initrd" "$pol" \
        "$(tpm_policypcr sha256 "$after_enter" "$WORK/host-tpm")"
python3 -c 'import json,sys,base64; e=json.load(open(sys.argv[1]))["sha256"][0]
open(sys.argv[2],"wb").write(base64.b64decode(e["sig"])); open(sys.argv[3],"wb").write(bytes.fromhex(e["pol"]))' \
        "$WORK/pcrsig.json" "$WORK/sig.bin" "$WORK/pol.bin"
expect_true "openssl verifies the sha256 signature with .pcrpkey" \
        openssl_verify sha256 "$WORK/pcrpkey.pem" "$WORK/sig.bin" "$WORK/pol.bin"
expect_eq ".pcrpkey is the public key given" "$(sha256_hex "$WORK/pcrpkey.pem")" "$(sha256_hex "$WORK/pub.pem")"

# The stub hands .pcrsig and .pcrpkey to the OS as systemd-stub 252 does.
expect_eq "/.extra is 0555" "$(report_value "$WORK" "EXTRA-DIR mode")" "555"
expect_eq "/.extra/tpm2-pcr-signature.json is .pcrsig, 0444" \
        "$(report_value "$WORK" "EXTRA tpm2-pcr-signature.json mode")" "444 sha256=$(sha256_hex "$WORK/pcrsig.json")"
expect_eq "/.extra/tpm2-pcr-public-key.pem is .pcrpkey, 0444" \
        "$(report_value "$WORK" "EXTRA tpm2-pcr-public-key.pem mode")" "444 sha256=$(sha256_hex "$WORK/pub.pem")"
printf 'ID=keeltest\nVERSION_ID=5\n' >"$WORK/osrel"
expect_eq "/.extra/os-release is .osrel, 0444 (systemd-stub 257+)" \
        "$(report_value "$WORK" "EXTRA os-release mode")" "444 sha256=$(sha256_hex "$WORK/osrel")"
expect_eq "nothing else in /.extra" "$(grep -ac '^EXTRA ' "$WORK/report.log")" "3"

# The same sections in a systemd-stub 252 UKI (objcopy, as its manual
# shows): the OS must find the same /.extra, file for file, mode for mode,
# but os-release, which systemd-stub hands over from 257 on (stub-peers-262
# compares with 262).
W=$WORK/systemd-stub
mkdir -p "$W"
printf '%s' "$CMDLINE" >"$W/cmdline"
printf 'ID=keeltest\nVERSION_ID=5\n' >"$W/osrel"
objcopy --add-section .osrel="$W/osrel" --change-section-vma .osrel=0x20000 \
        --add-section .cmdline="$W/cmdline" --change-section-vma .cmdline=0x30000 \
        --add-section .pcrsig="$WORK/pcrsig.json" --change-section-vma .pcrsig=0x40000 \
        --add-section .pcrpkey="$WORK/pub.pem" --change-section-vma .pcrpkey=0x50000 \
        --add-section .linux="$(kernel_image)" --change-section-vma .linux=0x2000000 \
        --add-section .initrd="$(shared_initramfs)" --change-section-vma .initrd=0x3000000 \
        "$SYSTEMD_STUB" "$W/uki.efi"
esp_image_create "$W/disk.img"
esp_put "$W/disk.img" "$W/uki.efi" /EFI/BOOT/BOOTX64.EFI
qemu_boot "$W" "$W/disk.img" || true
expect_report_complete "$W"
expect_eq "systemd-stub 252 hands over the same /.extra as keel, but os-release" \
        "$(tr -d '\r' <"$W/report.log" | grep -a '^EXTRA')" \
        "$(tr -d '\r' <"$WORK/report.log" | grep -a '^EXTRA' | grep -v '^EXTRA os-release ')"
exit $((FAILURES > 0))
