#!/bin/bash
# Credentials and system/configuration extensions beside a UKI (issue 14
# items 1-2). The keel loader boots \EFI\Linux\sc.efi, whose
# sc.efi.extra.d\ holds *.cred, *.raw and *.confext.raw (plus files that are
# none of these), with \loader\credentials\ and \loader\extensions\ beside.
#  1. keel's stub: the initrd's /.extra tree (names, modes, contents), the
#     PCR 12/13 values, the event log (type, description, digest of each
#     archive) and the StubPcr*/StubFeatures variables equal an
#     independent model (sidecar-model.py, from systemd's stub.c/cpio.c).
#     Without a TPM the same files arrive and no StubPcr* variable is set.
#     The UKI is counted (\EFI\Linux\sc+3.efi): it boots as sc+2-1.efi,
#     then (no TPM) as sc+1-2.efi, and its files stay in sc.efi.extra.d, as
#     systemd-stub 257 finds them (issue 21, defect 1); part 3 boots the
#     uncounted (blessed) name.
#  2. systemd-stub 252 on the same ESP, the same kernel and initramfs: its
#     /.extra tree, PCR 12/13 and events equal the same model in its 252
#     semantics (no confexts, no \loader\extensions) — so the model is
#     systemd-stub's, byte for byte, and keel equals it where 252 has the
#     feature (the credential and sysext archives are the same bytes).
#     And directly, without the model: on an ESP with only what 252 knows,
#     keel and systemd-stub 252 give the same /.extra tree, PCR 12/13
#     (sha1, sha256), event log entries and StubPcr* variables.
#  3. keel on a hostile ESP: 10,000 *.cred in sc.efi.extra.d, a credential
#     over the size limit, non-ASCII names, a directory named *.cred, a
#     hidden file, \loader\extensions as a file: the boot goes on, a bounded number of console lines, the
#     first 128 credentials by name, PCR 12 as the model says.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
WORK=$1
MODEL="python3 $KEEL_SRC/ovmf-tests/sidecar-model.py"

# The initramfs lists /.extra recursively: "SIDECAR path mode sha256|dir".
{
        echo '#!/bin/sh'
        cat "$KEEL_SRC/ovmf-tests/sidecar-list.sh"
        echo 'echo "SIDECAR-COUNT=$(find /.extra -mindepth 2 -type f | wc -l)"'
} >"$WORK/scenario"
build_initramfs "$WORK/initramfs.cpio" "$WORK/scenario"
CMDLINE="console=ttyS0 loglevel=1 panic=-1 keel.test=sidecar"
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$WORK/initramfs.cpio" \
        --cmdline "$CMDLINE" --os-release $'ID=keeltest\nVERSION_ID=14\n' -o "$WORK/keel-uki.efi"
mkdir -p "$WORK/sd"
printf '%s' "$CMDLINE" >"$WORK/sd/cmdline"
printf 'ID=sdtest\nVERSION_ID=14\n' >"$WORK/sd/osrel"
objcopy --add-section .osrel="$WORK/sd/osrel" --change-section-vma .osrel=0x20000 \
        --add-section .cmdline="$WORK/sd/cmdline" --change-section-vma .cmdline=0x30000 \
        --add-section .linux="$(kernel_image)" --change-section-vma .linux=0x2000000 \
        --add-section .initrd="$WORK/initramfs.cpio" --change-section-vma .initrd=0x3000000 \
        "$SYSTEMD_STUB" "$WORK/sd-uki.efi"

# The ESP's sidecar files, as a host tree (copied whole into the image).
T=$WORK/tree
mkdir -p "$T/EFI/Linux/sc.efi.extra.d" "$T/loader/credentials" "$T/loader/extensions"
X=$T/EFI/Linux/sc.efi.extra.d
printf 'secret-one\n' >"$X/one.cred"
head -c 5000 /dev/urandom >"$X/Two.CRED"                     # suffix case-insensitive
printf 'x' >"$X/a..b.cred"                                      # dots inside a name are fine
head -c 70000 /dev/urandom >"$X/ext-a.raw"
head -c 1234 /dev/urandom >"$X/ext-b.RAW"
head -c 3000 /dev/urandom >"$X/conf-a.confext.raw"
printf 'not a credential\n' >"$X/notes.txt"
printf 'hidden\n' >"$X/.hidden.cred"
mkdir -p "$X/dir.cred"
printf 'global-1\n' >"$T/loader/credentials/g1.cred"
printf 'global-2\n' >"$T/loader/credentials/g2.cred"
head -c 2048 /dev/urandom >"$T/loader/extensions/gext.raw"
head -c 1024 /dev/urandom >"$T/loader/extensions/gconf.confext.raw"

