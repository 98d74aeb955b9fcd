#!/bin/bash
# Issue 15: both EFI binaries `make` builds, keelx64.efi and keelaa64.efi,
# are what firmware expects of an EFI application of their architecture —
# read by a PE parser of this script's own, by binutils' objdump and by
# keel's own reader (`keel uki inspect`): PE32+, the architecture's machine
# type, subsystem 10, a base-relocation directory on a .reloc section,
# every section on a 4 KiB boundary, NX_COMPAT (issue 24: signing
# policies for boot loaders ask for it; EDK II's strict-NX builds map its
# sections as their flags say) and W^X (no section both writable and
# executable), a PE checksum that matches, .sbat with keel's SBAT line, .sdmagic
# with nothing but the "#### LoaderInfo: keel VERSION ####" marker bootctl
# reads (systemd-boot's form), an entry point inside .text, and within the
# size goal for both roles: 144 KiB
# (96 KiB until issue 14 added credentials, extensions, addons, SMBIOS, the
# random seed, profiles and keel's own PE loader, 128 KiB until issue 20's
# relocation and command-line rules and issue 21's systemd 262 features;
# systemd-boot + systemd-stub 252 are 224,188 bytes on x86-64, 197,630 on
# arm64);
# and scripts/fetch-arm64-debs, which supplies gnu-efi:arm64, does nothing
# the second time.
# Usage: tests/cli/test-efi-binaries.sh BUILD_DIR
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
need_tools python3 objdump aarch64-linux-gnu-objdump

# pe_facts FILE: one "key value" line per header fact, parsed here.
pe_facts() {
        python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
if d[:2] != b'MZ':
    sys.exit('no MZ header')
pe = struct.unpack_from('<I', d, 0x3c)[0]
if d[pe:pe + 4] != b'PE\0\0':
    sys.exit('no PE signature')
machine, nsec = struct.unpack_from('<HH', d, pe + 4)
optsize = struct.unpack_from('<H', d, pe + 20)[0]
opt = pe + 24
magic = struct.unpack_from('<H', d, opt)[0]
entry = struct.unpack_from('<I', d, opt + 16)[0]
salign, falign = struct.unpack_from('<II', d, opt + 32)
size_of_image = struct.unpack_from('<I', d, opt + 56)[0]
subsystem = struct.unpack_from('<H', d, opt + 68)[0]
dll_characteristics = struct.unpack_from('<H', d, opt + 70)[0]
checksum = struct.unpack_from('<I', d, opt + 64)[0]
ndirs = struct.unpack_from('<I', d, opt + 108)[0]
reloc_rva, reloc_size = struct.unpack_from('<II', d, opt + 112 + 5 * 8) if ndirs > 5 else (0, 0)
print('machine 0x%04x' % machine)
print('magic 0x%03x' % magic)
print('subsystem %d' % subsystem)
print('section_alignment 0x%x' % salign)
print('nx_compat %s' % ('yes' if dll_characteristics & 0x100 else 'no'))
# The PE checksum (16-bit folded sum, the field itself as zero, plus the
# length): whoever set a header field after objcopy must have redone it.
s = 0
for i in range(0, len(d) - 1, 2):
    if i != opt + 64 and i != opt + 66:
        s += d[i] | d[i + 1] << 8
        s = (s & 0xffff) + (s >> 16)
if len(d) % 2:
    s += d[-1]
    s = (s & 0xffff) + (s >> 16)
print('checksum %s' % ('ok' if checksum == (s & 0xffff) + len(d) else 'wrong'))
print('file_size %d' % len(d))
sections = {}
for i in range(nsec):
    h = opt + optsize + 40 * i
    name = d[h:h + 8].rstrip(b'\0').decode()
    vsize, va, rawsize, rawoff = struct.unpack_from('<IIII', d, h + 8)
    flags = struct.unpack_from('<I', d, h + 36)[0]
    sections[name] = (va, vsize, rawoff, rawsize)
    print('section %s 0x%x %d' % (name, va, vsize))
    # IMAGE_SCN_MEM_WRITE | IMAGE_SCN_MEM_EXECUTE
    if flags & 0xa0000000 == 0xa0000000:
        print('writable_and_executable %s' % name)
    if va % 4096:
        print('misaligned %s' % name)
    if va + vsize > size_of_image:
        print('beyond_image %s' % name)
t = sections.get('.text')
print('entry_in_text %s' % ('yes' if t and t[0] <= entry < t[0] + t[1] else 'no'))
r = sections.get('.reloc')
print('reloc_directory %s' % ('yes' if r and reloc_rva == r[0] and 8 <= reloc_size <= r[1] else 'no'))
m = sections.get('.sdmagic')
if m:
    print('sdmagic ' + d[m[2]:m[2] + m[1]].decode(errors='replace'))
s = sections.get('.sbat')
if s:
    for line in d[s[2]:s[2] + s[1]].decode(errors='replace').rstrip('\0').split('\n'):
        print('sbat_line ' + line)
PY
}

