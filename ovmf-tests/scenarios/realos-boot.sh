#!/bin/bash
# Real OS (issues #12, #14), Debian 12: the image whose stage 1 and stage 2
# are systemd 252, booted by keel end to end, two boots of one machine (one
# variable store, one swtpm state). realos-trixie does the same on Debian 13
# (systemd 257) and compares with systemd-boot/-stub 257.
#  1. firmware -> keel loader -> keel UKI (counted +3: booted as +2-1; PCR
#     11 policy signed) -> dracut's systemd initrd -> dm-verity erofs root
#     found from roothash= -> /var (LUKS2) unlocked through its TPM2 token
#     with the signed PCR 11 policy the stub handed over in /.extra ->
#     multi-user, blessed by systemd-bless-boot 252; bootctl 252 names keel
#     and exactly its features.
#     Beside the UKI (keel-realos-1.efi.extra.d, its name without the
#     counter) a TPM2-encrypted credential and a system extension image
#     (erofs with usr/lib/extension-release.d and one file), a global
#     credential in \loader\credentials. systemd 252's PID 1 imports the
#     credentials itself (into /run/credentials/@encrypted, still
#     encrypted): LoadCredentialEncrypted= and systemd-creds decrypt open
#     them with the VM's TPM (sealed to the PCR 13 the sysext gives, as the
#     model predicts it; one sealed to another PCR 13 is refused). 252 has
#     no consumer of /.extra/sysext: a 252 user adds a tmpfiles.d rule to
#     the initrd that copies it to /run/extensions, which is what this
#     UKI's second initrd does, and systemd-sysext 252 merges the extension
#     into /usr. PCR 12 and 13 equal the model of systemd-stub
#     (sidecar-model.py).
#     No seed file, no system token, no RNG: keel passes no random seed (as
#     systemd-boot); bootctl 252: "Passed to OS: no", "System Token: not
#     set"; then bootctl 252 itself writes the token and the seed file
#     (`bootctl random-seed`, what systemd-boot-system-token.service does
#     on hardware; the UKI's keel.realos.random-seed-init asks the report
#     unit for it).
#  2. keel reads bootctl's file and token: the file on the ESP is replaced
#     before the kernel starts, the kernel gets the seed table (RNG= in its
#     efi: line), systemd 252's PID 1 credits LoaderRandomSeed once, and
#     bootctl 252 says "Passed to OS: yes", "System Token: set", "Exists: yes".
# A unit in the image reports on the second serial port
# (ovmf-tests/realos/overlay/usr/local/sbin/keel-report) and powers off.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../realos/lib.sh"
source "$(dirname "$0")/../realos/scenario.sh"
source "$(dirname "$0")/../pcr-lib.sh"
WORK=$1
MODEL="python3 $KEEL_SRC/ovmf-tests/sidecar-model.py"
ID=$REALOS_UKI_NAME-1
UKI_NAME=$ID+3.efi

start=$(date +%s)
realos_base
realos_keys
kver=$(cat "$REALOS_ROOT/kver")
ROOTHASH=$(realos_roothash)
UKI=$WORK/$UKI_NAME

# The initrd's addition, as a systemd 252 user writes it.
mkdir -p "$WORK/initrd-add/etc/tmpfiles.d"
cat >"$WORK/initrd-add/etc/tmpfiles.d/keel-sidecars.conf" <<'CONF'
# The extensions systemd-stub (here keel) handed over beside the UKI, for
# the running system's systemd-sysext (252 does not look in /.extra).
C /run/extensions - - - - /.extra/sysext
CONF
chmod 755 "$WORK/initrd-add/etc" "$WORK/initrd-add/etc/tmpfiles.d"
(cd "$WORK/initrd-add" && find . | sort | cpio --create --format=newc --quiet --reproducible -R 0:0) >"$WORK/initrd-add.cpio"

"$KEEL" uki build --stub "$KEEL_EFI" --linux "$REALOS_ROOT/vmlinuz" --initrd "$REALOS_ROOT/initrd.img" \
        --initrd "$WORK/initrd-add.cpio" --cmdline "$REALOS_CMDLINE keel.realos.random-seed-init" --roothash "$ROOTHASH" \
        --os-release "$(cat "$REALOS_ROOT/os-release"; echo "IMAGE_VERSION=1")" --uname "$kver" \
        --pcrpkey "$REALOS_KEYS/pub.pem" --pcr-private-key "$REALOS_KEYS/priv.pem" -o "$UKI"

