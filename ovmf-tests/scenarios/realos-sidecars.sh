#!/bin/bash
# Real OS (issue 14 items 1-2): the Debian 12 image (systemd 252) booted by
# keel with, beside its UKI, a TPM2-encrypted credential
# (EFI\Linux\keel-realos-sidecars.efi.extra.d\keel-secret.cred), a global
# one (loader\credentials\keel-global.cred) and a system extension image
# (keel-test.raw: erofs with usr/lib/extension-release.d and one file).
# systemd 252 itself has no consumer of /.extra/credentials or
# /.extra/sysext (later versions import them on their own): a 252 user adds
# a tmpfiles.d rule to the initrd that copies them to /run/credstore.encrypted
# and /run/extensions, which is what this UKI's second initrd does. Checked
# in the booted system, with 252's own tools: LoadCredentialEncrypted= (by ID
# through the credstore search path, and by path) and systemd-creds decrypt
# open the credentials with the VM's TPM (sealed to the PCR 13 the sysext
# gives, as the model predicts it; one sealed to another PCR 13 is
# refused); systemd-sysext merged the
# extension into /usr; PCR 12 and 13 equal the model of systemd-stub
# (sidecar-model.py) for the ESP's files.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../realos/lib.sh"
source "$(dirname "$0")/../realos/scenario.sh"
source "$(dirname "$0")/../pcr-lib.sh"
WORK=$1
MODEL="python3 $KEEL_SRC/ovmf-tests/sidecar-model.py"
NAME=keel-realos-sidecars

start=$(date +%s)
realos_base
kver=$(cat "$REALOS_ROOT/kver")

# The initrd's addition, as a systemd 252 user writes it.
mkdir -p "$WORK/initrd-add/etc/tmpfiles.d"
cat >"$WORK/initrd-add/etc/tmpfiles.d/keel-sidecars.conf" <<'CONF'
# What systemd-stub (here keel) handed over beside the UKI, kept past switch-root.
C /run/credstore.encrypted - - - - /.extra/credentials
d /run/keel 0700 root root -
C /run/keel/global_credentials - - - - /.extra/global_credentials
C /run/extensions - - - - /.extra/sysext
CONF
chmod 755 "$WORK/initrd-add/etc" "$WORK/initrd-add/etc/tmpfiles.d"
(cd "$WORK/initrd-add" && find . | sort | cpio --create --format=newc --quiet --reproducible -R 0:0) >"$WORK/initrd-add.cpio"

realos_keys
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$REALOS_ROOT/vmlinuz" --initrd "$REALOS_ROOT/initrd.img" \
        --initrd "$WORK/initrd-add.cpio" --cmdline "$REALOS_CMDLINE" --roothash "$(realos_roothash)" \
        --os-release "$(cat "$REALOS_ROOT/os-release"; echo "IMAGE_VERSION=14")" --uname "$kver" \
        --pcrpkey "$REALOS_KEYS/pub.pem" --pcr-private-key "$REALOS_KEYS/priv.pem" -o "$WORK/$NAME.efi"

# The extension: ID and VERSION_ID of the image's os-release, so 252 takes it.
X=$WORK/ext
mkdir -p "$X/usr/lib/extension-release.d" "$X/usr/lib/keel-test"
grep -E '^(ID|VERSION_ID)=' "$REALOS_ROOT/os-release" >"$X/usr/lib/extension-release.d/extension-release.keel-test"
echo "keel sysext marker" >"$X/usr/lib/keel-test/marker"
mkfs.erofs --quiet -T0 -U 6b65656c-7379-4578-8000-000000000014 --all-root "$WORK/keel-test.raw" "$X" >/dev/null

# The credentials, sealed by the TPM the VM boots with (a host swtpm on a
# copy of its state) to PCR 13 as systemd-stub's model says the sysext
# makes it: they open only when keel measured the extension as predicted.
# (systemd-creds 252 seals with an empty --tpm2-pcrs= but then refuses to
# decrypt: "TPM2 PCR bank invalid or not supported".)
E=$WORK/esp
mkdir -p "$E/EFI/BOOT" "$E/EFI/Linux/$NAME.efi.extra.d" "$E/loader/credentials"
cp "$WORK/keel-test.raw" "$E/EFI/Linux/$NAME.efi.extra.d/"
$MODEL "$E" "/EFI/Linux/$NAME.efi" keel "$WORK/model-sysext"
sysext_digest=$(awk '$1 == 13 && /System extension initrd/ { print $NF }' "$WORK/model-sysext/events.txt")
realos_scenario_tpm "$WORK"
mkdir -p "$WORK/enc-tpm"
cp "$WORK/tpm/tpm2-00.permall" "$WORK/enc-tpm/"
host_swtpm_start "$WORK/enc-tpm"
TCTI="swtpm:host=127.0.0.1,port=$HOST_SWTPM_PORT"
printf 'secret from beside the UKI\n' >"$WORK/secret"
printf 'global secret\n' >"$WORK/global"
rc=0
tpm2_pcrextend -T "$TCTI" "13:sha256=$sysext_digest" || rc=$?
systemd-creds encrypt --with-key=tpm2 --tpm2-device="$TCTI" --tpm2-pcrs=13 \
        --name=keel-secret.cred "$WORK/secret" "$E/EFI/Linux/$NAME.efi.extra.d/keel-secret.cred" || rc=$?
systemd-creds encrypt --with-key=tpm2 --tpm2-device="$TCTI" --tpm2-pcrs=13 \
        --name=keel-global.cred "$WORK/global" "$E/loader/credentials/keel-global.cred" || rc=$?
