#!/bin/bash
# SPDX-License-Identifier: MIT
# `keel install --keys-dir DIR [--create-keys] [--enroll-keys]`, NixOS's
# boot.loader.keel.secureBoot.autoGenerateKeys/autoEnrollKeys: the first run
# creates the key set (dir 0700, private keys 0600, all or nothing) and signs
# with its db key; later runs keep the same keys; a partial set or a
# directory with other files is refused with one line and nothing written.
# In Setup Mode (efivarfs SetupMode=1) the set's .auth files are staged in
# \loader\keys\auto (PK last) and loader.conf gets "secure-boot-enroll
# force" (unless it sets secure-boot-enroll itself); out of Setup Mode a
# later run removes exactly what it staged, never another file there, and
# never replaces a key set it did not stage. --enroll-db-cert adds
# certificates (Microsoft's UEFI CA, say) to the staged db. A crash at any write never
# leaves PK.auth without db.auth and KEK.auth.
#
#   tests/cli/test-install-keys.sh BUILD_DIR        (needs root: tmpfs ESPs)
set -u

source "$(dirname "$0")/lib.sh"
need_build "$@"
need_tools openssl sbverify

T=$(mktemp -d "${TMPDIR:-/tmp}/keel-install-keys.XXXXXX")
source "$(dirname "$0")/install-lib.sh"
trap 'unmount_esps; rm -rf "$T"' EXIT

install_() { "$KEEL" install --stub "$STUB" --no-boot-entry --loader-conf "$T/loader.conf" "$@"; }
printf 'timeout 3\n' >"$T/loader.conf"
SETUP_MODE=$T/efivars/SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c
# setup_mode 0|1: the firmware's SetupMode as efivarfs shows it.
setup_mode() { printf '\x06\x00\x00\x00\x0'"$1" >"$SETUP_MODE"; }
fingerprints() { for k in PK KEK db; do openssl x509 -in "$1/$k.crt" -noout -fingerprint -sha256; done; }
quiet() { "$@" >/dev/null 2>&1; }
staged() { ls "$1/loader/keys/auto" 2>/dev/null | sort | paste -sd' '; }

mkgen 1
GEN=$(gen_links 1)
K=$T/var/lib/keel/keys             # /var/lib/keel does not exist yet either

# ---- refused before anything is written -------------------------------------------
new_esp "$T/esp"
expect_error "--create-keys without --keys-dir" "" install_ --esp "$T/esp" --create-keys $GEN
expect_error "--enroll-keys without --keys-dir" "" install_ --esp "$T/esp" --enroll-keys $GEN
expect_error "--keys-dir with --key" "" install_ --esp "$T/esp" --keys-dir "$K" --key "$T/x.key" --cert "$T/x.crt" $GEN
expect_error_saying "--keys-dir with --prepare (keys here, or keys elsewhere)" "" "not with --prepare or --join" \
        install_ --esp "$T/esp" --keys-dir "$K" --create-keys --prepare "$T/requests" $GEN
expect_error_saying "--enroll-keys without --loader-conf" "" "--loader-conf" \
        "$KEEL" install --stub "$STUB" --no-boot-entry --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN
expect_error_saying "--keys-dir without a set and without --create-keys" "" "--create-keys" \
        install_ --esp "$T/esp" --keys-dir "$K" $GEN
check "nothing was created or written" test ! -e "$K" -a -z "$(ls "$T/esp")"

# ---- created once, with safe modes; signs; kept --------------------------------------
umask 022
install_ --esp "$T/esp" --keys-dir "$K" --create-keys $GEN >"$T/out" 2>"$T/err"
check "the first run creates the set ($(head -1 "$T/out"))" grep -qx "keys-created $K" "$T/out"
check "every file of the set: {PK,KEK,db}.{key,crt,esl,auth}, GUID" \
        test "$(ls "$K" | sort | paste -sd' ')" = "GUID KEK.auth KEK.crt KEK.esl KEK.key PK.auth PK.crt PK.esl PK.key db.auth db.crt db.esl db.key"
