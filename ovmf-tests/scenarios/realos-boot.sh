#!/bin/bash
# Real OS (issue #12): a Debian 12 image whose stage 1 and stage 2 are
# systemd 252, booted by keel end to end: firmware -> keel loader -> keel UKI
# (counted +3, PCR 11 policy signed) -> dracut's systemd initrd -> dm-verity
# erofs root found from roothash= -> /var (LUKS2) unlocked through its TPM2
# token with the signed PCR 11 policy the stub handed over in /.extra ->
# multi-user. A unit in the image reports on the second serial port
# (ovmf-tests/realos/overlay/usr/local/sbin/keel-report) and powers off.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../realos/lib.sh"
source "$(dirname "$0")/../realos/scenario.sh"
WORK=$1

start=$(date +%s)
realos_base
echo "  image ready in $(( $(date +%s) - start )) s"
realos_scenario_copy "$WORK"
ROOTHASH=$(realos_roothash)
UKI=$REALOS_BASE_UKI

realos_boot "$WORK" 300
values() { report_values "$WORK/report.log" "$1"; }

expect_report_complete "$WORK"
state=$(report_value "$WORK" STATE)
case "$state" in
degraded) echo "  note: degraded; failed units: $(values FAILED | tr '\n' ';')" ;;
esac
expect_true "multi-user reached: system state '$state' (running or degraded)" test "$state" = running -o "$state" = degraded
expect_eq "the kernel command line is the UKI's, root hash included" "$(report_value "$WORK" CMDLINE)" \
        "$REALOS_CMDLINE roothash=$ROOTHASH"

# The root: dm-verity over the erofs partition, read-only.
expect_eq "/ is the dm-verity device, erofs, read-only" \
        "$(report_value "$WORK" FINDMNT-ROOT | awk '{ split($3, o, ","); print $1, $2, o[1] }')" "/dev/mapper/root erofs ro"
expect_eq "dm-verity reports the root verified" "$(values VERITY | sed -n 's/^ *status: *//p')" verified
expect_eq "the verity root hash is the UKI's" "$(values VERITY | sed -n 's/^ *root hash: *//p')" "$ROOTHASH"

# /var: the LUKS2 partition, opened by its TPM2 token.
expect_eq "/var is the unlocked LUKS device, ext4" \
        "$(report_value "$WORK" FINDMNT-VAR | awk '{ print $1, $2 }')" "/dev/mapper/var ext4"
expect_eq "the device under /var is a dm-crypt mapping" "$(report_value "$WORK" VAR-TYPE)" crypt
expect_eq "/var's dm-crypt device is LUKS2" "$(values VAR-CRYPT | sed -n 's/^ *type: *//p')" LUKS2
expect_true "the stub handed the signed PCR policy and its key to the OS (/run/systemd)" \
        test "$(values PCRSIG | grep -c -e 'tpm2-pcr-signature.json$' -e 'tpm2-pcr-public-key.pem$')" = 2
journal=$(values CRYPTSETUP-JOURNAL)
expect_true "systemd-cryptsetup@var finished" grep -q "Finished.*Cryptography Setup for var" <<<"$journal"
# (systemd-cryptsetup runs with SYSTEMD_LOG_LEVEL=debug in the image.)
expect_true "systemd-cryptsetup used the systemd-tpm2 token" \
        grep -q "Trying to open keyslot [0-9]* with token [0-9]* (type systemd-tpm2)" <<<"$journal"
expect_true "the TPM unsealed the key under the signed PCR policy" \
        grep -q "Configuring public key based PCR policy" <<<"$journal"
expect_true "the volume was activated by the token" grep -q "Volume var activated with LUKS token id" <<<"$journal"
# /var is unlocked in the running system, after the initrd measured
# enter-initrd and leave-initrd: the PCR 11 the unseal saw is that phase's.
expect_eq "PCR 11 at unlock = keel pcr predict (phase enter-initrd:leave-initrd)" \
        "$(sed -n 's/^PCR 11 value: //p' <<<"$journal")" \
        "$("$KEEL" pcr predict --bank sha256 --phase=enter-initrd:leave-initrd "$UKI" | sed -n 's/^11:sha256=//p')"
