#!/bin/bash
# SPDX-License-Identifier: MIT
# keel install's digest cache ($KEEL_CACHE_DIR/install-digests) against a
# Nix store whose file identities repeat: a squashfs image with fixed
# timestamps (mksquashfs -all-time -mkfs-time), loop-mounted, swapped for a
# second image in which only the kernel's bytes differ — same device (the
# same loop device), inode, size, ctime and mtime. The cache must not make
# keel pin the old kernel: after the swap, the signed thin UKI names the new
# kernel's SHA-256 and the ESP holds its bytes. And the cache keeps nothing
# for such files (it still does for the ordinary file system the other
# tests' stores are on).
#
#   tests/cli/test-install-cache.sh BUILD_DIR     (needs root: tmpfs ESP, loop mounts)
set -u

source "$(dirname "$0")/lib.sh"
need_build "$@"
need_tools python3 openssl sha256sum sbverify mksquashfs losetup blockdev

T=$(mktemp -d "${TMPDIR:-/tmp}/keel-install-cache.XXXXXX")
source "$(dirname "$0")/install-lib.sh"
STORE=$T/store
LOOP=
cleanup() {
        umount "$STORE" 2>/dev/null
        [ -z "$LOOP" ] || losetup -d "$LOOP" 2>/dev/null
        unmount_esps
        rm -rf "$T"
}
trap cleanup EXIT

# --no-boot-entry: these "ESPs" are tmpfs directories (test-install-boot-entry.sh covers the NVRAM).
install_() { "$KEEL" install --stub "$STUB" --no-boot-entry "$@"; }

# image NAME KERNEL: a store image holding one generation (boot.json, the
# kernel, an initrd) as it would be mounted at $STORE, every timestamp fixed.
image() {
        local tree=$T/tree-$1
        mkdir -p "$tree/gen"
        cp "$2" "$tree/gen/kernel"
        cp "$T/initrd" "$tree/gen/initrd"
        cat >"$tree/gen/boot.json" <<JSON
{
  "org.nixos.bootspec.v1": {
    "system": "x86_64-linux",
    "init": "$STORE/gen/init",
    "initrd": "$STORE/gen/initrd",
    "kernel": "$STORE/gen/kernel",
    "kernelParams": ["console=ttyS0"],
    "label": "NixOS squashfs store",
    "toplevel": "$STORE/gen"
  }
}
JSON
        mksquashfs "$tree" "$T/$1.sqfs" -noappend -no-xattrs -all-root -all-time 1700000000 -mkfs-time 1700000000 \
                -quiet >/dev/null
}
# Two kernels of the same size, different bytes.
{ cat "$STUB"; printf 'A'; } >"$T/kernel-1"
{ cat "$STUB"; printf 'B'; } >"$T/kernel-2"
image one "$T/kernel-1"
image two "$T/kernel-2"
size=$(stat -c %s "$T/one.sqfs")
[ "$(stat -c %s "$T/two.sqfs")" -le "$size" ] || size=$(stat -c %s "$T/two.sqfs")
size=$(( (size + 4095) / 4096 * 4096 ))
cp "$T/one.sqfs" "$T/disk"
truncate -s "$size" "$T/disk"

mkdir -p "$STORE"
if ! LOOP=$(losetup -f --show "$T/disk" 2>"$T/losetup.err") || ! mount -t squashfs -o ro "$LOOP" "$STORE" 2>"$T/mount.err"; then
        echo "# SKIP squashfs store: no loop mount here ($(cat "$T/losetup.err" "$T/mount.err" | head -c 200)); needs root and loop devices"
        LOOP=${LOOP:-}
        summary
        exit $?
fi
ln -sfn "$STORE/gen" "$T/profiles/system-1-link"
# identity FILE: what the cache keys on.
identity() { stat -c '%d %i %s %z %y' "$1"; }
# pinned_kernel UKI: the SHA-256 its .tlinux names.
pinned_kernel() { "$KEEL" uki inspect --json "$1" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print(j["tlinux"]["sha256"])' 2>/dev/null; }

new_esp "$T/esp"
openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/db.key" -out "$T/db.crt" -subj /CN=db -days 3650 2>/dev/null
SIGN=(--key "$T/db.key" --cert "$T/db.crt")
UKI=$T/esp/EFI/Linux/nixos-generation-1.efi
run "install from the squashfs store (image one)" install_ --esp "$T/esp" "${SIGN[@]}" $(gen_links 1)
check "the UKI pins kernel one" test "$(pinned_kernel "$UKI")" = "$(sha256sum <"$T/kernel-1" | cut -c1-64)"
before=$(identity "$STORE/gen/kernel")

# The swap: image two written over the same loop device, mounted again.
umount "$STORE"
dd if="$T/two.sqfs" of="$LOOP" bs=64k conv=notrunc status=none
blockdev --flushbufs "$LOOP"
mount -t squashfs -o ro "$LOOP" "$STORE"
check "after the swap: the kernel has the same device, inode, size, ctime and mtime ($before)" \
        test "$(identity "$STORE/gen/kernel")" = "$before"
check "... and other bytes" cmp -s "$STORE/gen/kernel" "$T/kernel-2"

run "install again from the swapped store (image two)" install_ --esp "$T/esp" "${SIGN[@]}" $(gen_links 1)
check "the signed UKI now pins kernel two" test "$(pinned_kernel "$UKI")" = "$(sha256sum <"$T/kernel-2" | cut -c1-64)"
run "sbverify accepts it" sbverify --cert "$T/db.crt" "$UKI"
check "the ESP holds kernel two's bytes under its name" \
        cmp -s "$T/esp/EFI/keel/content/$(sha256sum <"$T/kernel-2" | cut -c1-64).linux" "$T/kernel-2"
run "keel entries --check passes" "$KEEL" entries --esp "$T/esp" --check
install_ --esp "$T/esp" "${SIGN[@]}" --json $(gen_links 1) >"$T/again.json"
check "a third run (hashing the store again) writes nothing" python3 -c '
import json,sys; r=json.load(open(sys.argv[1])); sys.exit(not (r["bytes_written"] == 0 and r["operations"] == 0))' "$T/again.json"

# cached_files: "DEV INO" of each record in the cache file.
cached_files() {
        [ -e "$KEEL_CACHE_DIR/install-digests" ] || return 0
        python3 - "$KEEL_CACHE_DIR/install-digests" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
magic = d.index(b"\n") + 1
for off in range(magic, len(d), 88):
    dev, ino = struct.unpack_from("<QQ", d, off)
    print(dev, ino)
PY
}
# is_cached FILE: the cache has a record of FILE's device and inode (stat's
# %d is st_dev, as keel stores it).
is_cached() { cached_files | grep -qxF "$(stat -c '%d %i' "$1")"; }
squashfs_cached=no
is_cached "$STORE/gen/kernel" && squashfs_cached=yes
is_cached "$STORE/gen/initrd" && squashfs_cached=yes
check "the digest cache holds no record of a file on squashfs (kernel, initrd)" test "$squashfs_cached" = no

# Where timestamps prove a file unchanged (this scratch directory's file
# system), the cache is still used: a generation on it, installed twice.
sleep 2
mkgen 2
run "install a generation from an ordinary directory" install_ --esp "$T/esp" "${SIGN[@]}" $(gen_links 1 2)
check "... its kernel's digest is kept in the cache" is_cached "$T/kernel-a"

summary