# fact FILE KEY: the value of one fact.
fact() {
        sed -n "s/^$2 //p" "$T/$(basename "$1").facts" | head -n 1
}

# The SBAT line efi/sbat.c declares for keel (read from the source, with
# the Makefile's VERSION for KEEL_VERSION; not from the binary).
src=$(cd "$(dirname "$0")/../.." && pwd)
version=$(sed -n 's/^VERSION *:= *//p' "$src/Makefile")
sbat_line=$(grep '^ *"keel,' "$src/efi/sbat.c" | sed -e 's/^ *"//' -e 's/\\n" *;* *$//' -e "s/\" KEEL_VERSION \"/$version/")

# check_binary FILE MACHINE OBJDUMP_FORMAT OBJDUMP KEEL_ARCH_WORD
check_binary() {
        local f=$1 machine=$2 format=$3 objdump=$4 word=$5 n
        n=$(basename "$f")
        "$objdump" -p "$f" >"$T/$n.objdump" 2>&1
        if ! pe_facts "$f" >"$T/$n.facts" 2>"$T/$n.err"; then
                fail "$n: PE headers parse ($(cat "$T/$n.err"))"
                return
        fi
        check "$n: machine $machine" test "$(fact "$f" machine)" = "$machine"
        check "$n: PE32+" test "$(fact "$f" magic)" = 0x20b
        check "$n: subsystem 10 (EFI application)" test "$(fact "$f" subsystem)" = 10
        check "$n: section alignment 4 KiB" test "$(fact "$f" section_alignment)" = 0x1000
        check "$n: every section on a 4 KiB boundary, inside SizeOfImage" \
                bash -c "! grep -q '^misaligned\|^beyond_image' '$T/$n.facts'"
        check "$n: NX_COMPAT (DllCharacteristics 0x100)" test "$(fact "$f" nx_compat)" = yes
        check "$n: W^X: no section both writable and executable ($(fact "$f" writable_and_executable))" \
                bash -c "! grep -q '^writable_and_executable' '$T/$n.facts'"
        check "$n: PE checksum matches the file" test "$(fact "$f" checksum)" = ok
        check "$n: objdump: NX_COMPAT" grep -q '^[[:space:]]*NX_COMPAT$' "$T/$n.objdump"
        check "$n: entry point inside .text" test "$(fact "$f" entry_in_text)" = yes
        check "$n: base-relocation directory is the .reloc section" test "$(fact "$f" reloc_directory)" = yes
        check "$n: .sbat: the SBAT header line first" bash -c "grep '^sbat_line ' '$T/$n.facts' | head -n 1 | grep -q '^sbat_line sbat,1,'"
        check "$n: .sbat carries keel's line from efi/sbat.c ($sbat_line)" grep -Fqx "sbat_line $sbat_line" "$T/$n.facts"
        check "$n: .sdmagic is exactly '#### LoaderInfo: keel $version ####'" \
                test "$(grep '^sdmagic ' "$T/$n.facts")" = "sdmagic #### LoaderInfo: keel $version ####"
        check "$n: at most 144 KiB ($(fact "$f" file_size) bytes)" test "$(fact "$f" file_size)" -le 147456
        # binutils' own reader of the same file (objdump -p above).
        check "$n: objdump reads it as $format" grep -q "file format $format\$" "$T/$n.objdump"
        check "$n: objdump: EFI application" grep -q '^Subsystem.*(EFI application)' "$T/$n.objdump"
        check "$n: objdump: a base relocation block" grep -q '^Virtual Address: .* Chunk size 12' "$T/$n.objdump"
        # keel's own PE reader.
        if "$KEEL" uki inspect "$f" >"$T/$n.inspect" 2>&1; then
                check "$n: keel uki inspect: $word, not a UKI" grep -q "$word PE32+ image, .*not a UKI" "$T/$n.inspect"
                check "$n: keel uki inspect lists .text and .sbat" \
                        bash -c "grep -q '^\.text ' '$T/$n.inspect' && grep -q '^\.sbat ' '$T/$n.inspect'"
        else
                fail "$n: keel uki inspect reads it ($(head -c 200 "$T/$n.inspect"))"
        fi
}