make_esp() { # IMG UKI [NAME]: keel loader, loader.conf, the UKI as \EFI\Linux\NAME (sc.efi), the tree
        esp_image_create "$1"
        esp_put "$1" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
        esp_write "$1" /loader/loader.conf $'timeout 0\n'
        esp_put "$1" "$2" "/EFI/Linux/${3:-sc.efi}"
        mcopy -s -o -i "$1@@1M" "$T/EFI/Linux/sc.efi.extra.d" ::/EFI/Linux/
        mcopy -s -o -i "$1@@1M" "$T/loader/credentials" "$T/loader/extensions" ::/loader/
}

# check RUN MODEL_DIR WHAT: the report against the model.
check() {
        local run=$1 m=$2 what=$3 bank pcr value
        expect_report_complete "$run"
        expect_eq "$what: /.extra tree (paths, modes, sha256) = model" \
                "$(tr -d '\r' <"$run/report.log" | sed -n 's/^SIDECAR //p')" "$(cat "$m/tree.txt")"
        while read -r bank pcr value; do
                expect_eq "$what: PCR $pcr ($bank) = model" "$(booted_pcr "$run" "$bank" "$pcr")" "$value"
        done <"$m/pcrs.txt"
        expect_true "$what: tpm2_eventlog parses the event log" eventlog_parse "$run"
        expect_replay_matches "$run"
        expect_eq "$what: PCR 12/13 events (type, description, archive sha256) = model" \
                "$($MODEL events "$run/eventlog.yaml" | sort -s -k1,1n)" "$(sort -s -k1,1n "$m/events.txt")"
}

echo "-- 1. keel, the UKI counted: sc+3.efi boots as sc+2-1.efi"
$MODEL "$T" /EFI/Linux/sc+2-1.efi keel "$WORK/model-keel"
make_esp "$WORK/keel.img" "$WORK/keel-uki.efi" sc+3.efi
qemu_boot "$WORK/keel" "$WORK/keel.img" || true
expect_eq "keel: the loader booted the counted entry (ID sc.efi)" \
        "$(report_value "$WORK/keel" "EFIVAR LoaderEntrySelected")" sc.efi
expect_eq "keel: the ESP has sc+2-1.efi" "$(esp_ls "$WORK/keel.img" /EFI/Linux | xargs -n1 basename | grep -a '^sc+')" sc+2-1.efi
check "$WORK/keel" "$WORK/model-keel" keel
expect_eq "keel: StubPcrKernelParameters (credentials)" "$(report_value "$WORK/keel" "EFIVAR StubPcrKernelParameters")" 12
expect_eq "keel: StubPcrInitRDSysExts" "$(report_value "$WORK/keel" "EFIVAR StubPcrInitRDSysExts")" 13
expect_eq "keel: StubPcrInitRDConfExts" "$(report_value "$WORK/keel" "EFIVAR StubPcrInitRDConfExts")" 12
features=$(report_value "$WORK/keel" "EFIVAR StubFeatures")
expect_true "keel: StubFeatures has credentials, sysexts (bits 1, 2) and confexts (bit 8) (got $features)" \
        python3 -c 'import sys; v = int.from_bytes(bytes.fromhex(sys.argv[1]), "little"); sys.exit(0 if v & 0x106 == 0x106 else 1)' "$features"
expect_true "keel: no console line about the files that are not drop-ins" \
        bash -c "! grep -a 'keel: skipping' '$WORK/keel/console.log'"

echo "-- 1b. keel without a TPM, the UKI booted as sc+1-2.efi: the same files reach the OS, no StubPcr* variable"
KEEL_NO_TPM=1 qemu_boot "$WORK/keel-notpm" "$WORK/keel.img" || true
expect_report_complete "$WORK/keel-notpm"
expect_eq "no TPM: /.extra tree = model" \
        "$(tr -d '\r' <"$WORK/keel-notpm/report.log" | sed -n 's/^SIDECAR //p')" "$(cat "$WORK/model-keel/tree.txt")"
