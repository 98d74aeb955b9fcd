#!/bin/bash
# Real OS, Debian 13 (issue 21): the trixie image (kernel 6.12, dracut 106's
# systemd initrd, systemd 257) booted three times from the same disk
# contents but for the names on the ESP, one QEMU run each, fresh firmware
# variables and TPM each time:
#  1-2. keel as the loader, the UKI on the keel stub, under the names a UKI
#     has in its life (issue 21 defect 1): counted (keel-realos-1+3.efi:
#     keel boots it as keel-realos-1+2-1.efi, a name with both counters)
#     and blessed (keel-realos-1.efi: nothing counted, nothing to bless).
#     A +2-1 name booted as +1-2 is the same case for the stub; the
#     loader's counting is proven by the bootcount scenarios;
#  3. systemd: systemd-boot 257 as the loader, the same UKI (same kernel,
#     initrds, command line, os-release, PCR 11 policy key) on
#     systemd-stub 257, counted (+3).
# Beside the UKI, under its name without the counter
# (keel-realos-1.efi.extra.d, issue 21 defect 1), two credentials sealed by
# the VM's TPM to the PCR 13 the sysext gives (one to another PCR 13) and a
# signed system extension (systemd-repart 257 --make-ddi=sysext); a global
# credential in \loader\credentials. The UKI's second initrd trusts the
# extension's certificate (/etc/verity.d): systemd 257 takes /.extra/sysext
# only signed, and only into the initrd.
# Each boot must reach multi-user from the dm-verity root, unlock /var
# through its TPM2 token with PCR 11 = keel pcr predict of the UKI it ran,
# run its stub under the name the loader counted it to (bootctl 257's
# "Current Stub"), be blessed by systemd-bless-boot 257 when counted, and
# hand systemd 257 what is beside the UKI: PID 1 imports the credentials
# into /run/credentials/@encrypted, LoadCredentialEncrypted= and
# systemd-creds open them (not the wrongly sealed one), the initrd's
# systemd-sysext verifies and merges the extension (its tmpfiles.d rule
# leaves /run/keel-sysext-initrd); PCR 12 and 13 equal sidecar-model.py
# for the name the stub ran as.
# Then `bootctl status` 257 of keel's and systemd's +3 boots, line by line:
# equal, but for the differences named below (the README lists them).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../realos/lib.sh"
source "$(dirname "$0")/../realos/scenario.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../peers-lib.sh"
WORK=$1
MODEL="python3 $KEEL_SRC/ovmf-tests/sidecar-model.py"
ID=$REALOS_UKI_NAME-1
UKI_NAME=$ID+3.efi

start=$(date +%s)
realos_suite trixie
realos_base
realos_keys
kver=$(cat "$REALOS_ROOT/kver")
ROOTHASH=$(realos_roothash)
SD_STUB=$(peer_efi trixie amd64 linuxx64.efi.stub)
SD_BOOT=$(dirname "$SD_STUB")/systemd-bootx64.efi
# The version bootctl shows: the binary's own LoaderInfo marker.
SD_VERSION=$(strings "$SD_BOOT" | sed -n 's/^#### LoaderInfo: systemd-boot \(.*\) ####$/\1/p' | head -n 1)
echo "  systemd-boot/-stub $SD_VERSION; $("$KEEL" --version)"

# The extension: for the initrd (SYSEXT_SCOPE=initrd; ID= and VERSION_ID=
# of dracut's initrd-release), signed by a key of this run.
X=$WORK/ext
mkdir -p "$X/usr/lib/extension-release.d" "$X/usr/lib/tmpfiles.d" "$X/usr/lib/keel-test"
(. "$REALOS_ROOT/initrd-release" && printf 'ID=%s\nVERSION_ID=%s\nSYSEXT_SCOPE=initrd\n' "$ID" "$VERSION_ID") \
        >"$X/usr/lib/extension-release.d/extension-release.keel-test"
echo 'f /run/keel-sysext-initrd 0444 root root - keel sysext marker\n' >"$X/usr/lib/tmpfiles.d/keel-sysext.conf"
echo "keel sysext marker" >"$X/usr/lib/keel-test/marker"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/sysext-key.pem" -out "$WORK/sysext-cert.pem" \
        -subj /CN=keel-realos-sysext -days 36500 2>/dev/null
