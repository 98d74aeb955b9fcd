#!/bin/bash
# keel sign / keel verify / keel keys create / keel uki build --key --cert,
# checked by the peers: sbverify and sbsign, osslsigncode, sbsiglist,
# sbvarsign and sbkeysync (sbsigntool), and openssl cms for the signatures
# inside the .auth payloads.
# Usage: tests/cli/test-sign.sh BUILD_DIR
set -u
SYSTEMD_BOOT=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
umask 022

# expect_error NAME OUTPUT CMD...: non-zero exit, exactly one "keel: " line on
# stderr, nothing on stdout, OUTPUT not created and no temporary next to it.
quiet() { "$@" >/dev/null 2>&1; }
# The attribute certificate table as "offset size" (security directory entry).
cert_dir() {
        python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
pe = struct.unpack_from('<I', d, 0x3c)[0]
print(*struct.unpack_from('<II', d, pe + 24 + 112 + 4 * 8))
EOF
}
# osslsigncode verify: accepted, with the stored PE checksum right.
ossl_ok() {
        local out
        out=$(osslsigncode verify -CAfile "$2" -in "$1" 2>&1)
        grep -q '^Succeeded' <<<"$out" && ! grep -qi 'invalid PE checksum\|MISMATCH' <<<"$out"
}
flip() { # flip IN OUT OFFSET
        cp "$1" "$2"
        python3 -c '
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 1]))' "$2" "$3"
}

# ---- keys made by openssl, independent of keel keys create -------------------
for k in a b; do
        openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=keel test $k" -days 3650 \
                -keyout "$T/$k.key" -out "$T/$k.crt" 2>/dev/null
done
openssl req -new -x509 -newkey rsa:2048 -passout pass:secret -subj "/CN=keel encrypted" -days 3650 \
        -keyout "$T/enc.key" -out "$T/enc.crt" 2>/dev/null
openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=keel ec" -days 3650 \
        -keyout "$T/ec.key" -out "$T/ec.crt" 2>/dev/null
printf 'secret\n' >"$T/pass"
printf 'wrong\n' >"$T/wrongpass"

KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
head -c 3000001 /dev/urandom >"$T/initrd"
"$KEEL" uki build --stub "$STUB" --linux "${KERNEL:-$STUB}" --initrd "$T/initrd" --cmdline "console=ttyS0" \
        -o "$T/uki.efi"
cp "$STUB" "$T/stub.efi"

# ---- keel sign, checked by sbverify and osslsigncode ---------------------------
for img in stub uki; do
        "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" -o "$T/$img-a.efi" "$T/$img.efi"
        check "sbverify --cert accepts keel's signature on $img.efi" quiet sbverify --cert "$T/a.crt" "$T/$img-a.efi"
        check "osslsigncode verify accepts keel's signature on $img.efi, PE checksum right" ossl_ok "$T/$img-a.efi" "$T/a.crt"
        check "keel verify accepts it" quiet "$KEEL" verify --cert "$T/a.crt" "$T/$img-a.efi"
done
check "keelx64.efi has trailing data and an odd size (the padding case is exercised)" \
        test $(( $(stat -c %s "$STUB") % 8 )) -ne 0 -o -n "$(sbverify --list "$STUB" 2>&1 | grep 'data remaining')"

if [ -f "$SYSTEMD_BOOT" ]; then
        "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" -o "$T/sd-boot-a.efi" "$SYSTEMD_BOOT"
        check "systemd-boot signed by keel: sbverify and osslsigncode accept" \
                bash -c "sbverify --cert '$T/a.crt' '$T/sd-boot-a.efi' >/dev/null 2>&1 && osslsigncode verify -CAfile '$T/a.crt' -in '$T/sd-boot-a.efi' 2>&1 | grep -q '^Succeeded'"
fi