check_binary "$BUILD/keelx64.efi" 0x8664 pei-x86-64 objdump x86-64
if [ -e "$BUILD/keelaa64.efi" ]; then
        check_binary "$BUILD/keelaa64.efi" 0xaa64 pei-aarch64-little aarch64-linux-gnu-objdump aarch64
else
        fail "$BUILD/keelaa64.efi exists (run 'make all')"
fi

# scripts/efi-nx-compat, which marks them in the build, refuses an image
# that would break the NX_COMPAT promise and leaves it as it was: a section
# both writable and executable, a SectionAlignment firmware cannot protect
# in pages.
# pe_patch IN OUT MODE: IN with .data also executable (wx) or a 512-byte
# SectionAlignment (align), NX_COMPAT cleared.
pe_patch() {
        python3 - "$@" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
pe = struct.unpack_from('<I', d, 0x3c)[0]
nsec, optsize = struct.unpack_from('<HH', d, pe + 6)[0], struct.unpack_from('<H', d, pe + 20)[0]
opt = pe + 24
struct.pack_into('<H', d, opt + 70, struct.unpack_from('<H', d, opt + 70)[0] & ~0x100)
for i in range(nsec):
    h = opt + optsize + 40 * i
    if d[h:h + 8].rstrip(b'\0') == b'.data' and sys.argv[3] == 'wx':
        struct.pack_into('<I', d, h + 36, struct.unpack_from('<I', d, h + 36)[0] | 0x20000000)
if sys.argv[3] == 'align':
    struct.pack_into('<I', d, opt + 32, 0x200)
open(sys.argv[2], 'wb').write(d)
PY
}
for mode in wx align; do
        pe_patch "$BUILD/keelx64.efi" "$T/$mode.efi" "$mode"
        cp "$T/$mode.efi" "$T/$mode.orig"
        check "efi-nx-compat refuses an image with $mode, leaves it unmarked and unchanged" \
                bash -c "! '$src/scripts/efi-nx-compat' '$T/$mode.efi' 2>'$T/$mode.err' && [ -s '$T/$mode.err' ] &&
                        cmp -s '$T/$mode.efi' '$T/$mode.orig'"
done
pe_patch "$BUILD/keelaa64.efi" "$T/unmarked.efi" none
"$src/scripts/efi-nx-compat" "$T/unmarked.efi"
pe_facts "$T/unmarked.efi" >"$T/unmarked.efi.facts"
check "efi-nx-compat marks an unmarked image NX_COMPAT, with its checksum redone" \
        test "$(fact unmarked.efi nx_compat) $(fact unmarked.efi checksum)" = "yes ok"

# The build's gnu-efi:arm64, unpacked once per package version: fetching
# it again prints the directory the build uses and changes nothing of it.
# (Only gnu-efi's files are compared: other tests, running beside this
# one, may be fetching other packages into the same cache.)
gnu_efi_files() {
        (cd "$BUILD/arm64" && find . \( -path './gnu-efi*' -o -path './debs/gnu-efi_*' \) -printf '%p %s %T@\n' | sort | sha256sum)
}
if [ -d "$BUILD/arm64/debs" ]; then
        before=$(gnu_efi_files)
        again=$("$src/scripts/fetch-arm64-debs" "$BUILD" gnu-efi:arm64 2>"$T/fetch.err")
        after=$(gnu_efi_files)
        check "fetch-arm64-debs: the build's gnu-efi again ($again)" \
                test "$again" = "$(cd "$BUILD/arm64" && pwd)/$(readlink "$BUILD/arm64/gnu-efi")"
        check "fetch-arm64-debs: a second run downloads and unpacks nothing" test "$before" = "$after" -a ! -s "$T/fetch.err"
        check "fetch-arm64-debs: a name that is not a package name is refused" \
                bash -c "! '$src/scripts/fetch-arm64-debs' '$T' '../gnu-efi' >'$T/bad.out' 2>'$T/bad.err' &&
                        grep -q '^keel: not a Debian package name' '$T/bad.err' && [ ! -s '$T/bad.out' ]"
else
        fail "$BUILD/arm64/debs exists (the aarch64 build unpacks gnu-efi:arm64 there)"
fi

summary
