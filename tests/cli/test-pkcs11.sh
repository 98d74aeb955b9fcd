#!/bin/bash
# Signing keys in a PKCS#11 token (SoftHSM2 in a scratch directory, its
# objects put there by softhsm2-util and OpenSC's pkcs11-tool): keel sign,
# keel verify, keel uki build --key/--cert/--pcr-private-key and keel pcr
# sign with pkcs11: URIs give the bytes they give with the same key as a
# PEM file (RSA PKCS#1 v1.5 signatures are deterministic), sbverify and
# openssl accept them, and every failure is one "keel: " line.
# Usage: tests/cli/test-pkcs11.sh BUILD_DIR
set -u
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
source "$(dirname "$0")/lib.sh"
need_build "${1:-build}"
need_tools softhsm2-util pkcs11-tool sbverify openssl python3
MODULE=/usr/lib/softhsm/libsofthsm2.so
[ -e "$MODULE" ] || { echo "FAIL $MODULE is not installed (softhsm2)"; exit 1; }
openssl engine pkcs11 >/dev/null 2>&1 || { echo "FAIL OpenSSL's pkcs11 engine is not installed (libengine-pkcs11-openssl)"; exit 1; }
umask 022
quiet() { "$@" >/dev/null 2>&1; }

# ---- a token of our own: nothing under /etc or /var/lib/softhsm is used ------
mkdir "$T/tokens"
cat >"$T/softhsm2.conf" <<EOF
directories.tokendir = $T/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
export SOFTHSM2_CONF=$T/softhsm2.conf
unset KEEL_PKCS11_MODULE
p11tool() { pkcs11-tool --module "$MODULE" --login --pin 1234 "$@" >/dev/null 2>&1; }

openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=keel pkcs11 db" -days 3650 \
        -keyout "$T/db.key" -out "$T/db.crt" 2>/dev/null
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=keel pkcs11 other" -days 3650 \
        -keyout "$T/other.key" -out "$T/other.crt" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/ec.key" 2>/dev/null
for k in db other ec; do
        openssl pkcs8 -topk8 -nocrypt -in "$T/$k.key" -out "$T/$k.pk8"
done
openssl x509 -in "$T/db.crt" -outform DER -out "$T/db.der"
openssl x509 -in "$T/other.crt" -outform DER -out "$T/other.der"
openssl pkey -in "$T/db.key" -pubout -out "$T/db.pub" 2>/dev/null
setup_ok=true
softhsm2-util --init-token --free --label keel-test --pin 1234 --so-pin 5678 >/dev/null 2>&1 || setup_ok=false
softhsm2-util --import "$T/db.pk8" --label db --id 01 --pin 1234 --token keel-test >/dev/null 2>&1 || setup_ok=false
softhsm2-util --import "$T/other.pk8" --label other --id 02 --pin 1234 --token keel-test >/dev/null 2>&1 || setup_ok=false
softhsm2-util --import "$T/ec.pk8" --label ec --id 03 --pin 1234 --token keel-test >/dev/null 2>&1 || setup_ok=false
p11tool --write-object "$T/db.der" --type cert --id 01 --label db || setup_ok=false
# "mismatch": the certificate of "other" under a label of its own, no key with it.
p11tool --write-object "$T/other.der" --type cert --id 04 --label mismatch || setup_ok=false
check "SoftHSM2 token keel-test with RSA keys db and other, an EC key, and db's certificate" $setup_ok

printf '1234\n' >"$T/pin"        # a line, as editors write it
printf '9999' >"$T/wrongpin"
KEY="pkcs11:token=keel-test;object=db;type=private?pin-value=1234"
KEY_FILE_PIN="pkcs11:token=keel-test;object=db;type=private?pin-source=file:$T/pin&module-path=$MODULE"
CERT="pkcs11:token=keel-test;object=db;type=cert"

# Images as tests/cli/test-sign.sh makes them: the stub, and a UKI around it.
head -c 300001 /dev/urandom >"$T/initrd"
"$KEEL" uki build --stub "$STUB" --linux "$STUB" --initrd "$T/initrd" --cmdline "console=ttyS0" -o "$T/uki.efi"

