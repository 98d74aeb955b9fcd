#!/bin/bash
# keel image and keel uki build --roothash/--usrhash, checked with the
# tools that read what keel writes: sfdisk (the GPT: Discoverable Partitions
# types, PARTUUIDs from the root hash, names, read-only flag), veritysetup
# (verify and dump of the hash partition), fsck.erofs/unsquashfs (the root
# file system holds the tree), fsck.vfat/mtools (the ESP holds the loader
# and UKIs), objcopy (the UKI's .cmdline).
# Usage: tests/cli/test-image.sh BUILD_DIR
set -u
SDBOOT=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
umask 022
export MTOOLS_SKIP_CHECK=1

roothash_of() { sed -n 's/^Root hash:[[:space:]]*//p' "$1"; }
as_uuid() { sed 's/^\(........\)\(....\)\(....\)\(....\)\(............\)$/\1-\2-\3-\4-\5/' <<<"$1"; }
# partition DISK N FIELD: a field of sfdisk's JSON for partition N.
partition() {
        sfdisk --json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['partitiontable']['partitions'][$2 - 1].get('$3', ''))"
}
extract() { # extract DISK N OUT
        local start size
        start=$(partition "$1" "$2" start)
        size=$(partition "$1" "$2" size)
        dd if="$1" of="$3" bs=512 skip="$start" count="$size" status=none
}

KERNEL=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
mkdir -p "$T/root/usr/bin" "$T/root/etc" "$T/root/usr/share/doc"
printf 'ID=keeltest\n' >"$T/root/etc/os-release"
seq 1 50000 >"$T/root/usr/share/doc/numbers"
cp /bin/true "$T/root/usr/bin/true"
ln -s ../usr/bin/true "$T/root/etc/link"
mkdir "$T/root/empty-dir"

echo "# keel uki build --roothash / --usrhash"
"$KEEL" image --root "$T/root" --roothash-only >"$T/rh.out" 2>"$T/rh.err"
RH=$(roothash_of "$T/rh.out")
check "--roothash-only prints a SHA-256 root hash" grep -Eq '^[0-9a-f]{64}$' <<<"$RH"
"$KEEL" image --root "$T/root" --roothash-only >"$T/rh2.out"
check "the same tree gives the same root hash" cmp -s "$T/rh.out" "$T/rh2.out"
check "--roothash-only leaves no temporary behind" bash -c "! ls -a '${TMPDIR:-/tmp}' | grep -q '^\.keel-image-' || true"

uki_cmdline() { objcopy -O binary --only-section=.cmdline "$1" "$T/cmdline.bin" && cat "$T/cmdline.bin"; }
"$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --cmdline "console=ttyS0 quiet" --roothash "$RH" -o "$T/a.efi"
check "--roothash appends roothash= to .cmdline (exactly these bytes)" \
        test "$(uki_cmdline "$T/a.efi")" = "console=ttyS0 quiet roothash=$RH"
"$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --roothash "$(tr a-f A-F <<<"$RH")" --usrhash "${RH:0:40}" -o "$T/b.efi"
check "--roothash alone, upper-case hex normalised, with a 160-bit --usrhash" \
        test "$(uki_cmdline "$T/b.efi")" = "roothash=$RH usrhash=${RH:0:40}"
MEASURE=/usr/lib/systemd/systemd-measure
if [ -x "$MEASURE" ]; then
        pcr_same() {
                printf 'console=ttyS0 quiet roothash=%s' "$RH" >"$T/expected.cmdline"
                objcopy -O binary --only-section=.linux "$T/a.efi" "$T/linux.bin"
                [ "$("$MEASURE" calculate --linux="$T/linux.bin" --cmdline="$T/cmdline.bin" --bank=sha256 2>&1)" = \
                  "$("$MEASURE" calculate --linux="$KERNEL" --cmdline="$T/expected.cmdline" --bank=sha256 2>&1)" ]
        }
        uki_cmdline "$T/a.efi" >/dev/null
        check "systemd-measure predicts PCR 11 from the UKI's sections as from the plain command line" pcr_same