same_digest_as_sbsign() {
        # Both sign the same bytes: the SpcIndirectDataContent digests agree.
        sbsign --key "$T/a.key" --cert "$T/a.crt" --output "$T/uki-sbsign.efi" "$T/uki.efi" 2>/dev/null || return 1
        local a b
        a=$(osslsigncode verify -in "$T/uki-a.efi" 2>&1 | sed -n 's/^Current message digest *: *//p')
        b=$(osslsigncode verify -in "$T/uki-sbsign.efi" 2>&1 | sed -n 's/^Current message digest *: *//p')
        [ -n "$a" ] && [ "$a" = "$b" ]
}
check "the image digest keel signs equals the one sbsign signs" same_digest_as_sbsign
same_indirect_data_as_sbsign() {
        # The messageDigest signed attribute hashes SpcIndirectDataContent:
        # equal values mean keel encodes it byte for byte as sbsign does.
        local a b
        a=$(osslsigncode verify -in "$T/uki-a.efi" 2>&1 | sed -n 's/^[[:space:]]*Message digest: *//p')
        b=$(osslsigncode verify -in "$T/uki-sbsign.efi" 2>&1 | sed -n 's/^[[:space:]]*Message digest: *//p')
        [ -n "$a" ] && [ "$a" = "$b" ]
}
check "SpcIndirectDataContent is byte-identical to sbsign's (same messageDigest attribute)" same_indirect_data_as_sbsign
check "keel verify accepts sbsign's signature" quiet "$KEEL" verify --cert "$T/a.crt" "$T/uki-sbsign.efi"
osslsigncode sign -certs "$T/a.crt" -key "$T/a.key" -h sha256 -in "$T/uki.efi" -out "$T/uki-ossl.efi" >/dev/null 2>&1
check "keel verify accepts osslsigncode's signature" quiet "$KEEL" verify --cert "$T/a.crt" "$T/uki-ossl.efi"

deterministic() {
        "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" -o "$T/uki-a2.efi" "$T/uki.efi" && cmp -s "$T/uki-a.efi" "$T/uki-a2.efi"
}
check "signing is deterministic (no signing time): the same bytes twice" deterministic

uki_build_signs() {
        "$KEEL" uki build --stub "$STUB" --linux "${KERNEL:-$STUB}" --initrd "$T/initrd" --cmdline "console=ttyS0" \
                --key "$T/a.key" --cert "$T/a.crt" -o "$T/uki-built-signed.efi" && cmp -s "$T/uki-a.efi" "$T/uki-built-signed.efi"
}
check "uki build --key --cert gives exactly uki build + keel sign" uki_build_signs

table_layout() {
        local off size
        read -r off size < <(cert_dir "$T/uki-a.efi")
        [ $((off % 8)) -eq 0 ] && [ $((size % 8)) -eq 0 ] && [ $((off + size)) -eq "$(stat -c %s "$T/uki-a.efi")" ] &&
                [ "$off" -eq $(( ($(stat -c %s "$T/uki.efi") + 7) / 8 * 8 )) ] &&
                python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read(); off = int(sys.argv[2])
l, rev, typ = struct.unpack_from("<IHH", d, off)
sys.exit(not (rev == 0x200 and typ == 2 and 8 < l <= int(sys.argv[3])))' "$T/uki-a.efi" "$off" "$size"
}
check "the certificate table: 8-byte aligned after the image, ends the file, WIN_CERTIFICATE 2.0 PKCS_SIGNED_DATA" table_layout

in_place() {
        cp "$T/stub.efi" "$T/inplace.efi"
        chmod 0751 "$T/inplace.efi"
        ln "$T/inplace.efi" "$T/inplace-old"
        "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" "$T/inplace.efi" >"$T/inplace.out" 2>&1 &&
                [ ! -s "$T/inplace.out" ] && cmp -s "$T/inplace-old" "$T/stub.efi" &&
                [ "$(stat -c %a "$T/inplace.efi")" = 751 ] && quiet sbverify --cert "$T/a.crt" "$T/inplace.efi"
}
check "without -o the image is replaced by rename (old inode untouched, mode kept), silently" in_place

# ---- two signatures, --replace ---------------------------------------------------
"$KEEL" sign --key "$T/b.key" --cert "$T/b.crt" -o "$T/uki-ab.efi" "$T/uki-a.efi"
check "signing a signed image adds a signature: sbverify --list shows both" \
        test "$(sbverify --list "$T/uki-ab.efi" 2>/dev/null | grep -c '^signature [0-9]')" -eq 2
check "sbverify --cert accepts the first signer" quiet sbverify --cert "$T/a.crt" "$T/uki-ab.efi"
check "sbverify --cert accepts the second signer" quiet sbverify --cert "$T/b.crt" "$T/uki-ab.efi"
check "keel verify accepts either signer" \
        bash -c "'$KEEL' verify --cert '$T/a.crt' '$T/uki-ab.efi' >/dev/null && '$KEEL' verify --cert '$T/b.crt' '$T/uki-ab.efi' >/dev/null"
