#!/bin/bash
# The loader on a hostile ESP: next to one good keel UKI, \loader\entries
# holds a few hundred files that must all be refused (missing kernels, path
# traversal, counters out of range, another architecture, a 100 KB line, a
# title over the field limit, NUL bytes, invalid UTF-8, CR-only line ends,
# random bytes) and \EFI\Linux holds broken UKIs (truncated, not a PE, a
# section table past the end of the file, an arm64 image, e_lfanew past the
# end, empty); loader.conf is random bytes. The firmware must boot the good
# UKI without a menu, list only it in LoaderEntries, and say why it skipped
# the rest.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
IMG=$WORK/disk.img

esp_image_create "$IMG" 128
esp_put "$IMG" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
make_keel_uki "$WORK/good.efi" goodos 1 hostile-esp-good
esp_put "$IMG" "$WORK/good.efi" /EFI/Linux/good.efi

mkdir -p "$WORK/hostile/entries" "$WORK/hostile/linux"
python3 - "$WORK/hostile" "$WORK/good.efi" <<'EOF'
import os, random, struct, sys
out, good = sys.argv[1], open(sys.argv[2], "rb").read()
rng = random.Random(20240501)
entries = os.path.join(out, "entries")

def entry(name, data):
    with open(os.path.join(entries, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())

# 300 entry files, six kinds of unbootable.
for i in range(300):
    kind = i % 6
    if kind == 0:
        entry(f"missing-{i}.conf", f"title missing {i}\nlinux /vmlinuz-{i}\n")
    elif kind == 1:
        entry(f"traversal-{i}.conf", f"title evil {i}\nlinux /../../vmlinuz\ninitrd ..\\{i}\n")
    elif kind == 2:
        entry(f"range-{i}+99999999999.conf", "title t\nlinux /EFI/Linux/good.efi\n")
    elif kind == 3:
        entry(f"arm-{i}.conf", "title t\nefi /EFI/Linux/good.efi\narchitecture aa64\n")
    elif kind == 4:
        entry(f"nokernel-{i}.conf", f"title no kernel {i}\noptions quiet\n")
    else:
        entry(f"random-{i}.conf", bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000))))
# One of each hostile form (each also names no existing kernel, or leaves
# the partition, so none of them can be booted).
entry("line100k.conf", "title " + "x" * 100000 + "\nlinux /EFI/Linux/good.efi\n")
entry("title600.conf", "title " + "y" * 600 + "\nefi /EFI/Linux/good.efi\n")
entry("nul.conf", b"title nul\0\0\0linux /vmlinuz-nul\0options \0\n")
entry("utf8.conf", b"title caf\xc3\xa9 \xff\xfe \xc0\x80\nversion \xed\xa0\x80\nlinux /vmlinuz-\xff\n")
entry("cronly.conf", "title cr\rlinux /vmlinuz-cr\roptions a\r")
entry("efitraversal.conf", "title t\nefi \\EFI\\..\\EFI\\Linux\\good.efi\n")

linux = os.path.join(out, "linux")
def uki(name, data):
    with open(os.path.join(linux, name), "wb") as f:
        f.write(data)
lfanew = struct.unpack_from("<I", good, 60)[0]
uki("truncated.efi", good[: len(good) // 2])
uki("text.efi", b"this is not a PE image\n" * 10)
uki("empty.efi", b"")
# The headers alone, claiming 90 sections: the table runs past the end of
# the file (and every section's data with it).
size_of_headers = struct.unpack_from("<I", good, lfanew + 24 + 60)[0]
headers = bytearray(good[:size_of_headers])
struct.pack_into("<H", headers, lfanew + 6, 90)
uki("sections.efi", bytes(headers))
arm = bytearray(good)
struct.pack_into("<H", arm, lfanew + 4, 0xAA64)
uki("arm64.efi", bytes(arm))
bad_lfanew = bytearray(good[:4096])
struct.pack_into("<I", bad_lfanew, 60, 0x7FFFFFF0)
uki("lfanew.efi", bytes(bad_lfanew))
# Random bytes behind a plausible MZ header.
uki("random.efi", b"MZ" + bytes(rng.randrange(256) for _ in range(8192)))

with open(os.path.join(out, "loader.conf"), "wb") as f:
    f.write(bytes(rng.randrange(256) for _ in range(8192)))
EOF
mcopy -i "$IMG@@1M" "$WORK"/hostile/entries/* ::/loader/entries/
mcopy -i "$IMG@@1M" "$WORK"/hostile/linux/* ::/EFI/Linux/
esp_put "$IMG" "$WORK/hostile/loader.conf" /loader/loader.conf
expect_eq "the ESP holds the hostile entry files" "$(esp_ls "$IMG" /loader/entries | wc -l)" 306

qemu_boot "$WORK/run" "$IMG" || true
expect_report_complete "$WORK/run"
expect_eq "the good UKI booted" "$(booted_marker "$WORK/run")" hostile-esp-good
expect_eq "LoaderEntrySelected" "$(report_value "$WORK/run" "EFIVAR LoaderEntrySelected")" good.efi
expect_eq "LoaderEntries lists only the good UKI" "$(loader_entries "$WORK/run")" good.efi
expect_true "no menu was shown" bash -c "! grep -q 'boot menu' '$WORK/run/console.log'"
expect_true "traversals were refused" bash -c "tr -d '\r' <'$WORK/run/console.log' | grep -q 'traversal-1.conf: a path leaves the partition'"
expect_true "counters out of range were refused" bash -c "tr -d '\r' <'$WORK/run/console.log' | grep -q 'range-2+99999999999.conf: boot counter out of range'"
expect_true "the 100 KB line was too much to read" bash -c "tr -d '\r' <'$WORK/run/console.log' | grep -q 'cannot read entry line100k.conf'"
expect_true "the 600-byte title was refused, not cut" bash -c "tr -d '\r' <'$WORK/run/console.log' | grep -q 'title600.conf: a value is too long'"
expect_true "missing kernels were noticed" bash -c "tr -d '\r' <'$WORK/run/console.log' | grep -q 'missing-0.conf: a file it names is missing'"
for f in truncated text sections arm64 lfanew; do
        expect_true "$f.efi was refused" bash -c "tr -d '\r' <'$WORK/run/console.log' | grep -q 'keel: $f.efi: '"
done
expect_true "loader.conf garbage was warned about" bash -c "tr -d '\r' <'$WORK/run/console.log' | grep -q 'keel: loader.conf:'"
exit $((FAILURES > 0))
