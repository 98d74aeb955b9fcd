#!/bin/bash
# SPDX-License-Identifier: MIT
# `keel install` and the firmware's NVRAM (issue 25, defect 4): on a machine
# coming from systemd-boot (its Boot0001 first in BootOrder) keel creates its
# own Boot#### and puts it first, as `bootctl install` does; a second run
# writes nothing; --no-boot-entry and a missing efivarfs leave the variables
# alone; malformed Boot#### values are someone else's and stay as they are.
# efivarfs is a plain directory here ($KEEL_EFIVARFS) and the ESP partition
# is given as $KEEL_ESP_PARTITION (no partitions without a guest); the OVMF
# scenario install-boot-entry runs the same against real firmware. The
# expected bytes are built below from UEFI 2.10 §3.1.3 and §10.3.5 with
# Python's struct and uuid, not by keel, and compared with what efibootmgr's
# libraries (libefiboot, libefivar: tests/efiboot_peer.py) make and read.
#
#   tests/cli/test-install-boot-entry.sh BUILD_DIR        (needs root: tmpfs ESPs)
set -u

source "$(dirname "$0")/lib.sh"
need_build "$@"
need_tools python3 efibootmgr # efibootmgr: its libefiboot and libefivar

T=$(mktemp -d "${TMPDIR:-/tmp}/keel-install-boot-entry.XXXXXX")
source "$(dirname "$0")/install-lib.sh"
trap 'unmount_esps; rm -rf "$T"' EXIT

GLOBAL=8be4df61-93ca-11d2-aa0d-00e098032b8c
PARTUUID=0fc63daf-8483-4772-8e79-3d69d8477de4
export KEEL_ESP_PARTITION="$PARTUUID,1,2048,1048576"

# load_option DESCRIPTION PATH [PARTUUID]: efivarfs bytes (attributes NV|BS|RT,
# then EFI_LOAD_OPTION: ACTIVE, HD(1, 2048, 1048576, GPT PARTUUID)/File(PATH)/End).
load_option() {
        python3 - "$@" <<'PY'
import struct, sys, uuid
desc, path = sys.argv[1], sys.argv[2]
partuuid = sys.argv[3] if len(sys.argv) > 3 else "0fc63daf-8483-4772-8e79-3d69d8477de4"
u16 = lambda s: s.encode("utf-16-le") + b"\0\0"
hd = bytes([4, 1]) + struct.pack("<HIQQ", 42, 1, 2048, 1048576) + uuid.UUID(partuuid).bytes_le + bytes([2, 2])
f = u16(path)
fp = bytes([4, 4]) + struct.pack("<H", 4 + len(f)) + f
dp = hd + fp + bytes([0x7f, 0xff, 4, 0])
sys.stdout.buffer.write(struct.pack("<I", 7) + struct.pack("<IH", 1, len(dp)) + u16(desc) + dp)
PY
}
# boot_order NUMBER...: efivarfs bytes of BootOrder (hex numbers).
boot_order() {
        python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<I", 7) + b"".join(struct.pack("<H", int(n, 16)) for n in sys.argv[1:]))' "$@"
}
var() { echo "$KEEL_EFIVARFS/$1-$GLOBAL"; }
hexof() { od -An -tx1 -v "$1" | tr -d ' \n'; }

# A machine booted by systemd-boot: its Boot0001 first, an OVMF-style shell
# entry Boot0000 after it, and two malformed values someone left behind.
fill_nvram() {
        rm -rf "$KEEL_EFIVARFS"
        mkdir -p "$KEEL_EFIVARFS"
        load_option "Linux Boot Manager" '\EFI\systemd\systemd-bootx64.efi' >"$(var Boot0001)"
        printf '\x07\0\0\0\x01\0\0\0\x2c\0S\0h\0e\0l\0l\0\0\0\x04\x07\x14\0%016d\x04\x06\x14\0%016d\x7f\xff\x04\0' 0 0 \
                >"$(var Boot0000)"
        printf '\x07\0\0\0\x01\0\0\0\x30' >"$(var Boot0002)"                       # truncated header
        printf '\x07\0\0\0\x01\0\0\0\xff\xffk\0\0\0\x04\x01\x2a\0' >"$(var Boot0003)" # huge FilePathListLength
        boot_order 0001 0000 >"$(var BootOrder)"
}

