#!/bin/bash
# fwupd under Secure Boot with keel's keys, proven with Debian 13's fwupd
# itself (trixie's fwupd, fwupd-unsigned and fwupd-amd64-signed in a cached
# mmdebstrap tree, never on the host; no QEMU): fwupdtool's uefi-capsule
# plugin installs a small capsule for a fake ESRT entry, with fake firmware
# the way fwupd's own self tests make it (FWUPD_SYSFSFWDIR: fw_platform_size,
# esrt/entries/entry0, an efivars directory that is a mount point, holding
# SecureBoot = 1; FWUPD_UEFI_ESP_PATH: the ESP). What a user checks is
# asserted: the ESP's \EFI\debian\fwupdx64.efi, BootNext and the Boot####
# it names (decoded by efibootmgr's libefiboot, tests/efiboot_peer.py).
#
# - Debian as installed (Debian's shim-chain signed helper), Secure Boot on:
#   fwupd refuses without shim on the ESP; with DisableShimForSecureBoot it
#   puts Debian's signed helper on the ESP, which keel's db does not accept.
# - The README's step (dpkg-divert, keel sign into fwupdx64.efi.signed):
#   the ESP gets exactly keel's db-signed helper, BootNext names a Boot####
#   "Linux Firmware Updater" that starts \EFI\debian\fwupdx64.efi.
# - NixOS's case (only the unsigned helper in fwupd's EFI directory, as
#   fwupd-efi's store path holds): fwupd refuses; with the directory the
#   keel module's hook writes (nix/lib.nix, run here) bound read-only over
#   the EFI directory (as the module's fwupd.service drop-in
#   BindReadOnlyPaths= does) it takes keel's signed helper.
# Usage: tests/cli/test-fwupd.sh BUILD_DIR
set -u
T=$(mktemp -d)
cleanup() {
        mountpoint -q "$T/root" 2>/dev/null && umount "$T/root"
        rm -rf "$T"
}
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
need_tools mmdebstrap unshare openssl sbverify python3 xxd nix-instantiate
umask 022
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=$SRC/scripts/debian-suite
PEER=$SRC/tests/efiboot_peer.py
EFIAPPDIR=/usr/libexec/fwupd/efi
GLOBAL=8be4df61-93ca-11d2-aa0d-00e098032b8c
FW_CLASS=ddc0ee61-e7f0-4e7d-acc5-c070a398838e

CHROOT=$("$SUITE" "$BUILD" trixie chroot fwupd fwupd fwupd-unsigned fwupd-amd64-signed) ||
        { fail "the trixie tree with fwupd (mmdebstrap)"; summary; exit; }
echo "trixie: fwupd $(chroot "$CHROOT" dpkg-query -W -f '${Version}' fwupd)"

# The firmware fwupd sees: a 64-bit UEFI with one ESRT entry (system
# firmware) and Secure Boot on (efivarfs layout: 4 attribute bytes, value).
mkdir -p "$T/fw/efi/esrt/entries/entry0" "$T/fw/efi/efivars" "$T/share"
entry=$T/fw/efi/esrt/entries/entry0
echo 64 >"$T/fw/efi/fw_platform_size"
echo "$FW_CLASS" >"$entry/fw_class"
echo 1 >"$entry/fw_type"
echo 65586 >"$entry/fw_version"
echo 0 >"$entry/lowest_supported_fw_version"
echo 0 >"$entry/last_attempt_version"
echo 0 >"$entry/last_attempt_status"
echo 0x50000 >"$entry/capsule_flags"
printf '\x06\x00\x00\x00\x01' >"$T/fw/efi/efivars/SecureBoot-$GLOBAL"
head -c 64 /dev/urandom >"$T/share/capsule.bin"

openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=keel fwupd db" -days 3650 \
        -keyout "$T/db.key" -out "$T/db.crt" 2>/dev/null
# What the README's `keel sign` line writes, signed by the host's keel
# (test-deb-package.sh runs that line with the package's keel in trixie).
"$KEEL" sign --key "$T/db.key" --cert "$T/db.crt" -o "$T/share/keel-signed.efi" "$CHROOT$EFIAPPDIR/fwupdx64.efi" ||
        { fail "keel sign fwupdx64.efi"; summary; exit; }

# new_system NAME: a fresh machine: the tree (an overlay, changes in
# $T/NAME/upper), the firmware above, an empty ESP with \EFI\debian.
new_system() {
        SYS=$T/$1
        mkdir -p "$SYS/upper" "$SYS/work" "$SYS/esp/EFI/debian"
        cp -a "$T/fw" "$SYS/fw"
}