fi
expect_error "--roothash not hex" "$T/x.efi" "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --roothash "zz${RH:2}" -o "$T/x.efi"
expect_error "--roothash of no digest size" "$T/x.efi" "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --roothash abcd -o "$T/x.efi"
expect_error "--roothash given twice" "$T/x.efi" "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --roothash "$RH" --roothash "$RH" -o "$T/x.efi"
expect_error "--roothash when --cmdline has one" "$T/x.efi" \
        "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --cmdline "roothash=$RH" --roothash "$RH" -o "$T/x.efi"
expect_error "--usrhash when --cmdline has rd.usrhash=" "$T/x.efi" \
        "$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --cmdline "a rd.usrhash=$RH" --usrhash "$RH" -o "$T/x.efi"

echo "# keel image: erofs root"
printf 'timeout 0\n' >"$T/loader.conf"
"$KEEL" image --root "$T/root" --loader "$SDBOOT" --uki "$T/a.efi" --esp-file "$T/loader.conf:/loader/loader.conf" \
        -o "$T/disk.img" >"$T/image.out" 2>"$T/image.err"
check "keel image succeeds silently on stderr" test ! -s "$T/image.err"
check "it reports the same root hash" test "$(roothash_of "$T/image.out")" = "$RH"
check "GPT with three partitions" test "$(sfdisk --json "$T/disk.img" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["partitiontable"]["partitions"]))')" = 3
check "partition 1 is an ESP" test "$(partition "$T/disk.img" 1 type)" = C12A7328-F81F-11D2-BA4B-00A0C93EC93B
check "partition 2 is root-x86-64" test "$(partition "$T/disk.img" 2 type)" = 4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
check "partition 3 is root-x86-64-verity" test "$(partition "$T/disk.img" 3 type)" = 2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5
check "data PARTUUID = first 128 bits of the root hash" \
        test "$(partition "$T/disk.img" 2 uuid)" = "$(as_uuid "$(tr a-f A-F <<<"${RH:0:32}")")"
check "hash PARTUUID = last 128 bits of the root hash" \
        test "$(partition "$T/disk.img" 3 uuid)" = "$(as_uuid "$(tr a-f A-F <<<"${RH:32:32}")")"
check "partition names as systemd-repart gives them" \
        test "$(partition "$T/disk.img" 2 name)/$(partition "$T/disk.img" 3 name)" = "root-x86-64/root-x86-64-verity"
check "data and hash partitions are flagged read-only (GUID:60)" \
        test "$(partition "$T/disk.img" 2 attrs)/$(partition "$T/disk.img" 3 attrs)" = "GUID:60/GUID:60"
check "partitions are 1 MiB aligned" test $(( $(partition "$T/disk.img" 2 start) % 2048 + $(partition "$T/disk.img" 3 start) % 2048 )) = 0
extract "$T/disk.img" 2 "$T/data.part"
extract "$T/disk.img" 3 "$T/hash.part"
check "veritysetup verify accepts the data and hash partitions" veritysetup verify "$T/data.part" "$T/hash.part" "$RH"
check "veritysetup dump: sha256, 4096-byte blocks, a data block count that covers the partition" \
        test "$(veritysetup dump "$T/hash.part" | sed -n 's/^Data blocks:[[:space:]]*//p')" = $(( $(stat -c %s "$T/data.part") / 4096 ))