mkgen 1
new_esp "$T/esp"
fill_nvram
before_hostile="$(hexof "$(var Boot0000)") $(hexof "$(var Boot0001)") $(hexof "$(var Boot0002)") $(hexof "$(var Boot0003)")"
"$KEEL" install --stub "$STUB" --esp "$T/esp" $(gen_links 1) >"$T/out" 2>"$T/err"
check "install from systemd-boot: exit 0, nothing on stderr" test $? = 0 -a ! -s "$T/err"
check "the loader is at \\EFI\\keel\\keelx64.efi, the path the entry names" cmp -s "$STUB" "$T/esp/EFI/keel/keelx64.efi"
check "first free number taken: Boot0004 (0002 and 0003 hold malformed values)" test -f "$(var Boot0004)"
check "Boot0004 is ACTIVE \"keel\" HD(1,2048,1048576,PARTUUID)/\\EFI\\keel\\keelx64.efi, NV|BS|RT" \
        test "$(hexof "$(var Boot0004)")" = "$(load_option keel '\EFI\keel\keelx64.efi' | od -An -tx1 -v | tr -d ' \n')"
# efibootmgr's engine (libefiboot/libefivar) as the peer: the same bytes for
# the same partition and path, and it reads keel's value back.
peer=$(python3 "$KEEL_TESTS/efiboot_peer.py" encode "$PARTUUID" 1 2048 1048576 '\EFI\keel\keelx64.efi' keel 2>&1)
check "Boot0004 is what efibootmgr --create makes (libefiboot efi_loadopt_create)" \
        test "$(hexof "$(var Boot0004)")" = "07000000$peer"
check "libefiboot reads Boot0004: HD(1,GPT,PARTUUID,0x800,0x100000)/File(\EFI\keel\keelx64.efi)" test \
        "$(python3 "$KEEL_TESTS/efiboot_peer.py" decode "$(var Boot0004)" | paste -sd' ')" = \
        "valid HD(1,GPT,$PARTUUID,0x800,0x100000)/File(\EFI\keel\keelx64.efi)"
check "libefiboot too finds the malformed Boot0002 and Boot0003 invalid" test \
        "$(python3 "$KEEL_TESTS/efiboot_peer.py" decode "$(var Boot0002)") $(python3 "$KEEL_TESTS/efiboot_peer.py" decode "$(var Boot0003)")" = \
        "invalid invalid"
check "BootOrder: 0004 first, then 0001, 0000" test "$(hexof "$(var BootOrder)")" = 07000000040001000000
check "the other Boot#### values, malformed ones too, are untouched" test \
        "$(hexof "$(var Boot0000)") $(hexof "$(var Boot0001)") $(hexof "$(var Boot0002)") $(hexof "$(var Boot0003)")" = \
        "$before_hostile"
check "stdout says what was written" grep -qx "boot-entry Boot0004" "$T/out"

# ---- idempotence ---------------------------------------------------------------------
before=$(snapshot "$KEEL_EFIVARFS")
sleep 0.01
"$KEEL" install --stub "$STUB" --esp "$T/esp" $(gen_links 1) >"$T/out" 2>"$T/err"
check "second run: exit 0, no variable written (bytes, inodes, mtimes)" \
        test $? = 0 -a "$(snapshot "$KEEL_EFIVARFS")" = "$before" -a ! -s "$T/err"
check "second run: stdout mentions no boot entry" sh -c "! grep -q boot- '$T/out'"