check "the directory is 0700 (umask 022)" test "$(stat -c %a "$K")" = 700
check "the private keys are 0600" test "$(stat -c %a "$K"/*.key | sort -u)" = 600
check "no temporary is left next to it" test "$(ls "$T/var/lib/keel")" = keys
check "the missing parent was made 0700" test "$(stat -c %a "$T/var/lib/keel")" = 700
check "the UKI is signed with the set's db key" quiet \
        sbverify --cert "$K/db.crt" "$T/esp/EFI/Linux/nixos-generation-1.efi"
check "the loader is signed with it" quiet sbverify --cert "$K/db.crt" "$T/esp/EFI/keel/keelx64.efi"
check "not in Setup Mode (no SetupMode variable): nothing staged" test ! -e "$T/esp/loader/keys"
fingerprints "$K" >"$T/fp1"
before=$(snapshot "$T/esp")
install_ --esp "$T/esp" --keys-dir "$K" --create-keys $GEN >"$T/out" 2>"$T/err"
fingerprints "$K" >"$T/fp2"
check "a second run keeps the same keys (certificate fingerprints)" cmp -s "$T/fp1" "$T/fp2"
check "and creates and writes nothing" sh -c "! grep -q keys-created '$T/out' && [ '$before' = \"\$(cd '$T/esp' && find . -printf '%p %i %s %T@\n' | sort)\" ]"

# ---- a partial set, or other files, are refused ------------------------------------
before=$(snapshot "$T/esp")
cp -a "$K" "$T/partial" && rm "$T/partial/KEK.auth"
expect_error_saying "a partial set is refused" "" "partial key set (no KEK.auth)" \
        install_ --esp "$T/esp" --keys-dir "$T/partial" --create-keys $GEN
check "and not completed" test ! -e "$T/partial/KEK.auth"
mkdir -p "$T/other" && echo mine >"$T/other/notes"
expect_error_saying "a directory with other files is refused" "" "not empty" \
        install_ --esp "$T/esp" --keys-dir "$T/other" --create-keys $GEN
check "and left as it was" test "$(ls "$T/other")" = notes
check "the refused runs wrote nothing on the ESP" test "$before" = "$(snapshot "$T/esp")"
mkdir -p "$T/empty"
install_ --esp "$T/esp" --keys-dir "$T/empty" --create-keys $GEN >/dev/null 2>&1
check "an existing empty directory gets the set" test -f "$T/empty/db.auth" -a "$(stat -c %a "$T/empty")" = 700
check "and the run signs with it" quiet sbverify --cert "$T/empty/db.crt" "$T/esp/EFI/Linux/nixos-generation-1.efi"
install_ --esp "$T/esp" --keys-dir "$K" $GEN >/dev/null 2>&1

# ---- staged in Setup Mode only ------------------------------------------------------
setup_mode 0
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN >"$T/out" 2>"$T/err"
check "SetupMode=0: nothing staged ($(cat "$T/out"))" sh -c "[ ! -e '$T/esp/loader/keys' ] && grep -q 'not in Setup Mode' '$T/out'"
check "and loader.conf is the given one" cmp -s "$T/loader.conf" "$T/esp/loader/loader.conf"
setup_mode 1
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN >"$T/out" 2>"$T/err"
check "SetupMode=1: db, KEK, PK .auth staged in \\loader\\keys\\auto" test "$(staged "$T/esp")" = "KEK.auth PK.auth db.auth"
check "byte for byte the set's" sh -c "for k in PK KEK db; do cmp -s '$K/'\$k.auth '$T/esp/loader/keys/auto/'\$k.auth || exit 1; done"
check "reported: $(grep enroll-keys "$T/out" | paste -sd' ')" test "$(grep -c '^enroll-keys loader/keys/auto/' "$T/out")" = 3
check "loader.conf gets secure-boot-enroll force" \
        test "$(cat "$T/esp/loader/loader.conf")" = "$(printf 'timeout 3\nsecure-boot-enroll force')"