no_passphrase() { ! grep -qiE "passphrase|password" <<<"$journal"; }
expect_true "no passphrase was asked for or tried" no_passphrase

# bootctl 252 names keel as loader and stub, with exactly the features
# keel sets: LoaderFeatures = KEEL_LOADER_FEATURES (loader/loader.c),
# StubFeatures = KEEL_STUB_FEATURES (stub/stub.c), in bootctl's words;
# "Boot loader sets ESP information" is bootctl's word for
# LoaderDevicePartUUID being set.
status=$(values BOOTCTL-STATUS)
expect_eq "bootctl: the boot loader is keel" "$(sed -n 's/^ *Product: *//p' <<<"$status" | head -n 1)" "keel 0.1"
expect_eq "bootctl: the stub is keel" "$(sed -n 's/^ *Stub: *//p' <<<"$status" | head -n 1)" "keel 0.1"
# The feature lines of the "Current Boot Loader" section, in order.
features() {
        awk -v mark="$1" '/^Current Boot Loader:/ { on = 1; next } on && /^[A-Z]/ { on = 0 }
                on { sub(/^ *(Features: *)?/, ""); if (index($0, mark) == 1) { sub(/^[^ ]+ /, ""); print } }' <<<"$status"
}
expect_eq "bootctl: loader and stub features keel claims" "$(features ✓ | sort | tr '\n' ';')" \
        "$(printf '%s\n' "Boot counting" "Menu timeout control" "One-shot menu timeout control" \
                "Default entry control" "One-shot entry control" "Support for XBOOTLDR partition" \
                "Support for passing random seed to OS" "Support Type #1 sort-key field" \
                "Support @saved pseudo-entry" "Support Type #1 devicetree field" "Boot loader sets ESP information" \
                "Stub sets ESP information" "Picks up credentials from boot partition" \
                "Picks up system extension images from boot partition" "Measures kernel+command line+sysexts" \
                "Load drop-in drivers" |
                sort | tr '\n' ';')"
# Every feature bootctl 252 knows, keel has (drop-in drivers since issue 21).
expect_eq "bootctl: features keel does not claim" "$(features ✗ | sort | tr '\n' ';')" ""
expect_true "bootctl: the ESP is the one keel booted from (LoaderDevicePartUUID)" \
        grep -qi "ESP: /dev/disk/by-partuuid/$(sfdisk --part-uuid "$WORK/disk.img" 1)" <<<"$status"
expect_true "bootctl list shows the UKI's entry" grep -q "^ *id: $REALOS_UKI_NAME-1.efi" <<<"$(values BOOTCTL-LIST)"

expect_true "systemd-analyze shows keel's loader time (LoaderTimeInitUSec/ExecUSec)" \
        grep -q "(loader)" <<<"$(values ANALYZE)"
expect_true "the health check was skipped (no keel.realos.health=fail) and bless-boot ran after it" \
        grep -q "Marked boot as 'good'" <<<"$(values BLESS-JOURNAL)"
[ -z "$(values WARNINGS)" ] || { echo "  note: journal warnings:"; values WARNINGS | sed 's/^/        /'; }

# PCR 11: the UKI's sections and the four systemd-pcrphase words.
expect_eq "PCR 11 in the running system = keel pcr predict (phase enter-initrd:leave-initrd:sysinit:ready)" \
        "$(lower "$(report_value "$WORK" "PCR sha256 11")")" \
        "$("$KEEL" pcr predict --bank sha256 --phase=enter-initrd:leave-initrd:sysinit:ready "$UKI" | sed -n 's/^11:sha256=//p')"

# Boot assessment: keel counted the try, systemd-bless-boot (pulled in by
# boot-complete.target) renamed the UKI to its good name on /efi.
expect_eq "the UKI on the ESP (seen from the OS) has its good name" "$(values ESP-LINUX | tr '\n' ' ')" "$REALOS_UKI_NAME-1.efi "
expect_eq "the UKI on the ESP (seen from the host after the boot)" \
        "$(esp_ls "$WORK/disk.img" /EFI/Linux | sed 's|.*/||' | tr '\n' ' ')" "$REALOS_UKI_NAME-1.efi "
exit $((FAILURES > 0))
