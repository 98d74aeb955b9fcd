#!/bin/bash
# SPDX-License-Identifier: MIT
# `keel install --extra-file DEST=SRC --extra-entry NAME.conf=SRC`, NixOS's
# boot.loader.keel.extraFiles/extraEntries (as systemd-boot's): an EFI
# shell and memtest with its Type #1 entry land on the ESP and bootctl
# lists the entry; a second run writes nothing; dropping an option removes
# exactly that file (and the directory it leaves empty); files keel did not
# write — at an unrecorded path, or a recorded one the user changed — stay;
# bad options are refused with one line before anything is written; a
# hostile record (\EFI\keel\extra-files) removes nothing outside the ESP
# and none of keel's own files; a crash at any write leaves every extra
# file old or new and recorded.
#
#   tests/cli/test-install-extra.sh BUILD_DIR        (needs root: tmpfs ESPs)
set -u

source "$(dirname "$0")/lib.sh"
need_build "$@"
need_tools python3 bootctl sha256sum

T=$(mktemp -d "${TMPDIR:-/tmp}/keel-install-extra.XXXXXX")
source "$(dirname "$0")/install-lib.sh"
trap 'unmount_esps; rm -rf "$T"' EXIT

# --no-boot-entry: these "ESPs" are tmpfs directories (test-install-boot-entry.sh covers the NVRAM).
install_() { "$KEEL" install --stub "$STUB" --no-boot-entry "$@"; }

mkgen 1
GEN=$(gen_links 1)
# An EFI shell-like binary and a memtest-like one (any bytes will do: nothing
# is started), and memtest's entry as nixpkgs' memtest86 option writes it.
head -c 300000 /dev/urandom >"$T/shellx64.efi"
head -c 150000 /dev/urandom >"$T/memtest.efi"
printf 'title Memtest86+\nefi /efi/memtest86/memtest.efi\nsort-key zzzz\n' >"$T/memtest86.conf"
SHELL_OPT=(--extra-file "efi/shell/shellx64.efi=$T/shellx64.efi")
MEMTEST_OPTS=(--extra-file "efi/memtest86/memtest.efi=$T/memtest.efi" --extra-entry "memtest86.conf=$T/memtest86.conf")

# record_paths ESP: the paths the record names, sorted.
record_paths() { grep -v '^#' "$1/EFI/keel/extra-files" | cut -d' ' -f2 | sort | paste -sd' '; }

# ---- installed, listed, idempotent ----------------------------------------------
new_esp "$T/esp"
# (a tmpfs is case-sensitive: the ESP's directories are spelt as on FAT)
mkdir -p "$T/esp/EFI/tools" "$T/esp/EFI/memtest86"
echo "user's" >"$T/esp/EFI/tools/user.efi"           # a file keel never wrote
echo "notes" >"$T/esp/EFI/memtest86/README.txt"      # the user's, next to an extra file
install_ --esp "$T/esp" "${SHELL_OPT[@]}" "${MEMTEST_OPTS[@]}" $GEN >"$T/out" 2>"$T/err"
check "installs the shell, memtest and its entry ($(tr '\n' ' ' <"$T/out"))" \
        sh -c "cmp -s '$T/shellx64.efi' '$T/esp/EFI/shell/shellx64.efi' &&
               cmp -s '$T/memtest.efi' '$T/esp/EFI/memtest86/memtest.efi' &&
               cmp -s '$T/memtest86.conf' '$T/esp/loader/entries/memtest86.conf' && [ ! -s '$T/err' ]"
check "the record names the three files with their SHA-256" test "$(grep -v '^#' "$T/esp/EFI/keel/extra-files")" = \
        "$(sha256sum "$T/memtest.efi" | cut -d' ' -f1) efi/memtest86/memtest.efi
$(sha256sum "$T/shellx64.efi" | cut -d' ' -f1) efi/shell/shellx64.efi
$(sha256sum "$T/memtest86.conf" | cut -d' ' -f1) loader/entries/memtest86.conf"
check "bootctl 252 lists the generation and the memtest entry: $(bootctl_list "$T/esp" id)" \
        test "$(bootctl_list "$T/esp" id)" = "nixos-generation-1.efi memtest86.conf"