# One more, sealed to a PCR 13 the boot will not have (one more extension):
# systemd-creds must refuse it in the booted system.
printf 'never shown\n' >"$WORK/wrong"
tpm2_pcrextend -T "$TCTI" "13:sha256=$(printf 'another sysext' | sha256sum | cut -d' ' -f1)" || rc=$?
systemd-creds encrypt --with-key=tpm2 --tpm2-device="$TCTI" --tpm2-pcrs=13 \
        --name=keel-wrong.cred "$WORK/wrong" "$E/EFI/Linux/$NAME.efi.extra.d/keel-wrong.cred" || rc=$?
host_swtpm_stop "$WORK/enc-tpm"
[ $rc = 0 ] || { echo "  FAIL: sealing the credentials (tpm2_pcrextend, systemd-creds encrypt)"; exit 1; }
cp "$KEEL_EFI" "$E/EFI/BOOT/BOOTX64.EFI"
printf 'timeout 0\n' >"$E/loader/loader.conf"
cp "$WORK/$NAME.efi" "$E/EFI/Linux/"
realos_disk "$WORK/disk.img" --esp-dir "$E"
$MODEL "$E" "/EFI/Linux/$NAME.efi" keel "$WORK/model"
echo "  image ready in $(( $(date +%s) - start )) s"

realos_boot "$WORK" 300
expect_report_complete "$WORK"
state=$(report_value "$WORK" STATE)
expect_true "reached multi-user: '$state'" test "$state" = running -o "$state" = degraded
expect_eq "no failed units" "$(report_values "$WORK/report.log" FAILED)" ""
expect_eq "/var unlocked (the UKI's signed PCR 11 policy)" \
        "$(report_value "$WORK" FINDMNT-VAR | awk '{ print $1, $2 }')" "/dev/mapper/var ext4"

# Credentials: systemd 252 decrypted them with the TPM for the unit
# (LoadCredentialEncrypted= by ID via /run/credstore.encrypted, and by path).
expect_eq "the initrd's tmpfiles rules copied what the stub handed over" \
        "$(report_values "$WORK/report.log" SIDECAR-RUN | sort)" \
        "$(printf '%s\n' "/run/credstore.encrypted 500" "/run/credstore.encrypted/keel-secret.cred 400" \
                "/run/credstore.encrypted/keel-wrong.cred 400" \
                "/run/extensions 555" "/run/extensions/keel-test.raw 444" "/run/keel 700" \
                "/run/keel/global_credentials 500" "/run/keel/global_credentials/keel-global.cred 400" | sort)"
expect_eq "keel-sidecar-creds.service ran" "$(report_values "$WORK/report.log" SIDECAR-CREDS-UNIT | sort | tr '\n' ' ')" \
        "ActiveState=active Result=success "
expect_eq "LoadCredentialEncrypted=keel-secret.cred (credstore search path): the plaintext" \
        "$(report_values "$WORK/report.log" SIDECAR-CREDS | sed -n 's/^keel-secret.cred=//p')" "$(cat "$WORK/secret")"
expect_eq "LoadCredentialEncrypted=keel-global.cred:/run/keel/global_credentials/...: the plaintext" \
        "$(report_values "$WORK/report.log" SIDECAR-CREDS | sed -n 's/^keel-global.cred=//p')" "$(cat "$WORK/global")"
expect_eq "systemd-creds decrypt /run/credstore.encrypted/keel-secret.cred" \
        "$(report_values "$WORK/report.log" SIDECAR-DECRYPT)" "$(cat "$WORK/secret")"

expect_true "systemd-creds refuses the credential sealed to another PCR 13 ($(report_values "$WORK/report.log" SIDECAR-DECRYPT-WRONG | tr '\n' ' '))" \
        bash -c "tr -d '\r' <'$WORK/report.log' | grep -a '^SIDECAR-DECRYPT-WRONG=exit ' | grep -qv '=exit 0\$'"

# The system extension, merged by systemd-sysext 252 at boot.
expect_eq "systemd-sysext.service ran" "$(report_values "$WORK/report.log" SIDECAR-SYSEXT-UNIT | sort | tr '\n' ' ')" \
        "ActiveState=active Result=success "
expect_true "systemd-sysext list shows keel-test in /run/extensions" \
        grep -aq '^SIDECAR-SYSEXT-LIST=keel-test .*raw.*/run/extensions/keel-test.raw' <(tr -d '\r' <"$WORK/report.log")
expect_true "systemd-sysext status: keel-test merged into /usr" \
        grep -aqE '^SIDECAR-SYSEXT=.*/usr.*keel-test' <(tr -d '\r' <"$WORK/report.log")
expect_eq "the extension's file is in /usr" "$(report_values "$WORK/report.log" SIDECAR-SYSEXT-FILE)" "keel sysext marker"

# PCR 12: the two credential archives; PCR 13: the sysext archive (the
# loader measures nothing for a UKI it starts without options).
expect_eq "PCR 12 = model (credentials)" "$(lower "$(report_value "$WORK" "PCR sha256 12")")" \
        "$(awk '$1 == "sha256" && $2 == 12 { print $3 }' "$WORK/model/pcrs.txt")"
expect_eq "PCR 13 = model (sysext)" "$(lower "$(report_value "$WORK" "PCR sha256 13")")" \
        "$(awk '$1 == "sha256" && $2 == 13 { print $3 }' "$WORK/model/pcrs.txt")"
expect_eq "bootctl status (252): the stub picks up credentials and system extension images" \
        "$(report_values "$WORK/report.log" BOOTCTL-STATUS | grep -E 'Picks up (credentials|system extension)' | sed 's/^ *//')" \
        "$(printf '%s\n' '✓ Picks up credentials from boot partition' '✓ Picks up system extension images from boot partition')"
exit $((FAILURES > 0))