check "fsck.erofs accepts the root file system" fsck.erofs "$T/data.part"
tree_matches() {
        rm -rf "$T/x" && fsck.erofs --extract="$T/x" "$T/data.part" >/dev/null 2>&1 && diff -r --no-dereference "$T/root" "$T/x"
}
check "the root file system holds exactly the tree" tree_matches
extract "$T/disk.img" 1 "$T/esp.part"
fsck_esp() { fsck.vfat -n "$T/esp.part" >"$T/fsck.out" 2>&1 && grep -q "clusters" "$T/fsck.out"; }
check "fsck.vfat accepts the ESP (FAT32)" fsck_esp
esp_has() { mcopy -n -i "$T/disk.img@@1M" "::$1" "$T/got" 2>/dev/null && cmp -s "$T/got" "$2"; rm -f "$T/got"; }
check "the loader is \\EFI\\BOOT\\BOOTX64.EFI" esp_has /EFI/BOOT/BOOTX64.EFI "$SDBOOT"
check "the UKI is in \\EFI\\Linux" esp_has /EFI/Linux/a.efi "$T/a.efi"
check "the extra file is in place" esp_has /loader/loader.conf "$T/loader.conf"
"$KEEL" image --root "$T/root" --loader "$SDBOOT" --uki "$T/a.efi" --esp-file "$T/loader.conf:/loader/loader.conf" \
        -o "$T/disk2.img" >/dev/null
check "the same inputs give the same image, byte for byte" cmp -s "$T/disk.img" "$T/disk2.img"
rm -f "$T/disk2.img" "$T/data.part" "$T/hash.part" "$T/esp.part"

echo "# keel image: a root of a real OS's size"
# 300 MiB of root: the ESP at the start of a large image must still be
# written (mtools addressing IMAGE@@OFFSET in such a file fails with "No
# directory slots"; keel makes the ESP in its own file).
mkdir -p "$T/bigroot/usr/share"
head -c 300M /dev/zero >"$T/bigroot/usr/share/big"
"$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --cmdline quiet -o "$T/plain.efi"
"$KEEL" image --root "$T/bigroot" --loader "$SDBOOT" --uki "$T/plain.efi" -o "$T/big.img" >/dev/null 2>"$T/big.err" ||
        cat "$T/big.err"
check "keel image of a 300 MiB root succeeds" test -s "$T/big.img"
check "its ESP holds the UKI" sh -c "mcopy -n -i '$T/big.img@@1M' ::/EFI/Linux/plain.efi '$T/got' 2>/dev/null && cmp -s '$T/got' '$T/plain.efi'"
extract "$T/big.img" 1 "$T/esp.part"
check "fsck.vfat accepts its ESP" fsck_esp
rm -rf "$T/bigroot" "$T/big.img" "$T/esp.part" "$T/got" "$T/plain.efi" "$T/big.err"

echo "# keel image: squashfs, /usr, other verity parameters"
"$KEEL" image --root "$T/root" --fs squashfs --usr --hash sha512 --data-block-size 4096 --hash-block-size 1024 \
        --salt 00112233 --roothash-only >"$T/sq.out"
RH2=$(roothash_of "$T/sq.out")
"$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --usrhash "$RH2" -o "$T/u.efi"
"$KEEL" image --root "$T/root" --fs squashfs --usr --hash sha512 --data-block-size 4096 --hash-block-size 1024 \
        --salt 00112233 --loader "$SDBOOT" --uki "$T/u.efi" --uki "$T/a.efi" -o "$T/sq.img" >"$T/sq2.out" 2>"$T/sq2.err"
check "squashfs /usr image with a sha512 root hash (128 hex digits)" grep -Eq '^[0-9a-f]{128}$' <<<"$RH2"
check "a UKI bound to nothing for /usr gets a warning" grep -q "^keel: warning: UKI .*a.efi carries no usrhash=" "$T/sq2.err"
check "partition 2 is usr-x86-64" test "$(partition "$T/sq.img" 2 type)" = 8484680C-9521-48C6-9C11-B0720656F69E
check "partition 3 is usr-x86-64-verity" test "$(partition "$T/sq.img" 3 type)" = 77FF5F63-E7B6-4633-ACF4-1565B864C0E6
check "hash PARTUUID = last 128 bits of a 512-bit root hash" \
        test "$(partition "$T/sq.img" 3 uuid)" = "$(as_uuid "$(tr a-f A-F <<<"${RH2:96:32}")")"