check "bootctl 252 shows its title" test "$(bootctl_list "$T/esp" plain_title)" = "NixOS test 1|Memtest86+"
for suite in trixie sid; do
        got=$(KEEL_BOOTCTL_SUITE=$suite KEEL_BUILD=$BUILD python3 "$KEEL_TESTS/bootctl_list.py" "$T/esp" id | paste -sd' ')
        check "bootctl of $suite lists the memtest entry too: $got" test "$got" = "nixos-generation-1.efi memtest86.conf"
done
run "keel entries lists the memtest entry" sh -c "'$KEEL' entries --esp '$T/esp' --json | grep -q '\"memtest86.conf\"'"

before=$(snapshot "$T/esp")
install_ --esp "$T/esp" "${SHELL_OPT[@]}" "${MEMTEST_OPTS[@]}" --json $GEN >"$T/out.json"
check "a second run writes nothing" test "$(grep -c '"operations":0' "$T/out.json")$(snapshot "$T/esp")" = "1$before"

# ---- bad options: one line, nothing written -------------------------------------
bad() { # bad NAME OPTION...
        local name=$1
        shift
        expect_error "refused: $name" "" install_ --esp "$T/esp" "$@" $GEN
        check "  ... and nothing changed" test "$(snapshot "$T/esp")" = "$before"
}
printf 'title Bad\nefi /x.efi\nbogus-key 1\n' >"$T/unknown-key.conf"
printf 'title Nothing to boot\n' >"$T/nothing.conf"
printf 'title Two\nlinux /a\nefi /b\n' >"$T/two.conf"
printf 'title Escape\nefi /../x.efi\n' >"$T/escape.conf"
printf 'title Nul\nefi /x.efi\n\0\n' >"$T/nul.conf"
bad "absolute DEST" --extra-file "/efi/x.efi=$T/memtest.efi"
bad "'..' in DEST" --extra-file "efi/../x.efi=$T/memtest.efi"
bad "empty component" --extra-file "efi//x.efi=$T/memtest.efi"
bad "DEST in \\EFI\\keel" --extra-file "EFI/keel/keelx64.efi=$T/memtest.efi"
bad "DEST the removable loader" --extra-file "efi/boot/bootx64.efi=$T/memtest.efi"
bad "DEST a generation entry" --extra-file "EFI/Linux/nixos-generation-1.efi=$T/memtest.efi"
bad "DEST loader.conf" --extra-file "loader/loader.conf=$T/memtest.efi"
bad "DEST in loader/entries" --extra-file "loader/entries/x.conf=$T/memtest86.conf"
bad "the same DEST twice (FAT: case ignored)" --extra-file "efi/x.efi=$T/memtest.efi" --extra-file "EFI/X.efi=$T/shellx64.efi"
bad "no '='" --extra-file "efi/x.efi"
bad "missing SRC" --extra-file "efi/x.efi=$T/missing"
bad "a directory as SRC" --extra-file "efi/x.efi=$T"
bad "entry NAME a path" --extra-entry "a/b.conf=$T/memtest86.conf"
bad "entry NAME without .conf" --extra-entry "memtest.txt=$T/memtest86.conf"
bad "entry with an unknown key" --extra-entry "x.conf=$T/unknown-key.conf"
bad "entry that boots nothing" --extra-entry "x.conf=$T/nothing.conf"
bad "entry with linux and efi" --extra-entry "x.conf=$T/two.conf"
bad "entry leaving the partition" --extra-entry "x.conf=$T/escape.conf"
bad "entry with a NUL byte" --extra-entry "x.conf=$T/nul.conf"
bad "the same entry twice" --extra-entry "m.conf=$T/memtest86.conf" --extra-entry "M.CONF=$T/memtest86.conf"
bad "a DEST inside another" --extra-file "efi/x=$T/memtest.efi" --extra-file "EFI/X/y.efi=$T/shellx64.efi"
bad "a DEST that is a directory on the ESP" --extra-file "EFI/tools=$T/memtest.efi"
bad "a DEST below a file on the ESP" --extra-file "EFI/tools/user.efi/x.efi=$T/memtest.efi"