# ---- keel sign --------------------------------------------------------------
"$KEEL" sign --key "$T/db.key" --cert "$T/db.crt" -o "$T/uki-file.efi" "$T/uki.efi"
run "sign: key and certificate in the token (p11-kit-proxy, the default module)" \
        "$KEEL" sign --key "$KEY" --cert "$CERT" -o "$T/uki-p11.efi" "$T/uki.efi"
run "sbverify --cert db.crt accepts it" sbverify --cert "$T/db.crt" "$T/uki-p11.efi"
run "keel verify --cert db.crt accepts it" "$KEEL" verify --cert "$T/db.crt" "$T/uki-p11.efi"
check "same bytes as signed with the key file" cmp -s "$T/uki-p11.efi" "$T/uki-file.efi"
run "sign: token key (pin-source=file:, module-path=), certificate file" \
        "$KEEL" sign --key "$KEY_FILE_PIN" --cert "$T/db.crt" -o "$T/uki-p11b.efi" "$T/uki.efi"
check "same bytes as signed with the key file" cmp -s "$T/uki-p11b.efi" "$T/uki-file.efi"
run "sign: key file, certificate in the token (KEEL_PKCS11_MODULE)" \
        env KEEL_PKCS11_MODULE="$MODULE" "$KEEL" sign --key "$T/db.key" --cert "$CERT" -o "$T/uki-p11c.efi" "$T/uki.efi"
check "same bytes as signed with the key file" cmp -s "$T/uki-p11c.efi" "$T/uki-file.efi"
run "sign: module-path= wins over a bad KEEL_PKCS11_MODULE" \
        env KEEL_PKCS11_MODULE=/nonexistent/module.so "$KEEL" sign --key "$KEY&module-path=$MODULE" \
        --cert "$T/db.crt" -o "$T/uki-p11d.efi" "$T/uki.efi"
check "same bytes as signed with the key file" cmp -s "$T/uki-p11d.efi" "$T/uki-file.efi"
cp "$STUB" "$T/stub.efi"
"$KEEL" sign --key "$T/db.key" --cert "$T/db.crt" -o "$T/stub-file.efi" "$T/stub.efi"
run "sign in place (no -o), by id= instead of object=" \
        "$KEEL" sign --key "pkcs11:token=keel-test;id=%01?pin-value=1234" --cert "pkcs11:token=keel-test;id=%01;type=cert" \
        "$T/stub.efi"
check "same bytes as signed with the key file" cmp -s "$T/stub.efi" "$T/stub-file.efi"
run "keel verify --cert URI (the certificate read from the token)" "$KEEL" verify --cert "$CERT" "$T/uki-file.efi"

# ---- keel uki build -----------------------------------------------------------
build() { # build OUT KEY CERT PCRKEY
        "$KEEL" uki build --stub "$STUB" --linux "$STUB" --initrd "$T/initrd" --cmdline "console=ttyS0 quiet" \
                --os-release $'ID=keel-test\n' --key "$2" --cert "$3" --pcr-private-key "$4" -o "$1"
}
build "$T/built-file.efi" "$T/db.key" "$T/db.crt" "$T/db.key"
run "uki build --key URI --cert URI --pcr-private-key URI" \
        build "$T/built-p11.efi" "$KEY" "$CERT" "pkcs11:token=keel-test;object=db?pin-source=file:$T/pin"
run "sbverify --cert db.crt accepts the UKI" sbverify --cert "$T/db.crt" "$T/built-p11.efi"
check "same bytes as built with the key files (.pcrsig and the Authenticode signature)" \
        cmp -s "$T/built-p11.efi" "$T/built-file.efi"

# ---- keel pcr sign ----------------------------------------------------------------
"$KEEL" pcr sign "$T/built-file.efi" --private-key "$T/db.key" -o "$T/sig-file.json"
run "pcr sign --private-key URI" "$KEEL" pcr sign "$T/built-file.efi" --private-key "$KEY" -o "$T/sig-p11.json"
check "same JSON as with the key file" cmp -s "$T/sig-p11.json" "$T/sig-file.json"
run "pcr sign --private-key URI --public-key PUB.pem (the pair is checked)" \
        "$KEEL" pcr sign "$T/built-file.efi" --private-key "$KEY" --public-key "$T/db.pub" -o "$T/sig-p11b.json"
check "same JSON as with the key file" cmp -s "$T/sig-p11b.json" "$T/sig-file.json"