check "keel verify lists both signatures" test "$("$KEEL" verify --cert "$T/a.crt" "$T/uki-ab.efi" 2>/dev/null | grep -c '^signature')" -eq 2
# osslsigncode 2.9 reads one WIN_CERTIFICATE only ("Corrupted attribute
# certificate table" for any second one; it nests signatures instead, which
# firmware ignores). keel's table must get the same verdict as sbsign's.
sbsign --key "$T/b.key" --cert "$T/b.crt" --output "$T/uki-sbsign-ab.efi" "$T/uki-sbsign.efi" 2>/dev/null
same_ossl_verdict() {
        local k s
        k=$(osslsigncode verify -in "$T/uki-ab.efi" 2>&1 | grep -c 'Corrupted attribute certificate table')
        s=$(osslsigncode verify -in "$T/uki-sbsign-ab.efi" 2>&1 | grep -c 'Corrupted attribute certificate table')
        [ "$k" -ge 1 ] && [ "$k" = "$s" ]
}
check "osslsigncode treats keel's two-entry table exactly as sbsign's" same_ossl_verdict
check "sbsign adds to a keel-signed image and keel verify sees both" \
        bash -c "sbsign --key '$T/b.key' --cert '$T/b.crt' --output '$T/uki-a-sbsign.efi' '$T/uki-a.efi' 2>/dev/null &&
                 '$KEEL' verify --cert '$T/b.crt' '$T/uki-a-sbsign.efi' | grep -c '^signature' | grep -qx 2 &&
                 '$KEEL' verify --cert '$T/a.crt' '$T/uki-a-sbsign.efi' >/dev/null"
"$KEEL" sign --replace --key "$T/b.key" --cert "$T/b.crt" -o "$T/uki-b.efi" "$T/uki-ab.efi"
check "--replace keeps one signature" test "$(sbverify --list "$T/uki-b.efi" 2>/dev/null | grep -c '^signature [0-9]')" -eq 1
check "--replace: osslsigncode and sbverify accept the new signer" \
        bash -c "sbverify --cert '$T/b.crt' '$T/uki-b.efi' >/dev/null 2>&1 && osslsigncode verify -CAfile '$T/b.crt' -in '$T/uki-b.efi' 2>&1 | grep -q '^Succeeded'"
check "--replace: the old signer is gone" bash -c "! '$KEEL' verify --cert '$T/a.crt' '$T/uki-b.efi' >/dev/null 2>&1"
check "--replace on the double-signed file equals signing the unsigned one" \
        bash -c "'$KEEL' sign --key '$T/b.key' --cert '$T/b.crt' -o '$T/uki-b2.efi' '$T/uki.efi' && cmp -s '$T/uki-b.efi' '$T/uki-b2.efi'"

if [ -n "$KERNEL" ]; then
        "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" -o "$T/vmlinuz-a.efi" "$KERNEL"
        check "a vendor-signed kernel keeps its signature and gains keel's (sbverify sees 2)" \
                test "$(sbverify --list "$T/vmlinuz-a.efi" 2>/dev/null | grep -c '^signature [0-9]')" -eq 2
        check "sbverify accepts keel's signature on the kernel" quiet sbverify --cert "$T/a.crt" "$T/vmlinuz-a.efi"
fi

# ---- keel verify refuses ---------------------------------------------------------
off=$(( $(stat -c %s "$T/uki.efi") / 2 ))
flip "$T/uki-a.efi" "$T/uki-flipped.efi" "$off"
expect_error "verify: one flipped byte in the image" "$T/none" "$KEEL" verify --cert "$T/a.crt" "$T/uki-flipped.efi"
check "sbverify agrees the flipped image is bad" bash -c "! sbverify --cert '$T/a.crt' '$T/uki-flipped.efi' >/dev/null 2>&1"
expect_error "verify: the wrong certificate" "$T/none" "$KEEL" verify --cert "$T/b.crt" "$T/uki-a.efi"
expect_error "verify: an unsigned image" "$T/none" "$KEEL" verify --cert "$T/a.crt" "$T/uki.efi"
expect_error "verify: not a PE image" "$T/none" "$KEEL" verify --cert "$T/a.crt" "$T/a.crt"
expect_error "verify: no --cert" "$T/none" "$KEEL" verify "$T/uki-a.efi"
read -r off size < <(cert_dir "$T/uki-a.efi")
flip "$T/uki-a.efi" "$T/uki-badsig.efi" $((off + size - 20))
expect_error "verify: a damaged signature blob" "$T/none" "$KEEL" verify --cert "$T/a.crt" "$T/uki-badsig.efi"

