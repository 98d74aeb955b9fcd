#!/bin/bash
# The loader's answers to hostile or unlucky ESPs (issue #11), in two boots
# sharing one variable store:
#  1. a loader.conf over 64 KiB (100 KB of comments, then its settings: a
#     menu for 3 s, a default) is read, not ignored; Type #1 entries whose
#     linux is a directory or whose efi is an empty file are hidden at
#     discovery, with a warning, instead of failing once chosen; a UKI
#     whose .cmdline is over 64 KiB is ignored with a warning that says
#     which section, its size and the limit; the counted default, whose
#     next name (keeltest-2+2-1.efi) is taken by a directory, is still
#     counted (renamed to +1-2, one more failed try) instead of booting
#     uncounted; titles in UTF-8 reach the console as characters, control
#     characters in a title do not reach the terminal.
#  2. loader.conf is a directory: it cannot be read, so the loader fails
#     safe (defaults, the editor off) and says so; `e` in the menu (forced
#     by LoaderConfigTimeout, which boot 1's OS set) is refused.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
IMG=$WORK/disk.img

cat >"$WORK/scenario" <<'SCRIPT'
#!/bin/sh
# Boot 1's OS asks for the menu on the next boot.
vars=/sys/firmware/efi/efivars
guid=4a67b082-0a4c-41cf-b6c7-440b29bb8c4f
if [ ! -e $vars/LoaderConfigTimeout-$guid ]; then
        cat /timeout.var >$vars/LoaderConfigTimeout-$guid && echo "SET-TIMEOUT"
fi
SCRIPT
efivar_payload "$WORK/timeout.var" menu-force
build_initramfs "$WORK/initramfs.cpio" "$WORK/scenario" "$WORK/timeout.var:/timeout.var"

esp_image_create "$IMG" 128
esp_put "$IMG" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
make_keel_uki "$WORK/counted.efi" keeltest 2 counted "$WORK/initramfs.cpio"
esp_put "$IMG" "$WORK/counted.efi" /EFI/Linux/keeltest-2+3.efi
mmd -i "$IMG@@1M" ::/EFI/Linux/keeltest-2+2-1.efi
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$(kernel_image)" --initrd "$WORK/initramfs.cpio" \
        --cmdline "console=ttyS0 loglevel=1 panic=-1 keel.test=utf8" \
        --os-release "$(printf 'ID=keeltest\nVERSION_ID=1\nPRETTY_NAME="Caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x98\x80 one"\n')" \
        -o "$WORK/utf8.efi"
esp_put "$IMG" "$WORK/utf8.efi" /EFI/Linux/keeltest-1.efi
# .cmdline of 70000 bytes (keel uki build refuses a command line the
# kernel would cut; objcopy adds one).
"$KEEL" uki build --stub "$KEEL_EFI" --linux "$KEEL_EFI" --os-release $'ID=aaa\nVERSION_ID=1\n' -o "$WORK/nocmdline.efi"
head -c 70000 /dev/zero | tr '\0' x >"$WORK/cmdline70k"
objcopy --add-section .cmdline="$WORK/cmdline70k" --change-section-vma .cmdline=0x1000000 "$WORK/nocmdline.efi" \
        "$WORK/big-cmdline.efi"
esp_put "$IMG" "$WORK/big-cmdline.efi" /EFI/Linux/big-cmdline.efi
# Entries that would sort first (sort keys "aaa", "aab") if they were offered.
mmd -i "$IMG@@1M" ::/kernels ::/kernels/dir ::/EFI/tools
esp_write "$IMG" /EFI/tools/empty.efi ""
esp_write "$IMG" /loader/entries/aaa-dir.conf $'title Directory kernel\nsort-key aaa\nlinux /kernels/dir\n'
esp_write "$IMG" /loader/entries/empty-efi.conf $'title Empty program\nsort-key aab\nefi /EFI/tools/empty.efi\n'
esp_write "$IMG" /loader/entries/zz-esc.conf \
        "$(printf 'title Esc \033]0;pwned\007 bad \377 end\nefi /EFI/Linux/keeltest-1.efi\n')"
python3 -c 'import sys
with open(sys.argv[1], "w") as f:
    for i in range(2000):
        f.write(f"# comment line {i:05d} of a loader.conf that is much longer than 64 KiB\n")
    f.write("timeout 3\ndefault keeltest-2*\n")' "$WORK/loader.conf"
expect_true "loader.conf is over 100 KB" test "$(stat -c %s "$WORK/loader.conf")" -gt 100000
esp_put "$IMG" "$WORK/loader.conf" /loader/loader.conf