# ---- keel install ---------------------------------------------------------------
mkdir -p "$T/gen/1" "$T/profiles" "$T/esp-file" "$T/esp-p11"
cat >"$T/gen/1/boot.json" <<JSON
{"org.nixos.bootspec.v1": {"system": "x86_64-linux", "init": "/nix/store/x-system-1/init", "initrd": "$T/initrd",
 "kernel": "$STUB", "kernelParams": ["quiet"], "label": "NixOS 1", "toplevel": "/nix/store/x-system-1"}}
JSON
ln -s "$T/gen/1" "$T/profiles/system-1-link"
TMPDIR=$T KEEL_CACHE_DIR=$T "$KEEL" install --stub "$STUB" --esp "$T/esp-file" --key "$T/db.key" --cert "$T/db.crt" \
        --pcr-private-key "$T/db.key" "$T/profiles/system-1-link" >/dev/null
run "install --key URI --cert URI --pcr-private-key URI" env TMPDIR="$T" KEEL_CACHE_DIR="$T" "$KEEL" install --stub "$STUB" \
        --esp "$T/esp-p11" --key "$KEY" --cert "$CERT" --pcr-private-key "$KEY" "$T/profiles/system-1-link"
check "install: the same ESP, byte for byte, as with the key files" diff -r "$T/esp-file" "$T/esp-p11"
run "install: sbverify accepts the installed loader" sbverify --cert "$T/db.crt" "$T/esp-p11/EFI/BOOT/BOOTX64.EFI"
verify_policy_sigs() { # every sha256 entry's sig verifies over its pol with openssl and db's public key
        python3 - "$1" "$T" <<'EOF' || return 1
import base64, json, sys
entries = json.load(open(sys.argv[1]))["sha256"]
assert len(entries) == 4
for i, e in enumerate(entries):
    open(f"{sys.argv[2]}/pol{i}.bin", "wb").write(bytes.fromhex(e["pol"]))
    open(f"{sys.argv[2]}/sig{i}.bin", "wb").write(base64.b64decode(e["sig"]))
EOF
        for i in 0 1 2 3; do
                openssl dgst -sha256 -verify "$T/db.pub" -signature "$T/sig$i.bin" "$T/pol$i.bin" >/dev/null || return 1
        done
}
check "openssl verifies each sha256 policy signature made in the token" verify_policy_sigs "$T/sig-p11.json"

# ---- failures: one line, no output ------------------------------------------------
# Each message is kept: none may show a PIN.
fails_saying() { expect_error_saying "$@"; cat "$T/stderr" >>"$T/messages"; }
fails_untouched() { expect_error_untouched "$@"; cat "$T/stderr" >>"$T/messages"; }
: >"$T/messages"
U="pkcs11:token=keel-test;object=db"
fails_saying "sign: wrong PIN" "$T/out.efi" "PIN incorrect" \
        "$KEEL" sign --key "$U?pin-value=9999" --cert "$CERT" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: wrong PIN from pin-source" "$T/out.efi" "PIN incorrect" \
        "$KEEL" sign --key "$U?pin-source=$T/wrongpin" --cert "$CERT" -o "$T/out.efi" "$T/uki.efi"