# ---- keel sign refuses bad input: one line, no output ----------------------------
printf 'MZ but nothing else of a PE image, padded to more than 64 bytes..........................\n' >"$T/notpe.efi"
head -c 1000 "$T/stub.efi" >"$T/truncated.efi"
python3 - "$T/stub.efi" "$T/badtable.efi" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
pe = struct.unpack_from('<I', d, 0x3c)[0]
struct.pack_into('<II', d, pe + 24 + 112 + 32, len(d) + 8, 64)   # certificate table past EOF
open(sys.argv[2], 'wb').write(d)
EOF
expect_error "sign: not a PE image" "$T/out.efi" "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" -o "$T/out.efi" "$T/notpe.efi"
expect_error "sign: a truncated PE image" "$T/out.efi" "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" -o "$T/out.efi" "$T/truncated.efi"
expect_error "sign: certificate table pointing outside the file" "$T/out.efi" \
        "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" -o "$T/out.efi" "$T/badtable.efi"
# Files too short to be a PE image: the line names the file and says what is
# wrong with it; sign writes nothing, not even in place.
: >"$T/empty.efi"
printf M >"$T/one-byte.efi"
for f in empty.efi:"empty file, not a PE image" one-byte.efi:"file too short for a DOS header (1 byte"; do
        file=$T/${f%%:*} text=${f#*:}
        expect_error_saying "verify: ${f%%:*}" "" "$file: $text" "$KEEL" verify --cert "$T/a.crt" "$file"
        expect_error_saying "sign: ${f%%:*}" "$T/out.efi" "$file: $text" \
                "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" -o "$T/out.efi" "$file"
        expect_error_untouched "sign in place: ${f%%:*}, left as it was" "$file" \
                "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" "$file"
done
expect_error "sign: key does not match the certificate" "$T/out.efi" \
        "$KEEL" sign --key "$T/a.key" --cert "$T/b.crt" -o "$T/out.efi" "$T/stub.efi"
expect_error "sign: encrypted key without a passphrase (never prompts)" "$T/out.efi" \
        "$KEEL" sign --key "$T/enc.key" --cert "$T/enc.crt" -o "$T/out.efi" "$T/stub.efi" </dev/null
expect_error "sign: encrypted key with the wrong passphrase" "$T/out.efi" \
        "$KEEL" sign --key "$T/enc.key" --cert "$T/enc.crt" --passphrase-file "$T/wrongpass" -o "$T/out.efi" "$T/stub.efi"
expect_error "sign: an EC key (firmware verifies RSA only)" "$T/out.efi" \
        "$KEEL" sign --key "$T/ec.key" --cert "$T/ec.crt" -o "$T/out.efi" "$T/stub.efi"
expect_error "sign: missing key file" "$T/out.efi" \
        "$KEEL" sign --key "$T/nonexistent.key" --cert "$T/a.crt" -o "$T/out.efi" "$T/stub.efi"
expect_error "sign: the certificate is not a certificate" "$T/out.efi" \
        "$KEEL" sign --key "$T/a.key" --cert "$T/a.key" -o "$T/out.efi" "$T/stub.efi"
expect_error "sign: --cert missing" "$T/out.efi" "$KEEL" sign --key "$T/a.key" -o "$T/out.efi" "$T/stub.efi"
expect_error "sign: output directory missing" "$T/nodir/out.efi" \
        "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" -o "$T/nodir/out.efi" "$T/stub.efi"
expect_error "uki build: --key without --cert" "$T/out.efi" \
        "$KEEL" uki build --stub "$STUB" --linux "$STUB" --key "$T/a.key" -o "$T/out.efi"
expect_error "uki build: key does not match the certificate" "$T/out.efi" \
        "$KEEL" uki build --stub "$STUB" --linux "$STUB" --key "$T/a.key" --cert "$T/b.crt" -o "$T/out.efi"
check "encrypted key with --passphrase-file signs" \
        bash -c "'$KEEL' sign --key '$T/enc.key' --cert '$T/enc.crt' --passphrase-file '$T/pass' -o '$T/enc.efi' '$T/stub.efi' && sbverify --cert '$T/enc.crt' '$T/enc.efi' >/dev/null 2>&1"
in_place_failure_untouched() {
        cp "$T/notpe.efi" "$T/keep.efi"
        "$KEEL" sign --key "$T/a.key" --cert "$T/a.crt" "$T/keep.efi" 2>/dev/null && return 1
        cmp -s "$T/notpe.efi" "$T/keep.efi" && [ -z "$(find "$T" -maxdepth 1 -name 'keep.efi.*')" ]
}
check "in-place signing that fails leaves the input untouched" in_place_failure_untouched

# ---- keel keys create ---------------------------------------------------------------
K=$T/keys
"$KEEL" keys create "$K" --cn "keel cli test" >/dev/null
check "keys create writes PK/KEK/db .key .crt .esl .auth and GUID" \
        bash -c "cd '$K' && ls | sort | tr '\n' ' ' | grep -qx 'GUID KEK.auth KEK.crt KEK.esl KEK.key PK.auth PK.crt PK.esl PK.key db.auth db.crt db.esl db.key '"
check "private keys are mode 0600" test "$(stat -c %a "$K/PK.key" "$K/KEK.key" "$K/db.key" | sort -u)" = 600
check "certificates name NAME PK / KEK / db" \
        bash -c "openssl x509 -in '$K/KEK.crt' -noout -subject | grep -q 'CN *= *keel cli test KEK' && openssl x509 -in '$K/db.crt' -noout -text | grep -q 'RSA Public-Key: (2048 bit)\|Public-Key: (2048 bit)'"
OWNER=$(cat "$K/GUID")
esl_equals_sbsiglist() {
        local v
        for v in PK KEK db; do
                openssl x509 -in "$K/$v.crt" -outform DER -out "$T/$v.der" &&
                        sbsiglist --owner "$OWNER" --type x509 --output "$T/$v.siglist" "$T/$v.der" &&
                        cmp -s "$T/$v.siglist" "$K/$v.esl" || return 1
        done
}
check ".esl files are byte-identical to sbsiglist's (same owner GUID)" esl_equals_sbsiglist

# Splits an .auth into the PKCS#7 (wrapped in a ContentInfo for openssl) and
# the bytes UEFI says it signs: name (UTF-16LE) || vendor GUID || attributes
# || timestamp || data. Checks the header fields on the way.
cat >"$T/auth.py" <<'EOF'
import struct, sys, time
auth, name, guid, out = sys.argv[1:5]
d = open(auth, 'rb').read()
ts = d[:16]
year, month, day, hour, minute, second, pad1, nano, tz, dl, pad2 = struct.unpack('<HBBBBBBIhBB', ts)
now = time.gmtime()
assert abs(time.mktime((year, month, day, hour, minute, second, 0, 0, 0)) -
           time.mktime(now[:6] + (0, 0, 0))) < 600, ts.hex()   # UTC, months from 1
assert pad1 == nano == tz == dl == pad2 == 0, ts.hex()
dwlen, rev, typ = struct.unpack_from('<IHH', d, 16)
assert rev == 0x200 and typ == 0x0ef1, (hex(rev), hex(typ))
assert d[24:40] == bytes.fromhex('9dd2af4adf68ee498aa9347d375665a7'), 'CertType is not EFI_CERT_TYPE_PKCS7_GUID'
sd = d[40:16 + dwlen]
g = guid.replace('-', '')
gb = bytes.fromhex(g[0:8])[::-1] + bytes.fromhex(g[8:12])[::-1] + bytes.fromhex(g[12:16])[::-1] + bytes.fromhex(g[16:])
def der_len(n):
    if n < 0x80: return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(b)]) + b