extract "$T/sq.img" 2 "$T/data.part"
extract "$T/sq.img" 3 "$T/hash.part"
check "veritysetup verify accepts them (--salt and block sizes from the superblock)" \
        veritysetup verify "$T/data.part" "$T/hash.part" "$RH2"
check "veritysetup dump shows the salt given" test "$(veritysetup dump "$T/hash.part" | sed -n 's/^Salt:[[:space:]]*//p')" = 00112233
squash_matches() {
        rm -rf "$T/x" && unsquashfs -q -n -d "$T/x" "$T/data.part" >/dev/null && diff -r --no-dereference "$T/root" "$T/x"
}
check "unsquashfs gives back exactly the tree" squash_matches
rm -f "$T/sq.img" "$T/data.part" "$T/hash.part"

echo "# keel image: bad input"
"$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --roothash "$(printf '%064d' 0)" -o "$T/wrong.efi"
expect_error "UKI bound to another root hash" "$T/bad.img" \
        "$KEEL" image --root "$T/root" --loader "$SDBOOT" --uki "$T/wrong.efi" -o "$T/bad.img"
expect_error "missing --root" "$T/bad.img" "$KEEL" image --loader "$SDBOOT" --uki "$T/a.efi" -o "$T/bad.img"
expect_error "--root not a directory" "$T/bad.img" "$KEEL" image --root "$SDBOOT" --loader "$SDBOOT" --uki "$T/a.efi" -o "$T/bad.img"
expect_error "unknown --fs" "$T/bad.img" "$KEEL" image --root "$T/root" --fs btrfs --loader "$SDBOOT" --uki "$T/a.efi" -o "$T/bad.img"
expect_error "missing --loader" "$T/bad.img" "$KEEL" image --root "$T/root" --uki "$T/a.efi" -o "$T/bad.img"
expect_error "no --uki" "$T/bad.img" "$KEEL" image --root "$T/root" --loader "$SDBOOT" -o "$T/bad.img"
expect_error "loader file missing" "$T/bad.img" "$KEEL" image --root "$T/root" --loader "$T/nonexistent" --uki "$T/a.efi" -o "$T/bad.img"
expect_error "--uki that is not a UKI" "$T/bad.img" "$KEEL" image --root "$T/root" --loader "$SDBOOT" --uki "$SDBOOT" -o "$T/bad.img"
expect_error "--esp-file with a relative destination" "$T/bad.img" \
        "$KEEL" image --root "$T/root" --loader "$SDBOOT" --uki "$T/a.efi" --esp-file "$T/loader.conf:loader.conf" -o "$T/bad.img"
expect_error "--esp-file onto the loader's path" "$T/bad.img" \
        "$KEEL" image --root "$T/root" --loader "$SDBOOT" --uki "$T/a.efi" --esp-file "$T/loader.conf:/efi/boot/bootx64.efi" -o "$T/bad.img"
expect_error "--esp-size below the FAT32 minimum" "$T/bad.img" \
        "$KEEL" image --root "$T/root" --loader "$SDBOOT" --uki "$T/a.efi" --esp-size 8 -o "$T/bad.img"
expect_error "bad hex --salt" "$T/bad.img" "$KEEL" image --root "$T/root" --salt xyz --loader "$SDBOOT" --uki "$T/a.efi" -o "$T/bad.img"
expect_error "unknown --hash" "$T/bad.img" "$KEEL" image --root "$T/root" --hash md5 --loader "$SDBOOT" --uki "$T/a.efi" -o "$T/bad.img"
keep_existing() {
        cp "$T/disk.img" "$T/keep.img"
        "$KEEL" image --root "$T/root" --loader "$SDBOOT" --uki "$T/wrong.efi" -o "$T/keep.img" 2>/dev/null && return 1
        cmp -s "$T/disk.img" "$T/keep.img" && [ -z "$(find "$T" -maxdepth 1 -name '.keel-image-*' -o -maxdepth 1 -name 'keep.img.*')" ]
}
check "a failed build leaves an existing image untouched and no temporaries" keep_existing

summary