before=$(snapshot "$T/esp")
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN >/dev/null 2>&1
check "still in Setup Mode: a second run writes nothing" test "$before" = "$(snapshot "$T/esp")"
printf 'timeout 3\nsecure-boot-enroll-action shutdown' >"$T/action.conf"
"$KEEL" install --stub "$STUB" --no-boot-entry --loader-conf "$T/action.conf" --esp "$T/esp" --keys-dir "$K" \
        --enroll-keys $GEN >/dev/null 2>&1
check "secure-boot-enroll-action is not secure-boot-enroll; a last line without newline is ended" \
        test "$(cat "$T/esp/loader/loader.conf")" = "$(printf 'timeout 3\nsecure-boot-enroll-action shutdown\nsecure-boot-enroll force')"
printf 'timeout 3\nsecure-boot-enroll manual\n' >"$T/manual.conf"
"$KEEL" install --stub "$STUB" --no-boot-entry --loader-conf "$T/manual.conf" --esp "$T/esp" --keys-dir "$K" \
        --enroll-keys $GEN >/dev/null 2>&1
check "a loader.conf setting secure-boot-enroll itself is kept as it is" cmp -s "$T/manual.conf" "$T/esp/loader/loader.conf"

# ---- --enroll-db-cert: more certificates in the staged db --------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/extra.key" -out "$T/extra.pem" -subj /CN=extra -days 2 2>/dev/null
openssl x509 -in "$T/extra.pem" -outform DER -out "$T/extra.der"
expect_error_saying "--enroll-db-cert without --enroll-keys" "" "needs --enroll-keys" \
        install_ --esp "$T/esp" --keys-dir "$K" --enroll-db-cert "$T/extra.pem" $GEN
before=$(snapshot "$T/esp")
expect_error "--enroll-db-cert with a missing file" "" \
        install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys --enroll-db-cert "$T/missing.pem" $GEN
check "and nothing was written" test "$before" = "$(snapshot "$T/esp")"
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys --enroll-db-cert "$T/extra.pem" $GEN >"$T/out" 2>"$T/err"
# db.auth: EFI_TIME, WIN_CERTIFICATE_UEFI_GUID (dwLength first), then the new db value.
check "the staged db.auth (replacing the one keel staged before) is the set's db list, then the certificate's" \
        python3 - "$K" "$T/esp/loader/keys/auto/db.auth" "$T/extra.der" <<'PY'
import struct, sys
d, staged, der = sys.argv[1], open(sys.argv[2], "rb").read(), open(sys.argv[3], "rb").read()
own = open(d + "/db.auth", "rb").read()
esl = open(d + "/db.esl", "rb").read()
value = staged[16 + struct.unpack_from("<I", staged, 16)[0]:]
x509 = bytes.fromhex("a159c0a5e494a74a87b5ab155c2bf072")  # EFI_CERT_X509_GUID
extra = x509 + struct.pack("<III", 28 + 16 + len(der), 0, 16 + len(der)) + esl[28:44] + der
sys.exit(0 if staged[:16] == own[:16] and value == esl + extra else 1)
PY
check "with the db timestamp of the set, so a second run writes the same bytes" sh -c \
        "'$KEEL' install --stub '$STUB' --no-boot-entry --loader-conf '$T/loader.conf' --esp '$T/esp' --keys-dir '$K' \
         --enroll-keys --enroll-db-cert '$T/extra.der' $GEN | grep -q enroll-keys; [ \$? -ne 0 ]"
check "KEK.auth and PK.auth are the set's" sh -c "cmp -s '$K/KEK.auth' '$T/esp/loader/keys/auto/KEK.auth' && cmp -s '$K/PK.auth' '$T/esp/loader/keys/auto/PK.auth'"
check "no temporary is left in \$TMPDIR" test -z "$(ls "$T" | grep keel-db.auth)"
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN >/dev/null 2>&1
check "without it again, the set's own db.auth is staged" cmp -s "$K/db.auth" "$T/esp/loader/keys/auto/db.auth"