oid = bytes.fromhex('06092a864886f70d010702')
inner = b'\xa0' + der_len(len(sd)) + sd
open(out + '.p7', 'wb').write(b'\x30' + der_len(len(oid) + len(inner)) + oid + inner)
open(out + '.signed', 'wb').write(name.encode('utf-16-le') + gb + struct.pack('<I', 0x27) + ts + d[16 + dwlen:])
open(out + '.data', 'wb').write(d[16 + dwlen:])
EOF
GLOBAL=8be4df61-93ca-11d2-aa0d-00e098032b8c
IMAGE_DB=d719b2cb-3d3a-4596-a3bc-dad00e67656f
auth_signed_by() { # VAR GUID SIGNER
        python3 "$T/auth.py" "$K/$1.auth" "$1" "$2" "$T/$1" &&
                cmp -s "$T/$1.data" "$K/$1.esl" &&
                openssl cms -verify -binary -inform DER -in "$T/$1.p7" -content "$T/$1.signed" \
                        -CAfile "$K/$3.crt" -purpose any -out /dev/null 2>/dev/null
}
check "PK.auth: EFI_VARIABLE_AUTHENTICATION_2 over PK.esl, signed by PK (openssl cms)" auth_signed_by PK $GLOBAL PK
check "KEK.auth: signed by PK" auth_signed_by KEK $GLOBAL PK
check "db.auth: signed by KEK (image security database GUID)" auth_signed_by db $IMAGE_DB KEK
check "db.auth is not signed by PK (the check can fail)" bash -c "! openssl cms -verify -binary -inform DER -in '$T/db.p7' -content '$T/db.signed' -CAfile '$K/PK.crt' -purpose any -out /dev/null 2>/dev/null"