realos_signed_sysext "$WORK/keel-test.raw" "$X" "$WORK/sysext-cert.pem" "$WORK/sysext-key.pem" ||
        { echo "  FAIL: making the signed extension (systemd-repart 257)"; exit 1; }

# The UKI's second initrd: the extension's certificate where systemd 257
# looks for userspace dm-verity signature checks, and systemd-sysext at
# debug level (it says there that it checked the signature).
A=$WORK/initrd-add
mkdir -p "$A/etc/verity.d" "$A/etc/systemd/system/systemd-sysext.service.d"
cp "$WORK/sysext-cert.pem" "$A/etc/verity.d/keel-realos-sysext.crt"
printf '[Service]\nEnvironment=SYSTEMD_LOG_LEVEL=debug\n' >"$A/etc/systemd/system/systemd-sysext.service.d/keel-debug.conf"
find "$A" -type d -exec chmod 755 {} +
(cd "$A" && find . | sort | cpio --create --format=newc --quiet --reproducible -R 0:0) >"$WORK/initrd-add.cpio"

# The same UKI on either stub.
uki() { # STUB OUT
        "$KEEL" uki build --stub "$1" --linux "$REALOS_ROOT/vmlinuz" --initrd "$REALOS_ROOT/initrd.img" \
                --initrd "$WORK/initrd-add.cpio" --cmdline "$REALOS_CMDLINE" --roothash "$ROOTHASH" \
                --os-release "$(cat "$REALOS_ROOT/os-release"; echo "IMAGE_VERSION=1")" --uname "$kver" \
                --pcrpkey "$REALOS_KEYS/pub.pem" --pcr-private-key "$REALOS_KEYS/priv.pem" -o "$2"
}
uki "$KEEL_EFI" "$WORK/keel.efi"
uki "$SD_STUB" "$WORK/systemd.efi"

# The ESP of keel's first boot; the others differ in the UKI's name, or in
# the loader and the UKI's stub.
E=$WORK/esp-keel-3
mkdir -p "$E/EFI/BOOT" "$E/EFI/Linux/$ID.efi.extra.d" "$E/loader/credentials"
printf 'timeout 0\n' >"$E/loader/loader.conf"
cp "$WORK/keel-test.raw" "$E/EFI/Linux/$ID.efi.extra.d/"
cp "$KEEL_EFI" "$E/EFI/BOOT/BOOTX64.EFI"
cp "$WORK/keel.efi" "$E/EFI/Linux/$UKI_NAME"
# 257 names a credential by its file name without ".cred" and refuses one
# whose embedded name differs.
realos_boot_credentials "$WORK" "$E" "$ID" "/EFI/Linux/$UKI_NAME" ||
        { echo "  FAIL: sealing the credentials"; exit 1; }
# The boots: WHO:NAME:BOOTED_AS, the UKI's file name on the ESP and the
# name its stub runs as (after the loader's count).
BOOTS="keel-3:$ID+3.efi:$ID+2-1.efi keel-good:$ID.efi:$ID.efi
        systemd:$ID+3.efi:$ID+2-1.efi"
for b in $BOOTS; do
        IFS=: read -r who name booted_as <<<"$b"
        if [ "$who" != keel-3 ]; then
                cp -a "$E" "$WORK/esp-$who"
                rm "$WORK/esp-$who/EFI/Linux/$UKI_NAME"
                if [ "$who" = systemd ]; then
                        cp "$SD_BOOT" "$WORK/esp-systemd/EFI/BOOT/BOOTX64.EFI"
                        cp "$WORK/systemd.efi" "$WORK/esp-systemd/EFI/Linux/$name"
                else
                        cp "$WORK/keel.efi" "$WORK/esp-$who/EFI/Linux/$name"
                fi
        fi
        mkdir -p "$WORK/$who"
        # What the stub hands over and measures, for the name it runs as.
        $MODEL "$WORK/esp-$who" "/EFI/Linux/$booted_as" keel "$WORK/$who/model"
        realos_disk "$WORK/$who/disk.img" --esp-dir "$WORK/esp-$who"
        realos_scenario_tpm "$WORK/$who"
done
echo "  images ready in $(( $(date +%s) - start )) s"

for b in $BOOTS; do
        IFS=: read -r who name booted_as <<<"$b"
        echo "== boot: $who (\\EFI\\Linux\\$name)"
        realos_boot "$WORK/$who" 420
