#!/bin/bash
# keel addon build, keel uki build --microcode and keel pcr predict --addon,
# against the peers: objdump/objcopy (the PE layout binutils reads),
# sbverify and osslsigncode (the Authenticode signature of a signed addon),
# and a PCR 12 model written here with hashlib from systemd-stub 257's
# source (one event for the joined addon command lines, UTF-16 with its
# NUL; then each addon's .dtb, its .ucode in reverse order, its .initrd).
# PCR 11 with .ucode against ovmf-tests/pcr-check.py (checked against
# systemd-measure 252 for the sections 252 knows).
# Usage: tests/cli/test-addon.sh BUILD_DIR
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PCR_CHECK="python3 $SRC/ovmf-tests/pcr-check.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
need_tools objdump aarch64-linux-gnu-objdump objcopy sbverify osslsigncode dtc cpio openssl softhsm2-util

sec() { objcopy -O binary --only-section="$2" "$1" "$T/sec.bin" 2>/dev/null && cat "$T/sec.bin"; }
has_section() { objdump -h "$1" | awk '{print $2}' | grep -qx -- "$2"; }

# Inputs: a stand-in kernel (keel's own EFI image + random bytes), cpio
# archives, a device tree, a key and certificate.
head -c 2000000 /dev/urandom >"$T/pad"
cat "$STUB" "$T/pad" >"$T/kernel.efi"
head -c 100000 /dev/urandom >"$T/initrd"
mkdir -p "$T/uc/kernel/x86/microcode" "$T/ir"
printf 'microcode' >"$T/uc/kernel/x86/microcode/GenuineIntel.bin"
printf 'extra' >"$T/ir/extra"
(cd "$T/uc" && find . | cpio -o -H newc --quiet) >"$T/ucode.cpio"
(cd "$T/ir" && find . | cpio -o -H newc --quiet) >"$T/extra.cpio"
printf '/dts-v1/;\n/ { model = "keel-addon"; };\n' | dtc -q -I dts -O dtb -o "$T/tree.dtb" -
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/db.key" -out "$T/db.crt" -days 30 -subj /CN=addon-test \
        2>/dev/null

# --- keel addon build
"$KEEL" addon build --cmdline $'keel.a=1\nquiet' --uname 6.1.0-test --devicetree "$T/tree.dtb" \
        --microcode "$T/ucode.cpio" --initrd "$T/extra.cpio" --initrd "$T/initrd" -o "$T/full.addon.efi"
check "addon build: binutils reads an x86-64 PE" bash -c "objdump -f '$T/full.addon.efi' | grep -q 'pei-x86-64'"
for s in .text .cmdline .uname .dtb .ucode .initrd; do
        check "addon build: has $s" has_section "$T/full.addon.efi" $s
done
check "addon build: no .linux" bash -c "! objdump -h '$T/full.addon.efi' | grep -q '\.linux'"
check "addon build: .cmdline (line breaks folded)" [ "$(sec "$T/full.addon.efi" .cmdline)" = "keel.a=1 quiet" ]
check "addon build: .uname" [ "$(sec "$T/full.addon.efi" .uname)" = "6.1.0-test" ]
sec "$T/full.addon.efi" .dtb >"$T/got.dtb"
check "addon build: .dtb is the tree" cmp -s "$T/got.dtb" "$T/tree.dtb"
sec "$T/full.addon.efi" .ucode >"$T/got.ucode"
check "addon build: .ucode is the archive" cmp -s "$T/got.ucode" "$T/ucode.cpio"
sec "$T/full.addon.efi" .initrd >"$T/got.initrd"
cat "$T/extra.cpio" "$T/initrd" >"$T/want.initrd"
check "addon build: .initrd is the archives, each padded to 4" cmp -s "$T/got.initrd" "$T/want.initrd"
check "addon build: the entry point is in .text, subsystem EFI application" bash -c \
        "objdump -p '$T/full.addon.efi' | grep -q 'Subsystem.*0000000a' &&
         objdump -p '$T/full.addon.efi' | grep -q 'AddressOfEntryPoint.*0000000000001000'"
check "addon build: NX_COMPAT (no section both writable and executable)" bash -c \
        "objdump -p '$T/full.addon.efi' | grep -q NX_COMPAT && ! objdump -h '$T/full.addon.efi' | grep CODE | grep -qv READONLY"
check "addon build: uki inspect calls it no UKI" bash -c "'$KEEL' uki inspect '$T/full.addon.efi' | grep -q 'not a UKI'"
"$KEEL" addon build --cmdline "x=1" --arch aa64 -o "$T/aa64.addon.efi"
check "addon build --arch aa64: an arm64 PE (aarch64 binutils)" \
        bash -c "aarch64-linux-gnu-objdump -f '$T/aa64.addon.efi' | grep -q 'pei-aarch64'"