# Same structure as sbvarsign's SignedData except the authenticated
# attributes, which UEFI 2.10 (8.2.2) says shall not be present and
# sbvarsign adds anyway.
asn1_shape() {
        openssl asn1parse -inform DER -in "$1" -i | sed -E 's/^ *[0-9]+:d=([0-9]+) +hl= *[0-9]+ l= *[0-9]+/d=\1/; s/:.*\[HEX DUMP\].*/:HEX/; s/(INTEGER|UTCTIME|GENERALIZEDTIME|BIT STRING|UTF8STRING|PRINTABLESTRING) +:.*/\1/'
}
same_shape_as_sbvarsign() {
        sbvarsign --key "$K/KEK.key" --cert "$K/KEK.crt" --output "$T/sbv-db.auth" db "$K/db.esl" >/dev/null 2>&1 || return 1
        python3 "$T/auth.py" "$T/sbv-db.auth" db $IMAGE_DB "$T/sbv" 2>/dev/null || true
        python3 - "$T/sbv-db.auth" "$T/sbv" <<'EOF' || return 1
import struct, sys
d = open(sys.argv[1], 'rb').read()
dwlen = struct.unpack_from('<I', d, 16)[0]
sd = d[40:16 + dwlen]
def der_len(n):
    if n < 0x80: return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return bytes([0x80 | len(b)]) + b
oid = bytes.fromhex('06092a864886f70d010702')
inner = b'\xa0' + der_len(len(sd)) + sd
open(sys.argv[2] + '.p7', 'wb').write(b'\x30' + der_len(len(oid) + len(inner)) + oid + inner)
EOF
        asn1_shape "$T/sbv.p7" | awk '/^d=5 cons: +cont \[ 0 \]/ { skip = 1; next } skip && /^d=[6-9]/ { next } { skip = 0; print }' >"$T/sbv.shape"
        asn1_shape "$T/db.p7" >"$T/keel.shape"
        diff "$T/sbv.shape" "$T/keel.shape" >"$T/shape.diff" || { cat "$T/shape.diff"; return 1; }
        ! grep -q 'cont \[ 0 \]' <(awk '/^d=5/' "$T/keel.shape")
}
check ".auth PKCS#7 has sbvarsign's structure, without authenticated attributes" same_shape_as_sbvarsign

sbkeysync_reads() {
        mkdir -p "$T/ks/PK" "$T/ks/KEK" "$T/ks/db" "$T/ks/dbx" "$T/novars"
        cp "$K/PK.auth" "$T/ks/PK/" && cp "$K/KEK.auth" "$T/ks/KEK/" && cp "$K/db.auth" "$T/ks/db/"
        sbkeysync --keystore "$T/ks" --no-default-keystores --efivars-path "$T/novars" --verbose --dry-run \
                >"$T/sbkeysync.out" 2>&1 || return 1
        grep -q '/CN=keel cli test PK' "$T/sbkeysync.out" && grep -q '/CN=keel cli test KEK' "$T/sbkeysync.out" &&
                grep -q '/CN=keel cli test db' "$T/sbkeysync.out"
}
check "sbkeysync parses the .auth files and finds the three certificates" sbkeysync_reads
check "the db key signs images sbverify accepts with db.crt" \
        bash -c "'$KEEL' sign --key '$K/db.key' --cert '$K/db.crt' -o '$T/stub-db.efi' '$STUB' && sbverify --cert '$K/db.crt' '$T/stub-db.efi' >/dev/null 2>&1 && osslsigncode verify -CAfile '$K/db.crt' -in '$T/stub-db.efi' 2>&1 | grep -q '^Succeeded'"
expect_error "keys create: DIR exists and is not empty" "$K/new" "$KEEL" keys create "$K"
check "keys create into an existing empty directory works" bash -c "mkdir '$T/empty' && '$KEEL' keys create '$T/empty/' >/dev/null && test -f '$T/empty/db.auth'"
expect_error "keys create: parent directory missing" "$T/missing/keys" "$KEEL" keys create "$T/missing/keys"
expect_error "keys create: no DIR" "$T/none" "$KEEL" keys create

summary