done

# check_boot WHO NAME BOOTED_AS: what every boot must show.
check_boot() {
        local who=$1 name=$2 booted_as=$3 r=$WORK/$1 uki=$WORK/${1%%-*}.efi state journal
        values() { report_values "$r/report.log" "$1"; }
        echo "== $who: checks (\\EFI\\Linux\\$name)"
        expect_report_complete "$r"
        state=$(report_value "$r" STATE)
        [ "$state" = degraded ] && echo "  note: degraded; failed units: $(values FAILED | tr '\n' ';')"
        expect_true "$who: multi-user reached: system state '$state'" test "$state" = running -o "$state" = degraded
        expect_eq "$who: no failed units" "$(values FAILED)" ""
        expect_true "$who: systemd 257 in the guest ($(values SYSTEMD-VERSION))" \
                grep -q "^systemd 257 " <<<"$(values SYSTEMD-VERSION)"
        expect_eq "$who: the kernel command line is the UKI's" "$(report_value "$r" CMDLINE)" \
                "$REALOS_CMDLINE roothash=$ROOTHASH"
        expect_eq "$who: / is the dm-verity device, erofs, read-only" \
                "$(report_value "$r" FINDMNT-ROOT | awk '{ split($3, o, ","); print $1, $2, o[1] }')" "/dev/mapper/root erofs ro"
        expect_eq "$who: dm-verity: verified, the UKI's root hash" \
                "$(values VERITY | sed -n 's/^ *status: *//p')/$(values VERITY | sed -n 's/^ *root hash: *//p')" "verified/$ROOTHASH"

        # /var through its TPM2 token, under the UKI's signed PCR 11 policy.
        expect_eq "$who: /var is the unlocked LUKS2 device, ext4" \
                "$(report_value "$r" FINDMNT-VAR | awk '{ print $1, $2 }')/$(values VAR-CRYPT | sed -n 's/^ *type: *//p')" \
                "/dev/mapper/var ext4/LUKS2"
        journal=$(values CRYPTSETUP-JOURNAL)
        expect_true "$who: systemd-cryptsetup 257 used the systemd-tpm2 token" \
                grep -q "Trying to open keyslot [0-9]* with token [0-9]* (type systemd-tpm2)" <<<"$journal"
        expect_true "$who: the volume was activated by the token" grep -q "Volume var activated with a LUKS token" <<<"$journal"
        expect_eq "$who: PCR 11 at unlock = keel pcr predict of the UKI it ran (enter-initrd:leave-initrd)" \
                "$(sed -n 's/^PCR value: 11:sha256=//p' <<<"$journal")" \
                "$("$KEEL" pcr predict --bank sha256 --phase=enter-initrd:leave-initrd "$uki" | sed -n 's/^11:sha256=//p')"
        no_passphrase() { ! grep -qiE "passphrase|password" <<<"$journal"; }
        expect_true "$who: no passphrase was asked for or tried" no_passphrase
        expect_eq "$who: PCR 11 in the running system = keel pcr predict of the UKI it ran (enter-initrd:leave-initrd:sysinit:ready)" \
                "$(lower "$(report_value "$r" "PCR sha256 11")")" \
                "$("$KEEL" pcr predict --bank sha256 --phase=enter-initrd:leave-initrd:sysinit:ready "$uki" | sed -n 's/^11:sha256=//p')"

        # Boot assessment: the loader counted the try (the stub ran under
        # the new name, StubImageIdentifier), systemd-bless-boot 257
        # renamed the UKI to its good name; its files stay where they were.
        # A blessed UKI is neither counted nor blessed again.
        expect_eq "$who: the stub ran as \\EFI\\Linux\\$booted_as (bootctl 257: Current Stub)" \
                "$(values BOOTCTL-STATUS | sed -n 's|^ *Stub: [^/]*||p')" "/EFI/Linux/$booted_as"
        if [ "$name" != "$ID.efi" ]; then
                expect_true "$who: systemd-bless-boot marked the boot good" \
                        grep -q "Marked boot as 'good'" <<<"$(values BLESS-JOURNAL)"
        else
                expect_true "$who: systemd-bless-boot did not run ($(values BLESS-JOURNAL | tr '\n' ' '))" \
                        bash -c '! grep -q "Marked boot" <<<"$1"' _ "$(values BLESS-JOURNAL)"
        fi
        expect_eq "$who: \\EFI\\Linux seen from the OS ($(values ESP-PATH))" "$(values ESP-LINUX | sort | tr '\n' ' ')" \
                "$ID.efi $ID.efi.extra.d "
        expect_eq "$who: \\EFI\\Linux seen from the host after the boot" \
                "$(mdir -b -i "$r/disk.img@@1M" ::/EFI/Linux | sed 's|/$||; s|.*/||' | sort | tr '\n' ' ')" "$ID.efi $ID.efi.extra.d "

        # Credentials: PID 1 257 imported them, still encrypted; the TPM
        # opens them for LoadCredentialEncrypted= and systemd-creds.
        realos_check_boot_credentials "$who" "$r" "$WORK/esp-$who" "$ID" "$WORK" "$r/model"

        # The extension: verified against /etc/verity.d and merged by the
        # initrd's systemd-sysext; its tmpfiles.d rule ran there.
        journal=$(values SYSEXT-JOURNAL)
        expect_true "$who: the initrd's systemd-sysext checked the extension's signature" \
                grep -q "Userspace PKCS#7 validation succeeded" <<<"$journal"
        expect_true "$who: ... and merged keel-test into the initrd's /usr" \
                grep -qE "Using extensions 'keel-test'|Merged extensions into '/usr'" <<<"$journal"
        expect_eq "$who: the extension's tmpfiles.d rule ran in the initrd (/run/keel-sysext-initrd)" \
                "$(values SYSEXT-INITRD)" "keel sysext marker"

}
for b in $BOOTS; do
        IFS=: read -r who name booted_as <<<"$b"
        check_boot "$who" "$name" "$booted_as"