# Signed: sbverify and osslsigncode accept it, keel verify too.
"$KEEL" addon build --cmdline "keel.signed=1" --key "$T/db.key" --cert "$T/db.crt" -o "$T/signed.addon.efi"
run "signed addon: sbverify" sbverify --cert "$T/db.crt" "$T/signed.addon.efi"
run "signed addon: osslsigncode verify" osslsigncode verify -CAfile "$T/db.crt" -in "$T/signed.addon.efi"
run "signed addon: keel verify" "$KEEL" verify --cert "$T/db.crt" "$T/signed.addon.efi"
"$KEEL" addon build --cmdline "keel.signed=1" -o "$T/unsigned.addon.efi"
"$KEEL" sign --key "$T/db.key" --cert "$T/db.crt" -o "$T/signed-later.addon.efi" "$T/unsigned.addon.efi"
check "signed addon = keel sign of the unsigned one" cmp -s "$T/signed.addon.efi" "$T/signed-later.addon.efi"

# The same key in a PKCS#11 token (SoftHSM2), as keel uki build takes it:
# the same signature bytes (RSA PKCS#1 v1.5 is deterministic).
mkdir "$T/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$T/tokens" >"$T/softhsm2.conf"
export SOFTHSM2_CONF=$T/softhsm2.conf
unset KEEL_PKCS11_MODULE
openssl pkcs8 -topk8 -nocrypt -in "$T/db.key" -out "$T/db.pk8"
if softhsm2-util --init-token --free --label addon-test --pin 1234 --so-pin 5678 >/dev/null 2>&1 &&
   softhsm2-util --import "$T/db.pk8" --label db --id 01 --pin 1234 --token addon-test >/dev/null 2>&1; then
        run "addon build --key pkcs11:... (SoftHSM2)" "$KEEL" addon build --cmdline "keel.signed=1" \
                --key "pkcs11:token=addon-test;object=db;type=private?pin-value=1234" --cert "$T/db.crt" \
                -o "$T/p11.addon.efi"
        check "PKCS#11-signed addon = PEM-signed addon" cmp -s "$T/p11.addon.efi" "$T/signed.addon.efi"
else
        fail "SoftHSM2 token for the PKCS#11 case"
fi

# Bad input: one line, no output.
expect_error "addon build: nothing to put in it" "$T/bad.efi" "$KEEL" addon build --uname 6.1 -o "$T/bad.efi"
expect_error "addon build: only an empty --cmdline" "$T/bad.efi" "$KEEL" addon build --cmdline "" -o "$T/bad.efi"
expect_error "addon build: no -o" "" "$KEEL" addon build --cmdline x
expect_error "addon build: --microcode not a cpio" "$T/bad.efi" "$KEEL" addon build --microcode "$T/initrd" -o "$T/bad.efi"
expect_error "addon build: --devicetree not a tree" "$T/bad.efi" "$KEEL" addon build --devicetree "$T/initrd" \
        -o "$T/bad.efi"
expect_error "addon build: --initrd missing" "$T/bad.efi" "$KEEL" addon build --initrd "$T/nope" -o "$T/bad.efi"
expect_error "addon build: --arch unknown" "$T/bad.efi" "$KEEL" addon build --cmdline x --arch riscv64 -o "$T/bad.efi"
expect_error "addon build: --key without --cert" "$T/bad.efi" "$KEEL" addon build --cmdline x --key "$T/db.key" \
        -o "$T/bad.efi"
printf 'a\0b' >"$T/nul.txt"
expect_error "addon build: a NUL in --cmdline @FILE" "$T/bad.efi" "$KEEL" addon build --cmdline @"$T/nul.txt" \
        -o "$T/bad.efi"

# --- keel uki build --microcode: .ucode, PCR 11 in its canonical place.
"$KEEL" uki build --stub "$STUB" --linux "$T/kernel.efi" --initrd "$T/initrd" --microcode "$T/ucode.cpio" \
        --cmdline "quiet root=/dev/vda" --roothash "$(printf k | sha256sum | cut -d' ' -f1)" --uname 6.1.0-test \
        -o "$T/uki.efi"
