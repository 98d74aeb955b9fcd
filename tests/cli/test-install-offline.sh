#!/bin/bash
# SPDX-License-Identifier: MIT
# keel install --prepare / --join: the keys stay on another machine
# ($T/offline here), which signs the requests with openssl pkeyutl alone.
# With a db certificate and a PCR key two rounds (the UKIs' Authenticode
# signatures cover their signed PCR policies), with one key one round; the
# ESP then is byte for byte what an online install with the private keys
# writes; sbverify, osslsigncode and systemd-measure 262 agree. Refused
# with one line and the ESP untouched: a signature by another key, another
# certificate, a missing or cut signature, a tampered digest file, a request
# the inputs no longer produce, a hostile manifest.
#
#   tests/cli/test-install-offline.sh BUILD_DIR        (needs root: tmpfs ESPs)
set -u

SRC=$(cd "$(dirname "$0")/../.." && pwd)
source "$(dirname "$0")/lib.sh"
need_build "$@"
need_tools python3 openssl sbverify osslsigncode objcopy

T=$(mktemp -d "${TMPDIR:-/tmp}/keel-offline.XXXXXX")
source "$(dirname "$0")/install-lib.sh"
trap 'unmount_esps; rm -rf "$T"' EXIT

install_() { "$KEEL" install --stub "$STUB" --no-boot-entry "$@"; }

# The keys, on the "offline machine"; the node sees only the certificate
# and the PCR public key.
mkdir -p "$T/offline"
for k in db other; do
        openssl req -new -x509 -newkey rsa:2048 -nodes -keyout "$T/offline/$k.key" -out "$T/$k.crt" -subj /CN=$k \
                -days 3650 2>/dev/null
done
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/offline/pcr.key" 2>/dev/null
openssl pkey -in "$T/offline/pcr.key" -pubout -out "$T/pcr.pub"