done

# bootctl status 257 in the guest, keel vs systemd-boot + systemd-stub 257
# (both booting the UKI at +3), line by line (bootctl-status-diff.py):
# every line equal but these, each a difference issue 21 names (the
# README's table lists them). systemd's version is written VERSION, the
# ESP's partition UUID ESP.
esp_uuid=$(lower "$(sfdisk --part-uuid "$WORK/keel-3/disk.img" 1)")
status() { report_values "$WORK/$1/report.log" BOOTCTL-STATUS | sed "s/$SD_VERSION/VERSION/g; s/$esp_uuid/ESP/g"; }
status keel-3 >"$WORK/bootctl-keel.txt"
status systemd >"$WORK/bootctl-systemd.txt"
python3 "$KEEL_SRC/ovmf-tests/bootctl-status-diff.py" "$WORK/bootctl-keel.txt" "$WORK/bootctl-systemd.txt" \
        >"$WORK/bootctl-diff.txt"
echo "  bootctl status: $(wc -l <"$WORK/bootctl-keel.txt") lines with keel, $(wc -l <"$WORK/bootctl-systemd.txt") with systemd; differences (section | key | keel | systemd):"
sed 's/^/        /' "$WORK/bootctl-diff.txt"
for who in keel systemd; do
        expect_true "bootctl status 257 ($who) found the ESP the firmware booted from" \
                grep -q "^ *ESP: /boot (/dev/disk/by-partuuid/ESP)" "$WORK/bootctl-$who.txt"
done
expect_eq "bootctl status 257: keel vs systemd-boot + systemd-stub 257, only the named differences" \
        "$(LC_ALL=C sort "$WORK/bootctl-diff.txt")" "$(grep -v '^#' <<'EXPECTED' | LC_ALL=C sort
# The products: LoaderInfo and StubInfo.
Current Boot Loader | Product | keel 0.1 | systemd-boot VERSION
Current Stub | Product | keel 0.1 | systemd-stub VERSION
# The LoaderFeatures bit keel does not set: retaining shim's protocols for
# the stub (bit 12: keel's stub calls the firmware's LoadImage()).
Current Boot Loader | Retain SHIM protocols | ✗ | ✓
# Every StubFeatures bit bootctl 257 knows is set by both, the stub's
# partition and image (the name as booted, counter included) are equal.
# The version beside each binary on the ESP: its .sdmagic marker.
Available Boot Loaders on ESP | File | └─/EFI/BOOT/BOOTX64.EFI (keel 0.1) | └─/EFI/BOOT/BOOTX64.EFI (systemd-boot VERSION)
EXPECTED
)"
exit $((FAILURES > 0))