expect_eq "no TPM: no StubPcrKernelParameters, StubPcrInitRDSysExts, StubPcrInitRDConfExts" \
        "$(tr -d '\r' <"$WORK/keel-notpm/report.log" | grep -ac '^EFIVAR StubPcr\(KernelParameters\|InitRDSysExts\|InitRDConfExts\)=')" 0
expect_eq "no TPM: one console line says so" "$(grep -ac 'keel: no TPM 2.0 found' "$WORK/keel-notpm/console.log")" 1
expect_true "no TPM: the loader says nothing about measuring loader.conf (PCR 5)" \
        bash -c "! grep -a 'keel: cannot measure loader.conf' '$WORK/keel-notpm/console.log'"
expect_eq "no TPM: the ESP has sc+1-2.efi" "$(esp_ls "$WORK/keel.img" /EFI/Linux | xargs -n1 basename | grep -a '^sc+')" sc+1-2.efi

echo "-- 2. systemd-stub 252, the same ESP"
$MODEL "$T" /EFI/Linux/sc.efi 252 "$WORK/model-252"
make_esp "$WORK/sd.img" "$WORK/sd-uki.efi"
qemu_boot "$WORK/sd" "$WORK/sd.img" || true
check "$WORK/sd" "$WORK/model-252" "systemd-stub 252"
expect_eq "systemd-stub 252: StubPcrKernelParameters" "$(report_value "$WORK/sd" "EFIVAR StubPcrKernelParameters")" 12
expect_eq "systemd-stub 252: StubPcrInitRDSysExts" "$(report_value "$WORK/sd" "EFIVAR StubPcrInitRDSysExts")" 13
# Where 252 has the feature, keel's archives are systemd-stub 252's bytes.
expect_eq "credential archives: keel = systemd-stub 252" \
        "$($MODEL events "$WORK/keel/eventlog.yaml" | grep -a 'Credentials initrd\|Global credentials initrd')" \
        "$($MODEL events "$WORK/sd/eventlog.yaml" | grep -a 'Credentials initrd\|Global credentials initrd')"
expect_eq "credentials in /.extra: keel = systemd-stub 252" \
        "$(tr -d '\r' <"$WORK/keel/report.log" | grep -a '^SIDECAR /.extra/[a-z_]*credentials')" \
        "$(tr -d '\r' <"$WORK/sd/report.log" | grep -a '^SIDECAR /.extra/[a-z_]*credentials')"

echo "-- 2b. keel and systemd-stub 252 on an ESP with only what 252 knows (credentials, *.raw): equal, directly"
C=$WORK/compat
mkdir -p "$C"
cp -a "$T/EFI" "$T/loader" "$C/"
rm -rf "$C/loader/extensions" "$C/EFI/Linux/sc.efi.extra.d/conf-a.confext.raw"
for who in keel sd; do
        esp_image_create "$WORK/compat-$who.img"
        esp_put "$WORK/compat-$who.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
        esp_write "$WORK/compat-$who.img" /loader/loader.conf $'timeout 0\n'
        esp_put "$WORK/compat-$who.img" "$WORK/$who-uki.efi" /EFI/Linux/sc.efi
        mcopy -s -o -i "$WORK/compat-$who.img@@1M" "$C/EFI/Linux/sc.efi.extra.d" ::/EFI/Linux/
        mcopy -s -o -i "$WORK/compat-$who.img@@1M" "$C/loader/credentials" ::/loader/
        qemu_boot "$WORK/compat-$who" "$WORK/compat-$who.img" || true
        expect_report_complete "$WORK/compat-$who"
        eventlog_parse "$WORK/compat-$who" || true
done
expect_eq "keel = systemd-stub 252: /.extra tree" \
        "$(tr -d '\r' <"$WORK/compat-keel/report.log" | grep -a '^SIDECAR')" \
        "$(tr -d '\r' <"$WORK/compat-sd/report.log" | grep -a '^SIDECAR')"
for bank in sha1 sha256; do
        for pcr in 12 13; do
                expect_eq "keel = systemd-stub 252: PCR $pcr ($bank)" "$(booted_pcr "$WORK/compat-keel" $bank $pcr)" \
                        "$(booted_pcr "$WORK/compat-sd" $bank $pcr)"
        done