# The extension: ID and VERSION_ID of the image's os-release, so 252 takes it.
X=$WORK/ext
mkdir -p "$X/usr/lib/extension-release.d" "$X/usr/lib/keel-test"
grep -E '^(ID|VERSION_ID)=' "$REALOS_ROOT/os-release" >"$X/usr/lib/extension-release.d/extension-release.keel-test"
echo "keel sysext marker" >"$X/usr/lib/keel-test/marker"
mkfs.erofs --quiet -T0 -U 6b65656c-7379-4578-8000-000000000014 --all-root "$WORK/keel-test.raw" "$X" >/dev/null

# The credentials, sealed by the TPM the VM boots with to PCR 13 as
# systemd-stub's model says the sysext makes it: they open only when keel
# measured the extension as predicted (and one never opens).
E=$WORK/esp
mkdir -p "$E/EFI/BOOT" "$E/EFI/Linux/$ID.efi.extra.d" "$E/loader/credentials"
cp "$WORK/keel-test.raw" "$E/EFI/Linux/$ID.efi.extra.d/"
realos_boot_credentials "$WORK" "$E" "$ID" "/EFI/Linux/$UKI_NAME" ||
        { echo "  FAIL: sealing the credentials"; exit 1; }
cp "$KEEL_EFI" "$E/EFI/BOOT/BOOTX64.EFI"
printf 'timeout 0\n' >"$E/loader/loader.conf"
cp "$UKI" "$E/EFI/Linux/"
realos_disk "$WORK/disk.img" --esp-dir "$E"
$MODEL "$E" "/EFI/Linux/$UKI_NAME" keel "$WORK/model"
echo "  image ready in $(( $(date +%s) - start )) s"
ESP="$WORK/disk.img@@1M"
seed_sha() { mcopy -n -i "$ESP" ::/loader/random-seed - 2>/dev/null | sha256sum | cut -d' ' -f1; }
section() { # REPORT: bootctl status's "Random Seed:" section, one line per entry
        report_values "$1" BOOTCTL-STATUS | awk '/^Random Seed:/ { on = 1; next } on && /^[^ ]/ { on = 0 } on && NF' |
                sed 's/^ *//'
}

echo "== boot 1: the counted UKI, files beside it; no seed file, no system token"
expect_eq "no seed file on the ESP before the first boot" "$(mdir -i "$ESP" ::/loader/random-seed >/dev/null 2>&1 && echo yes)" ""
realos_boot "$WORK" 300
mkdir -p "$WORK/boot1"
cp "$WORK/console.log" "$WORK/report.log" "$WORK/boot1/"
values() { report_values "$WORK/boot1/report.log" "$1"; }

expect_report_complete "$WORK/boot1"
state=$(report_value "$WORK/boot1" STATE)
case "$state" in
degraded) echo "  note: degraded; failed units: $(values FAILED | tr '\n' ';')" ;;
esac
expect_true "multi-user reached: system state '$state' (running or degraded)" test "$state" = running -o "$state" = degraded
expect_eq "no failed units" "$(values FAILED)" ""
expect_eq "the kernel command line is the UKI's, root hash included" "$(report_value "$WORK/boot1" CMDLINE)" \
        "$REALOS_CMDLINE keel.realos.random-seed-init roothash=$ROOTHASH"

# The root: dm-verity over the erofs partition, read-only.
expect_eq "/ is the dm-verity device, erofs, read-only" \
        "$(report_value "$WORK/boot1" FINDMNT-ROOT | awk '{ split($3, o, ","); print $1, $2, o[1] }')" "/dev/mapper/root erofs ro"
expect_eq "dm-verity reports the root verified" "$(values VERITY | sed -n 's/^ *status: *//p')" verified
expect_eq "the verity root hash is the UKI's" "$(values VERITY | sed -n 's/^ *root hash: *//p')" "$ROOTHASH"

# /var: the LUKS2 partition, opened by its TPM2 token.
expect_eq "/var is the unlocked LUKS device, ext4" \
        "$(report_value "$WORK/boot1" FINDMNT-VAR | awk '{ print $1, $2 }')" "/dev/mapper/var ext4"
expect_eq "the device under /var is a dm-crypt mapping" "$(report_value "$WORK/boot1" VAR-TYPE)" crypt
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
        "$(lower "$(report_value "$WORK/boot1" "PCR sha256 11")")" \
        "$("$KEEL" pcr predict --bank sha256 --phase=enter-initrd:leave-initrd:sysinit:ready "$UKI" | sed -n 's/^11:sha256=//p')"

# Boot assessment: keel counted the try, systemd-bless-boot (pulled in by
# boot-complete.target) renamed the UKI to its good name on the ESP; the
# files beside it stay where they were.
expect_eq "the UKI on the ESP (seen from the OS) has its good name" "$(values ESP-LINUX | sort | tr '\n' ' ')" \
        "$ID.efi $ID.efi.extra.d "