# ---- boot 1 -------------------------------------------------------------------
echo "-- boot 1: a 140 KB loader.conf, unbootable entries, a taken counter name"
qemu_boot "$WORK/vars" "$IMG" || true
mkdir -p "$WORK/boot1"
cp "$WORK/vars/report.log" "$WORK/vars/console.log" "$WORK/boot1/"
tr -d '\r' <"$WORK/boot1/console.log" >"$WORK/boot1/console.txt"
expect_report_complete "$WORK/boot1"
expect_true "loader.conf was read: its 3 s menu was shown" grep -q "Booting the default entry in 3 s" "$WORK/boot1/console.txt"
expect_eq "loader.conf's default booted" "$(booted_marker "$WORK/boot1")" counted
expect_eq "LoaderEntries: no directory kernel, no empty program, no oversized UKI" \
        "$(loader_entries "$WORK/boot1")" "keeltest-2.efi keeltest-1.efi zz-esc.conf"
expect_true "no entry failed (nothing unbootable was offered)" bash -c "! grep -q 'failed:' '$WORK/boot1/console.txt'"
expect_true "the directory kernel was hidden with a warning" \
        grep -q "keel: aaa-dir.conf: a file it names is a directory, ignoring entry" "$WORK/boot1/console.txt"
expect_true "the empty program was hidden with a warning" \
        grep -q "keel: empty-efi.conf: its 'linux' or 'efi' file is empty, ignoring entry" "$WORK/boot1/console.txt"
expect_true "the oversized .cmdline: which section, its size, the limit" grep -q \
        "keel: big-cmdline.efi: its .cmdline section is 70000 bytes, more than the 65536 keel reads; ignoring it" \
        "$WORK/boot1/console.txt"
expect_true "the taken name was passed over, counted as a try" grep -q \
        "keel: keeltest-2+3.efi: the next counter's file exists already; counting 2 tries, as keeltest-2+1-2.efi" \
        "$WORK/boot1/console.txt"
expect_eq "LoaderBootCountPath names the renamed file" "$(report_value "$WORK/boot1" "EFIVAR LoaderBootCountPath")" \
        '\EFI\Linux\keeltest-2+1-2.efi'
expect_eq "the ESP: the entry renamed, the directory untouched" \
        "$(esp_ls "$IMG" /EFI/Linux | sed 's|/$||; s|.*/||' | grep '^keeltest-2' | sort | tr '\n' ' ')" \
        "keeltest-2+1-2.efi keeltest-2+2-1.efi "
# OVMF's serial terminal shows any character beyond ASCII as "?": one per
# character ("é", "☕", and "😀", which UCS-2 cannot hold), not one per
# UTF-8 byte ("Caf?? ??? ???? one").
expect_true "a UTF-8 title reached the console one character per character" \
        grep -qx "  Caf? ? ? one (1)" "$WORK/boot1/console.txt"
expect_true "a title's escape sequence did not reach the terminal" bash -c \
        "grep -q ']0;pwned' '$WORK/boot1/console.txt' && ! grep -q \$'\\033]0;pwned' '$WORK/boot1/console.txt'"
expect_true "boot 1's OS asked for a menu next time" report_has "$WORK/boot1" "SET-TIMEOUT"

# ---- boot 2 -------------------------------------------------------------------
echo "-- boot 2: loader.conf is a directory"
mdel -i "$IMG@@1M" ::/loader/loader.conf
mmd -i "$IMG@@1M" ::/loader/loader.conf
export QEMU_CONSOLE_SOCKET=1
qemu_boot "$WORK/vars" "$IMG" &
qemu=$!
python3 "$KEEL_SRC/ovmf-tests/type-keys.py" "$WORK/vars/console.sock" \
        "wait:boot menu" "sleep:2" "send:e" "wait:The editor is disabled" "sleep:1" "send:\\r" &
typist=$!
wait $qemu || true
kill $typist 2>/dev/null || true
wait $typist 2>/dev/null || true
mkdir -p "$WORK/boot2"
cp "$WORK/vars/report.log" "$WORK/vars/console.log" "$WORK/boot2/"
tr -d '\r' <"$WORK/boot2/console.log" >"$WORK/boot2/console.txt"
expect_report_complete "$WORK/boot2"
expect_true "the loader said it failed safe" \
        grep -q "keel: loader.conf is a directory; using the defaults with the editor off" "$WORK/boot2/console.txt"
expect_true "e was refused: the editor is off" grep -q "The editor is disabled" "$WORK/boot2/console.txt"
expect_eq "the first entry booted, unedited" "$(report_value "$WORK/boot2" CMDLINE)" \
        "console=ttyS0 loglevel=1 panic=-1 keel.test=counted"
exit $((FAILURES > 0))