# sign_requests DIR [DB-KEY [PCR-KEY]]: the offline machine signs every
# request of DIR that has no signature yet with the key its name says,
# using nothing but openssl.
sign_requests() {
        local dir=$1 db=${2:-$T/offline/db.key} pcr=${3:-$T/offline/pcr.key} d key
        for d in "$dir"/*.digest; do
                [ -e "${d%.digest}.sig" ] && continue
                case $d in
                *-db.digest) key=$db ;;
                *-pcr.digest) key=$pcr ;;
                *) return 1 ;;
                esac
                openssl pkeyutl -sign -inkey "$key" -pkeyopt digest:sha256 -in "$d" -out "${d%.digest}.sig" || return 1
        done
}
# status CMD...: CMD's exit status (its output in $T/out, $T/err).
status() { "$@" >"$T/out" 2>"$T/err"; echo $?; }
requests_of() { python3 -c 'import json,sys; print(" ".join(r["key"] for r in json.load(open(sys.argv[1]))["requests"]))' "$1"; }

for n in 1 2; do mkgen $n; done
mkgen 3 "$T/kernel-b"
GENS=$(gen_links 1 2 3)
OPTS=(--cert "$T/db.crt" --pcrpkey "$T/pcr.pub" --sign-initrd-pcrs --tries 3)

# ---- the online install to compare with --------------------------------------
new_esp "$T/online"
run "online install with the private keys" install_ --esp "$T/online" --key "$T/offline/db.key" --cert "$T/db.crt" \
        --pcr-private-key "$T/offline/pcr.key" --pcrpkey "$T/pcr.pub" --sign-initrd-pcrs --tries 3 $GENS

# ---- prepare, sign, join, sign, join ------------------------------------------
new_esp "$T/esp"
before=$(snapshot "$T/esp")
check "prepare: exit 0" test "$(status install_ --esp "$T/esp" "${OPTS[@]}" --prepare "$T/req" $GENS)" = 0
check "prepare: writes nothing to the ESP" test "$(snapshot "$T/esp")" = "$before"
check "prepare: says what it wrote in one line" bash -c "[ \$(wc -l <'$T/out') = 1 ] && grep -q 'signing requests in' '$T/out'"
check "prepare: 3 UKIs x 4 banks x (4 phases + initrd) PCR policies, and the loader's Authenticode digest" \
        test "$(requests_of "$T/req/manifest.json" | tr ' ' '\n' | sort | uniq -c | tr -s ' ' | paste -sd,)" = " 1 db, 60 pcr"
check "prepare: each request is a 32-byte digest file" \
        bash -c "[ \$(ls '$T/req'/*.digest | wc -l) = 61 ] && ! find '$T/req' -name '*.digest' ! -size 32c | grep -q ."
run "prepare: the manifest says what each digest is for" python3 - "$T/req/manifest.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["format"] == "keel-signing-requests-1"
fors = [r["for"] for r in j["requests"]]
assert all(r["algorithm"] == "rsa-pkcs1-v1_5-sha256" for r in j["requests"])
assert any(f.startswith("the loader (EFI/keel/keelx64.efi") and "Authenticode" in f for f in fors), fors
assert any(f == "EFI/Linux/nixos-generation-2: PCR 11 policy, sha384 bank, phase enter-initrd, reference initrd"
           for f in fors), fors
EOF
check "sign (offline machine, openssl pkeyutl)" sign_requests "$T/req"
check "first join: exit 2 (more requests), the UKIs' Authenticode digests" \
        test "$(status install_ --esp "$T/esp" "${OPTS[@]}" --join "$T/req" $GENS)" = 2
check "first join: says so in one line" bash -c "[ \$(wc -l <'$T/out') = 1 ] && grep -q 'more signing requests' '$T/out' && [ ! -s '$T/err' ]"
check "first join: writes nothing to the ESP" test "$(snapshot "$T/esp")" = "$before"
check "first join: 3 more db requests" test "$(requests_of "$T/req/manifest.json" | tr ' ' '\n' | grep -c db)" = 4
check "sign the second round" sign_requests "$T/req"
cp -a "$T/req" "$T/signed"
check "second join: exit 0" test "$(status install_ --esp "$T/esp" "${OPTS[@]}" --join "$T/req" $GENS)" = 0
check "the ESP is byte for byte the online install's" diff -r "$T/online" "$T/esp"
check "the same files (names with boot counters)" test "$(cd "$T/online" && find . | sort)" = "$(cd "$T/esp" && find . | sort)"
for f in EFI/BOOT/BOOTX64.EFI EFI/keel/keelx64.efi "EFI/Linux/nixos-generation-1+3.efi" "EFI/Linux/nixos-generation-3+3.efi"; do
        run "sbverify accepts $f" sbverify --cert "$T/db.crt" "$T/esp/$f"
        run "osslsigncode accepts $f" osslsigncode verify -CAfile "$T/db.crt" -in "$T/esp/$f"
done
run "keel entries --check passes" "$KEEL" entries --esp "$T/esp" --check
before=$(snapshot "$T/esp")
install_ --esp "$T/esp" "${OPTS[@]}" --join "$T/req" --json $GENS >"$T/again.json"
check "joining again writes nothing" test "$(snapshot "$T/esp")" = "$before"

# The .pcrsig of a joined fat UKI (systemd-measure takes .linux as a
# section) is what systemd-measure 262 signs, as ukify runs it, with the PCR key.
# offline_install ESP DIR ARGS...: prepare, sign, join, sign, join.
offline_install() {
        local esp=$1 dir=$2
        shift 2
        install_ --esp "$esp" --prepare "$dir" "$@" >/dev/null && sign_requests "$dir" &&
                { install_ --esp "$esp" --join "$dir" "$@" >/dev/null; [ $? = 2 ]; } && sign_requests "$dir" &&
                install_ --esp "$esp" --join "$dir" "$@" >/dev/null
}
KEEL_SRC=$SRC
source "$SRC/ovmf-tests/peers-lib.sh"
source "$(dirname "$0")/measure-lib.sh"
new_esp "$T/esp-fat"
run "fat layout: prepare, sign, join, sign, join" offline_install "$T/esp-fat" "$T/req-fat" --layout fat "${OPTS[@]}" \
        $(gen_links 2)
if peer_tree sid tools; then
        uki="$T/esp-fat/EFI/Linux/nixos-generation-2+3.efi"
        cp "$T/offline/pcr.key" "$T/priv.pem"
        objcopy -O binary --only-section=.pcrsig "$uki" "$T/joined.pcrsig"
        measure_like_ukify "$uki" "$T/measured.pcrsig"
        check "the joined .pcrsig = systemd-measure 262 sign + --phase=enter-initrd --policyref=initrd --append" \
                bash -c "grep -q '\"ref\":\"initrd\"' '$T/measured.pcrsig' && cmp -s <(tr -d '\n\0' <'$T/joined.pcrsig') <(tr -d '\n' <'$T/measured.pcrsig')"
        rm -f "$T/priv.pem"
else
        fail "the sid tree (scripts/debian-suite sid tools)"
fi

# ---- one key, one round ----------------------------------------------------------
new_esp "$T/online-db"
install_ --esp "$T/online-db" --key "$T/offline/db.key" --cert "$T/db.crt" $GENS >/dev/null
new_esp "$T/esp-db"
install_ --esp "$T/esp-db" --cert "$T/db.crt" --prepare "$T/req-db" --json $GENS >"$T/prepare.json"
check "db only: prepare requests 4 Authenticode signatures" test "$(requests_of "$T/req-db/manifest.json")" = "db db db db"
check "db only: --json says so, and that nothing was written" python3 -c '
import json, sys; r = json.load(open(sys.argv[1])); q = r["signing-requests"]
sys.exit(not (q["db"] == 4 and q["pcr"] == 0 and q["new"] == 4 and r["operations"] == 0 and r["bytes_written"] == 0))' \
        "$T/prepare.json"
sign_requests "$T/req-db"
check "db only: one join installs (exit 0)" test "$(status install_ --esp "$T/esp-db" --cert "$T/db.crt" --join "$T/req-db" $GENS)" = 0
check "db only: byte for byte the online install" diff -r "$T/online-db" "$T/esp-db"
new_esp "$T/online-pcr"
install_ --esp "$T/online-pcr" --pcr-private-key "$T/offline/pcr.key" --pcrpkey "$T/pcr.pub" $GENS >/dev/null
new_esp "$T/esp-pcr"
install_ --esp "$T/esp-pcr" --pcrpkey "$T/pcr.pub" --prepare "$T/req-pcr" $GENS >/dev/null
sign_requests "$T/req-pcr"
check "PCR only: one join installs (exit 0)" test "$(status install_ --esp "$T/esp-pcr" --pcrpkey "$T/pcr.pub" --join "$T/req-pcr" $GENS)" = 0
check "PCR only: byte for byte the online install" diff -r "$T/online-pcr" "$T/esp-pcr"

# ---- refusals: one line, non-zero, the ESP untouched ------------------------------
new_esp "$T/esp-r"
install_ --esp "$T/esp-r" $(gen_links 1) >/dev/null
# variant NAME: a copy of the fully signed directory to spoil.
variant() { rm -rf "$T/v-$1"; cp -a "$T/signed" "$T/v-$1"; V=$T/v-$1; }
# refused NAME TEXT [OPTION...] -- JOIN-DIR: --join refused, saying TEXT, the ESP as it was.
refused() {
        local name=$1 text=$2 before
        shift 2
        before=$(snapshot "$T/esp-r")
        expect_error_saying "$name" "" "$text" install_ --esp "$T/esp-r" "$@"
        [ "$(snapshot "$T/esp-r")" = "$before" ] || fail "$name: the ESP changed"
}
# edit_manifest STATEMENT: the variant's manifest as j, changed by the Python
# STATEMENT and written back.
edit_manifest() {
        python3 -c 'import json, sys
j = json.load(open(sys.argv[1])); exec(sys.argv[2]); json.dump(j, open(sys.argv[1], "w"))' "$V/manifest.json" "$1"
}
first_pcr_sig() { ls "$V"/*-pcr.sig | head -n 1; }
first_db_sig() { ls "$V"/*-db.sig | tail -n 1; }

variant wrong-key
openssl pkeyutl -sign -inkey "$T/offline/other.key" -pkeyopt digest:sha256 -in "$(first_pcr_sig | sed 's/sig$/digest/')" \
        -out "$(first_pcr_sig)"
refused "a PCR signature by another key" "does not verify with the pcr key" "${OPTS[@]}" --join "$V" $GENS
variant wrong-db
openssl pkeyutl -sign -inkey "$T/offline/other.key" -pkeyopt digest:sha256 -in "$(first_db_sig | sed 's/sig$/digest/')" \
        -out "$(first_db_sig)"
refused "an Authenticode signature by another key" "does not verify with the db key" "${OPTS[@]}" --join "$V" $GENS
variant other-cert
refused "another certificate than the one prepared for" "does not verify with the db key" --cert "$T/other.crt" \
        --pcrpkey "$T/pcr.pub" --sign-initrd-pcrs --tries 3 --join "$V" $GENS
variant missing
rm "$(first_pcr_sig)"
refused "a missing signature" "is missing: sign" "${OPTS[@]}" --join "$V" $GENS
variant cut
truncate -s 255 "$(first_db_sig)"
refused "a cut signature" "255 bytes, but a signature of the db key has 256" "${OPTS[@]}" --join "$V" $GENS
variant tampered
# What the offline machine signed is not what the manifest asks for.
printf 'x' | dd of="$(first_pcr_sig | sed 's/sig$/digest/')" bs=1 seek=0 conv=notrunc status=none
openssl pkeyutl -sign -inkey "$T/offline/pcr.key" -pkeyopt digest:sha256 -in "$(first_pcr_sig | sed 's/sig$/digest/')" \
        -out "$(first_pcr_sig)"
refused "a signature over a tampered digest file" "does not verify with the pcr key" "${OPTS[@]}" --join "$V" $GENS
variant stale
mkgen 2 "$T/kernel-a" "NixOS test 2, rebuilt"
refused "a generation changed since --prepare (stale request)" "matches nothing this run signs" "${OPTS[@]}" --join "$V" $GENS
mkgen 2
variant fewer
refused "fewer generations than prepared for" "matches nothing this run signs" "${OPTS[@]}" --join "$V" $(gen_links 1 2)
variant more
mkgen 4
refused "a generation --prepare did not see" "did not request" "${OPTS[@]}" --join "$V" $(gen_links 1 2 3 4)
variant banks
refused "other PCR banks than prepared for" "matches nothing this run signs" "${OPTS[@]}" --pcr-banks sha256 --join "$V" $GENS
variant hostile
edit_manifest 'j["requests"][0]["signature"] = "../../../etc/passwd.sig"'
refused "a manifest naming a file outside the directory" "file name starts with '.'" "${OPTS[@]}" --join "$V" $GENS
variant subdir
edit_manifest 'j["requests"][0]["signature"] = "x/../../0001-db.sig"'
refused "a manifest naming a file in another directory" "file name has a character other than" "${OPTS[@]}" --join "$V" $GENS
variant twice
edit_manifest 'j["requests"].append(dict(j["requests"][0]))'
refused "a manifest with a request twice" "the same digest is requested twice" "${OPTS[@]}" --join "$V" $GENS
variant garbage
printf '{"format":"keel-signing-requests-1","requests":[' >"$V/manifest.json"
refused "a manifest that is not JSON" "not JSON" "${OPTS[@]}" --join "$V" $GENS
variant symlink
ln -sf /etc/hostname "$(first_pcr_sig)"
refused "a signature that is a symbolic link" "cannot open" "${OPTS[@]}" --join "$V" $GENS
refused "a signature file of the wrong key is a request mismatch (db cert not given)" \
        "but no --cert was given" --pcrpkey "$T/pcr.pub" --sign-initrd-pcrs --join "$T/signed" $GENS
refused "--prepare into a directory that is not empty" "is not empty" "${OPTS[@]}" --prepare "$T/signed" $GENS
refused "--prepare with a private key" "keep the private keys elsewhere" "${OPTS[@]}" --key "$T/offline/db.key" \
        --prepare "$T/new" $GENS
refused "--prepare with nothing to sign" "nothing would be signed" --prepare "$T/new" $GENS
check "no request directory left by the refused --prepare" test ! -e "$T/new"

summary