expect_eq "the UKI on the ESP (seen from the host after the boot)" \
        "$(mdir -b -i "$WORK/disk.img@@1M" ::/EFI/Linux | sed 's|/$||; s|.*/||' | sort | tr '\n' ' ')" "$ID.efi $ID.efi.extra.d "

# The files beside the UKI: the credentials as PID 1 imported them.
realos_check_boot_credentials "boot 1" "$WORK/boot1" "$E" "$ID" "$WORK"

# The system extension, copied by the initrd's tmpfiles.d rule and merged by
# systemd-sysext 252 at boot.
expect_eq "the initrd's tmpfiles rule copied the extension the stub handed over" \
        "$(report_values "$WORK/boot1/report.log" SYSEXT-RUN | sort)" \
        "$(printf '%s\n' "/run/extensions 555" "/run/extensions/keel-test.raw 444" | sort)"
expect_eq "systemd-sysext.service ran" "$(report_values "$WORK/boot1/report.log" SYSEXT-UNIT | sort | tr '\n' ' ')" \
        "ActiveState=active Result=success "
expect_true "systemd-sysext list shows keel-test in /run/extensions" \
        grep -aq '^SYSEXT-LIST=keel-test .*raw.*/run/extensions/keel-test.raw' <(tr -d '\r' <"$WORK/boot1/report.log")
expect_true "systemd-sysext status: keel-test merged into /usr" \
        grep -aqE '^SYSEXT-STATUS=.*/usr.*keel-test' <(tr -d '\r' <"$WORK/boot1/report.log")
expect_eq "the extension's file is in /usr" "$(report_values "$WORK/boot1/report.log" SYSEXT-FILE)" "keel sysext marker"

expect_eq "bootctl status (252): the stub picks up credentials and system extension images" \
        "$(report_values "$WORK/boot1/report.log" BOOTCTL-STATUS | grep -E 'Picks up (credentials|system extension)' | sed 's/^ *//')" \
        "$(printf '%s\n' '✓ Picks up credentials from boot partition' '✓ Picks up system extension images from boot partition')"

# The random seed, boot 1: keel passed none; bootctl 252 made the token and the file.
R1=$WORK/boot1/report.log
expect_eq "bootctl: Passed to OS: no" "$(section "$R1" | sed -n 's/^Passed to OS: //p')" no
expect_eq "bootctl: System Token: not set" "$(section "$R1" | sed -n 's/^System Token: //p')" "not set"
expect_true "keel said why (one line)" \
        grep -q "keel: random seed: no randomness from the firmware and no LoaderSystemToken of 32 bytes or more; no random seed passed" "$WORK/boot1/console.log"
no_rng() { ! report_values "$R1" EFI-TABLES | grep -q ' RNG='; }
expect_true "the kernel got no seed table" no_rng
expect_true "bootctl random-seed wrote the token" \
        grep -q "Successfully initialized system token in EFI variable" <(report_values "$R1" BOOTCTL-RANDOM-SEED)
bootctl_seed=$(seed_sha)
expect_true "bootctl random-seed wrote the seed file" test "$bootctl_seed" != "$(sha256sum </dev/null | cut -d' ' -f1)"

echo "== boot 2: bootctl's seed file and token"
realos_boot "$WORK" 300
R2=$WORK/report.log
expect_report_complete "$WORK"
state=$(report_value "$WORK" STATE)
expect_true "multi-user reached: system state '$state'" test "$state" = running -o "$state" = degraded
expect_eq "bootctl: Passed to OS: yes" "$(section "$R2" | sed -n 's/^Passed to OS: //p')" yes
expect_eq "bootctl: System Token: set" "$(section "$R2" | sed -n 's/^System Token: //p')" set
expect_eq "bootctl: the seed file Exists: yes" "$(section "$R2" | sed -n 's/^Exists: //p')" yes
expect_true "bootctl: LoaderFeatures has \"Support for passing random seed to OS\"" \
        grep -q "✓ Support for passing random seed to OS" <(report_values "$R2" BOOTCTL-STATUS)
expect_true "the kernel got the seed table (RNG= in its efi: line)" \
        grep -q ' RNG=0x' <(report_values "$R2" EFI-TABLES)
expect_true "systemd 252's PID 1 credited LoaderRandomSeed" \
        grep -q "Successfully credited entropy passed from boot loader" <(report_values "$R2" SEED-JOURNAL)
in_os=$(report_values "$R2" SEED-FILE | cut -d' ' -f1)
expect_eq "the seed file the OS saw is 64 hex digits of sha256" "${#in_os}" 64
expect_true "keel replaced bootctl's seed file before the kernel started" test "$in_os" != "$bootctl_seed"
quiet() { ! grep -q "keel: random seed" "$WORK/console.log"; }
expect_true "keel printed no random-seed line in boot 2" quiet
exit $((FAILURES > 0))