# (A prompt would wait for the terminal: the timeout turns that into a failure.)
fails_saying "sign: no PIN (never a prompt)" "$T/out.efi" "needs a PIN" \
        timeout 60 "$KEEL" sign --key "$U" --cert "$CERT" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: no such object" "$T/out.efi" "no such private key" \
        "$KEEL" sign --key "pkcs11:token=keel-test;object=nope?pin-value=1234" --cert "$CERT" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: no such token" "$T/out.efi" "no such private key" \
        "$KEEL" sign --key "pkcs11:token=nope;object=db?pin-value=1234" --cert "$CERT" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: no such certificate" "$T/out.efi" "no such certificate" \
        "$KEEL" sign --key "$KEY" --cert "pkcs11:token=keel-test;object=nope;type=cert" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: token key, certificate of another key" "$T/out.efi" "does not belong" \
        "$KEEL" sign --key "$KEY" --cert "pkcs11:token=keel-test;object=mismatch" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: EC key in the token" "$T/out.efi" "not an RSA key" \
        "$KEEL" sign --key "pkcs11:token=keel-test;object=ec?pin-value=1234" --cert "$T/db.crt" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: module-path= that does not exist" "$T/out.efi" "cannot load the PKCS#11 module /nonexistent" \
        "$KEEL" sign --key "$KEY&module-path=/nonexistent/module.so" --cert "$CERT" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: KEEL_PKCS11_MODULE that is no PKCS#11 module" "$T/out.efi" "cannot load the PKCS#11 module" \
        env KEEL_PKCS11_MODULE="$(ls /usr/lib/x86_64-linux-gnu/libcrypto.so.* | head -n 1)" \
        "$KEEL" sign --key "$KEY" --cert "$CERT" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: no pkcs11 engine" "$T/out.efi" "pkcs11 engine is not installed" \
        env OPENSSL_ENGINES="$T/no-engines" "$KEEL" sign --key "$KEY" --cert "$CERT" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: a certificate where the key goes (type=cert)" "$T/out.efi" "type=" \
        "$KEEL" sign --key "$CERT?pin-value=1234" --cert "$CERT" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: unknown query attribute" "$T/out.efi" "unknown PKCS#11 URI query attribute 'pin'" \
        "$KEEL" sign --key "$U?pin=1234" --cert "$CERT" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: --passphrase-file with a URI" "$T/out.efi" "--passphrase-file is for key files" \
        "$KEEL" sign --key "$KEY" --cert "$CERT" --passphrase-file "$T/pin" -o "$T/out.efi" "$T/uki.efi"
fails_saying "sign: key and certificate through two modules (one per run)" "$T/out.efi" "one module per run" \
        "$KEEL" sign --key "$KEY" --cert "$CERT?module-path=$MODULE" -o "$T/out.efi" "$T/uki.efi"
fails_saying "uki build: --key and --pcr-private-key through two modules" "$T/out.efi" "one module per run" \
        build "$T/out.efi" "$KEY" "$CERT" "$KEY_FILE_PIN"
cp "$T/uki.efi" "$T/inplace.efi"
fails_untouched "sign in place: wrong PIN leaves the image as it was" "$T/inplace.efi" \
        "$KEEL" sign --key "$U?pin-value=9999" --cert "$CERT" "$T/inplace.efi"
fails_saying "verify: --cert URI of nothing, no PIN" "" "no such certificate" \
        "$KEEL" verify --cert "pkcs11:token=keel-test;object=nope" "$T/uki-file.efi"
fails_saying "verify: --cert URI of nothing, with the PIN" "" "no such certificate" \
        "$KEEL" verify --cert "pkcs11:token=keel-test;object=nope?pin-value=1234" "$T/uki-file.efi"
fails_saying "uki build: wrong PIN (--key)" "$T/out.efi" "PIN incorrect" \
        build "$T/out.efi" "$U?pin-value=9999" "$CERT" "$T/db.key"
fails_saying "uki build: wrong PIN (--pcr-private-key)" "$T/out.efi" "PIN incorrect" \
        build "$T/out.efi" "$T/db.key" "$T/db.crt" "$U?pin-value=9999"
fails_saying "uki build: no such object (--pcr-private-key)" "$T/out.efi" "no such private key" \
        build "$T/out.efi" "$T/db.key" "$T/db.crt" "pkcs11:token=keel-test;object=nope?pin-value=1234"
fails_saying "pcr sign: wrong PIN" "$T/out.json" "PIN incorrect" \
        "$KEEL" pcr sign "$T/built-file.efi" --private-key "$U?pin-value=9999" -o "$T/out.json"
fails_saying "pcr sign: no such object" "$T/out.json" "no such private key" \
        "$KEEL" pcr sign "$T/built-file.efi" --private-key "pkcs11:token=keel-test;object=nope?pin-value=1234" \
        -o "$T/out.json"
fails_saying "pcr sign: EC key in the token" "$T/out.json" "not an RSA key" \
        "$KEEL" pcr sign "$T/built-file.efi" --private-key "pkcs11:token=keel-test;object=ec?pin-value=1234" \
        -o "$T/out.json"
fails_saying "pcr sign: the token key and another public key" "$T/out.json" "not the public key" \
        "$KEEL" pcr sign "$T/built-file.efi" --private-key "pkcs11:token=keel-test;object=other?pin-value=1234" \
        --public-key "$T/db.pub" -o "$T/out.json"
check "no message shows a PIN, right or wrong" bash -c "[ -s '$T/messages' ] && ! grep -q '1234\|9999' '$T/messages'"

summary