# ---- removal: exactly what is no longer given -----------------------------------
# files_of ESP: snapshot's lines of its files (a directory's time changes
# with what is in it), but for the record.
files_of() { (cd "$1" && find . -type f ! -path ./EFI/keel/extra-files -printf '%p %i %s %T@\n' | sort); }
files_before=$(files_of "$T/esp" | grep -v '^./EFI/shell/')
install_ --esp "$T/esp" "${MEMTEST_OPTS[@]}" $GEN >"$T/out"
check "dropping the shell removes it and its empty directory, nothing else" \
        test ! -e "$T/esp/EFI/shell" -a "$(files_of "$T/esp")" = "$files_before"
check "reports it: $(grep removed-extra "$T/out")" grep -qx "removed-extra efi/shell/shellx64.efi" "$T/out"
check "the record forgets it" test "$(record_paths "$T/esp")" = "efi/memtest86/memtest.efi loader/entries/memtest86.conf"

# Changed by the user: left in place, no longer recorded.
echo "patched by the user" >>"$T/esp/EFI/memtest86/memtest.efi"
install_ --esp "$T/esp" $GEN >"$T/out" 2>"$T/err"
check "dropping memtest removes its entry" test ! -e "$T/esp/loader/entries/memtest86.conf"
check "memtest.efi, changed since keel wrote it, stays (one warning: $(cat "$T/err"))" \
        sh -c "[ -e '$T/esp/EFI/memtest86/memtest.efi' ] && grep -q 'changed since' '$T/err' && [ \$(wc -l <'$T/err') = 1 ]"
check "the user's README next to it and EFI/tools/user.efi stay" \
        sh -c "[ \"\$(cat '$T/esp/EFI/memtest86/README.txt')\" = notes ] && [ \"\$(cat '$T/esp/EFI/tools/user.efi')\" = \"user's\" ]"
check "with nothing recorded any more, the record goes" test ! -e "$T/esp/EFI/keel/extra-files"
install_ --esp "$T/esp" --json $GEN >"$T/out.json"
check "and the next run writes nothing" grep -q '"operations":0' "$T/out.json"

# An ESP never given extras gets no record.
new_esp "$T/plain"
install_ --esp "$T/plain" $GEN >/dev/null
check "no extras, no record" test ! -e "$T/plain/EFI/keel/extra-files"

# ---- a hostile record ------------------------------------------------------------
new_esp "$T/hostile"
install_ --esp "$T/hostile" $GEN >/dev/null
mkdir -p "$T/outside"
echo "victim" >"$T/outside/victim"
ln -s "$T/outside" "$T/hostile/esc"           # only a tmpfs "ESP" can hold a link; FAT cannot
sum() { sha256sum "$1" | cut -d' ' -f1; }
{
        echo "$(sum "$T/outside/victim") ../outside/victim"
        echo "$(sum "$T/outside/victim") $T/outside/victim"
        echo "$(sum "$T/outside/victim") esc/victim"
        echo "$(sum "$T/outside/victim") esc/missing"
        echo "$(sum "$T/hostile/EFI/keel/keelx64.efi") EFI/keel/keelx64.efi"
        echo "$(sum "$T/hostile/EFI/BOOT/BOOTX64.EFI") EFI/BOOT/BOOTX64.EFI"
        echo "$(sum "$T/hostile/EFI/Linux/nixos-generation-1.efi") EFI/Linux/nixos-generation-1.efi"
        head -c 3000 /dev/urandom
        printf '\n%s ' "$(sum "$T/outside/victim")"; head -c 5000 /dev/zero | tr '\0' a; echo
} >"$T/hostile/EFI/keel/extra-files"
keel_files=$(cd "$T/hostile" && find EFI -type f | grep -v extra-files | sort | xargs sha256sum)
install_ --esp "$T/hostile" $GEN >"$T/out" 2>"$T/err"
rc=$?
check "a hostile record: the run succeeds (rc $rc, $(wc -l <"$T/err") warnings)" test $rc = 0
check "  ... the file outside the ESP (by '..', absolute, through a link) stays" test "$(cat "$T/outside/victim")" = victim
check "  ... keel's own files stay" test "$(cd "$T/hostile" && find EFI -type f | grep -v extra-files | sort | xargs sha256sum)" = "$keel_files"
check "  ... and the record, naming nothing keel wrote, goes" test ! -e "$T/hostile/EFI/keel/extra-files"