done
expect_eq "keel = systemd-stub 252: PCR 12/13 events (type, description, digest)" \
        "$($MODEL events "$WORK/compat-keel/eventlog.yaml")" "$($MODEL events "$WORK/compat-sd/eventlog.yaml")"
expect_eq "keel = systemd-stub 252: StubPcrKernelParameters, StubPcrInitRDSysExts" \
        "$(tr -d '\r' <"$WORK/compat-keel/report.log" | grep -a '^EFIVAR StubPcr' | sort)" \
        "$(tr -d '\r' <"$WORK/compat-sd/report.log" | grep -a '^EFIVAR StubPcr' | sort)"
expect_true "the compared trees are not empty (credentials and sysexts)" bash -c \
        "tr -d '\r' <'$WORK/compat-sd/report.log' | grep -aq '^SIDECAR /.extra/sysext/ext-a.raw ' &&
         tr -d '\r' <'$WORK/compat-sd/report.log' | grep -aq '^SIDECAR /.extra/global_credentials/g1.cred '"

echo "-- 3. keel, hostile ESP"
H=$WORK/hostile
mkdir -p "$H/EFI/Linux/sc.efi.extra.d" "$H/loader/credentials"
for i in $(seq -w 1 10000); do printf 'c%s' "$i" >"$H/EFI/Linux/sc.efi.extra.d/c$i.cred"; done
head -c $((1024 * 1024 + 128 * 1024 + 1)) /dev/zero >"$H/EFI/Linux/sc.efi.extra.d/a-too-big.cred"
printf 'u' >"$H/EFI/Linux/sc.efi.extra.d/été.cred"
printf 'u' >"$H/EFI/Linux/sc.efi.extra.d/0-ünï.cred"
printf 'h' >"$H/EFI/Linux/sc.efi.extra.d/.h.cred"
mkdir -p "$H/EFI/Linux/sc.efi.extra.d/0dir.cred"
printf 'g' >"$H/loader/credentials/ok.cred"
printf 'a file, not a directory' >"$H/loader/extensions"   # its bytes must not be read as entries
head -c 4096 /dev/urandom >"$H/EFI/Linux/sc.efi.extra.d/s.raw"
$MODEL "$H" /EFI/Linux/sc.efi keel "$WORK/model-hostile"
esp_image_create "$WORK/hostile.img"
esp_put "$WORK/hostile.img" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$WORK/hostile.img" /loader/loader.conf $'timeout 0\n'
esp_put "$WORK/hostile.img" "$WORK/keel-uki.efi" /EFI/Linux/sc.efi
mcopy -s -o -i "$WORK/hostile.img@@1M" "$H/EFI/Linux/sc.efi.extra.d" ::/EFI/Linux/
mcopy -s -o -i "$WORK/hostile.img@@1M" "$H/loader/credentials" "$H/loader/extensions" ::/loader/
start=$(date +%s)
qemu_boot "$WORK/hostile" "$WORK/hostile.img" || true
echo "  firmware to power-off in $(( $(date +%s) - start )) s"
check "$WORK/hostile" "$WORK/model-hostile" hostile
expect_eq "hostile: 128 credentials kept (the first by name), the global one, the sysext (the oversized one dropped)" \
        "$(report_value "$WORK/hostile" SIDECAR-COUNT)" 129
expect_true "hostile: the oversized credential is named on the console" \
        grep -aq 'keel: skipping .*a-too-big.cred: larger than' "$WORK/hostile/console.log"
expect_true "hostile: the non-ASCII names are named on the console" \
        bash -c "[ \$(grep -ac 'name is not ASCII' '$WORK/hostile/console.log') = 2 ]"
expect_true "hostile: the credentials past 128 are summed up in one line" \
        grep -aq 'has more than 128 .cred files: the 9873 that sort last are skipped' "$WORK/hostile/console.log"
expect_true "hostile: \\loader\\extensions as a file is named on the console, twice (sysexts, confexts)" \
        bash -c "[ \$(grep -ac 'keel: .loader.extensions is not a directory; ignored' '$WORK/hostile/console.log') = 2 ]"
expect_true "hostile: at most 10 keel lines on the console" \
        bash -c "[ \$(grep -ac '^keel: ' '$WORK/hostile/console.log') -le 10 ]"
exit $((FAILURES > 0))