# ---- unstaged out of Setup Mode: only what keel staged ------------------------------
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN >/dev/null 2>&1
echo "the user's" >"$T/esp/loader/keys/auto/notes.txt"
mkdir -p "$T/esp/loader/keys/mine" && cp "$K/PK.auth" "$T/esp/loader/keys/mine/PK.auth"
setup_mode 0
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN >"$T/out" 2>"$T/err"
check "SetupMode=0 again: the staged files are removed ($(grep removed "$T/out" | paste -sd' '))" \
        test "$(staged "$T/esp")" = notes.txt
check "the user's files in \\loader\\keys stay" test -f "$T/esp/loader/keys/mine/PK.auth"
check "loader.conf no longer enrolls" cmp -s "$T/loader.conf" "$T/esp/loader/loader.conf"
fingerprints "$K" >"$T/fp3"
check "the keys are kept" cmp -s "$T/fp1" "$T/fp3"
rm -r "$T/esp/loader/keys"

setup_mode 1
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN >/dev/null 2>&1
printf 'changed' >>"$T/esp/loader/keys/auto/PK.auth"
cp "$T/esp/loader/keys/auto/PK.auth" "$T/changed-PK.auth"
setup_mode 0
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN >/dev/null 2>"$T/err"
check "a staged file changed since is left in place ($(cat "$T/err"))" cmp -s "$T/changed-PK.auth" "$T/esp/loader/keys/auto/PK.auth"
check "the unchanged ones are removed" test "$(staged "$T/esp")" = PK.auth
rm -r "$T/esp/loader/keys"
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN >/dev/null 2>&1

# Another tool's set at \loader\keys\auto (sbctl --export auth, say) is not replaced.
setup_mode 1
mkdir -p "$T/esp/loader/keys/auto"
for k in PK KEK db; do cp "$T/empty/$k.auth" "$T/esp/loader/keys/auto/$k.auth"; done
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN >/dev/null 2>"$T/err"
check "a set keel did not stage is not replaced ($(cat "$T/err"))" \
        sh -c "for k in PK KEK db; do cmp -s '$T/empty/'\$k.auth '$T/esp/loader/keys/auto/'\$k.auth || exit 1; done"
check "and loader.conf does not turn on enrollment for it" cmp -s "$T/loader.conf" "$T/esp/loader/loader.conf"
setup_mode 0
install_ --esp "$T/esp" --keys-dir "$K" --enroll-keys $GEN >/dev/null 2>&1
check "nor removed later" test "$(staged "$T/esp")" = "KEK.auth PK.auth db.auth"
rm -r "$T/esp/loader/keys"

# ---- a crash at every write: PK.auth never without the other two ---------------------
setup_mode 1
crash_ok=true
for k in $(seq 1 40); do
        rm -rf "$T/crash" && mkdir -p "$T/crash"
        install_ --esp "$T/crash" --keys-dir "$K" $GEN >/dev/null 2>&1
        KEEL_INSTALL_CRASH_AFTER=$k install_ --esp "$T/crash" --keys-dir "$K" --enroll-keys $GEN >/dev/null 2>&1
        rc=$?
        a=$T/crash/loader/keys/auto
        if [ -e "$a/PK.auth" ] && ! { cmp -s "$K/db.auth" "$a/db.auth" && cmp -s "$K/KEK.auth" "$a/KEK.auth" &&
                                     cmp -s "$K/PK.auth" "$a/PK.auth"; }; then
                crash_ok=false
                echo "    crash after write $k: PK.auth without a complete set"
        fi
        install_ --esp "$T/crash" --keys-dir "$K" --enroll-keys $GEN >/dev/null 2>&1
        [ "$(staged "$T/crash")" = "KEK.auth PK.auth db.auth" ] || { crash_ok=false; echo "    after write $k: not staged by the next run"; }
        [ $rc -eq 0 ] && break
done
check "a crash at any of the $k writes leaves PK.auth only with db.auth and KEK.auth; the next run stages all" $crash_ok

summary
