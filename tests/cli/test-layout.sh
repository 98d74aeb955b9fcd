#!/bin/bash
# Issue 11, defects 2 and 3: UKIs whose file view differs from what the
# firmware loads. Every command that reads a UKI or a stub refuses them with
# one line that names the problem, and `keel verify` does not call such an
# image valid even when its signature is good (sbsign signs anything).
# Usage: tests/cli/test-layout.sh BUILD_DIR
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
need_tools python3 sbsign
SURGERY="python3 $(cd "$(dirname "$0")/../../ovmf-tests" && pwd)/pe-surgery.py"

# A section header field: section_field FILE SECTION FIELD_OFFSET.
section_field() {
        python3 - "$@" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
pe = struct.unpack_from('<I', d, 0x3c)[0]
n, opt = struct.unpack_from('<H', d, pe + 6)[0], struct.unpack_from('<H', d, pe + 20)[0]
for i in range(n):
    h = pe + 24 + opt + 40 * i
    if d[h:h + 8].rstrip(b'\0').decode() == sys.argv[2]:
        print(struct.unpack_from('<I', d, h + int(sys.argv[3]))[0])
PY
}
VSIZE=8 RAW_SIZE=16 RAW_OFFSET=20

# Text in .cmdline's padding, right after VirtualSize: never loaded.
pad_text() { # pad_text IN OUT
        local at=$(( $(section_field "$1" .cmdline $RAW_OFFSET) + $(section_field "$1" .cmdline $VSIZE) ))
        cp "$1" "$2"
        printf ' init=/bin/evil' | dd of="$2" bs=1 seek="$at" conv=notrunc status=none
}
# The section table out of address order: swap two adjacent headers.
swap_headers() { # swap_headers IN OUT A B
        python3 - "$@" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
pe = struct.unpack_from('<I', d, 0x3c)[0]
n, opt = struct.unpack_from('<H', d, pe + 6)[0], struct.unpack_from('<H', d, pe + 20)[0]
idx = {d[pe + 24 + opt + 40 * i:][:8].rstrip(b'\0').decode(): pe + 24 + opt + 40 * i for i in range(n)}
a, b = idx[sys.argv[3]], idx[sys.argv[4]]
d[a:a + 40], d[b:b + 40] = d[b:b + 40], d[a:a + 40]
open(sys.argv[2], 'wb').write(d)
PY
}

"$KEEL" keys create "$T/keys" >/dev/null
KERNEL=$T/vmlinuz
cp "$STUB" "$KERNEL" # any PE image serves as the kernel for these checks
printf 'console=ttyS0 quiet' >"$T/good.cmdline"
"$KEEL" uki build --stub "$STUB" --linux "$KERNEL" --cmdline @"$T/good.cmdline" \
        --os-release $'ID=layout\nVERSION_ID=1\n' -o "$T/good.efi"
printf 'init=/bin/evil\0' >"$T/evil.cmdline"

$SURGERY hide "$T/good.efi" "$T/hidden.efi" .cmdline .evil "$T/evil.cmdline"
$SURGERY zero-vsize "$T/good.efi" "$T/zero-vsize.efi" .cmdline
pad_text "$T/good.efi" "$T/pad-text.efi"
swap_headers "$T/good.efi" "$T/unordered.efi" .osrel .cmdline
$SURGERY zero-vsize "$STUB" "$T/hidden-stub.efi" .sbat

check "the benign UKI passes every command" bash -c "'$KEEL' uki inspect '$T/good.efi' >/dev/null &&
        '$KEEL' pcr predict '$T/good.efi' >/dev/null && '$KEEL' sign --key '$T/keys/db.key' --cert '$T/keys/db.crt' \
        -o '$T/good-signed.efi' '$T/good.efi' && '$KEEL' verify --cert '$T/keys/db.crt' '$T/good-signed.efi' >/dev/null"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/pcr.key" 2>/dev/null

# expect_refusal NAME IMAGE MESSAGE: every reader of UKIs refuses IMAGE with
# one line that contains MESSAGE.
expect_refusal() {
        local name=$1 img=$2 msg=$3
        expect_error "$name: uki inspect" "" "$KEEL" uki inspect "$img"
        grep -q "$msg" "$T/stderr" || fail "$name: uki inspect says why ($(cat "$T/stderr"))"
        expect_error "$name: pcr predict" "" "$KEEL" pcr predict "$img"
        grep -q "$msg" "$T/stderr" || fail "$name: pcr predict says why ($(cat "$T/stderr"))"
        expect_error "$name: sign" "$T/out.efi" "$KEEL" sign --key "$T/keys/db.key" --cert "$T/keys/db.crt" \
                -o "$T/out.efi" "$img"
        grep -q "$msg" "$T/stderr" || fail "$name: sign says why ($(cat "$T/stderr"))"
        sbsign --key "$T/keys/db.key" --cert "$T/keys/db.crt" --output "$T/sbsigned.efi" "$img" >/dev/null 2>&1 ||
                fail "$name: sbsign could not sign it"
        expect_error "$name: verify (signature by sbsign is good)" "" "$KEEL" verify --cert "$T/keys/db.crt" \
                "$T/sbsigned.efi"
        grep -q "$msg" "$T/stderr" || fail "$name: verify says why ($(cat "$T/stderr"))"
        expect_error "$name: pcr sign" "$T/sig.json" "$KEEL" pcr sign "$img" --private-key "$T/pcr.key" \
                -o "$T/sig.json"
        grep -q "$msg" "$T/stderr" || fail "$name: pcr sign says why ($(cat "$T/stderr"))"
}

expect_refusal "VirtualSize-0 section over .cmdline" "$T/hidden.efi" "VirtualSize 0"
expect_refusal ".cmdline with VirtualSize 0 and its text" "$T/zero-vsize.efi" "VirtualSize 0"
expect_refusal ".cmdline with text past VirtualSize" "$T/pad-text.efi" "past its VirtualSize"
expect_refusal "sections out of address order" "$T/unordered.efi" "ascending address order"

expect_error "uki build --stub with a VirtualSize-0 section" "$T/out.efi" "$KEEL" uki build \
        --stub "$T/hidden-stub.efi" --linux "$KERNEL" -o "$T/out.efi"
grep -q "VirtualSize 0" "$T/stderr" || fail "uki build --stub says why ($(cat "$T/stderr"))"
expect_error "uki build --linux with a VirtualSize-0 section" "$T/out.efi" "$KEEL" uki build \
        --stub "$STUB" --linux "$T/hidden-stub.efi" -o "$T/out.efi"
summary