# ---- not enough space: refused before anything changes --------------------------
new_esp "$T/small" 4m
install_ --esp "$T/small" $GEN >/dev/null
head -c 5000000 /dev/urandom >"$T/big.efi"
before_small=$(snapshot "$T/small")
expect_error_saying "an extra file larger than the free space" "" "not enough space" \
        install_ --esp "$T/small" --extra-file "efi/big/big.efi=$T/big.efi" $GEN
check "  ... nothing changed" test "$(snapshot "$T/small")" = "$before_small"

# ---- a crash at every write ------------------------------------------------------
# From shell+memtest to memtest with a new memtest.efi: a run stopped after
# its k-th write leaves every extra file whole (old or new bytes) and every
# file keel wrote recorded with its bytes; a clean run then finishes.
head -c 150000 /dev/urandom >"$T/memtest2.efi"
NEW_OPTS=(--extra-file "efi/memtest86/memtest.efi=$T/memtest2.efi" --extra-entry "memtest86.conf=$T/memtest86.conf")
crash_ok=true
mkdir -p "$T/crash-base"
install_ --esp "$T/crash-base" "${SHELL_OPT[@]}" "${MEMTEST_OPTS[@]}" $GEN >/dev/null
for k in $(seq 1 12); do
        rm -rf "$T/crash" && cp -a "$T/crash-base" "$T/crash"
        KEEL_INSTALL_CRASH_AFTER=$k install_ --esp "$T/crash" "${NEW_OPTS[@]}" $GEN >/dev/null 2>&1
        rc=$?
        python3 - "$T/crash" "$T" <<'PY' || { crash_ok=false; echo "    after write $k"; }
import hashlib, os, sys
esp, t = sys.argv[1:]
def h(p): return hashlib.sha256(open(p, "rb").read()).hexdigest()
recorded = set()
for line in open(os.path.join(esp, "EFI/keel/extra-files")):
    if not line.startswith("#"):
        d, p = line.rstrip("\n").split(" ", 1)
        recorded.add((p.lower(), d))
allowed = {"efi/memtest86/memtest.efi": {h(t + "/memtest.efi"), h(t + "/memtest2.efi")},
           "efi/shell/shellx64.efi": {h(t + "/shellx64.efi")},
           "loader/entries/memtest86.conf": {h(t + "/memtest86.conf")}}
for p, ok in allowed.items():
    f = os.path.join(esp, p.replace("efi/", "EFI/", 1))
    if os.path.exists(f):
        if h(f) not in ok: sys.exit(f"{p}: neither old nor new")
        if (p, h(f)) not in recorded: sys.exit(f"{p}: on the ESP, not recorded")
PY
        install_ --esp "$T/crash" "${NEW_OPTS[@]}" $GEN >/dev/null 2>&1
        if [ ! -e "$T/crash/EFI/shell" ] && cmp -s "$T/memtest2.efi" "$T/crash/EFI/memtest86/memtest.efi" &&
           [ "$(record_paths "$T/crash")" = "efi/memtest86/memtest.efi loader/entries/memtest86.conf" ] &&
           [ -z "$(find "$T/crash" -name '*.keel-tmp-*')" ]; then :; else
                crash_ok=false
                echo "    after write $k: the clean run did not finish the job"
        fi
        [ $rc = 99 ] || break
done
check "a crash after each of the first $k writes: extra files old or new and recorded; the next run finishes" $crash_ok
check "  ... the last run went through (k=$k covers every write)" test $rc = 0

summary