# in_system [--efi-dir DIR] CMD...: CMD in the current system, the fake
# firmware at /fakefw (its efivars a mount point, as fwupd requires), the
# ESP at /boot/efi, $T/share at /x; --efi-dir: DIR bound read-only over
# fwupd's EFI directory first.
in_system() {
        local efidir=
        if [ "$1" = --efi-dir ]; then efidir=$2; shift 2; fi
        mkdir -p "$T/root"
        unshare --mount --fork bash -c '
                mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$3" || exit 1
                if [ -n "$4" ]; then mount --bind -o ro "$4" "$3$5" || exit 1; fi
                suite=$6 build=$7 share=$8 sys=$2 root=$3
                shift 8
                exec "$suite" "$build" trixie run "$root" --bind "$sys/fw:/fakefw" \
                        --bind "$sys/fw/efi/efivars:/fakefw/efi/efivars" --bind "$sys/esp:/boot/efi" \
                        --bind "$share:/x" -- "$@"' \
                bash "$CHROOT" "$SYS" "$T/root" "$efidir" "$EFIAPPDIR" "$SUITE" "$BUILD" "$T/share" "$@"
}

# fwupd_install [--efi-dir DIR]: fwupdtool installs the capsule on the
# ESRT device (uefi-capsule plugin only; --force: the fake firmware has no
# SMBIOS vendor); output in $SYS/fwupd.log.
fwupd_install() {
        local id
        in_system "$@" env FWUPD_SYSFSFWDIR=/fakefw FWUPD_UEFI_ESP_PATH=/boot/efi \
                fwupdtool --plugins uefi-capsule get-devices --json >"$SYS/devices.json" 2>/dev/null
        id=$(python3 -c 'import json, sys
for d in json.load(open(sys.argv[1])).get("Devices", []):
    if sys.argv[2] in d.get("Guid", []): print(d["DeviceId"])' "$SYS/devices.json" "$FW_CLASS") ||
                id=
        [ -n "$id" ] || { echo "fwupd found no device for ESRT $FW_CLASS" >"$SYS/fwupd.log"; echo 1 >"$SYS/fwupd.rc"; return 1; }
        in_system "$@" env FWUPD_SYSFSFWDIR=/fakefw FWUPD_UEFI_ESP_PATH=/boot/efi \
                fwupdtool --plugins uefi-capsule --force install-blob /x/capsule.bin "$id" \
                </dev/null >"$SYS/fwupd.log" 2>&1
        local rc=$?
        echo $rc >"$SYS/fwupd.rc"
        return $rc
}

# disable_shim_for_secure_boot: the fwupd.conf setting a machine without
# shim needs (fwupd otherwise insists on starting its helper through shim),
# added as the README says.
disable_shim_for_secure_boot() {
        in_system sh -c "printf '\n[uefi_capsule]\nDisableShimForSecureBoot=true\n' >>/etc/fwupd/fwupd.conf"
}

# boot_next: "BootXXXX" that BootNext names, or nothing.
boot_next() {
        local f=$SYS/fw/efi/efivars/BootNext-$GLOBAL
        [ -f "$f" ] && [ "$(stat -c %s "$f")" = 6 ] || return 1
        printf 'Boot%s\n' "$(tail -c 2 "$f" | xxd -p | sed 's/\(..\)\(..\)/\2\1/' | tr a-f A-F)"
}

# description FILE: a Boot#### load option's description (efivarfs file).
description() {
        python3 -c 'import sys
b = open(sys.argv[1], "rb").read()[4 + 6:]
print(b[:b.index(b"\0\0\0") + 1].decode("utf-16-le").rstrip("\0"))' "$1"
}

# expect_helper_started WHAT: BootNext names a Boot#### "Linux Firmware
# Updater" whose device path is \EFI\debian\fwupdx64.efi on the ESP.
expect_helper_started() {
        local next opt
        if ! next=$(boot_next); then
                fail "$1: BootNext is set"
                return
        fi
        opt=$SYS/fw/efi/efivars/$next-$GLOBAL
        check "$1: BootNext = $next, \"Linux Firmware Updater\"" \
                test -f "$opt" -a "$(description "$opt" 2>/dev/null)" = "Linux Firmware Updater"
        check "$1: $next starts File(\\EFI\\debian\\fwupdx64.efi) (libefiboot)" \
                bash -c "python3 '$PEER' decode '$opt' | paste -sd' ' |
                        grep -qxF 'valid HD(0,GPT,00000000-0000-0000-0000-000000000000,0x0,0x0)/File(\\EFI\\debian\\fwupdx64.efi)'"
}

# expect_keel_helper WHAT SIGNED: fwupdtool succeeded, the capsule is on
# the ESP, the ESP's helper is exactly SIGNED, keel's db-signed one.
expect_keel_helper() {
        local helper=$SYS/esp/EFI/debian/fwupdx64.efi signed=$2
        check "$1: fwupdtool install-blob succeeds" test "$(cat "$SYS/fwupd.rc")" = 0
        [ "$(cat "$SYS/fwupd.rc")" = 0 ] || tail -n 5 "$SYS/fwupd.log" | sed 's/^/    /'
        check "$1: the capsule on the ESP (\\EFI\\debian\\fw\\fwupd-$FW_CLASS.cap)" \
                test -s "$SYS/esp/EFI/debian/fw/fwupd-$FW_CLASS.cap"
        check "$1: \\EFI\\debian\\fwupdx64.efi is keel's signed helper, byte for byte" \
                cmp -s "$helper" "$signed"
        check "$1: sbverify accepts it with keel's db certificate" \
                bash -c "sbverify --cert '$T/db.crt' '$helper' >/dev/null 2>&1"
        expect_helper_started "$1"
}

# ---- Debian: the packages as installed ------------------------------------
new_system debian-shim
if fwupd_install; then
        fail "Debian, Secure Boot, no shim on the ESP: fwupd refuses (it installed)"
else
        check "Debian, Secure Boot, no shim on the ESP: fwupd refuses ($(tail -n 1 "$SYS/fwupd.log"))" \
                grep -q "Secure boot is enabled, but shim isn't installed" "$SYS/fwupd.log"
fi
check "  ... and sets no BootNext" test ! -e "$SYS/fw/efi/efivars/BootNext-$GLOBAL"

new_system debian
disable_shim_for_secure_boot
fwupd_install
check "Debian, DisableShimForSecureBoot: the ESP gets Debian's signed helper" \
        cmp -s "$SYS/esp/EFI/debian/fwupdx64.efi" "$CHROOT$EFIAPPDIR/fwupdx64.efi.signed"
check "  ... which keel's db does not accept (sbverify)" \
        bash -c "! sbverify --cert '$T/db.crt' '$SYS/esp/EFI/debian/fwupdx64.efi' >/dev/null 2>&1"

# ---- Debian with the README's step -----------------------------------------
new_system debian-keel
disable_shim_for_secure_boot
run "the README's step: dpkg-divert Debian's fwupdx64.efi.signed, keel's signature in its place" in_system sh -ec "
        dpkg-divert --local --rename --divert $EFIAPPDIR/fwupdx64.efi.signed.debian --add $EFIAPPDIR/fwupdx64.efi.signed
        cp /x/keel-signed.efi $EFIAPPDIR/fwupdx64.efi.signed"
fwupd_install
expect_keel_helper "Debian + keel sign" "$T/share/keel-signed.efi"

# ---- NixOS: only the unsigned helper in fwupd's EFI directory -------------
new_system nixos
disable_shim_for_secure_boot
in_system rm -f "$EFIAPPDIR/fwupdx64.efi.signed"
if fwupd_install; then
        fail "unsigned helper only, Secure Boot: fwupd refuses (it installed)"
else
        check "unsigned helper only, Secure Boot: fwupd refuses ($(tail -n 1 "$SYS/fwupd.log"))" \
                grep -q "$EFIAPPDIR/fwupdx64.efi.signed cannot be found" "$SYS/fwupd.log"
fi
check "  ... and puts no helper on the ESP" test ! -e "$SYS/esp/EFI/debian/fwupdx64.efi"

new_system nixos-keel
disable_shim_for_secure_boot
in_system rm -f "$EFIAPPDIR/fwupdx64.efi.signed"
# The directory the keel module's hook writes (nix/lib.nix fwupdSignScript,
# run on trixie's EFI directory): the helper and keel's signature.
{ echo 'set -eu; die() { echo "keel-install-hook: $1" >&2; exit 1; }'
  nix-instantiate --eval --strict --json -E "(import $SRC/nix/lib.nix).fwupdSignScript {
        keel = \"$KEEL\"; fwupdEfiDir = \"$CHROOT$EFIAPPDIR\"; signedDir = \"$T/keel-fwupd-efi\";
        privateKeyFile = \"$T/db.key\"; certificateFile = \"$T/db.crt\"; }" 2>/dev/null |
        python3 -c 'import json, sys; sys.stdout.write(json.load(sys.stdin))'; } >"$T/fwupd-sign.sh"
run "the NixOS hook's fwupd signing (nix/lib.nix) on trixie's EFI directory" bash "$T/fwupd-sign.sh"
check "  ... wrote fwupdx64.efi and fwupdx64.efi.signed" \
        test "$(ls -A "$T/keel-fwupd-efi" 2>/dev/null | tr '\n' ' ')" = "fwupdx64.efi fwupdx64.efi.signed "
fwupd_install --efi-dir "$T/keel-fwupd-efi"
expect_keel_helper "the hook's directory bound over fwupd's EFI directory" "$T/keel-fwupd-efi/fwupdx64.efi.signed"
summary