sec "$T/uki.efi" .ucode >"$T/uki.ucode"
check "uki build --microcode: .ucode is the archive" cmp -s "$T/uki.ucode" "$T/ucode.cpio"
if $PCR_CHECK model "$T/uki.efi" "$T/uki-sections" >"$T/model" 2>"$T/model.err"; then
        for bank in sha1 sha256; do
                check "uki build --microcode: PCR 11 ($bank) = model with .ucode after .initrd" [ \
                        "$("$KEEL" pcr predict "$T/uki.efi" --bank $bank --phase= | sed 's/^11:[a-z0-9]*=//')" = \
                        "$(sed -n "s/^$bank=//p" "$T/model")" ]
        done
else
        fail "model agrees with systemd-measure ($(cat "$T/model.err"))"
fi
expect_error "uki build: --microcode not a cpio" "$T/bad.efi" "$KEEL" uki build --stub "$STUB" \
        --linux "$T/kernel.efi" --microcode "$T/initrd" -o "$T/bad.efi"

# --- keel pcr predict --addon: PCR 12 = the model.
"$KEEL" addon build --cmdline "  keel.global=1 roothash=$(printf other | sha256sum | cut -d' ' -f1)" \
        --microcode "$T/ucode.cpio" -o "$T/g.addon.efi"
head -c 5000 /dev/urandom >"$T/ucode2.bin"
(cd "$T" && printf '070701' | cat - ucode2.bin) >"$T/ucode2.cpio" # a "cpio" by its magic only
"$KEEL" addon build --cmdline "keel.uki=2" --devicetree "$T/tree.dtb" --microcode "$T/ucode2.cpio" \
        --initrd "$T/extra.cpio" --uname 6.1.0-test -o "$T/u.addon.efi"
model12() { # BANK TEXT FILE...: one UTF-16 command-line event (if TEXT), then the files
        python3 - "$@" <<'EOF'
import hashlib, sys
bank, text, files = sys.argv[1], sys.argv[2], sys.argv[3:]
v = bytes(hashlib.new(bank).digest_size)
def ext(d):
    global v
    v = hashlib.new(bank, v + hashlib.new(bank, d).digest()).digest()
if text:
    ext((text + "\0").encode("utf-16-le"))
for f in files:
    ext(open(f, "rb").read())
print(v.hex())
EOF
}
predict12() { "$KEEL" pcr predict "$@" --phase= | sed -n 's/^12:[a-z0-9]*=//p'; }
for bank in sha1 sha256 sha384; do
        # The UKI has a .cmdline with its roothash: the global addon's is dropped.
        check "predict --addon g --addon u ($bank) = model: joined cmdline, dtb, ucode reversed, initrd" [ \
                "$(predict12 "$T/uki.efi" --bank $bank --addon "$T/g.addon.efi" --addon "$T/u.addon.efi")" = \
                "$(model12 $bank "keel.global=1 keel.uki=2" "$T/tree.dtb" "$T/ucode2.cpio" "$T/ucode.cpio" \
                        "$T/extra.cpio")" ]
done
check "predict --addon: the order given is the order measured" [ \
        "$(predict12 "$T/uki.efi" --bank sha256 --addon "$T/u.addon.efi" --addon "$T/g.addon.efi")" = \
        "$(model12 sha256 "keel.uki=2 keel.global=1" "$T/tree.dtb" "$T/ucode.cpio" "$T/ucode2.cpio" "$T/extra.cpio")" ]
"$KEEL" pcr predict "$T/uki.efi" --bank sha256 --addon "$T/g.addon.efi" >"$T/both"
check "predict --addon: PCR 11 lines as before, then one 12: line per bank" [ \
        "$(grep -c '^11:' "$T/both") $(grep -c '^12:sha256=' "$T/both")" = "4 1" ]
check "predict without --addon: no 12: line" bash -c "! '$KEEL' pcr predict '$T/uki.efi' | grep -q '^12:'"
# Bad addons: what the stub would skip is an error here.
"$KEEL" addon build --cmdline "x=1" --uname 0.0-other -o "$T/other.addon.efi"
expect_error_saying "predict --addon: another .uname" "" "its .uname differs" \
        "$KEEL" pcr predict "$T/uki.efi" --addon "$T/other.addon.efi"
expect_error_saying "predict --addon: a UKI" "" "has a .linux section" \
        "$KEEL" pcr predict "$T/uki.efi" --addon "$T/uki.efi"
expect_error "predict --addon: not a PE" "" "$KEEL" pcr predict "$T/uki.efi" --addon "$T/initrd"
expect_error "predict --addon: missing" "" "$KEEL" pcr predict "$T/uki.efi" --addon "$T/nope"
expect_error "pcr sign --addon: unknown" "$T/sig.json" "$KEEL" pcr sign "$T/uki.efi" --private-key "$T/db.key" \
        --addon "$T/g.addon.efi" -o "$T/sig.json"

summary
