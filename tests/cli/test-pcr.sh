#!/bin/bash
# keel pcr predict / sign and keel uki build --pcrpkey/--pcr-private-key,
# against the peers: systemd-measure 252 (calculate, and sign on a swtpm),
# tpm2-tools (PolicyPCR in a trial session on the same swtpm) and openssl.
# Usage: tests/cli/test-pcr.sh BUILD_DIR
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MEASURE=/usr/lib/systemd/systemd-measure
PCR_CHECK="python3 $SRC/ovmf-tests/pcr-check.py"
T=$(mktemp -d)

cleanup() {
        [ -f "$T/tpm/pid" ] && kill "$(cat "$T/tpm/pid")" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"

# expect_error NAME OUTPUT-FILE-OR-"" CMD...: non-zero exit, one "keel: " line
# on stderr, nothing on stdout, no output file left.
json_eq() { python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$1" "$2"; }
b2h() { od -An -tx1 -v "$1" | tr -d ' \n'; }
h2b() { python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$1"; }

# A stand-in kernel: an x86_64 EFI image (keel's own) with random bytes
# appended, so that .linux is not tiny.
head -c 3000000 /dev/urandom >"$T/pad"
cat "$STUB" "$T/pad" >"$T/kernel.efi"
head -c 1000000 /dev/urandom >"$T/initrd"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/priv.pem" 2>/dev/null
openssl pkey -in "$T/priv.pem" -pubout -out "$T/pub.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/other.pem" 2>/dev/null
openssl pkey -in "$T/other.pem" -pubout -out "$T/other-pub.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ec.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$T/small.pem" 2>/dev/null

# A stub without .sbat and a UKI without .uname: only sections systemd-measure
# 252 knows, so its output must match keel's byte for byte.
objcopy --remove-section=.sbat "$STUB" "$T/stub-nosbat.efi"
"$KEEL" uki build --stub "$T/stub-nosbat.efi" --linux "$T/kernel.efi" --initrd "$T/initrd" --cmdline "quiet x=1" \
        --os-release $'ID=t\n' --uname "" -o "$T/plain.efi"
for s in linux osrel cmdline initrd; do
        objcopy -O binary --only-section=.$s "$T/plain.efi" "$T/plain.$s"
done
sections="--linux=$T/plain.linux --osrel=$T/plain.osrel --cmdline=$T/plain.cmdline --initrd=$T/plain.initrd"

"$KEEL" pcr predict "$T/plain.efi" >"$T/k1" 2>/dev/null
$MEASURE calculate $sections >"$T/m1" 2>/dev/null
check "predict = systemd-measure calculate (all banks, default phases)" cmp -s "$T/k1" "$T/m1"
"$KEEL" pcr predict "$T/plain.efi" --bank sha256 --bank sha1 --phase= --phase=sysinit --phase=enter-initrd \
        --phase=::enter-initrd: >"$T/k2" 2>/dev/null
$MEASURE calculate $sections --bank=sha256 --bank=sha1 --phase= --phase=sysinit --phase=enter-initrd \
        --phase=::enter-initrd: >"$T/m2" 2>/dev/null
check "predict = systemd-measure calculate (--bank, --phase= and odd phases)" cmp -s "$T/k2" "$T/m2"
check "predict prints 11:BANK=HEX lines" grep -qx '11:sha256=[0-9a-f]\{64\}' "$T/k2"

# What a user checks: systemd-measure over the very files given to uki
# build (an initrd of an odd size is measured as it is, not padded).
head -c 1000001 /dev/urandom >"$T/initrd-odd"
printf 'ID=t\n' >"$T/in.osrel"
printf 'quiet x=1' >"$T/in.cmdline"
"$KEEL" uki build --stub "$T/stub-nosbat.efi" --linux "$T/kernel.efi" --initrd "$T/initrd-odd" --cmdline @"$T/in.cmdline" \
        --os-release @"$T/in.osrel" --uname "" -o "$T/odd.efi"
"$KEEL" pcr predict "$T/odd.efi" >"$T/k3" 2>/dev/null
$MEASURE calculate --linux="$T/kernel.efi" --initrd="$T/initrd-odd" --osrel="$T/in.osrel" --cmdline="$T/in.cmdline" \
        >"$T/m3" 2>/dev/null
check "predict = systemd-measure calculate over the input files (one initrd of 1000001 bytes)" cmp -s "$T/k3" "$T/m3"

# A full keel UKI (.uname, .sbat from the stub, .pcrpkey): the model checked
# against systemd-measure for its sections, extended by .uname and .sbat.
"$KEEL" uki build --stub "$STUB" --linux "$T/kernel.efi" --initrd "$T/initrd" --cmdline "quiet" \
        --os-release $'ID=t\n' --uname 6.1.0-test --pcrpkey "$T/pub.pem" -o "$T/full.efi"
if $PCR_CHECK model "$T/full.efi" "$T/full-sections" >"$T/model" 2>"$T/model.err"; then
        for bank in sha1 sha256; do
                check "predict with .uname/.sbat/.pcrpkey = model ($bank)" [ \
                        "$("$KEEL" pcr predict "$T/full.efi" --bank $bank --phase= | sed 's/^11:[a-z0-9]*=//')" = \
                        "$(sed -n "s/^$bank=//p" "$T/model")" ]
        done
else
        fail "model agrees with systemd-measure ($(cat "$T/model.err"))"
fi

# Signing: systemd-measure 252 sign needs a TPM (swtpm) for the policy.
mkdir -p "$T/tpm"
port=$(python3 -c 'import socket
for p in range(24000, 25000, 2):
    try:
        a = socket.socket(); a.bind(("127.0.0.1", p)); b = socket.socket(); b.bind(("127.0.0.1", p + 1))
        a.close(); b.close(); print(p); break
    except OSError:
        pass')
swtpm socket --tpm2 --tpmstate dir="$T/tpm" --server type=tcp,port="$port" --ctrl type=tcp,port=$((port + 1)) \
        --flags not-need-init,startup-clear --daemon --pid file="$T/tpm/pid"
export TPM2TOOLS_TCTI="swtpm:port=$port"

"$KEEL" pcr sign "$T/plain.efi" --private-key "$T/priv.pem" -o "$T/k-sig.json"
$MEASURE sign --tpm2-device="swtpm:port=$port" $sections --private-key="$T/priv.pem" --public-key="$T/pub.pem" \
        --json=short >"$T/m-sig.json" 2>"$T/m-sig.err"
run "sign = systemd-measure 252 sign (4 banks x 4 phases; pkfp, pol; sig of sha256, the others SHA-256 as 262)" \
        pcrsig_eq_252 "$T/k-sig.json" "$T/m-sig.json" "$T/pub.pem"
"$KEEL" pcr sign "$T/plain.efi" --private-key "$T/priv.pem" --public-key "$T/pub.pem" --bank sha256 \
        --phase=enter-initrd:leave-initrd --phase= >"$T/k-sig2.json"
$MEASURE sign --tpm2-device="swtpm:port=$port" $sections --private-key="$T/priv.pem" --public-key="$T/pub.pem" \
        --bank=sha256 --phase=enter-initrd:leave-initrd --phase= --json=short >"$T/m-sig2.json" 2>/dev/null
check "sign to stdout, --bank/--phase = systemd-measure sign" json_eq "$T/k-sig2.json" "$T/m-sig2.json"

# pol against tpm2_policypcr for the predicted value; sig with openssl.
value=$("$KEEL" pcr predict "$T/full.efi" --bank sha256 --phase=enter-initrd | sed 's/^11:sha256=//')
"$KEEL" pcr sign "$T/full.efi" --private-key "$T/priv.pem" --bank sha256 --phase=enter-initrd -o "$T/full-sig.json"
h2b "$value" >"$T/value.bin"
tpm2_startauthsession -S "$T/session.ctx" >/dev/null
tpm2_policypcr -S "$T/session.ctx" -l sha256:11 -f "$T/value.bin" -L "$T/policy.bin" >/dev/null
tpm2_flushcontext "$T/session.ctx" >/dev/null
python3 -c 'import json,sys,base64; e=json.load(open(sys.argv[1]))["sha256"][0]
open(sys.argv[2],"w").write(e["pol"]); open(sys.argv[3],"wb").write(base64.b64decode(e["sig"]))
open(sys.argv[4],"wb").write(bytes.fromhex(e["pol"])); open(sys.argv[5],"w").write(e["pkfp"])' \
        "$T/full-sig.json" "$T/pol.hex" "$T/sig.bin" "$T/pol.bin" "$T/pkfp"
check "pol = tpm2_policypcr -l sha256:11 -f <predicted value>" [ "$(cat "$T/pol.hex")" = "$(b2h "$T/policy.bin")" ]
check "openssl verifies sig over pol with the public key" \
        bash -c "openssl dgst -sha256 -verify '$T/pub.pem' -signature '$T/sig.bin' '$T/pol.bin' >/dev/null"
check "pkfp = sha256 of the PKCS#1 DER public key (openssl)" [ "$(cat "$T/pkfp")" = \
        "$(openssl rsa -pubin -in "$T/pub.pem" -RSAPublicKey_out -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1)" ]

# uki build: .pcrpkey and a .pcrsig covering the image as written.
"$KEEL" uki build --stub "$T/stub-nosbat.efi" --linux "$T/kernel.efi" --initrd "$T/initrd" --cmdline "quiet x=1" \
        --os-release $'ID=t\n' --uname "" --pcrpkey "$T/pub.pem" --pcr-private-key "$T/priv.pem" -o "$T/signed.efi"
objcopy -O binary --only-section=.pcrsig "$T/signed.efi" "$T/signed.pcrsig"
objcopy -O binary --only-section=.pcrpkey "$T/signed.efi" "$T/signed.pcrpkey"
check ".pcrpkey is the given PEM" cmp -s "$T/signed.pcrpkey" "$T/pub.pem"
$MEASURE sign --tpm2-device="swtpm:port=$port" $sections --pcrpkey="$T/pub.pem" --private-key="$T/priv.pem" \
        --public-key="$T/pub.pem" --json=short >"$T/m-signed.json" 2>/dev/null
run "uki build .pcrsig = systemd-measure 252 sign over the sections with .pcrpkey (as above)" \
        pcrsig_eq_252 "$T/signed.pcrsig" "$T/m-signed.json" "$T/pub.pem"
"$KEEL" pcr sign "$T/signed.efi" --private-key "$T/priv.pem" -o "$T/resigned.json"
check "uki build .pcrsig = keel pcr sign of the final image" json_eq "$T/signed.pcrsig" "$T/resigned.json"
"$KEEL" uki build --stub "$STUB" --linux "$T/kernel.efi" --cmdline quiet --pcr-private-key "$T/priv.pem" \
        -o "$T/derived.efi"
objcopy -O binary --only-section=.pcrpkey "$T/derived.efi" "$T/derived.pcrpkey"
objcopy -O binary --only-section=.pcrsig "$T/derived.efi" "$T/derived.pcrsig"
"$KEEL" pcr sign "$T/derived.efi" --private-key "$T/priv.pem" -o "$T/derived-resigned.json"
check "uki build without --pcrpkey embeds the derived public key" \
        cmp -s "$T/derived.pcrpkey" <(openssl pkey -in "$T/priv.pem" -pubout)
check "uki build (with .sbat/.uname) .pcrsig = keel pcr sign of the final image" \
        json_eq "$T/derived.pcrsig" "$T/derived-resigned.json"
check "sbverify reads the signed UKI" bash -c "sbverify --list '$T/derived.efi' 2>&1 | grep -q 'No signature table present'"
check "PE checksum of the signed UKI is right (recomputed independently)" python3 - "$T/derived.efi" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
n = len(d)
off = struct.unpack_from("<I", d, 0x3c)[0] + 24 + 64
stored = struct.unpack_from("<I", d, off)[0]
d[off:off + 4] = b"\0\0\0\0"
if len(d) % 2:
    d += b"\0"
s = 0
for (w,) in struct.iter_unpack("<H", d):
    s += w
    s = (s & 0xffff) + (s >> 16)
sys.exit(((s & 0xffff) + n) != stored)
EOF

# Bad input.
expect_error "predict: a PE without .linux" "" "$KEEL" pcr predict "$STUB"
expect_error "predict: missing file" "" "$KEEL" pcr predict "$T/nope.efi"
expect_error "predict: not a PE" "" "$KEEL" pcr predict "$T/initrd"
expect_error "predict: unknown bank" "" "$KEEL" pcr predict "$T/plain.efi" --bank sha256,md5
expect_error "predict: no UKI given" "" "$KEEL" pcr predict
expect_error "predict: signing options are not predict's" "" "$KEEL" pcr predict "$T/plain.efi" --private-key "$T/priv.pem"
expect_error "sign: no --private-key" "$T/out.json" "$KEEL" pcr sign "$T/plain.efi" -o "$T/out.json"
expect_error "sign: EC key" "$T/out.json" "$KEEL" pcr sign "$T/plain.efi" --private-key "$T/ec.pem" -o "$T/out.json"
expect_error "sign: 1024-bit RSA key" "$T/out.json" "$KEEL" pcr sign "$T/plain.efi" --private-key "$T/small.pem" -o "$T/out.json"
expect_error "sign: public key of another key" "$T/out.json" "$KEEL" pcr sign "$T/plain.efi" --private-key "$T/priv.pem" \
        --public-key "$T/other-pub.pem" -o "$T/out.json"
expect_error "sign: a public key as private key" "$T/out.json" "$KEEL" pcr sign "$T/plain.efi" --private-key "$T/pub.pem" -o "$T/out.json"
expect_error "sign: UKI without .linux" "$T/out.json" "$KEEL" pcr sign "$STUB" --private-key "$T/priv.pem" -o "$T/out.json"
# Files too short to be a PE image: the line names the file and says what is
# wrong with it (not "invalid argument").
: >"$T/empty.efi"
printf M >"$T/one-byte.efi"
for cmd in predict sign; do
        args=()
        [ $cmd = sign ] && args=(--private-key "$T/priv.pem" -o "$T/out.json")
        expect_error_saying "$cmd: an empty file" "$T/out.json" "$T/empty.efi: empty file, not a PE image" \
                "$KEEL" pcr $cmd "$T/empty.efi" "${args[@]}"
        expect_error_saying "$cmd: a 1-byte file" "$T/out.json" "$T/one-byte.efi: file too short for a DOS header (1 byte" \
                "$KEEL" pcr $cmd "$T/one-byte.efi" "${args[@]}"
done
expect_error "uki build: EC --pcr-private-key" "$T/bad.efi" "$KEEL" uki build --stub "$STUB" --linux "$T/kernel.efi" \
        --pcr-private-key "$T/ec.pem" -o "$T/bad.efi"
expect_error "uki build: --pcrpkey not a key" "$T/bad.efi" "$KEEL" uki build --stub "$STUB" --linux "$T/kernel.efi" \
        --pcrpkey "$T/initrd" -o "$T/bad.efi"
expect_error "uki build: --pcrpkey not the signing key's" "$T/bad.efi" "$KEEL" uki build --stub "$STUB" \
        --linux "$T/kernel.efi" --pcrpkey "$T/other-pub.pem" --pcr-private-key "$T/priv.pem" -o "$T/bad.efi"

summary
