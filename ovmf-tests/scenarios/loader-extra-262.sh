#!/bin/bash
# Type #1 `extra` companion files (systemd 261/262), keel against systemd
# 262 (Debian sid) on the same ESP, compared as data. One ESP, two Type #1
# `uki` entries with the same `extra` lines — a credential, a system
# extension, a configuration extension, a file of no known kind and a
# missing one — the first for a keel UKI, the second for a systemd-stub 262
# UKI (ukify 262); both UKIs carry the same reporting initramfs, which lists
# /.extra below its top level. Four boots: each entry started by keel's
# loader and by systemd-boot 262. For each UKI, what keel's loader gives it
# must equal what systemd-boot 262 gives it: the companions in /.extra
# (names, modes, bytes), PCR 12 and 13 and their events. Then a keel UKI
# offered a hostile initrd (initrd-inject.efi serves a cpio with an `init`
# and a credential on Linux's initrd device path and starts the UKI): it
# boots without any of it, saying so on one console line.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
source "$(dirname "$0")/../sb-lib.sh"
source "$(dirname "$0")/../pcr-lib.sh"
source "$(dirname "$0")/../peers-lib.sh"
WORK=$1
SUITE=sid
COMPARE="python3 $KEEL_SRC/ovmf-tests/peers-compare.py"
start=$(date +%s)
peer_announce "$SUITE"
peer_prepare "$SUITE"
SD_BOOT=$(peer_efi "$SUITE" amd64 systemd-bootx64.efi)
efi_helpers

# --- The UKIs: keel's and systemd-stub 262's, the same initramfs.
I=$WORK/in
mkdir -p "$I"
cp "$KEEL_SRC/ovmf-tests/sidecar-list.sh" "$I/scenario"
build_initramfs "$I/initrd" "$I/scenario"
make_keel_uki "$I/keel-uki.efi" keeltest 1 keel-uki "$I/initrd"
printf 'ID=sdtest\nVERSION_ID=1\n' >"$I/osrel"
peer_uki "$SUITE" "$I/sd-uki.efi" "$(kernel_image)" "$I/initrd" \
        "console=ttyS0 loglevel=1 panic=-1 keel.test=sd-uki" "$I/osrel"

# --- One ESP tree; each loader gets a copy of it.
T=$WORK/esp
mkdir -p "$T/EFI/BOOT" "$T/EFI/os" "$T/companions" "$T/loader/entries"
cp "$I/keel-uki.efi" "$T/EFI/os/keel.efi"
cp "$I/sd-uki.efi" "$T/EFI/os/sd.efi"
printf 'companion credential\n' >"$T/companions/site.cred"
head -c 3001 /dev/urandom >"$T/companions/tools.sysext.raw"
head -c 1999 /dev/urandom >"$T/companions/etc.confext.raw"
printf 'not a companion\n' >"$T/companions/notes.txt"
for uki in keel sd; do
        printf '%s\n' "title $uki UKI with companions" "uki /EFI/os/$uki.efi" "extra /companions/site.cred" \
                "extra /companions/tools.sysext.raw" "extra /companions/notes.txt" \
                "extra /companions/missing.cred" "extra /companions/etc.confext.raw" \
                >"$T/loader/entries/$uki-uki.conf"
done
esp_of() { # LOADER OUT
        esp_image_create "$2"
        mcopy -s -o -i "$2@@1M" "$T"/* ::/
        esp_put "$2" "$1" /EFI/BOOT/BOOTX64.EFI
}
esp_of "$KEEL_EFI" "$WORK/keel.img"
esp_of "$SD_BOOT" "$WORK/sd.img"

# facts WORKDIR: the compared facts of a boot — the companions in /.extra,
# PCR 12 and 13, their events.
facts() {
        $COMPARE facts "$1" | grep -E '^(extra /\.extra/(credentials|sysext|confext)|pcr sha(1|256) 1[23]|event 1[23] )' || true
}
boot() { # LOADER UKI
        local w=$WORK/$1-$2 t
        cp --sparse=always "$WORK/$1.img" "$w.img"
        esp_write "$w.img" /loader/loader.conf "$(printf 'timeout 0\ndefault %s-uki.conf\n' "$2")"
        t=$(date +%s)
        qemu_boot "$w" "$w.img" || true
        echo "  $1 loader, $2 UKI: booted and reported in $(( $(date +%s) - t )) s"
        expect_report_complete "$w"
        expect_eq "$1 loader, $2 UKI: booted" "$(booted_marker "$w")" "$2-uki"
        expect_true "$1 loader, $2 UKI: tpm2_eventlog parses the event log" eventlog_parse "$w"
        facts "$w" >"$w/facts.txt"
}
for uki in keel sd; do
        echo "-- the $uki UKI's entry, started by keel and by systemd-boot $(peer_version "$SUITE")"
        boot keel "$uki"
        boot sd "$uki"
        k=$WORK/keel-$uki s=$WORK/sd-$uki
        for d in credentials/site.cred sysext/tools.sysext.raw confext/etc.confext.raw; do
                expect_true "$uki UKI: systemd-boot 262 gave it /.extra/$d" grep -q "^extra /.extra/$d " "$s/facts.txt"
        done
        expect_eq "$uki UKI: /.extra from systemd-boot 262: the three companions and their directories" \
                "$(grep -c '^extra ' "$s/facts.txt")" 6
        expect_true "$uki UKI: systemd-boot 262 measured companions into PCR 12 and 13" \
                grep -q "^event 13 EV_IPL 'Entry system extension initrd'" "$s/facts.txt"
        expect_eq "$uki UKI: keel's loader = systemd-boot 262 (/.extra companions, PCR 12/13 and their events)" \
                "$(diff "$k/facts.txt" "$s/facts.txt" && echo same)" same
        expect_true "$uki UKI: keel's loader named the file of no known kind" \
                console_has "$k" "keel: $uki-uki.conf: skipping extra file /companions/notes.txt: extra file: not \\.cred"
        expect_true "$uki UKI: and the missing one" \
                console_has "$k" "keel: $uki-uki.conf: skipping extra file /companions/missing.cred: "
done
echo "-- a keel UKI offered a hostile initrd (not companion archives) boots without it"
H=$WORK/hostile
mkdir -p "$H/root/.extra/credentials"
printf '#!/bin/sh\necho HOSTILE-INIT-RAN\n' >"$H/root/init"
printf 'planted\n' >"$H/root/.extra/credentials/planted.cred"
(cd "$H/root" && find . -print0 | sort -z | cpio --null --create --format=newc --quiet --reproducible) >"$H/evil.cpio"
esp_image_create "$H.img"
esp_put "$H.img" "$EFI_HELPERS/initrd-inject.efi" /EFI/BOOT/BOOTX64.EFI
mmd -i "$H.img@@1M" ::/EFI/keel
esp_put "$H.img" "$I/keel-uki.efi" /EFI/keel/noinitrd.efi
esp_put "$H.img" "$H/evil.cpio" /evil.cpio
qemu_boot "$H" "$H.img" || true
expect_report_complete "$H"
expect_eq "the keel UKI booted with its own initrd" "$(booted_marker "$H")" keel-uki
expect_true "the helper served the hostile initrd" console_has "$H" "INITRD-INJECT: starting"
expect_true "the stub said it ignores it, and why" \
        console_has "$H" "keel: ignoring the initrd offered from outside this UKI: offered initrd: "
expect_true "none of it reached the kernel" bash -c "! tr -d '\r' <'$H/report.log' | grep -aq 'planted\|HOSTILE-INIT-RAN'"
echo "  scenario took $(( $(date +%s) - start )) s"
exit $((FAILURES > 0))