# systemd-boot's `bootctl install` (or the firmware) put its own entry first
# again: keel reorders, and reuses its entry without rewriting it.
boot_order 0001 0004 0000 0004 >"$(var BootOrder)"
before_entry=$(stat -c '%i %Y.%y' "$(var Boot0004)")
"$KEEL" install --stub "$STUB" --esp "$T/esp" $(gen_links 1) >/dev/null 2>&1
check "reordered BootOrder: 0004 first again, duplicate dropped" test "$(hexof "$(var BootOrder)")" = 07000000040001000000
check "reordered BootOrder: Boot0004 reused, not rewritten" test "$(stat -c '%i %Y.%y' "$(var Boot0004)")" = "$before_entry"
check "no second keel entry" test ! -e "$(var Boot0005)"

# An entry for the same partition and path (any case, as FAT) elsewhere is
# reused and brought to keel's bytes; one for another partition is not.
fill_nvram
load_option "old keel" '\efi\KEEL\KEELX64.EFI' >"$(var Boot0009)"
load_option keel '\EFI\keel\keelx64.efi' 11111111-2222-3333-4444-555555555555 >"$(var Boot0005)"
"$KEEL" install --stub "$STUB" --esp "$T/esp" $(gen_links 1) >/dev/null 2>&1
check "same partition and path, other case: Boot0009 reused" test ! -e "$(var Boot0004)" -a \
        "$(hexof "$(var BootOrder)")" = 07000000090001000000
check "Boot0009 rewritten to keel's bytes" test "$(hexof "$(var Boot0009)")" = \
        "$(load_option keel '\EFI\keel\keelx64.efi' | od -An -tx1 -v | tr -d ' \n')"

# ---- skipping ------------------------------------------------------------------------
fill_nvram
before=$(snapshot "$KEEL_EFIVARFS")
"$KEEL" install --stub "$STUB" --esp "$T/esp" --no-boot-entry $(gen_links 1) >"$T/out" 2>"$T/err"
check "--no-boot-entry: exit 0, no variable written, silent" \
        test $? = 0 -a "$(snapshot "$KEEL_EFIVARFS")" = "$before" -a ! -s "$T/err"

new_esp "$T/esp2"
KEEL_EFIVARFS=$T/no-efivars "$KEEL" install --stub "$STUB" --esp "$T/esp2" $(gen_links 1) >"$T/out" 2>"$T/err"
check "no efivarfs (not booted in EFI mode): exit 0, loader installed" \
        test $? = 0 -a -f "$T/esp2/EFI/keel/keelx64.efi" -a ! -e "$T/no-efivars"
check "no efivarfs: one line saying so" test "$(wc -l <"$T/err")" = 1 -a "$(grep -c 'no firmware boot entry written' "$T/err")" = 1

# An image build: the "ESP" is a directory on a tmpfs, no partition at all.
KEEL_ESP_PARTITION= "$KEEL" install --stub "$STUB" --esp "$T/esp2" $(gen_links 1) >"$T/out" 2>"$T/err"
check "ESP not a FAT partition: exit 0, variables untouched" test $? = 0 -a "$(snapshot "$KEEL_EFIVARFS")" = "$before"
check "ESP not a FAT partition: one line saying why" \
        sh -c "test \$(wc -l <'$T/err') = 1 && grep -q 'no firmware boot entry written: $T/esp2 is not a FAT file system' '$T/err'"

# ---- failures ------------------------------------------------------------------------
expect_error_saying "malformed \$KEEL_ESP_PARTITION: one line" "" "KEEL_ESP_PARTITION is not" \
        env KEEL_ESP_PARTITION="$PARTUUID,0,1,2" "$KEEL" install --stub "$STUB" --esp "$T/esp2" $(gen_links 1)
fill_nvram
rm "$(var BootOrder)"
mkdir "$(var BootOrder)" # a write that fails
"$KEEL" install --stub "$STUB" --esp "$T/esp" $(gen_links 1) >"$T/out" 2>"$T/err"
rc=$?
check "variable write fails: non-zero exit (as bootctl install), one line naming it" \
        test $rc != 0 -a "$(wc -l <"$T/err")" = 1 -a "$(grep -c "BootOrder-$GLOBAL cannot be written" "$T/err")" = 1
check "variable write fails: the ESP still holds a complete install" "$KEEL" entries --esp "$T/esp" --check

summary
